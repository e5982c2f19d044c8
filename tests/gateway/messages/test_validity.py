"""The validity rule SMS and MMS share: seconds left of a message's expiry."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from gateway.messages.validity import validity_left

NOW = datetime(2026, 11, 27, 12, 0, 0, tzinfo=timezone.utc)


def test_no_expiry_is_none():
    assert validity_left({"expires_at": None}, NOW) is None
    assert validity_left({}, NOW) is None


def test_seconds_left_and_past_expiry_is_negative():
    assert validity_left({"expires_at": NOW + timedelta(seconds=90)}, NOW) == 90.0
    assert validity_left({"expires_at": NOW - timedelta(seconds=5)}, NOW) == -5.0


def test_a_stored_naive_moment_is_read_in_the_zone_of_now():
    naive = (NOW + timedelta(minutes=2)).replace(tzinfo=None)  # SQLite keeps no zone
    assert validity_left({"expires_at": naive}, NOW) == 120.0
