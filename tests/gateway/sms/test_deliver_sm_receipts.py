"""DeliverHandler's receipts on the in-memory store and its Clock (no reactor,
no thread): applied after the durable write, kept when early, the sweeps,
the settings, a malformed optional TLV.  ``test_deliver_sm_store.py`` runs
the first on the real Store."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from twisted.logger import LogLevel, capturedLogs, formatEvent

from gateway.sms.deliver_sm import ReceiptSettings
from protocols.smpp.constants import Tag
from protocols.smpp.pdu import DataSm, DeliverSm
from protocols.smpp.tlv import build_tlvs

from tests.gateway.pipeline_helpers import on_clock
from tests.gateway.receipts_fixtures import T0, add_segment, count_pending, message, outbound
from tests.gateway.sms.deliver_sm_helpers import handler, store  # noqa: F401 (store is a fixture)


def nothing(conn):
    return None


def receipt_applied_after_durable_write(store, handler):
    """Shared with ``test_deliver_sm_store.py``, which runs it on the real Store."""
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


@on_clock
def test_receipt_applied_after_durable_write(store):
    return receipt_applied_after_durable_write(store, handler)


@on_clock
def test_data_sm_receipt_before_its_response_is_kept(store):
    h, clock = handler(store)
    pdu = DataSm(tlvs=build_tlvs([(Tag.RECEIPTED_MESSAGE_ID, "beef"), (Tag.MESSAGE_STATE, 5),
                                  (Tag.NETWORK_ERROR_CODE, (3, 13))]))
    yield h("a", "a-1", pdu)
    assert h.stats["receipts_waiting"] == 1
    counts = yield store.read(count_pending)
    assert counts == {"waiting": 1}


@on_clock
def test_looping_sweep_on_the_injected_clock_stops_cleanly(store):
    h, clock = handler(store, settings=ReceiptSettings(sweep_interval=5, early_window=5))
    yield h("a", "a-1", DeliverSm(esm_class=0x04, short_message=b"id:1234 stat:DELIVRD"))
    h.start()
    clock.advance(5)
    yield store.write(nothing)  # writes run in order: the sweep's are done
    assert h.stats["receipts_unmatched"] == 1
    h.stop()
    assert clock.getDelayedCalls() == []


@on_clock
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
@on_clock
def test_malformed_optional_tlv_is_ignored_logged_once_and_counted(store, batching):
    from gateway.sms.receipts.batch import BatchingDeliverHandler

    h, clock = handler(store)
    entry = BatchingDeliverHandler(h, store, clock) if batching else h
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
