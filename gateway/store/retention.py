"""The daemon's retention service (``[store] retention_days``), and one
pruning run shared with ``carrier-gateway db prune``.

Rules:

* Every ``interval`` seconds (an hour) a run deletes the final messages
  older than ``retention_days`` (``gateway.store.prune``), one small
  transaction (``batch`` messages) after another, each an ordinary store
  write: intake's writes queued meanwhile go first, in the next group
  commit.  A batch holds the writer for about ``target`` seconds (50 ms):
  its size (at most ``batch`` messages) halves after a slower batch and
  grows after a faster one, since what a batch costs grows with the
  store.  Between two batches it pauses ``pause`` seconds when nothing
  else was waiting for the writer, else long enough that its batches take
  no more than ``duty`` (a quarter) of the writer's time.  (Figures:
  README, "Retention".)
* One log line per run that deleted something (messages, rows, seconds).
* A run stops at the first failed batch (a store fault is logged by the
  store itself); the next run starts over from the oldest.
* ``stopService`` stops the run between two batches.
"""
from __future__ import annotations

from typing import Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred, inlineCallbacks, succeed
from twisted.internet.task import deferLater
from twisted.logger import Logger

from gateway.common.periodic import Periodic

from .faults import is_fault
from .prune import BATCH, cutoff, prune_batch
from .timeutil import from_timestamp
from .interface import Store

log = Logger()
INTERVAL = 3600.0
PAUSE = 0.01  # seconds between two batches, at least
DUTY = 0.25  # the largest share of the writer's time that batches take while others wait
TARGET = 0.05  # seconds a batch should hold the writer
MIN_BATCH = 10


class Pruner(Service):
    name = "retention"

    def __init__(self, store: Store, clock: Any, retention_days: float, *, interval: float = INTERVAL,
                 batch: int = BATCH, pause: float = PAUSE, duty: float = DUTY,
                 target: float = TARGET) -> None:
        self.store = store
        self.clock = clock
        self.retention_days = retention_days
        self.interval = interval
        self.batch = batch
        self.pause = pause
        self.duty = duty
        self.target = target
        self.size = min(batch, 100)  # the next batch's size
        self.stats = {"runs": 0, "messages": 0, "rows": 0}
        self._ticks = Periodic(clock, self._tick, name="retention")
        self._run: Deferred | None = None

    def startService(self):
        super().startService()
        self._ticks.start(self.interval, now=True)

    def stopService(self):
        super().stopService()
        self._ticks.stop()
        run, self._run = self._run, None
        return run if run is not None else succeed(None)

    def _tick(self) -> None:
        if self._run is None:
            self._run = self.run_once()
            self._run.addErrback(self._failed)
            self._run.addBoth(self._done)

    def _done(self, result):
        self._run = None
        return result

    def _failed(self, failure) -> None:
        if not is_fault(failure.value):
            log.failure("retention: pruning failed", failure)

    def new_run(self) -> dict:
        """The state of a run: the cutoff, where it is, what it deleted."""
        return {"before": cutoff(from_timestamp(self.clock.seconds()), self.retention_days),
                "cursor": None, "done": False, "messages": 0, "rows": 0}

    @inlineCallbacks
    def step(self, run: dict):
        """One batch of ``run``, then its pause; fires when the next may start."""
        result = yield self.store.write(prune_batch, run["before"], run["cursor"], self.size)
        run["messages"] += result["messages"]
        run["rows"] += result["rows"]
        run["cursor"], run["done"] = result["cursor"], result["done"]
        took = result["seconds"]  # on the writer: not the wait behind other writes
        if took > self.target:
            self.size = max(MIN_BATCH, self.size // 2)
        elif took < self.target / 2:
            self.size = min(self.batch, self.size * 2)
        pause = self.pause
        if self.store.queue_depth:  # others wait for the writer: leave them the most of it
            pause = max(pause, took * (1 - self.duty) / self.duty)
        if pause and not run["done"]:
            yield deferLater(self.clock, pause, lambda: None)

    @inlineCallbacks
    def run_once(self):
        """One run over the whole store; fires with (messages, rows)."""
        started = self.clock.seconds()
        run = self.new_run()
        while not run["done"] and self.running:
            yield self.step(run)
        messages, rows = run["messages"], run["rows"]
        self.stats["runs"] += 1
        self.stats["messages"] += messages
        self.stats["rows"] += rows
        if messages:
            log.info("retention: {messages} messages ({rows} rows) older than {days} days pruned "
                     "in {seconds:.1f}s", messages=messages, rows=rows, days=self.retention_days,
                     seconds=self.clock.seconds() - started)
        return messages, rows
