"""Periodic: first call at start or one interval later, no overlap, no timer
left after stop, a failure logged and final."""
from __future__ import annotations

from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.logger import globalLogPublisher

from gateway.common.periodic import Periodic


def test_now_false_first_call_one_interval_after_start():
    clock, calls = Clock(), []
    timer = Periodic(clock, lambda: calls.append(clock.seconds()), name="t")
    timer.start(5, now=False)
    assert calls == [] and timer.running
    clock.advance(5)
    clock.advance(5)
    assert calls == [5, 10]
    timer.stop()
    clock.advance(10)
    assert calls == [5, 10] and not timer.running
    assert clock.getDelayedCalls() == []


def test_now_true_first_call_inside_start():
    clock, calls = Clock(), []
    timer = Periodic(clock, lambda: calls.append(clock.seconds()), name="t")
    timer.start(5, now=True)
    assert calls == [0]
    clock.advance(5)
    assert calls == [0, 5]
    timer.stop()
    assert clock.getDelayedCalls() == []


def test_a_call_under_way_holds_the_next_back():
    clock, pending = Clock(), []

    def call():
        pending.append(Deferred())
        return pending[-1]

    timer = Periodic(clock, call, name="t")
    timer.start(1, now=True)
    clock.advance(3)
    assert len(pending) == 1  # no overlap while the first has not fired
    pending[0].callback(None)  # late: the next runs at the next interval boundary
    clock.advance(1)
    assert len(pending) == 2
    timer.stop()
    pending[1].callback(None)
    assert clock.getDelayedCalls() == []


def test_start_twice_runs_once_and_a_stopped_timer_starts_again():
    clock, calls = Clock(), []
    timer = Periodic(clock, lambda: calls.append(clock.seconds()), name="t")
    timer.stop()  # never started: nothing to do
    timer.start(2, now=False)
    timer.start(2, now=True)
    assert calls == [] and len(clock.getDelayedCalls()) == 1
    timer.stop()
    timer.stop()
    timer.start(3, now=False)
    clock.advance(3)
    assert calls == [3]
    timer.stop()
    assert clock.getDelayedCalls() == []


def test_a_failed_call_is_logged_and_ends_the_repeats():
    clock, events, calls = Clock(), [], []

    def call():
        calls.append(clock.seconds())
        raise ValueError("boom")

    timer = Periodic(clock, call, name="sweeps")
    globalLogPublisher.addObserver(events.append)
    try:
        timer.start(1, now=False)
        clock.advance(1)
        clock.advance(5)
    finally:
        globalLogPublisher.removeObserver(events.append)
    failures = [e for e in events if e.get("log_namespace") == "gateway.common.periodic"]
    assert calls == [1] and not timer.running and clock.getDelayedCalls() == []
    assert len(failures) == 1 and failures[0]["name"] == "sweeps"
    assert failures[0]["log_failure"].check(ValueError)
    timer.start(1, now=False)  # it may be started again
    assert timer.running
    timer.stop()
