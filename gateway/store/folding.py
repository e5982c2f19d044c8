"""The service that folds the message counts' deltas (PostgreSQL).

Rules (the counts themselves: ``gateway.store.counts``):

* Every ``interval`` seconds (the cluster's heartbeat) a round folds the
  deltas into ``message_counts``: one store write of at most ``limit``
  deltas, and while a write folds a full ``limit``, another at once, so
  a backlog (the nodes were down, a bulk import) drains in a few rounds of
  short transactions instead of one long one.
* Every node runs it; the fold's advisory lock lets one fold at a time, and
  a node that finds it held skips its round (``stats["skipped"]``).
* A failed round is logged (a store fault is logged by the store itself)
  and the next round tries again; the deltas wait, the counts stay exact.
* ``stopService`` stops the rounds and returns the round under way.
"""
from __future__ import annotations

from typing import Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred, inlineCallbacks, succeed
from twisted.logger import Logger

from gateway.common.periodic import Periodic

from .counts import FOLD, fold
from .faults import is_fault
from .interface import Store

log = Logger()


class CountFolder(Service):
    name = "message-counts-fold"

    def __init__(self, store: Store, clock: Any, *, interval: float, limit: int = FOLD):
        self.store = store
        self.clock = clock
        self.interval = interval
        self.limit = limit
        self.stats = {"rounds": 0, "skipped": 0, "deltas": 0}
        self._rounds = Periodic(clock, self.fold, name="message counts: folding deltas")
        self._run: Deferred | None = None
        self._waiters: list[Deferred] = []

    def startService(self):
        super().startService()
        self._rounds.start(self.interval, now=False)

    def stopService(self):
        super().stopService()
        self._rounds.stop()
        return self._wait() if self._run is not None else succeed(None)

    def fold(self) -> Deferred:
        """One round (or the one under way); fires with the deltas it folded."""
        waiter = self._wait()
        if self._run is None:
            run = self._run = self._round()
            run.addErrback(self._failed)
            run.addBoth(self._done)
        return waiter

    def _wait(self) -> Deferred:
        """A Deferred of its own for each caller: the periodic call's
        LoopingCall puts its own result on the Deferred it is given."""
        waiter: Deferred = Deferred()
        self._waiters.append(waiter)
        return waiter

    @inlineCallbacks
    def _round(self):
        self.stats["rounds"] += 1
        total = 0
        while True:
            folded = yield self.store.write(fold, self.limit)
            if folded is None:  # another node folds
                self.stats["skipped"] += 1
                break
            total += folded
            self.stats["deltas"] += folded
            if folded < self.limit or not self.running:
                break
        return total

    def _done(self, result) -> None:
        self._run = None
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            waiter.callback(result)

    def _failed(self, failure) -> int:
        if not is_fault(failure.value):
            log.failure("message counts: folding the deltas failed", failure)
        return 0
