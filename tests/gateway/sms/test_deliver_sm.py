"""DeliverHandler against the real Store (SQLite file) on the global reactor:
receipts, unreadable PDUs, the sweeps and the settings."""
from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
import pytest_twisted
from twisted.internet import reactor
from twisted.logger import LogLevel, capturedLogs, formatEvent

from gateway.sms.deliver_sm import ReceiptSettings
from protocols.smpp.constants import Tag
from protocols.smpp.pdu import DataSm, DeliverSm
from protocols.smpp.tlv import build_tlvs

from tests.gateway.receipts_fixtures import (  # noqa: F401 (db_url is a fixture)
    T0, add_segment, count_pending, db_url, message, outbound)
from tests.gateway.sms.deliver_rig import handler, inbound_rows, mo, nothing, store  # noqa: F401 (store)


@pytest_twisted.inlineCallbacks
def test_receipt_applied_after_durable_write(store):
    h, clock = handler(store)
    sid = yield store.write(outbound)
    yield store.write(add_segment, message_sid=sid, seqno=1, total=1, carrier="a",
                      bind="a-1", smsc_message_id="2a", now=datetime.now(timezone.utc))
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


@pytest_twisted.inlineCallbacks
def test_looping_sweep_on_the_injected_clock_stops_cleanly(store):
    h, clock = handler(store, settings=ReceiptSettings(sweep_interval=5, early_window=5))
    yield h("a", "a-1", DeliverSm(esm_class=0x04, short_message=b"id:1234 stat:DELIVRD"))
    h.start()
    clock.advance(5)
    yield store.write(nothing)  # writes run in order: the sweep's are done
    assert h.stats["receipts_unmatched"] == 1
    h.stop()
    assert clock.getDelayedCalls() == []


@pytest_twisted.inlineCallbacks
def test_sweep_gives_missing_segment_after_its_own_timeout(store):
    h, clock = handler(store, settings=ReceiptSettings(missing_segment_timeout=3600, early_window=10 ** 6,
                                                       reassembly_timeout=10 ** 6))
    sid = yield store.write(outbound, num_segments=2)
    for seqno in (1, 2):
        yield store.write(add_segment, message_sid=sid, seqno=seqno, total=2, carrier="a", bind="a-1",
                          smsc_message_id=f"7{seqno}", now=T0)
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


def restcomm_receipt(message_id: str) -> DeliverSm:
    """RestComm smscgateway's fixture shape: a 1-octet network_error_code."""
    return DeliverSm(esm_class=0x04, short_message=(
        b"id:%s sub:001 dlvrd:000 submit date:1408121200 done date:1408121201 stat:UNDELIV err:004 "
        b"text:Hello" % message_id.encode()), tlvs=((Tag.RECEIPTED_MESSAGE_ID, message_id.encode() + b"\0"),
                                                    (Tag.NETWORK_ERROR_CODE, b"\x03")))


@pytest.mark.parametrize("batching", [False, True])
@pytest_twisted.inlineCallbacks
def test_malformed_optional_tlv_is_ignored_logged_once_and_counted(store, batching):
    from gateway.sms.receipts.batch import BatchingDeliverHandler

    h, clock = handler(store)
    entry = BatchingDeliverHandler(h, store, reactor) if batching else h
    sids = []
    for smsc_id in ("1a", "1b"):
        sid = yield store.write(outbound)
        yield store.write(add_segment, message_sid=sid, seqno=1, total=1, carrier="a",
                          bind="a-1", smsc_message_id=smsc_id, now=datetime.now(timezone.utc))
        sids.append(sid)
    with capturedLogs() as events:
        yield entry("a", "a-1", restcomm_receipt("1a"))
        yield entry("a", "a-1", restcomm_receipt("1b"))
    lines = [formatEvent(e) for e in events if e.get("log_level") is LogLevel.warn]
    assert len(lines) == 1 and "network_error_code: must be 3 octets, got 1" in lines[0]
    assert (h.stats["receipt_tlvs_ignored"], h.stats["unreadable"], h.stats["receipts_applied"]) == (2, 0, 2)
    for sid in sids:
        row = yield store.read(lambda conn, sid=sid: message(conn, sid))
        # read from the text: UNDELIV, err 004 (not a MAP cause padded out of the one octet)
        assert (row["status"], row["error_code"], row["carrier_err"]) == ("undelivered", 30008, "004")
