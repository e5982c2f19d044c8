"""End to end: an MMS through the daemon's tree to the MMSC simulator and
back to `delivered`; an inbound MMS reaching the sms_url with its media
served back through the API."""
from __future__ import annotations

import io
from dataclasses import replace

import pytest_twisted
import treq
from PIL import Image
from twisted.internet import reactor
from twisted.web.client import Agent
from twisted.web.resource import Resource
from twisted.web.server import Site

from gateway.config import model as config
from gateway.simulators.mmsc.config import MmscConfig
from gateway.simulators.mmsc.server import MmscSimulator
from protocols.mm7.content import MediaItem

from .harness import ACCOUNT, OUR_NUMBER, TOKEN, Gateway, Smsc, eventually, gateway_config


class Data(Resource):
    isLeaf = True

    def __init__(self, body: bytes, content_type: str):
        super().__init__()
        self.body, self.content_type = body, content_type

    def render_GET(self, request):
        request.setHeader(b"content-type", self.content_type.encode())
        return self.body


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


async def mms_rig(tmp_path, sms_url=None):
    sim = MmscSimulator(reactor, treq.client.HTTPClient(Agent(reactor)), MmscConfig(report_delay=0.05))
    mmsc_port = await sim.listen(reactor, 0, "127.0.0.1")
    root = Resource()
    root.putChild(b"pic.png", Data(png(), "image/png"))
    media_port = reactor.listenTCP(0, Site(root), interface="127.0.0.1")
    smsc = Smsc().start()
    base = gateway_config(tmp_path / "gw.db", smsc.port, sms_url=sms_url)
    mm7 = config.from_dict({"carriers": [{"name": "mmsc", "protocol": "mm7", "routes": ["+"],
                                          "url": f"http://127.0.0.1:{mmsc_port.getHost().port}/mm7"}]})
    cfg = replace(base, carriers=base.carriers + mm7.carriers,
                  media=replace(base.media, allow_private_addresses=True))
    gw = await Gateway(cfg).start()
    sim.config = replace(sim.config, report_url=f"{gw.base}/mm7/mmsc")
    media_url = f"http://127.0.0.1:{media_port.getHost().port}/pic.png"

    async def stop():
        await gw.stop()
        await smsc.stop()
        await mmsc_port.stopListening()
        await media_port.stopListening()

    return gw, sim, media_url, stop


@pytest_twisted.ensureDeferred
async def test_mms_sent_through_to_delivered(tmp_path, web):
    recorder, url = web
    gw, sim, media_url, stop = await mms_rig(tmp_path)
    try:
        code, message = await gw.post("/Messages.json", {
            "from": f"mms:{OUR_NUMBER}", "to": "mms:+15551230007", "body": "a picture",
            "media_list": f'[{{"url": "{media_url}", "content_type": "image/png"}}]',
            "status_callback": url, "status_callback_method": "POST"})
        assert code == 201, message
        done = await gw.wait_status(message["sid"], {"delivered", "failed", "undelivered"})
        assert done["status"] == "delivered", done
        assert len(sim.submissions) == 1
        await eventually(lambda: recorder.statuses(), lambda s: s[-1:] == ["delivered"])
        assert recorder.statuses() == ["sending", "sent", "delivered"]
        assert recorder.requests[-1]["args"]["MediaUrl"] == [media_url]
    finally:
        await stop()


@pytest_twisted.ensureDeferred
async def test_inbound_mms_reaches_sms_url_and_media_is_served(tmp_path, web):
    recorder, url = web
    gw, sim, _media_url, stop = await mms_rig(tmp_path, sms_url=url + "/in")
    try:
        status = await sim.send_deliver("+15551239999", OUR_NUMBER, "look",
                                        [MediaItem("image/png", png(), "pic.png")])
        assert status == 200
        await recorder.wait(1)
        args = recorder.requests[0]["args"]
        assert args["Body"] == ["look"] and args["NumMedia"] == ["1"]
        assert args["MediaType"] == ["image/png"]
        media = await treq.get(args["MediaUrl"][0], auth=(ACCOUNT, TOKEN))
        assert media.code == 200 and (await media.content()).startswith(b"\x89PNG")
        denied = await treq.get(args["MediaUrl"][0])
        assert denied.code == 401
    finally:
        await stop()
