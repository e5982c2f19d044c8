"""Coalesced wake-ups plus a periodic tick, on an injected clock.

The dispatcher and the callback sender both work in rounds: a round runs when
something may be waiting (a new message, a finished request) and, as a safety
net, every poll interval.  ``wake()`` asks for one round at the next reactor
turn however often it is called before that turn; ``start(interval)`` adds the
periodic tick; ``stop()`` cancels both, leaving no delayed call behind.
"""
from __future__ import annotations

from typing import Any, Callable

from gateway.common.periodic import Periodic


class Wakeup:
    def __init__(self, clock: Any, work: Callable[[], Any], tick: Callable[[], Any] | None = None):
        self.clock = clock
        self._work = work
        self._tick = tick if tick is not None else self.wake
        self._call = None
        self._ticks = Periodic(clock, self._tick, name="poll tick")

    def start(self, interval: float) -> None:
        self._ticks.start(interval, now=True)

    def wake(self) -> None:
        if self._call is None:
            self._call = self.clock.callLater(0, self._run)

    def _run(self) -> None:
        self._call = None
        self._work()

    def stop(self) -> None:
        self._ticks.stop()
        if self._call is not None and self._call.active():
            self._call.cancel()
        self._call = None
