"""DeliverHandler against the real Store (SQLite file) on the global reactor."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import pytest_twisted
from sqlalchemy import select
from twisted.internet import reactor
from twisted.internet.task import Clock
from twisted.logger import LogLevel, capturedLogs, formatEvent

from gateway.deliver import DeliverHandler, ReceiptSettings, number_directory
from gateway.config import Number
from gateway.receipts_store import add_segment, count_pending
from gateway.store.schema import messages
from gateway.store.migrate import upgrade
from gateway.store.store import Store
from gateway.inbound_store import waiting_parts
from protocols.smpp.constants import Tag
from protocols.smpp.pdu import DataSm, DeliverSm
from protocols.smpp.tlv import build_tlvs
from segmentation import plan

from .receipts_fixtures import T0, db_url, callbacks, message, outbound  # noqa: F401 (db_url is a fixture)

EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp()
NUMBERS = [Number(number="+15550100", account="AC1", sms_url="http://app.example/sms", sms_method="POST")]


@pytest.fixture
def store(db_url):
    upgrade(db_url)  # PostgreSQL is not migrated by Store.start()
    store = Store(db_url, reactor)
    pytest_twisted.blockon(store.start())
    yield store
    pytest_twisted.blockon(store.stop())


def handler(store, **kw):
    clock = Clock()
    clock.advance(EPOCH)
    return DeliverHandler(store, number_directory(NUMBERS), clock, **kw), clock


def mo(short_message, *, esm_class=0, data_coding=0, tlvs=(), source="447700900001"):
    return DeliverSm(source_addr_ton=1, source_addr=source, dest_addr_ton=1, destination_addr="15550100",
                     esm_class=esm_class, data_coding=data_coding, short_message=short_message, tlvs=tlvs)


@pytest_twisted.inlineCallbacks
def test_receipt_applied_after_durable_write(store):
    h, clock = handler(store)
    sid = yield store.write(lambda conn: outbound(conn))
    yield store.write(lambda conn: add_segment(conn, message_sid=sid, seqno=1, total=1, carrier="a",
                                               bind="a-1", smsc_message_id="2a", now=datetime.now(timezone.utc)))
    pdu = DeliverSm(esm_class=0x04, short_message=b"id:42 sub:001 dlvrd:001 submit date:2601011200 "
                    b"done date:2601011201 stat:DELIVRD err:000 text:hi\x00")
    d = h("b", "b-2", pdu)  # another carrier and bind than the one that sent it
    assert d is not None
    yield d
    row = yield store.read(lambda conn: message(conn, sid))
    assert row["status"] == "delivered"
    assert h.stats["receipts_applied"] == 1


@pytest_twisted.inlineCallbacks
def test_data_sm_receipt_before_its_response_is_kept(store):
    h, clock = handler(store)
    pdu = DataSm(tlvs=build_tlvs([(Tag.RECEIPTED_MESSAGE_ID, "beef"), (Tag.MESSAGE_STATE, 5),
                                  (Tag.NETWORK_ERROR_CODE, (3, 13))]))
    yield h("a", "a-1", pdu)
    assert h.stats["receipts_waiting"] == 1
    counts = yield store.read(count_pending)
    assert counts == {"waiting": 1}


@pytest_twisted.inlineCallbacks
def test_unreadable_gets_none_and_is_counted_and_logged_with_its_bytes(store):
    h, clock = handler(store)
    with capturedLogs() as events:
        assert h("a", "a-1", DeliverSm(esm_class=0x04, short_message=b"stat:DELIVRD no id here")) is None
        assert h("a", "a-1", mo(b"\x00\x01\x02", data_coding=0x08)) is None  # odd UCS-2
        assert h("b", "b-1", mo(b"\x05\x00\x03\x01", esm_class=0x40,  # a cut-off UDH
                                tlvs=build_tlvs([(Tag.SOURCE_PORT, 9200)]))) is None
    assert h.stats["unreadable"] == 3
    lines = [formatEvent(e) for e in events if e.get("log_level") is LogLevel.warn]
    assert len(lines) == 3
    assert b"stat:DELIVRD no id here".hex() in lines[0] and "a/a-1" in lines[0]
    assert "000102" in lines[1] and "data_coding=0x08" in lines[1]
    assert "05000301" in lines[2] and "esm_class=0x40" in lines[2] and "020a=23f0" in lines[2]
    yield None


@pytest_twisted.inlineCallbacks
def test_concatenated_mo_out_of_order_becomes_one_inbound_message(store):
    h, clock = handler(store)
    body = "Grüße aus Köln – " * 8  # UCS-2, several parts
    parts = plan(body, reference=77).parts
    assert len(parts) > 2
    for part in reversed(parts):
        yield h("a", "a-1", mo(part.short_message, esm_class=0x40, data_coding=0x08))
    rows = yield store.read(lambda conn: conn.execute(
        select(messages.c.sid).where(messages.c.direction == "inbound")).scalars().all())
    assert len(rows) == 1
    row = yield store.read(lambda conn: message(conn, rows[0]))
    assert (row["body"], row["from_"], row["to"], row["status"]) == (body, "+447700900001", "+15550100", "received")
    cbs = yield store.read(lambda conn: callbacks(conn, rows[0]))
    assert cbs[0]["url"] == "http://app.example/sms"


@pytest_twisted.inlineCallbacks
def test_sar_parts_and_reassembly_timeout_via_sweep(store):
    h, clock = handler(store, settings=ReceiptSettings(reassembly_timeout=60, sweep_interval=10))
    sar = [(Tag.SAR_MSG_REF_NUM, 9), (Tag.SAR_TOTAL_SEGMENTS, 3), (Tag.SAR_SEGMENT_SEQNUM, 1)]
    yield h("a", "a-1", mo(b"first ", tlvs=build_tlvs(sar)))
    assert (yield store.read(waiting_parts)) == 1
    clock.advance(61)
    yield h.sweep()
    assert h.stats["incomplete_inbound"] == 1
    assert (yield store.read(waiting_parts)) == 0


@pytest_twisted.inlineCallbacks
def test_looping_sweep_on_the_injected_clock_stops_cleanly(store):
    h, clock = handler(store, settings=ReceiptSettings(sweep_interval=5, early_window=5))
    yield h("a", "a-1", DeliverSm(esm_class=0x04, short_message=b"id:1234 stat:DELIVRD"))
    h.start()
    clock.advance(5)
    yield store.write(lambda conn: None)  # writes run in order: the sweep's are done
    assert h.stats["receipts_unmatched"] == 1
    h.stop()
    assert clock.getDelayedCalls() == []


@pytest_twisted.inlineCallbacks
def test_sweep_gives_missing_segment_after_its_own_timeout(store):
    h, clock = handler(store, settings=ReceiptSettings(missing_segment_timeout=3600, early_window=10 ** 6,
                                                       reassembly_timeout=10 ** 6))
    sid = yield store.write(lambda conn: outbound(conn, num_segments=2))
    for seqno in (1, 2):
        yield store.write(lambda conn, n=seqno: add_segment(
            conn, message_sid=sid, seqno=n, total=2, carrier="a", bind="a-1",
            smsc_message_id=f"7{n}", now=T0))
    yield h("a", "a-2", DeliverSm(esm_class=0x04, short_message=b"id:71 stat:DELIVRD err:0"))
    clock.advance(T0.timestamp() + 3599 - clock.seconds())
    yield h.sweep()
    assert (yield store.read(lambda conn: message(conn, sid)))["status"] == "sent"
    clock.advance(1)
    yield h.sweep()
    row = yield store.read(lambda conn: message(conn, sid))
    assert (row["status"], row["error_code"]) == ("undelivered", 30009)
    assert h.stats["missing_segment"] == 1


def test_settings_from_config_table():
    assert ReceiptSettings.from_mapping({"early_window": 30}).early_window == 30.0
    with pytest.raises(ValueError, match="unknown"):
        ReceiptSettings.from_mapping({"early": 1})
    with pytest.raises(ValueError, match="positive"):
        ReceiptSettings.from_mapping({"early_window": -1})


@pytest_twisted.inlineCallbacks
def test_emoji_split_across_ucs2_parts_is_mended(store):
    h, clock = handler(store)
    data = "ab😀".encode("utf-16-be")  # a, b, high half | low half
    first, second = data[:6], data[6:] + "c".encode("utf-16-be")
    udh = lambda seqno: bytes([5, 0, 3, 0x21, 2, seqno])  # noqa: E731
    yield h("a", "a-1", mo(udh(2) + second, esm_class=0x40, data_coding=0x08))
    yield h("a", "a-2", mo(udh(1) + first, esm_class=0x40, data_coding=0x08))
    yield h("a", "a-1", mo(b"\xd8\x3d" + "x".encode("utf-16-be"), data_coding=0x08))  # a lone half
    bodies = yield store.read(lambda conn: conn.execute(
        select(messages.c.body).where(messages.c.direction == "inbound").order_by(messages.c.body)).scalars().all())
    assert sorted(bodies) == sorted(["ab😀c", "\ufffdx"])
    assert h.stats["unreadable"] == 0


@pytest_twisted.inlineCallbacks
def test_sms_api_number_from_config(store):
    numbers = [Number(number="+15550200", account="AC2", sms_url="http://legacy.example/sms",
                      sms_method="GET", api="sms")]
    clock = Clock()
    h = DeliverHandler(store, number_directory(numbers), clock)
    pdu = DeliverSm(source_addr_ton=1, source_addr="447700900001", destination_addr="15550200",
                    short_message=b"hi")
    received = yield h("a", "a-1", pdu)
    assert received is None
    rows = yield store.read(lambda conn: conn.execute(
        select(messages.c.sid).where(messages.c.account_sid == "AC2")).scalars().all())
    (cb,) = yield store.read(lambda conn: callbacks(conn, rows[0]))
    params = dict(tuple(p) for p in cb["params"])
    assert (params["From"], params["To"], cb["method"]) == ("+447700900001", "+15550200", "GET")
