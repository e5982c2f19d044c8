"""Shared helpers for the receipts/inbound store tests: a migrated SQLite
file (or PostgreSQL when GATEWAY_TEST_DATABASE_URL is set) and message rows."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from gateway.store.engine import make_engine
from gateway.messages.store import insert_message
from gateway.store.migrate import upgrade
from gateway.store.schema import callback_outbox, messages, segments
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
