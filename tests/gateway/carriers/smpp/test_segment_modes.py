"""Every segment mode end to end: the daemon's service tree over loopback TCP
to the SMSC simulator, a multi-segment body, receipts back, ``delivered``.

``payload`` sends the body in one PDU (message_payload): the message is
settled by that one PDU's receipt, while ``num_segments`` stays the count
the carrier bills (the segmentation plan's).
"""
from __future__ import annotations

import pytest
import pytest_twisted

from tests.gateway.e2e.harness import Gateway, Smsc, gateway_config

BODY = "segment modes " * 25  # 350 GSM-7 characters: 3 segments of 153


@pytest.mark.parametrize("mode,pdus", [("udh", 3), ("sar", 3), ("payload", 1)])
@pytest_twisted.ensureDeferred
async def test_multi_segment_message_is_delivered(tmp_path, mode, pdus):
    smsc = Smsc(receipt_delay=0.05).start()
    cfg = gateway_config(tmp_path / "gw.db", smsc.port, extra=f'segment_mode = "{mode}"\n')
    gw = await Gateway(cfg).start()
    try:
        message = await gw.send(body=BODY)
        done = await gw.wait_status(message["sid"], {"delivered", "undelivered", "failed"})
        assert done["status"] == "delivered", done
        assert str(done["num_segments"]) == "3"  # billed as the carrier bills
        received = list(smsc.sim.received)
        assert len(received) == pdus
        if mode == "payload":
            assert received[0].short_message == b""
            assert received[0].tlv_raw(0x0424) == BODY.encode("ascii")
        elif mode == "sar":
            assert all(p.tlv_raw(0x020E) is not None for p in received)  # sar_total_segments
        else:
            assert all(p.esm_class & 0x40 for p in received)  # UDHI
    finally:
        await gw.stop()
        await smsc.stop()


# ---- the same rule in the store, on every backend ---------------------------------------
from gateway.sms.receipts.store import apply_receipt, sent_parts  # noqa: E402
from protocols.smpp.receipt import Receipt  # noqa: E402
from tests.gateway.receipts_fixtures import (  # noqa: E402,F401 (db_url is a fixture)
    add_segment, at, db_url, message, migrated_engine, outbound)


@pytest.fixture
def conn(db_url):
    engine = migrated_engine(db_url)
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()
    engine.dispose()


def test_one_payload_pdu_settles_a_three_segment_message(conn):
    sid = outbound(conn, num_segments=3)
    add_segment(conn, message_sid=sid, seqno=1, total=1, carrier="a", bind="a-1",
                smsc_message_id="5A", now=at(1))
    receipt = Receipt(message_id="5A", stat="DELIVRD", stat_raw="DELIVRD", err="000")
    assert apply_receipt(conn, receipt, carrier="a", now=at(2)).status == "delivered"
    row = message(conn, sid)
    assert (row["status"], row["num_segments"]) == ("delivered", 3)


def test_sent_parts_counts_pdus_not_billed_segments():
    class Part:
        def __init__(self, total):
            self.total = total
    assert sent_parts([Part(1)], 3) == 1
    assert sent_parts([Part(3), Part(3)], 3) == 3
    assert sent_parts([], 2) == 2 and sent_parts([Part(None)], None) == 1
