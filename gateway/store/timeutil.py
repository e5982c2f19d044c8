"""UTC datetimes in and out of the store.

SQLite keeps DateTime columns as naive ISO text, PostgreSQL as timestamptz;
everything we write is UTC, so a naive value read back is UTC too.
"""
from __future__ import annotations

from datetime import datetime, timezone


def utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def from_timestamp(seconds: float) -> datetime:
    """A reactor clock reading (``clock.seconds()``) as a UTC datetime."""
    return datetime.fromtimestamp(seconds, timezone.utc)
