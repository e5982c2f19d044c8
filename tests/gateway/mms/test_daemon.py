"""The daemon's MM7 config keys, read from TOML and used by the service tree:
``mm7_namespace`` and ``use_prefix`` on the wire, ``ca_file`` for the MMSC's
HTTPS, inbound Basic auth on /mm7/{carrier}, routing by channel and prefix,
and an RCML reply to an inbound MMS (real loopback everywhere, port 0)."""
from __future__ import annotations

from dataclasses import replace

import pytest
import pytest_twisted
import treq
from twisted.internet import reactor
from twisted.web.server import Site

from gateway.config import model as config
from gateway.config.read import ConfigError
from gateway.simulators.mmsc.config import MmscConfig
from gateway.simulators.mmsc.server import MmscSimulator, sample_png
from protocols.mm7.schema import NS_BASE
from protocols.mm7.responses import delivery_report_req
from protocols.mm7.envelope import Dialect

from tests.gateway.http_helpers import Recorder, serve
from tests.gateway.e2e.harness import OUR_NUMBER, Gateway, Smsc, eventually, gateway_config
from tests.gateway.mms.loopback import MediaServer, http_client
from tests.gateway.mms.test_https import self_signed

NAMESPACE = NS_BASE + "REL-6-MM7-1-2"
RCML = b"<Response><Message>Thanks for the picture</Message></Response>"


@pytest.fixture
def web():
    recorder = Recorder()
    port, url = serve(recorder)
    yield recorder, url
    pytest_twisted.blockon(port.stopListening())


def mm7_carrier(url: str, **keys) -> dict:
    return {"carriers": [{"name": "mmsc", "protocol": "mm7", "url": url, **keys}]}


def test_config_keys_are_read_and_checked(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("pem")
    (carrier,) = config.from_dict(mm7_carrier(
        "https://mmsc.test/mm7", username="vasp", password="pw", mm7_namespace=NAMESPACE,
        ca_file=str(ca), inbound_username="mmsc", inbound_password="in", use_prefix=False)).carriers
    settings = carrier.mm7
    assert (settings.mm7_namespace, settings.ca_file, settings.use_prefix) == (NAMESPACE, str(ca), False)
    assert settings.inbound_credentials == ("mmsc", "in")
    same = config.from_dict(mm7_carrier("https://m.test", username="vasp", password="pw")).carriers[0].mm7
    assert same.inbound_credentials == ("vasp", "pw") and same.mm7_namespace == ""
    off = config.from_dict(mm7_carrier("https://m.test", username="vasp", inbound_username="")).carriers[0].mm7
    assert off.inbound_credentials is None
    with pytest.raises(ConfigError, match="ca_file: no such file"):
        config.from_dict(mm7_carrier("https://m.test", ca_file=str(tmp_path / "missing.pem")))
    with pytest.raises(ConfigError, match="mm7_namespace"):
        config.from_dict(mm7_carrier("https://m.test", mm7_namespace=""))


async def rig(tmp_path, sms_url):
    """The daemon with an SMPP carrier for every number and an MM7 carrier
    (HTTPS, own CA, custom namespace, no prefix, inbound auth) for +1555."""
    server_cert, ca_file = self_signed(tmp_path)
    sim = MmscSimulator(reactor, http_client(), MmscConfig(
        report_delay=0.05, username="vasp", password="out-pw",
        gateway_username="mmsc", gateway_password="in-pw"))
    mmsc_port = reactor.listenSSL(0, Site(sim.resource()), server_cert.options(), interface="127.0.0.1")
    media = MediaServer({"/pic.png": ("image/png", sample_png().data)})
    media_port = reactor.listenTCP(0, Site(media), interface="127.0.0.1")
    smsc = Smsc().start()
    extra = f"""
[[carriers]]
name = "mmsc"
protocol = "mm7"
url = "https://localhost:{mmsc_port.getHost().port}/mm7"
username = "vasp"
password = "out-pw"
mm7_namespace = "{NAMESPACE}"
use_prefix = false
ca_file = "{ca_file}"
inbound_username = "mmsc"
inbound_password = "in-pw"
routes = ["+1555"]
[media]
allow_private_addresses = true
max_redirects = 1
min_image_quality = 50
min_image_side = 200
"""
    gw = await Gateway(gateway_config(str(tmp_path / "gw.db"), smsc.port, extra=extra, sms_url=sms_url)).start()
    sim.config = replace(sim.config, report_url=f"{gw.base}/mm7/mmsc")

    async def stop():
        sim.stop()
        await gw.stop()
        await smsc.stop()
        await mmsc_port.stopListening()
        await media_port.stopListening()

    return gw, sim, smsc, f"http://127.0.0.1:{media_port.getHost().port}/pic.png", stop


@pytest_twisted.ensureDeferred
async def test_config_keys_used_by_the_daemon(tmp_path, web):
    recorder, url = web
    recorder.script = [(200, RCML)]
    gw, sim, smsc, media_url, stop = await rig(tmp_path, url + "/sms")
    try:
        await eventually(lambda: gw.tree.parts.carriers["sim"].is_up, bool)
        sender = gw.tree.parts.senders["mmsc"]
        assert sender.fetcher.policy.max_redirects == 1
        assert (sender.shrink.min_quality, sender.shrink.min_side) == (50, 200)
        code, message = await gw.post("/Messages.json", {
            "from": f"mms:{OUR_NUMBER}", "to": "mms:+15551230007", "body": "a picture",
            "media_list": f'[{{"url": "{media_url}", "content_type": "image/png"}}]'})
        assert code == 201, message
        done = await gw.wait_status(message["sid"], {"delivered", "failed", "undelivered"})
        assert done["status"] == "delivered", done
        ((_, info),) = sim.submissions
        assert info.namespace == NAMESPACE and sim.stats["reports_ok"] == 1

        # An MMS to a number outside the MM7 carrier's routes has no carrier.
        code, other = await gw.post("/Messages.json", {"from": f"mms:{OUR_NUMBER}", "to": "mms:+4915112345678",
                                                      "body": "x"})
        assert code == 201
        other = await gw.wait_status(other["sid"], {"failed", "delivered", "undelivered"})
        assert other["status"] == "failed" and len(sim.submissions) == 1

        # Inbound: without the MMSC's credentials the endpoint refuses.
        report = delivery_report_req(Dialect(), "t", message_id="x", recipient="+1", sender="+1",
                                     date="2026-01-01T00:00:00Z", mm_status="Retrieved")
        refused = await treq.post(f"{gw.base}/mm7/mmsc", data=report, headers={"Content-Type": ["text/xml"]})
        await refused.content()
        assert refused.code == 401
        assert await sim.send_deliver("+15557770000", OUR_NUMBER, "look", [sample_png()]) == 200
        await recorder.wait(1)
        args = recorder.requests[0]["args"]
        assert args["NumMedia"] == ["1"] and args["From"] == ["mms:+15557770000"]

        async def replies():
            _, page = await gw.get("/Messages.json", params={"To": "sms:+15557770000"})
            return [m for m in page["messages"] if m["direction"] != "inbound"]

        (reply,) = await eventually(replies, lambda r: r and r[0]["status"] == "delivered")
        assert reply["body"] == "Thanks for the picture" and reply["from"] == f"sms:{OUR_NUMBER}"
    finally:
        await stop()
