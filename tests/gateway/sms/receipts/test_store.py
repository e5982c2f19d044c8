"""Receipts applied in a real store: correlation, early receipts, multi-part."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from gateway.sms.receipts.store import EarlyReceipts, apply_receipt, sweep_missing_segments, sweep_pending
from gateway.store.schema import pending_receipts, segments, status_events
from gateway.sms.receipts.translator import load_profiles, profile_from_override, DEFAULT_PROFILE
from protocols.smpp.receipt import NetworkError, Receipt, ReceiptKind

from tests.gateway.receipts_fixtures import (  # noqa: F401 (db_url is a fixture)
    add_segment, at, callbacks, count_pending, db_url, index_segment, message, migrated_engine, outbound, parts)


@pytest.fixture
def conn(db_url):
    engine = migrated_engine(db_url)
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()
    engine.dispose()


def delivered(mid, **kw):
    return Receipt(message_id=mid, stat="DELIVRD", stat_raw="DELIVRD", err="000", **kw)


def undeliv(mid, err="001", **kw):
    return Receipt(message_id=mid, stat="UNDELIV", stat_raw="UNDELIV", err=err, **kw)


@pytest.mark.parametrize("sent_id, receipt_id", [
    ("1F4A", "8010"),            # hex in the response, decimal in the receipt
    ("8010", "1f4a"),            # and the other way round
    ("0000012345", "12345"),     # zero-padded
    ("ABCDEF0123", "abcdef0123"),  # case
    ("123456789012345678901234567890", "0123456789012345678901234567890"),  # > 2**63
    ("16fd2706-8baf-433b-82eb-8c7fada847da", "16FD2706-8BAF-433B-82EB-8C7FADA847DA"),
])
def test_receipt_matches_every_spelling(conn, sent_id, receipt_id):
    sid = outbound(conn)
    add_segment(conn, message_sid=sid, seqno=1, total=1, carrier="a", bind="a-1",
                smsc_message_id=sent_id, now=at(1))
    result = apply_receipt(conn, delivered(receipt_id), carrier="a", now=at(2))
    assert result.state == "applied" and result.message_sid == sid
    row = message(conn, sid)
    assert row["status"] == "delivered"
    assert (row["carrier_stat"], row["carrier_err"]) == ("DELIVRD", "000")
    assert ["MessageStatus", "delivered"] in callbacks(conn, sid)[-1]["params"]


def test_receipt_on_another_carrier_and_bind_still_matches(conn):
    sid = outbound(conn)
    add_segment(conn, message_sid=sid, seqno=1, total=1, carrier="a", bind="a-1",
                smsc_message_id="777", now=at(1))
    result = apply_receipt(conn, undeliv("777", err="27"), carrier="b", bind="b-3", now=at(2))
    assert result.message_sid == sid
    row = message(conn, sid)
    assert (row["status"], row["error_code"]) == ("undelivered", 30003)


def test_same_carrier_and_exact_spelling_preferred(conn):
    sid_dec = outbound(conn)
    sid_hex = outbound(conn)
    # "16" read as hex is 22, read as decimal is 0x10: it also meets "10".
    add_segment(conn, message_sid=sid_dec, seqno=1, total=1, carrier="a", bind=None,
                smsc_message_id="16", now=at(1))
    add_segment(conn, message_sid=sid_hex, seqno=1, total=1, carrier="a", bind=None,
                smsc_message_id="10", now=at(1))
    assert apply_receipt(conn, delivered("16"), carrier="a", now=at(2)).message_sid == sid_dec
    other = outbound(conn)
    add_segment(conn, message_sid=other, seqno=1, total=1, carrier="b", bind=None,
                smsc_message_id="99", now=at(1))
    mine = outbound(conn)
    add_segment(conn, message_sid=mine, seqno=1, total=1, carrier="a", bind=None,
                smsc_message_id="99", now=at(1))
    assert apply_receipt(conn, delivered("99"), carrier="b", now=at(2)).message_sid == other


def test_status_never_moves_backwards(conn):
    sid = outbound(conn)
    add_segment(conn, message_sid=sid, seqno=1, total=1, carrier="a", bind=None,
                smsc_message_id="5", now=at(1))
    apply_receipt(conn, delivered("5"), carrier="a", now=at(2))
    late = Receipt(message_id="5", stat="ENROUTE", kind=ReceiptKind.INTERMEDIATE)
    apply_receipt(conn, late, carrier="a", now=at(3))
    apply_receipt(conn, undeliv("5"), carrier="a", now=at(4))
    row = message(conn, sid)
    assert (row["status"], row["error_code"], row["carrier_stat"]) == ("delivered", None, "DELIVRD")
    assert parts(conn, sid)[0]["status"] == "delivered"


def test_intermediate_receipt_keeps_sent_but_records_raw_stat(conn):
    sid = outbound(conn)
    add_segment(conn, message_sid=sid, seqno=1, total=1, carrier="a", bind=None,
                smsc_message_id="6", now=at(1))
    apply_receipt(conn, Receipt(message_id="6", stat="ACCEPTD", stat_raw="ACCEPTED"), carrier="a", now=at(2))
    row = message(conn, sid)
    assert (row["status"], row["carrier_stat"]) == ("sent", "ACCEPTED")


def test_early_receipt_waits_then_applies_when_response_lands(conn):
    sid = outbound(conn, status="sending")
    result = apply_receipt(conn, delivered("00000ABC"), carrier="a", now=at(1))
    assert result.state == "waiting"
    assert count_pending(conn) == {"waiting": 1}
    # The dispatcher stores the part and its keys, then runs the after-sent hook.
    segment_id = conn.execute(segments.insert().values(message_sid=sid, seqno=1, total=1, carrier="a",
                                                       smsc_message_id="abc", submitted_at=at(2))
                              ).inserted_primary_key[0]
    index_segment(conn, segment_id, "AC1", "abc")
    EarlyReceipts()(conn, [{"smsc_message_id": "abc"}], at(2))
    assert message(conn, sid)["status"] == "delivered"
    assert count_pending(conn) == {"applied": 1}
    EarlyReceipts()(conn, [{"smsc_message_id": "abc"}], at(3))  # nothing waits: a no-op
    assert count_pending(conn) == {"applied": 1}


def test_never_matched_receipt_becomes_unmatched_after_window(conn):
    apply_receipt(conn, delivered("424242"), carrier="a", now=at(0))
    assert sweep_pending(conn, now=at(30), window=timedelta(seconds=60)) == 0
    assert count_pending(conn) == {"waiting": 1}
    assert sweep_pending(conn, now=at(61), window=timedelta(seconds=60)) == 1
    row = conn.execute(select(pending_receipts)).mappings().one()
    assert row["state"] == "unmatched" and row["receipt"]["message_id"] == "424242"


def test_sweep_applies_pending_whose_segment_was_stored_without_hook(conn):
    apply_receipt(conn, delivered("55"), carrier="a", now=at(0))
    sid = outbound(conn)
    # stored and indexed by other means (e.g. a restart between the two writes)
    add_segment(conn, message_sid=sid, seqno=1, total=1, carrier="a", bind=None,
                smsc_message_id="55", now=at(1))
    assert message(conn, sid)["status"] == "delivered"  # add_segment applied it already
    assert sweep_pending(conn, now=at(100), window=timedelta(seconds=60)) == 0


def multipart(conn, n=3, carrier="a"):
    sid = outbound(conn, num_segments=n)
    for seqno in range(1, n + 1):
        add_segment(conn, message_sid=sid, seqno=seqno, total=n, carrier=carrier, bind=None,
                    smsc_message_id=f"{sid[-6:]}{seqno}", now=at(0))
    return sid


def test_multipart_delivered_only_when_every_part_is(conn):
    sid = multipart(conn)
    apply_receipt(conn, delivered(f"{sid[-6:]}1"), carrier="a", now=at(1))
    apply_receipt(conn, delivered(f"{sid[-6:]}3"), carrier="a", now=at(2))
    assert message(conn, sid)["status"] == "sent"
    apply_receipt(conn, delivered(f"{sid[-6:]}2"), carrier="a", now=at(3))
    assert message(conn, sid)["status"] == "delivered"


def test_multipart_undelivered_as_soon_as_one_part_is(conn):
    sid = multipart(conn)
    apply_receipt(conn, delivered(f"{sid[-6:]}1"), carrier="a", now=at(1))
    nec = Receipt(message_id=f"{sid[-6:]}2", stat="UNDELIV", network_error=NetworkError(3, 1))
    apply_receipt(conn, nec, carrier="a", now=at(2))
    row = message(conn, sid)
    assert (row["status"], row["error_code"], row["carrier_err"]) == ("undelivered", 30005, "3:1")
    apply_receipt(conn, delivered(f"{sid[-6:]}3"), carrier="a", now=at(3))
    assert message(conn, sid)["status"] == "undelivered"


def test_multipart_failed_part_with_its_code(conn):
    sid = multipart(conn, n=2)
    rejected = Receipt(message_id=f"{sid[-6:]}2", stat="REJECTD", stat_raw="REJECTED", err="0")
    apply_receipt(conn, rejected, carrier="a", now=at(1))
    row = message(conn, sid)
    assert (row["status"], row["error_code"], row["carrier_stat"]) == ("failed", 30004, "REJECTED")


def test_missing_segment_after_timeout(conn):
    sid = multipart(conn)
    silent = multipart(conn)  # no receipt at all: the carrier may not send them
    apply_receipt(conn, delivered(f"{sid[-6:]}1"), carrier="a", now=at(1))
    apply_receipt(conn, delivered(f"{sid[-6:]}2"), carrier="a", now=at(2))
    assert sweep_missing_segments(conn, now=at(100), timeout=timedelta(hours=1)) == []
    assert sweep_missing_segments(conn, now=at(3601), timeout=timedelta(hours=1)) == [sid]
    row = message(conn, sid)
    assert (row["status"], row["error_code"], row["error_message"]) == ("undelivered", 30009, "Missing segment")
    assert message(conn, silent)["status"] == "sent"
    events = conn.execute(select(status_events.c.status).where(status_events.c.message_sid == sid)).scalars().all()
    assert events[-1] == "undelivered"


def test_carrier_profile_is_used(conn):
    profile = profile_from_override(DEFAULT_PROFILE, {"err": {"0A2": 30007}, "failed_undelivered_swap": True})
    sid = outbound(conn)
    add_segment(conn, message_sid=sid, seqno=1, total=1, carrier="x", bind=None,
                smsc_message_id="9", now=at(0))
    apply_receipt(conn, undeliv("9", err="a2"), carrier="x", now=at(1), profiles={"x": profile})
    row = message(conn, sid)
    assert (row["status"], row["error_code"], row["carrier_err"]) == ("failed", 30007, "a2")


def test_sms_api_message_gets_delivery_callback(conn):
    sid = outbound(conn, api="sms")
    add_segment(conn, message_sid=sid, seqno=1, total=1, carrier="a", bind=None,
                smsc_message_id="31", now=at(0))
    apply_receipt(conn, undeliv("31", err="0"), carrier="a", now=at(1))
    params = dict(tuple(p) for p in callbacks(conn, sid)[-1]["params"])
    assert params["MessageStatus"] == "undelivered" and params["ErrorCode"] == "30008"


def test_default_profiles_file_loads():
    import pathlib

    from gateway.sms.receipts.profiles import path_tables
    from gateway.sms.receipts.translator import resolve_profiles

    path = pathlib.Path(__file__).resolve().parents[4] / "conf/receipts/default.toml"
    assert resolve_profiles(path_tables(path))["default"] == DEFAULT_PROFILE


def test_apply_waiting_with_keys_of_ids_indexed_by_the_pipeline(conn):
    from gateway.sms.receipts.correlation import match_keys
    from gateway.sms.receipts.store import apply_waiting

    sid = outbound(conn, status="sending")
    apply_receipt(conn, undeliv("0x2A", err="13"), carrier="a", now=at(0))
    segment_id = conn.execute(segments.insert().values(
        message_sid=sid, seqno=1, total=1, carrier="a", smsc_message_id="42", submitted_at=at(1))
    ).inserted_primary_key[0]
    index_segment(conn, segment_id, "AC1", "42")
    assert apply_waiting(conn, match_keys("999"), now=at(1)) == []
    (applied,) = apply_waiting(conn, match_keys("42"), now=at(1))
    assert applied.message_sid == sid
    row = message(conn, sid)
    assert (row["status"], row["error_code"]) == ("undelivered", 30004)
