"""Sids: the API's shape, unique, in creation order (gateway.messages.sids)."""
import re
from datetime import datetime, timezone

from hypothesis import given, strategies as st

from gateway.messages.sids import new_sid

SHAPE = re.compile(r"SM[0-9a-f]{32}")


def sid_millis(sid: str) -> int:
    """The creation time a sid carries: its first 12 hex digits, in ms since the epoch."""
    return int(sid[2:14], 16)


def test_shape_and_prefix():
    assert SHAPE.fullmatch(new_sid("SM", 1_800_000_000))
    assert re.fullmatch(r"MM[0-9a-f]{32}", new_sid("MM", 1_800_000_000))


def test_the_creation_time_leads():
    at = datetime(2026, 11, 27, 18, 0, 0, 123000, tzinfo=timezone.utc)
    sid = new_sid("SM", at)
    assert sid_millis(sid) == int(at.timestamp() * 1000)
    assert sid_millis(new_sid("SM", 1_800_000_000.5)) == 1_800_000_000_500


@given(st.lists(st.floats(min_value=0, max_value=8_000_000_000, allow_nan=False), min_size=2, max_size=50))
def test_later_messages_sort_after_earlier_ones(times):
    """Index order follows creation order, millisecond by millisecond."""
    sids = [new_sid("SM", t) for t in sorted(times)]
    millis = [int(t * 1000) for t in sorted(times)]
    for (a, ma), (b, mb) in zip(zip(sids, millis), zip(sids[1:], millis[1:])):
        if ma < mb:
            assert a < b


def test_unique_within_one_millisecond():
    sids = {new_sid("SM", 1_800_000_000.0) for _ in range(100_000)}
    assert len(sids) == 100_000


def test_a_sid_takes_its_time_from_the_caller_only():
    import pytest

    with pytest.raises(TypeError):
        new_sid("SM")  # no wall-clock fallback
    assert sid_millis(new_sid("MM", 0)) == 0


def test_inbound_and_mms_sids_carry_the_now_in_scope():
    from datetime import datetime, timezone

    from gateway.sms.inbound.store import new_message_sid

    at = datetime(2001, 2, 3, 4, 5, 6, 789000, tzinfo=timezone.utc)
    assert sid_millis(new_message_sid(at)) == int(at.timestamp() * 1000)
