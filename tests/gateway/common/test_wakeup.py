from twisted.internet.task import Clock

from gateway.common.wakeup import Wakeup


def test_wakes_coalesce_into_one_run_at_the_next_turn():
    clock, runs = Clock(), []
    wakeup = Wakeup(clock, lambda: runs.append(clock.seconds()))
    wakeup.wake()
    wakeup.wake()
    assert runs == []
    clock.advance(0)
    assert runs == [0]
    wakeup.wake()  # a new round may be asked for once the last one ran
    clock.advance(0)
    assert runs == [0, 0]
    assert clock.getDelayedCalls() == []


def test_tick_runs_every_interval_and_stop_leaves_no_timer():
    clock, runs, ticks = Clock(), [], []
    wakeup = Wakeup(clock, lambda: runs.append("work"), tick=lambda: ticks.append(clock.seconds()))
    wakeup.start(5)
    clock.advance(5)
    clock.advance(5)
    assert ticks == [0, 5, 10] and runs == []
    wakeup.wake()
    wakeup.stop()
    clock.advance(10)
    assert ticks == [0, 5, 10] and runs == []
    assert clock.getDelayedCalls() == []


def test_default_tick_is_a_wake():
    clock, runs = Clock(), []
    wakeup = Wakeup(clock, lambda: runs.append(clock.seconds()))
    wakeup.start(2)
    clock.advance(0)
    clock.advance(2)
    assert runs == [0, 2]
    wakeup.stop()
    assert clock.getDelayedCalls() == []
