"""End to end: inbound deliver_sm as real SMSCs send them -- data_coding 0
meaning Latin-1, and 8-bit binary data -- reach the store and the sms_url
instead of being answered and dropped."""
from __future__ import annotations

import pytest
import pytest_twisted
from sqlalchemy import select

from gateway.store.schema import status_events
from protocols.smpp.pdu import DeliverSm

from .harness import OUR_NUMBER, Gateway, Smsc, eventually, gateway_config

HANDSET = "+15551239999"
LATIN1_TEXT = "Café crème, ¿sí?"  # ¿ and é are octets above 0x7F in Latin-1
WAP_PUSH = bytes([6, 5, 4, 0x0B, 0x84, 0x23, 0xF0]) + b"\x01\x06\x03\xc4\xaf\x87"  # port UDH + WSP


def deliver(short_message: bytes, data_coding: int = 0, esm_class: int = 0) -> DeliverSm:
    return DeliverSm(source_addr_ton=1, source_addr_npi=1, source_addr=HANDSET[1:],
                     dest_addr_ton=1, dest_addr_npi=1, destination_addr=OUR_NUMBER[1:],
                     esm_class=esm_class, data_coding=data_coding, short_message=short_message)


async def inbound(gw):
    code, page = await gw.get("/Messages.json", params={"To": f"sms:{OUR_NUMBER}"})
    assert code == 200, page
    return [m for m in page["messages"] if m["direction"] == "inbound"]


@pytest.mark.parametrize("alphabet, fallbacks", [("latin1", 0), ("gsm7", 1)])
@pytest_twisted.ensureDeferred
async def test_latin1_default_alphabet_reaches_sms_url(tmp_path, web, alphabet, fallbacks):
    recorder, url = web
    smsc = Smsc().start()
    extra = f'default_alphabet = "{alphabet}"\n'
    gw = await Gateway(gateway_config(tmp_path / "gw.db", smsc.port, sms_url=url + "/sms", extra=extra)).start()
    try:
        await eventually(lambda: gw.tree.parts.carriers["sim"].is_up, bool)
        statuses = await smsc.sim.inject_deliver([deliver(LATIN1_TEXT.encode("latin-1"))])
        assert statuses == [0]
        await recorder.wait(1)
        call = recorder.requests[0]["args"]
        assert call["Body"] == [LATIN1_TEXT] and call["From"] == [f"sms:{HANDSET}"]
        (message,) = await inbound(gw)
        assert (message["body"], message["status"]) == (LATIN1_TEXT, "received")
        stats = gw.tree.parts.deliver.stats
        assert (stats["mo_latin1_fallback"], stats["mo_undecoded"], stats["unreadable"]) == (fallbacks, 0, 0)
    finally:
        await gw.stop()
        await smsc.stop()


@pytest_twisted.ensureDeferred
async def test_binary_mo_is_stored_and_sms_url_called_with_empty_body(tmp_path, web):
    recorder, url = web
    smsc = Smsc().start()
    gw = await Gateway(gateway_config(tmp_path / "gw.db", smsc.port, sms_url=url + "/sms")).start()
    try:
        await eventually(lambda: gw.tree.parts.carriers["sim"].is_up, bool)
        statuses = await smsc.sim.inject_deliver([deliver(WAP_PUSH, data_coding=0x04, esm_class=0x40),
                                                  deliver(b"\x7f\xfe\x00", data_coding=0xF6)])
        assert statuses == [0, 0]  # ESME_ROK after the durable write: nothing to redeliver
        await recorder.wait(2)
        assert [r["args"]["Body"] for r in recorder.requests] == [[""], [""]]
        messages = await inbound(gw)
        assert sorted((m["body"], m["status"], m["from"]) for m in messages) == \
            [("", "received", f"sms:{HANDSET}")] * 2
        details = await gw.tree.parts.store.read(
            lambda conn: conn.execute(select(status_events.c.detail)).scalars().all())
        assert sorted(d.split("octets=")[1] for d in details) == sorted([WAP_PUSH.hex(), "7ffe00"])
        assert gw.tree.parts.deliver.stats["mo_undecoded"] == 2
    finally:
        await gw.stop()
        await smsc.stop()
