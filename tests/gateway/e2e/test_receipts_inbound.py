"""End to end: receipt outcomes reach the API and the callbacks; an inbound
(concatenated) SMS reaches the number's sms_url, whose RCML answer is sent
as a reply that reaches `delivered` itself."""
from __future__ import annotations

import pytest_twisted

from .harness import OUR_NUMBER, Gateway, Smsc, eventually, gateway_config

RCML = b"<Response><Message>Got it, thanks</Message></Response>"


@pytest_twisted.ensureDeferred
async def test_undelivered_receipts_give_status_and_code(tmp_path, web):
    recorder, url = web
    smsc = Smsc(outcomes={"UNDELIV": 1.0}).start()
    gw = await Gateway(gateway_config(tmp_path / "gw.db", smsc.port)).start()
    try:
        single = await gw.send(status_callback=url, status_callback_method="POST")
        multi = await gw.send(body="long " * 60)
        for sid in (single["sid"], multi["sid"]):
            done = await gw.wait_status(sid, {"undelivered", "failed", "delivered"})
            assert (done["status"], done["error_code"]) == ("undelivered", 30005), done
        await eventually(lambda: recorder.statuses(), lambda s: s[-1:] == ["undelivered"])
        assert recorder.statuses() == ["sending", "sent", "undelivered"]
        assert recorder.requests[-1]["args"]["ErrorCode"] == ["30005"]
    finally:
        await gw.stop()
        await smsc.stop()


@pytest_twisted.ensureDeferred
async def test_inbound_concatenated_sms_calls_sms_url_and_rcml_reply_is_sent(tmp_path, web):
    recorder, url = web
    recorder.script = [(200, RCML)]
    smsc = Smsc().start()
    gw = await Gateway(gateway_config(tmp_path / "gw.db", smsc.port, sms_url=url + "/sms")).start()
    try:
        await eventually(lambda: gw.tree.parts.carriers["sim"].is_up, bool)
        text = "This inbound message is long enough to need two parts. " * 3
        statuses = await smsc.sim.inject_mo(text, source="+15551239999", destination=OUR_NUMBER)
        assert statuses == [0, 0]  # ESME_ROK for both parts, after the durable write
        await recorder.wait(1)
        call = recorder.requests[0]["args"]
        assert call["Body"] == [text] and call["From"] == ["sms:+15551239999"]
        assert call["To"] == [f"sms:{OUR_NUMBER}"]
        inbound_sid = call["MessageSid"][0]
        inbound = await gw.status(inbound_sid)
        assert (inbound["direction"], inbound["status"]) == ("inbound", "received")

        async def reply():
            code, page = await gw.get("/Messages.json", params={"To": "sms:+15551239999"})
            return [m for m in page["messages"] if m["direction"] != "inbound"]

        replies = await eventually(reply, lambda r: r and r[0]["status"] == "delivered")
        assert replies[0]["body"] == "Got it, thanks" and replies[0]["from"] == f"sms:{OUR_NUMBER}"
    finally:
        await gw.stop()
        await smsc.stop()
