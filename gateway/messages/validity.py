"""How long a message may still be delivered: the rule SMS and MMS share.

Pure.  A message's ``expires_at`` (set at intake from its ``ValidityPeriod``)
is a moment; a sender asks how many seconds are left of it *now*.  None means
the message never expires; zero or less means it must not be sent (30001).
A stored ``expires_at`` without a time zone (SQLite) is read in *now*'s zone.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping


def validity_left(row: Mapping[str, Any], now: datetime) -> float | None:
    """Seconds of validity left (None: the message has no expiry)."""
    expires = row.get("expires_at")
    if expires is None:
        return None
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=now.tzinfo)
    return (expires - now).total_seconds()
