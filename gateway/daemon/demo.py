"""``carrier-gateway run`` without ``--config``: a self-contained demo.

SQLite under ``./var/``, the API on 127.0.0.1:8080, one demo account (its
credentials are kept in ``./var/demo-account.json`` so they survive a
restart), the built-in SMSC simulator (receipts on) and MMSC simulator
started in-process as the carriers, and a demo picture served at
``/demo/picture.png`` for trying MMS.  Everything here is an entry-point
helper: it touches the file system and the reactor it is given.
"""
from __future__ import annotations

import io
import json
import os
import secrets
from dataclasses import replace
from typing import Any

from gateway.config import model as c

DEMO_FROM = "+15005550006"
DEMO_TO = "+15005551234"


def demo_account(directory: str) -> c.Account:
    path = os.path.join(directory, "demo-account.json")
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        return c.Account(sid=data["sid"], auth_token=data["auth_token"], friendly_name="demo")
    except (OSError, ValueError, KeyError):
        pass
    account = c.Account(sid="AC" + secrets.token_hex(16), auth_token=secrets.token_hex(16),
                        friendly_name="demo")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"sid": account.sid, "auth_token": account.auth_token}, f)
    return account


def demo_config(directory: str, host: str, port: int, smsc_port: int, mmsc_url: str | None) -> c.Config:
    account = demo_account(directory)
    smsc = c.CarrierConfig(
        name="demo-smsc", protocol="smpp", routes=("+",),
        smpp=c.SmppSettings(host="127.0.0.1", port=smsc_port, system_id="demo", password="demo",
                            bind="transceiver", binds=1, window=100, registered_delivery=1,
                            enquire_link_interval=30.0))
    carriers = [smsc]
    if mmsc_url is not None:
        carriers.append(c.CarrierConfig(
            name="demo-mmsc", protocol="mm7", routes=("+",),
            mm7=c.Mm7Settings(url=mmsc_url, vasp_id="demo", vas_id="demo", service_code="demo")))
    path = os.path.abspath(os.path.join(directory, "demo.db"))
    return c.Config(
        api=c.ApiConfig(host=host, port=port), store=c.StoreConfig(url=f"sqlite:///{path}"),
        accounts=(account,), carriers=tuple(carriers),
        numbers=(c.Number(number=DEMO_FROM, account=account.sid),),
        pipeline=replace(c.PipelineConfig(), poll_interval=0.5),
        media=replace(c.MediaConfig(), allow_private_addresses=True),  # the demo picture is local
        # The demo's own local receivers (try a callback to a local listener).
        callbacks=replace(c.CallbacksConfig(), allow_hosts=("127.0.0.1", "::1", "localhost")),
        source="<demo>")


def start_smsc(reactor: Any):
    from gateway.simulators.smsc.config import SimConfig
    from gateway.simulators.smsc.smsc import SmscSimulator

    sim = SmscSimulator(SimConfig(receipt_delay=0.5, outcomes={"DELIVRD": 1.0}), clock=reactor)
    return sim, sim.listen(reactor, 0, "127.0.0.1")


async def start_mmsc(reactor: Any, report_url: str):
    """The MMSC simulator on a free port: ``(simulator, listening port)``."""
    import treq.client
    from twisted.web.client import Agent

    from gateway.simulators.mmsc.config import MmscConfig
    from gateway.simulators.mmsc.server import MmscSimulator

    sim = MmscSimulator(reactor, treq.client.HTTPClient(Agent(reactor)),
                        MmscConfig(report_url=report_url, report_delay=1.0))
    port = await sim.listen(reactor, 0, "127.0.0.1")
    return sim, port


def picture() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 200), (32, 96, 160))
    ImageDraw.Draw(image).text((20, 90), "carrier-gateway demo", fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def picture_resource():
    from gateway.api.pages import JsonErrorsLeaf

    class Picture(JsonErrorsLeaf):
        body = picture()

        def render_GET(self, request):
            request.setHeader(b"content-type", b"image/png")
            return self.body

    return Picture()


def banner(cfg: c.Config, base: str, smsc_port: int, mmsc: str | None) -> str:
    account = cfg.accounts[0]
    api = f"{base}/api/2012-04-24/Accounts/{account.sid}"
    lines = [
        "",
        "carrier-gateway demo is running",
        f"  API            {base}   (health: {base}/health, metrics: {base}/metrics)",
        f"  store          {cfg.store.url}",
        f"  SMSC simulator 127.0.0.1:{smsc_port} (receipts on: DELIVRD after 0.5 s)",
    ]
    if mmsc:
        lines.append(f"  MMSC simulator {mmsc}")
    lines += [
        f"  account        AccountSid {account.sid}",
        f"                 AuthToken  {account.auth_token}",
        "",
        "Send an SMS (then look it up with the sid it returns; it reaches 'delivered'):",
        f"  curl -s -u '{account.sid}:{account.auth_token}' '{api}/Messages.json' \\",
        f"       --data-urlencode 'from=sms:{DEMO_FROM}' --data-urlencode 'to=sms:{DEMO_TO}' \\",
        "       --data-urlencode 'body=Hello from carrier-gateway'",
        f"  curl -s -u '{account.sid}:{account.auth_token}' '{api}/Messages/<sid>.json'",
        f"  curl -s -u '{account.sid}:{account.auth_token}' '{api}/Messages.json?PageSize=5'",
    ]
    if mmsc:
        media = json.dumps([{"url": f"{base}/demo/picture.png", "content_type": "image/png"}])
        lines += [
            "Send an MMS:",
            f"  curl -s -u '{account.sid}:{account.auth_token}' '{api}/Messages.json' \\",
            f"       --data-urlencode 'from=mms:{DEMO_FROM}' --data-urlencode 'to=mms:{DEMO_TO}' \\",
            f"       --data-urlencode 'body=A picture' --data-urlencode 'media_list={media}'",
        ]
    lines.append("Stop with Ctrl-C (drains, unbinds, closes the store).")
    return "\n".join(lines) + "\n"
