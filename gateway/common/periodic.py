"""A call repeated every interval on an injected clock, for the services that
sweep, refresh or beat while they run.

* ``start(interval, now=...)``: with ``now=True`` the first call runs at once
  (inside ``start``), with ``now=False`` one interval later.  Starting a
  running ``Periodic`` does nothing.
* A call that returns a Deferred holds the next one back until it fires, so
  calls never overlap (Twisted's ``LoopingCall`` underneath).
* ``stop()`` cancels the next call and leaves no delayed call on the clock;
  a call under way finishes on its own.  Stopping a stopped one does nothing,
  and a stopped one may start again.
* A call that fails (raises, or its Deferred fails) ends the repeats, as with
  ``LoopingCall``, and is logged.  The services log their own failures, so
  their calls do not fail.
"""
from __future__ import annotations

from typing import Any, Callable

from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

log = Logger()


class Periodic:
    def __init__(self, clock: IReactorTime, call: Callable[[], Any], *, name: str):
        self.clock = clock
        self.name = name
        self._call = call
        self._loop: LoopingCall | None = None

    @property
    def running(self) -> bool:
        return self._loop is not None and self._loop.running

    def start(self, interval: float, *, now: bool) -> None:
        if self.running:
            return
        loop = self._loop = LoopingCall(self._call)
        loop.clock = self.clock
        loop.start(interval, now=now).addErrback(self._failed, loop)

    def stop(self) -> None:
        if self.running:
            self._loop.stop()
        self._loop = None

    def _failed(self, failure: Any, loop: LoopingCall) -> None:
        if self._loop is loop:
            self._loop = None
        log.failure("{name}: the periodic call failed and runs no more", failure, name=self.name)
