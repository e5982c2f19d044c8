"""The store's watch over its own writes: failing episodes, the probe that
ends them, and the WAL truncation after them.

Rules (all on the reactor thread, on the injected clock):

* Every batch's outcomes pass through :meth:`FaultWatch.saw`.  A fault
  (``gateway.store.faults.is_fault``) starts an episode or adds to it.  A
  job's own error changes nothing.
* While an episode lasts, a probe runs every ``probe_interval`` seconds: a
  ``wal_checkpoint(TRUNCATE)`` (SQLite: it gives back the space the WAL
  holds once the database file can grow), then one real write
  (:func:`probe`).  Only the probe's success ends an episode: a job that
  happened to write nothing (a claim that found no message) commits even on
  a full disk, and would end it falsely.  So the store notices by itself,
  within a probe interval, that it can write again, even when nothing else
  writes.
* When an episode ends, the WAL is truncated (SQLite), so the volume gets
  back what the WAL grew into.
* Background checkpoint failures are logged once per run of failures, and
  once when checkpoints succeed again, not every quarter second.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import text
from twisted.internet.defer import Deferred, succeed
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

from .faults import Episodes, describe, is_fault
from .interface import Store

log = Logger()
PROBE_INTERVAL = 1.0


def probe(conn) -> None:
    """A write job that really writes (a WAL frame on SQLite, a new row
    version on PostgreSQL) and changes nothing."""
    conn.execute(text("UPDATE alembic_version SET version_num = version_num"))


class FaultWatch:
    def __init__(self, store: Store, clock: Any, *, probe_interval: float = PROBE_INTERVAL) -> None:
        self.store = store
        self.clock = clock
        self.probe_interval = probe_interval
        self.episodes = Episodes(clock.seconds)
        self.truncations = 0
        self._probing: LoopingCall | None = None
        self._checkpoint_error: str | None = None
        self._waiting: list[Deferred] = []

    def saw(self, outcomes) -> None:
        """The outcomes ``(ok, value)`` of one batch, as delivered."""
        faults = [value.value for good, value in outcomes
                  if not good and is_fault(getattr(value, "value", None))]
        if faults:
            self.episodes.failed(faults[0], len(faults))
            self._start_probing()

    def _probed(self, _result) -> None:
        if self.episodes.succeeded() is not None:
            self._stop_probing()
            self._truncate().addBoth(self._wake_waiting)

    def _wake_waiting(self, _result) -> None:
        waiting, self._waiting = self._waiting, []
        for d in waiting:
            d.callback(None)

    def when_writing(self) -> Deferred:
        """Fires once the store writes again and the WAL truncation after
        the episode has run (at once when no episode lasts)."""
        if not self.episodes.failing and not self._waiting:
            return succeed(None)
        d: Deferred = Deferred(lambda d: self._waiting.remove(d))
        self._waiting.append(d)
        return d

    # -- probing --------------------------------------------------------------
    def _start_probing(self) -> None:
        if self._probing is None:
            self._probing = LoopingCall(self._probe)
            self._probing.clock = self.clock
            self._probing.start(self.probe_interval, now=False)

    def _stop_probing(self) -> None:
        if self._probing is not None:
            if self._probing.running:
                self._probing.stop()
            self._probing = None

    def _probe(self) -> Deferred | None:
        if not self.episodes.failing or not self.store.is_open:
            self._stop_probing()
            return None
        d = self.store.checkpoint("TRUNCATE")
        d.addErrback(lambda _f: None)  # the write below tells whether the store is back
        d.addCallback(lambda _r: self.store.write(probe).addCallback(self._probed))
        d.addErrback(lambda _f: None)  # counted in the episode by saw()
        return d

    def stop(self) -> None:
        self._stop_probing()

    # -- checkpoints ------------------------------------------------------------
    def _truncate(self) -> Deferred:
        if not self.store.is_open:
            return succeed(None)
        d = self.store.checkpoint("TRUNCATE")

        def done(result):
            self.truncations += 1
            log.info("store: WAL truncated after the episode ({frames} frames checkpointed)",
                     frames=result[2] if result else 0)

        return d.addCallbacks(done, self.checkpoint_failed)

    def checkpoint_ok(self) -> None:
        if self._checkpoint_error is not None:
            log.info("store: WAL checkpoints succeed again")
            self._checkpoint_error = None

    def checkpoint_failed(self, failure) -> None:
        if self._checkpoint_error is None:
            self._checkpoint_error = describe(failure.value)
            if is_fault(failure.value):
                log.warn("store: WAL checkpoints fail ({error}); logged again when they succeed",
                         error=self._checkpoint_error)
            else:
                log.failure("store: WAL checkpoint failed", failure)
