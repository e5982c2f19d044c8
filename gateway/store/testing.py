"""An in-memory store for unit tests: the real schema on SQLite ``:memory:``,
its jobs run on a ``task.Clock``; no thread, no reactor, no file.

Rules (the caller sees what ``gateway.store.store.Store`` gives it):

* ``write``, ``read``, ``side_write`` and ``checkpoint`` queue their job and
  return a Deferred that does not fire before the clock turns: the queue
  runs on the clock's next ``advance`` (``advance(0)`` will do), in the
  order the jobs came.  Whatever their callbacks queue runs within the same
  ``advance``, so one ``advance(0)`` runs the store to quiescence.
* Writes queued together run as one group commit with the real store's
  rules (``gateway.store.group.commit_group``): a job gets a ``Connection``
  in a transaction; a job that raises rolls back alone and fails only its
  own Deferred; results fire after the COMMIT.  A read runs in its own
  transaction, rolled back afterwards.
* Faults: after ``inject_fault(exc)`` every write (and, with ``reads=True``,
  every read and checkpoint) fails with ``exc`` until ``heal()``; the
  store's ``FaultWatch`` counts them and probes on the clock as it does in
  the daemon.  ``disk_full()`` is such a fault.
* ``pause()`` holds the queue (a writer busy with a long batch), so a test
  can act while a job is under way; ``resume()`` lets it run at the next
  turn.  ``stop()`` lets what is queued run, then closes; later jobs fail
  with ``StoreClosed``.
* The schema is the head of the real migrations, run once per process into
  a template database and copied into each new store.
"""
from __future__ import annotations

import sqlite3
from typing import Any, Callable

from sqlalchemy import create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import StaticPool
from twisted.internet.defer import Deferred, fail, succeed
from twisted.python.failure import Failure

from .group import commit_group
from .signals import take_outbox
from .faults import StoreClosed
from .watch import FaultWatch

URL = "sqlite://"  # in memory
_template: sqlite3.Connection | None = None


def disk_full() -> OperationalError:
    """The error SQLite gives when the volume is full (a store fault)."""
    return OperationalError("COMMIT", {}, sqlite3.OperationalError("database or disk is full"))


