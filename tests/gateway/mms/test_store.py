"""Delivery reports and inbound MMS in a real store (SQLite, or PostgreSQL)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from gateway.sms.inbound.store import NumberRoute
from gateway.mms.store import apply_delivery_report, retry_waiting_reports, store_inbound_mms
from gateway.store.schema import media, messages, pending_receipts
from protocols.mm7.messages import DeliveryReport, InboundMM
from protocols.mm7.mime import Attachment

from tests.gateway.receipts_fixtures import at, callbacks, db_url, message, migrated_engine, outbound  # noqa: F401

NUMBER = NumberRoute("+15550100", "AC1", "http://app.example/sms", "POST", "messages")


@pytest.fixture
def engine(db_url):
    engine = migrated_engine(db_url)
    yield engine
    engine.dispose()


def report(message_id="mmsc-1", status="Retrieved", text=None):
    return DeliveryReport(message_id, status, "+15550002", "+15550001", None, text, None, "t1", "6.8.0")


def sent_mms(conn, message_id="mmsc-1", carrier="mmsc-a"):
    sid = outbound(conn)
    conn.execute(update(messages).where(messages.c.sid == sid)
                 .values(channel="mms", mm7_message_id=message_id, carrier=carrier))
    return sid


@pytest.mark.parametrize("mm_status,status,error", [
    ("Retrieved", "delivered", None), ("Forwarded", "delivered", None),
    ("Expired", "undelivered", 30003), ("Rejected", "undelivered", 30007),
    ("Unrecognised", "undelivered", 30005), ("Deferred", "sent", None), ("Indeterminate", "sent", None),
])
def test_report_mapping(engine, mm_status, status, error):
    with engine.begin() as conn:
        sid = sent_mms(conn)
        result = apply_delivery_report(conn, report(status=mm_status, text="why"), carrier="mmsc-a", now=at(5))
        row = message(conn, sid)
        assert result == ("not-final" if status == "sent" else "applied")
        assert (row["status"], row["error_code"], row["carrier_stat"]) == (status, error, mm_status)
        statuses = [dict(map(tuple, cb["params"]))["MessageStatus"] for cb in callbacks(conn, sid)]
        assert statuses == ([] if status == "sent" else [status])


def test_matched_on_message_id_not_addresses_and_final_is_final(engine):
    with engine.begin() as conn:
        other = sent_mms(conn, "mmsc-2")
        sid = sent_mms(conn, "mmsc-1")
        assert apply_delivery_report(conn, report("mmsc-1"), carrier="mmsc-a", now=at(1)) == "applied"
        assert apply_delivery_report(conn, report("mmsc-1", "Expired"), carrier="mmsc-a", now=at(2)) == "refused"
        assert message(conn, sid)["status"] == "delivered"
        assert message(conn, other)["status"] == "sent"


def test_early_report_waits_then_applies_or_expires(engine):
    with engine.begin() as conn:
        assert apply_delivery_report(conn, report("late-id"), carrier="mmsc-a", now=at(0)) == "waiting"
        assert apply_delivery_report(conn, report("never"), carrier="mmsc-a", now=at(0)) == "waiting"
        assert retry_waiting_reports(conn, now=at(1)) == 0
        sid = sent_mms(conn, "late-id")
        assert retry_waiting_reports(conn, now=at(2), window=timedelta(seconds=60)) == 1
        assert message(conn, sid)["status"] == "delivered"
        assert retry_waiting_reports(conn, now=at(120), window=timedelta(seconds=60)) == 0
        states = dict(conn.execute(select(pending_receipts.c.message_id, pending_receipts.c.state)).all())
        assert states == {"late-id": "applied", "never": "unmatched"}


def inbound(media_parts=(), text="hi there"):
    return InboundMM("+15557770000", ("+15550100",), "subj", None, text, tuple(media_parts), "t", "6.8.0", None)


def test_inbound_mms_stores_media_and_calls_sms_url(engine):
    parts = [Attachment("image/jpeg", b"\xff\xd8jpeg", "img1"), Attachment("video/mp4", b"mp4", None, "clip.mp4")]
    with engine.begin() as conn:
        sid = store_inbound_mms(conn, inbound(parts), carrier="mmsc-a", number=NUMBER, now=at(0),
                                base_url="https://gw.example/")
        row = message(conn, sid)
        assert (row["direction"], row["status"], row["channel"], row["body"], row["num_media"]) == \
            ("inbound", "received", "mms", "hi there", 2)
        stored = conn.execute(select(media).where(media.c.message_sid == sid).order_by(media.c.filename)).mappings().all()
        assert sorted(m["data"] for m in stored) == [b"mp4", b"\xff\xd8jpeg"]
        assert all(m["account_sid"] == "AC1" for m in stored)
        (cb,) = callbacks(conn, sid)
    params = [tuple(p) for p in cb["params"]]
    assert (cb["kind"], cb["url"], cb["method"]) == ("inbound", NUMBER.sms_url, "POST")
    assert ("From", "mms:+15557770000") in params and ("To", "mms:+15550100") in params
    assert ("NumMedia", "2") in params
    urls = [v for k, v in params if k == "MediaUrl"]
    assert [v for k, v in params if k == "MediaType"] == ["image/jpeg", "video/mp4"]
    assert all(u.startswith("https://gw.example/api/2012-04-24/Accounts/AC1/MediaAttachments/ME") for u in urls)
    assert {u.rsplit("/", 1)[1] for u in urls} == {m["sid"] for m in stored}


def test_inbound_mms_for_unknown_number_is_kept_without_callback(engine):
    with engine.begin() as conn:
        sid = store_inbound_mms(conn, inbound(), carrier="mmsc-a", number=None, now=at(0), base_url="http://x")
        assert message(conn, sid)["status"] == "received"
        assert callbacks(conn, sid) == []
