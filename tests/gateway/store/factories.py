"""Rows for store tests."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

T0 = datetime(2026, 11, 27, 12, 0, 0, tzinfo=timezone.utc)


def message_row(**overrides) -> dict:
    row = {
        "sid": "SM" + uuid.uuid4().hex,
        "account_sid": "AC" + "1" * 32,
        "api": "messages",
        "direction": "outbound-api",
        "channel": "sms",
        "from_": "+15550001111",
        "to": "+15550002222",
        "body": "hello",
        "status": "queued",
        "num_segments": 1,
        "media_list": [],
        "status_callback": "http://127.0.0.1:9/cb",
        "status_callback_method": "POST",
        "date_created": T0,
        "expires_at": T0 + timedelta(seconds=14400),
    }
    row.update(overrides)
    return row


def enqueue_status_callback(conn, sid: str) -> None:
    """A write job that puts one status callback for ``sid`` in the outbox."""
    from gateway.messages.store import enqueue_callback

    enqueue_callback(conn, message_sid=sid, kind="status", url="http://127.0.0.1:9/cb", method="POST",
                     params=[("MessageStatus", "sent")], now=T0)
