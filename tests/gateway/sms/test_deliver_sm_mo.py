"""DeliverHandler's MO messages on the in-memory store and its Clock (no
reactor, no thread): what cannot be read, what is not text, the alphabets,
reassembly of concatenated parts and its timeout, the SMS API's numbers.
``test_deliver_sm_store.py`` runs the reassembly timeout on the real Store."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select
from twisted.logger import LogLevel, capturedLogs, formatEvent

from gateway.sms.deliver_sm import DeliverHandler, ReceiptSettings, number_directory
from gateway.config.model import Number
from gateway.store.schema import messages, status_events
from protocols.smpp.constants import Tag
from protocols.smpp.pdu import DeliverSm
from protocols.smpp.tlv import build_tlvs
from segmentation import plan

from tests.gateway.pipeline_helpers import on_clock
from tests.gateway.receipts_fixtures import callbacks, message, waiting_parts
from tests.gateway.sms.deliver_sm_helpers import handler, store  # noqa: F401 (store is a fixture)


def mo(short_message, *, esm_class=0, data_coding=0, tlvs=(), source="447700900001"):
    return DeliverSm(source_addr_ton=1, source_addr=source, dest_addr_ton=1, destination_addr="15550100",
                     esm_class=esm_class, data_coding=data_coding, short_message=short_message, tlvs=tlvs)


@on_clock
def test_unreadable_gets_none_and_is_counted_and_logged_with_its_bytes(store):
    h, clock = handler(store)
    # Not a message: a deliver_sm-like object without any address.
    no_addresses = SimpleNamespace(esm_class=0, data_coding=0, short_message=b"hi",
                                   tlvs=build_tlvs([(Tag.SOURCE_PORT, 9200)]), tlv=lambda tag: None)
    with capturedLogs() as events:
        assert h("a", "a-1", DeliverSm(esm_class=0x04, short_message=b"stat:DELIVRD no id here")) is None
        assert h("b", "b-1", no_addresses) is None
    assert h.stats["unreadable"] == 2 and h.stats["mo"] == 0
    lines = [formatEvent(e) for e in events if e.get("log_level") is LogLevel.warn]
    assert len(lines) == 2
    assert b"stat:DELIVRD no id here".hex() in lines[0] and "a/a-1" in lines[0]
    assert "6869" in lines[1] and "b/b-1" in lines[1] and "020a=23f0" in lines[1]
    assert (yield store.read(inbound_rows)) == []


def inbound_rows(conn):
    return [dict(r) for r in conn.execute(
        select(messages).where(messages.c.direction == "inbound").order_by(messages.c.date_created,
                                                                          messages.c.body)).mappings()]


def events_of(conn, sid):
    return [dict(r) for r in conn.execute(
        select(status_events).where(status_events.c.message_sid == sid)).mappings()]


@pytest.mark.parametrize("pdu, octets, why", [
    (mo(b"\x00\x01\x02", data_coding=0x08), "000102", "odd length"),  # cut-off UCS-2
    (mo(b"\x05\x00\x03\x01", esm_class=0x40), "05000301", ""),  # a cut-off UDH
    (mo(bytes([6, 5, 4, 0x0b, 0x84, 0x23, 0xf0, 0xde, 0xad]), esm_class=0x40, data_coding=0x04),
     "0605040b8423f0dead", "binary"),  # WAP push: 8-bit data with a port UDH
    (mo(b"\x01\x02\xff", data_coding=0xF6), "0102ff", "binary"),  # GSM DCS, 8-bit, class 2
    (mo(b"\x1b$B$3\x1b(B", data_coding=0x05), "1b244224331b2842", "unsupported"),  # JIS X 0208
])
@on_clock
def test_mo_that_is_not_text_is_stored_with_empty_body_and_its_octets_kept(store, pdu, octets, why):
    h, clock = handler(store)
    with capturedLogs() as events:
        d = h("a", "a-1", pdu)
        assert d is not None  # answered only after the durable write
        yield d
    assert (h.stats["unreadable"], h.stats["mo"], h.stats["mo_undecoded"]) == (0, 1, 1)
    (row,) = yield store.read(inbound_rows)
    assert (row["body"], row["status"], row["from_"], row["to"]) == ("", "received", "+447700900001", "+15550100")
    (event,) = yield store.read(lambda conn: events_of(conn, row["sid"]))
    assert event["status"] == "received" and f"octets={octets}" in event["detail"]
    assert f"data_coding={pdu.data_coding:#04x}" in event["detail"] and why in event["detail"]
    (cb,) = yield store.read(lambda conn: callbacks(conn, row["sid"]))
    assert dict(tuple(p) for p in cb["params"])["Body"] == ""
    (line,) = [formatEvent(e) for e in events if e.get("log_level") is LogLevel.warn]
    assert octets in line and "a/a-1" in line


@on_clock
def test_binary_parts_are_each_kept_not_held_for_reassembly(store):
    h, clock = handler(store)
    for seqno in (2, 1):
        yield h("a", "a-1", mo(bytes([5, 0, 3, 0x44, 2, seqno, 0xC0 + seqno]), esm_class=0x40, data_coding=0x04))
    assert (yield store.read(waiting_parts)) == 0
    rows = yield store.read(inbound_rows)
    details = []
    for row in rows:
        details += [e["detail"] for e in (yield store.read(lambda conn, sid=row["sid"]: events_of(conn, sid)))]
    assert [r["body"] for r in rows] == ["", ""]
    assert sorted(d.split("octets=")[1] for d in details) == ["050003440201c1", "050003440202c2"]


@pytest.mark.parametrize("alphabet, octets, body, fallback", [
    ("latin1", b"Caf\xe9 \xa3 a@b", "Café £ a@b", 0),
    ("ascii", b"a@b_", "a@b_", 0),
    ("gsm7", b"a\x00b\x11", "a@b_", 0),  # GSM-7: 0x00 is "@", 0x11 is "_"
    ("gsm7", b"Caf\xe9 \xa3", "Café £", 1),  # impossible in GSM-7: read as Latin-1
    ("ascii", b"Caf\xe9", "Café", 1),
])
@on_clock
def test_data_coding_0_is_read_in_the_carriers_default_alphabet(store, alphabet, octets, body, fallback):
    h, clock = handler(store, alphabets={"a": alphabet, "other": "gsm7"})
    with capturedLogs() as events:
        yield h("a", "a-1", mo(octets))
    (row,) = yield store.read(inbound_rows)
    assert row["body"] == body
    assert (h.stats["mo_latin1_fallback"], h.stats["mo_undecoded"]) == (fallback, 0)
    warnings = [formatEvent(e) for e in events if e.get("log_level") is LogLevel.warn]
    assert len(warnings) == fallback
    if fallback:
        assert 'default_alphabet = "latin1"' in warnings[0] and "a/a-1" in warnings[0]


@on_clock
def test_default_alphabet_is_per_carrier_and_concatenated_latin1_reassembles(store):
    h, clock = handler(store, alphabets={"latin": "latin1"})
    yield h("gsm", "g-1", mo(b"x\x00y"))  # no entry: GSM-7
    for seqno, text in ((2, b" d\xe9j\xe0"), (1, b"D\xe9j\xe0 vu,")):
        yield h("latin", "l-1", mo(bytes([5, 0, 3, 9, 2, seqno]) + text, esm_class=0x40))
    bodies = sorted(r["body"] for r in (yield store.read(inbound_rows)))
    assert bodies == ["Déjà vu, déjà", "x@y"]
    assert h.stats["mo_latin1_fallback"] == 0


@on_clock
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


def sar_parts_time_out_in_the_sweep(store, handler):
    """Shared with ``test_deliver_sm_store.py``, which runs it on the real Store."""
    h, clock = handler(store, settings=ReceiptSettings(reassembly_timeout=60, sweep_interval=10))
    sar = [(Tag.SAR_MSG_REF_NUM, 9), (Tag.SAR_TOTAL_SEGMENTS, 3), (Tag.SAR_SEGMENT_SEQNUM, 1)]
    yield h("a", "a-1", mo(b"first ", tlvs=build_tlvs(sar)))
    assert (yield store.read(waiting_parts)) == 1
    clock.advance(61)
    yield h.sweep()
    assert h.stats["incomplete_inbound"] == 1
    assert (yield store.read(waiting_parts)) == 0


@on_clock
def test_sar_parts_and_reassembly_timeout_via_sweep(store):
    return sar_parts_time_out_in_the_sweep(store, handler)


@on_clock
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


@on_clock
def test_sms_api_number_from_config(store):
    numbers = [Number(number="+15550200", account="AC2", sms_url="http://legacy.example/sms",
                      sms_method="GET", api="sms")]
    h = DeliverHandler(store, number_directory(numbers), store.clock)
    pdu = DeliverSm(source_addr_ton=1, source_addr="447700900001", destination_addr="15550200",
                    short_message=b"hi")
    received = yield h("a", "a-1", pdu)
    assert received is None
    rows = yield store.read(lambda conn: conn.execute(
        select(messages.c.sid).where(messages.c.account_sid == "AC2")).scalars().all())
    (cb,) = yield store.read(lambda conn: callbacks(conn, rows[0]))
    params = dict(tuple(p) for p in cb["params"])
    assert (params["From"], params["To"], cb["method"]) == ("+447700900001", "+15550200", "GET")


@on_clock
def test_ascii_mo_read_as_gsm7_says_once_per_carrier_default_alphabet_is_probably_ascii(store):
    h, clock = handler(store, alphabets={"smppsim": "gsm7", "fixed": "ascii"})
    text = b"user@example.com under_score $100"
    with capturedLogs() as events:
        yield h("smppsim", "s-1", mo(text))
        yield h("smppsim", "s-1", mo(text))
        yield h("fixed", "f-1", mo(text))
        yield h("smppsim", "s-1", mo(b"plain words"))
    warnings = [formatEvent(e) for e in events if e.get("log_level") is LogLevel.warn]
    assert len(warnings) == 1
    assert 'default_alphabet = "ascii"' in warnings[0] and "smppsim/s-1" in warnings[0]
    assert h.stats["mo_ascii_hint"] == 2
    bodies = sorted(r["body"] for r in (yield store.read(inbound_rows)))
    assert "user@example.com under_score $100" in bodies  # the carrier set to ascii
    assert "user\u00a1example.com under\u00a7score \u00a4100" in bodies  # gsm7 as configured
