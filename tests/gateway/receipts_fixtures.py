"""Shared helpers for the receipts/inbound store tests: a migrated SQLite
file (or PostgreSQL when GATEWAY_TEST_DATABASE_URL is set) and message rows."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from gateway.store.engine import make_engine
from gateway.messages.store import insert_message
from gateway.store.migrate import upgrade
from gateway.sms.receipts.correlation import match_keys
from gateway.sms.receipts.store import EarlyReceipts
from gateway.store.schema import callback_outbox, inbound_parts, messages, pending_receipts, segment_ids, segments
from tests.db_backends import BACKENDS, database_url

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    """A fresh database: a SQLite file, or a PostgreSQL schema of its own."""
    with database_url(request.param, tmp_path / "gateway.db", prefix="gw_rcpt") as url:
        yield url


def migrated_engine(url: str):
    upgrade(url)
    return make_engine(url, writer=True)


def outbound(conn, *, sid=None, account="AC1", status="sent", num_segments=1, api="messages",
             callback="http://cb.example/status") -> str:
    sid = sid or "SM" + uuid.uuid4().hex
    insert_message(conn, {
        "sid": sid, "account_sid": account, "api": api, "direction": "outbound-api",
        "channel": "sms", "from_": "+15550001", "to": "+15550002", "body": "hi",
        "status": status, "num_segments": num_segments, "status_callback": callback,
        "status_callback_method": "POST", "date_created": T0, "date_sent": T0,
    })
    return sid


def message(conn, sid):
    return conn.execute(select(messages).where(messages.c.sid == sid)).mappings().one()


def parts(conn, sid):
    return conn.execute(select(segments).where(segments.c.message_sid == sid)
                        .order_by(segments.c.seqno)).mappings().all()


def callbacks(conn, sid):
    rows = conn.execute(select(callback_outbox).where(callback_outbox.c.message_sid == sid)
                        .order_by(callback_outbox.c.id)).mappings().all()
    return [dict(r) for r in rows]


def index_segment(conn, segment_id: int, account_sid: str, smsc_message_id: str) -> frozenset[str]:
    """The ``segment_ids`` rows the dispatcher writes for one part's SMSC id."""
    keys = match_keys(smsc_message_id)
    if keys:
        conn.execute(segment_ids.insert(), [
            {"key": key, "segment_id": segment_id, "account_sid": account_sid} for key in sorted(keys)])
    return keys


def add_segment(conn, *, message_sid, seqno, total, carrier, bind, smsc_message_id, now, profiles=None) -> int:
    """One sent part recorded as the dispatcher records it (``gateway.dispatch.store``):
    its ``segments`` row, its match keys, then the ``EarlyReceipts`` after-sent hook."""
    segment_id = conn.execute(segments.insert().values(
        message_sid=message_sid, seqno=seqno, total=total, carrier=carrier, bind=bind,
        smsc_message_id=smsc_message_id, submitted_at=now)).inserted_primary_key[0]
    if smsc_message_id:
        account = conn.execute(select(messages.c.account_sid).where(messages.c.sid == message_sid)).scalar()
        index_segment(conn, segment_id, account or "", smsc_message_id)
        EarlyReceipts(profiles)(conn, [{"smsc_message_id": smsc_message_id}], now)
    return segment_id


def count_pending(conn) -> dict[str, int]:
    """Kept receipts by state (waiting / unmatched / applied)."""
    rows = conn.execute(select(pending_receipts.c.state, func.count()).group_by(pending_receipts.c.state)).all()
    return {state: count for state, count in rows}


def waiting_parts(conn) -> int:
    """Inbound parts still waiting for the rest of their message."""
    return conn.execute(select(func.count()).select_from(inbound_parts)).scalar_one()