def _memory_engine():
    # The writer engine's rules for SQLite (``gateway.store.engine``) that a
    # job can see: our own BEGIN (so SAVEPOINTs work), foreign keys on.
    # StaticPool: every connection is the one in-memory database.
    engine = create_engine(URL, poolclass=StaticPool, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _migrated_template() -> sqlite3.Connection:
    global _template
    if _template is None:
        from . import migrate

        engine = _memory_engine()
        with engine.begin() as conn:
            migrate.upgrade_connection(conn)
        _template = engine.raw_connection().driver_connection
    return _template


class MemoryStore:
    """The store's public face on an in-memory database and a clock."""

    def __init__(self, clock: Any, *, max_batch: int = 1000) -> None:
        self.url = URL
        self.clock = clock
        self._max_batch = max_batch
        self._engine = None
        self._conn = None
        self._queue: list[tuple[str, Any, Deferred]] = []
        self._turn = None
        self._open = False
        self._paused = False
        self._fault: tuple[BaseException, bool] | None = None
        self.stats = {"transactions": 0, "jobs": 0, "failed_jobs": 0, "queued": 0}
        self.on_outbox: list[Callable[[], Any]] = []  # after a commit that wrote callback_outbox
        self.watch = FaultWatch(self, clock)
        self.faults = self.watch.episodes

    # -- lifecycle -------------------------------------------------------
    def start(self) -> Deferred:
        """A fresh database at the head revision."""
        self._engine = _memory_engine()
        self._conn = self._engine.connect()
        _migrated_template().backup(self._conn.connection.driver_connection)
        self._open = True
        return succeed(None)

    def stop(self) -> Deferred:
        """Run what is queued (on the clock), then close."""
        if not self._open:
            return succeed(None)
        self._open = False
        self.watch.stop()
        stopped: Deferred = Deferred()
        self._queue.append(("stop", None, stopped))
        self._schedule()
        return stopped

    @property
    def is_open(self) -> bool:
        return self._open

    @property
    def queue_depth(self) -> int:
        return self.stats["queued"]

    # -- faults ------------------------------------------------------------
    def inject_fault(self, exc: BaseException | None = None, *, reads: bool = False) -> None:
        """Fail every write (and read, with ``reads``) with ``exc`` until healed."""
        self._fault = (exc if exc is not None else disk_full(), reads)

    def heal(self) -> None:
        self._fault = None

    # -- holding the queue ---------------------------------------------------
    def pause(self) -> None:
        """Queue jobs without running them until ``resume()``."""
        self._paused = True

    def resume(self) -> None:
        self._paused = False
        if self._queue:
            self._schedule()

    # -- jobs ------------------------------------------------------------
    def write(self, fn: Callable[..., Any], *args, **kwargs) -> Deferred:
        if not self._open:
            return fail(StoreClosed("store is not running"))
        self.stats["queued"] += 1
        return self._enqueue("write", (fn, args, kwargs))

    def read(self, fn: Callable[..., Any], *args, **kwargs) -> Deferred:
        if not self._open:
            return fail(StoreClosed("store is not running"))
        return self._enqueue("read", (fn, args, kwargs))

    def side_write(self, fn: Callable[..., Any], *args, **kwargs) -> Deferred:
        """As on SQLite, a plain ``write``."""
        return self.write(fn, *args, **kwargs)

    def checkpoint(self, mode: str = "PASSIVE") -> Deferred:
        """SQLite's answer ``(busy, wal_frames, frames_checkpointed)``; an
        in-memory database has no WAL, so the frames are -1."""
        if mode not in ("PASSIVE", "TRUNCATE"):
            raise ValueError(f"checkpoint mode {mode!r}")
        if not self._open:
            return fail(StoreClosed("store is not running"))
        return self._enqueue("checkpoint", mode)

    def _enqueue(self, kind: str, job: Any) -> Deferred:
        d: Deferred = Deferred()
        self._queue.append((kind, job, d))
        self._schedule()
        return d

    def _schedule(self) -> None:
        if self._turn is None and not self._paused:
            self._turn = self.clock.callLater(0, self._run_queue)

    # -- running the queue on the clock -------------------------------------
    def _run_queue(self) -> None:
        self._turn = None
        while self._queue:
            kind = self._queue[0][0]
            if kind == "write":
                self._run_writes(self._take_writes())
                continue
            kind, job, d = self._queue.pop(0)
            if kind == "stop":
                self._close()
                d.callback(None)
                return
            self._fire(d, *(self._run_read(job) if kind == "read" else self._run_checkpoint(job)))

    def _take_writes(self) -> list[tuple[Any, Deferred]]:
        batch = []
        while self._queue and self._queue[0][0] == "write" and len(batch) < self._max_batch:
            _kind, job, d = self._queue.pop(0)
            batch.append((job, d))
        return batch

    def _run_writes(self, batch) -> None:
        jobs = [job for job, _d in batch]
        outbox = False
        if self._fault is not None:
            ran = [(False, Failure(self._fault[0])) for _ in jobs]
        else:
            # A COMMIT that fails drops the connection, and with it the
            # in-memory database; injected faults fail the batch before it.
            ran, conn = commit_group(self._conn, jobs)
            outbox = take_outbox(conn)
        self._deliver([(d, *outcome) for (_job, d), outcome in zip(batch, ran)], outbox)

    def _deliver(self, outcomes, outbox: bool = False) -> None:
        self.stats["transactions"] += 1
        self.stats["jobs"] += len(outcomes)
        self.stats["queued"] -= len(outcomes)
        self.watch.saw([(ok, value) for _d, ok, value in outcomes])
        for d, ok, value in outcomes:
            if not ok:
                self.stats["failed_jobs"] += 1
            self._fire(d, ok, value)
        if outbox:
            for hook in self.on_outbox:
                hook()

    def _run_read(self, job) -> tuple[bool, Any]:
        if self._fault is not None and self._fault[1]:
            return False, Failure(self._fault[0])
        fn, args, kwargs = job
        try:
            with self._conn.begin() as transaction:
                result = fn(self._conn, *args, **kwargs)
                transaction.rollback()
            return True, result
        except Exception:
            return False, Failure()

    def _run_checkpoint(self, mode: str) -> tuple[bool, Any]:
        if self._fault is not None and self._fault[1]:
            return False, Failure(self._fault[0])
        raw = self._conn.connection.driver_connection
        return True, tuple(raw.execute(f"PRAGMA wal_checkpoint({mode})").fetchone())

    @staticmethod
    def _fire(d: Deferred, ok: bool, value: Any) -> None:
        if d.called:  # cancelled by its caller
            return
        if ok:
            d.callback(value)
        else:
            d.errback(value)

    def _close(self) -> None:
        self._conn.close()
        self._engine.dispose()
