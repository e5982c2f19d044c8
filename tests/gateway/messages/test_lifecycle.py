"""The message status table: properties over every (old, new) pair."""
from __future__ import annotations

from hypothesis import given, strategies as st

from gateway.messages import lifecycle as lc
from gateway.messages.store import can_transition as store_can_transition

ORDER = {lc.QUEUED: 0, lc.SENDING: 1, lc.SENT: 2}
statuses = st.sampled_from(lc.STATUSES)


@given(statuses, statuses)
def test_never_backwards_and_final_is_final(old, new):
    if lc.can_transition(old, new):
        assert old not in lc.FINAL_STATUSES
        assert ORDER[old] < ORDER.get(new, 3)


@given(statuses)
def test_nothing_moves_into_received_and_nothing_stays_put(old):
    assert not lc.can_transition(old, lc.RECEIVED)
    assert not lc.can_transition(old, old)


@given(st.sampled_from([lc.QUEUED, lc.SENDING, lc.SENT]))
def test_every_open_status_can_fail_and_reach_each_outcome(old):
    for final in (lc.DELIVERED, lc.UNDELIVERED, lc.FAILED):
        assert lc.can_transition(old, final)


@given(st.lists(statuses, max_size=12))
def test_any_walk_of_allowed_moves_ends_within_four_steps(walk):
    status, steps = lc.QUEUED, 0
    for new in walk:
        if lc.can_transition(status, new):
            status, steps = new, steps + 1
    assert steps <= 4


def test_requeue_is_the_only_backwards_move_and_not_a_transition():
    backwards = {(old, new) for old in lc.STATUSES for new in lc.STATUSES
                 if old in ORDER and new in ORDER and ORDER[new] < ORDER[old]}
    assert lc.REQUEUE in backwards
    assert not backwards & lc.TRANSITIONS
    assert lc.REQUEUE not in lc.TRANSITIONS


def test_the_store_applies_this_table():
    assert store_can_transition is lc.can_transition
