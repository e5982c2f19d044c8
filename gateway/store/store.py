"""The Twisted face of the store: one writer thread with group commit, a
small pool of reader threads.

Theory of operation:

* ``write(fn, *a, **kw)`` queues a job.  The single writer thread takes the
  first job, then drains everything else queued (up to ``max_batch``) and runs
  the lot in ONE transaction.  Savepoints are paid only when needed: the batch
  first runs straight through; if a job raises, the transaction is rolled
  back and the batch runs again with each job inside its own SAVEPOINT, so the
  failing job rolls back alone and fails only its own Deferred.  Hence a job
  must act only through the connection it is given (it may run twice).  After
  the COMMIT every Deferred fires on the reactor thread (one
  ``callFromThread`` per batch).  So a Deferred that fires with a result
  means the write is durable; at thousands of writes per second the store
  pays one commit (one WAL sync) per batch, not per message.
* If the COMMIT itself fails, every job of the batch fails.  (The rules
  live in ``gateway.store.group``.)
* A batch that wrote ``callback_outbox`` calls the ``on_outbox`` hooks on the
  reactor after its Deferreds fired (``gateway.store.signals``).
* The writer is this thread, in the daemon's process: a job may be any
  callable (README, "Writer: thread or process").
* ``read(fn, ...)`` runs on a reader thread with its own connection (WAL lets
  readers run beside the writer).  Blocking SQL never runs on the reactor.
* SQLite checkpoints: every ``checkpoint_interval`` seconds a reader thread
  runs a PASSIVE WAL checkpoint (it neither waits for nor blocks the
  writer), so copying pages into the database file and its fsync happen
  beside the writer; when the writer reaches its own autocheckpoint
  threshold (``engine.WAL_AUTOCHECKPOINT_PAGES``, kept as the backstop)
  little is left to copy.  What is durable when does not change: a commit
  is durable once it is in the WAL.
* Faults (``gateway.store.faults``, ``gateway.store.watch``): the store
  knows when it cannot write (disk full, read-only, connection gone) and
  says so in ``faults`` (what /health shows), logs one line when a failing
  episode starts and one when it ends, probes until it can write again and
  then truncates the WAL.  At start the WAL is truncated too.
* ``start()`` migrates SQLite databases to the head revision on the writer
  thread before any queued write runs (PostgreSQL ones must
  already be at the head: ``carrier-gateway db upgrade``; start fails
  clearly otherwise); ``stop()`` lets every write already queued finish,
  then closes.  Writes after ``stop()`` fail with StoreClosed.
"""
from __future__ import annotations

import queue
import threading
from functools import partial
from typing import Any, Callable

from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.task import LoopingCall
from twisted.internet.threads import deferToThreadPool
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool

from .engine import WriterMemory, connect_writer, is_sqlite, make_engine, truncate_wal
from .faults import StoreClosed
from .group import commit_group
from .signals import take_outbox
from .watch import FaultWatch

_STOP = object()
CHECKPOINT_INTERVAL = 0.25  # seconds between background WAL checkpoints (SQLite)


class Store:
    log = Logger()

    def __init__(self, url: str, reactor, *, readers: int = 4, max_batch: int = 1000,
                 durability: str = "normal", migrate: bool | None = None,
                 checkpoint_interval: float | None = CHECKPOINT_INTERVAL,
                 memory: WriterMemory = WriterMemory()) -> None:
        self.url = url
        self._reactor = reactor
        self._readers = readers
        self._max_batch = max_batch
        self._durability = durability
        self._memory = memory
        self._migrate = is_sqlite(url) if migrate is None else migrate
        self._checkpoint_interval = checkpoint_interval if is_sqlite(url) else None
        self._checkpoints: LoopingCall | None = None
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPool | None = None
        self._write_engine = None
        self._read_engine = None
        self._stopped: Deferred | None = None
        self._open = False
        self.stats = {"transactions": 0, "jobs": 0, "failed_jobs": 0, "queued": 0}
        self.on_outbox: list[Callable[[], Any]] = []  # after a commit that wrote callback_outbox
        self.watch = FaultWatch(self, reactor)
        self.faults = self.watch.episodes

    # -- lifecycle -------------------------------------------------------
    def start(self) -> Deferred:
        """Open engines, migrate (SQLite by default), start the threads."""
        self._write_engine = make_engine(self.url, writer=True, durability=self._durability)
        self._read_engine = make_engine(self.url, durability=self._durability,
                                        pool_size=self._readers)
        self._pool = ThreadPool(minthreads=0, maxthreads=self._readers, name="store-reader")
        self._pool.threadFactory = _daemon_thread  # a store never stopped must not hang the exit
        self._pool.start()
        started: Deferred = Deferred()
        self._stopped = Deferred()
        self._open = True
        self._thread = threading.Thread(target=self._writer_main, args=(started,),
                                        name="store-writer", daemon=True)
        self._thread.start()
        if self._checkpoint_interval:
            started.addCallback(self._start_checkpoints)
        return started

    def stop(self) -> Deferred:
        """Finish every queued write, then close.  Fires when closed."""
        if not self._open:
            return succeed(None)
        self._open = False
        self.watch.stop()
        if self._checkpoints is not None and self._checkpoints.running:
            self._checkpoints.stop()
        self._queue.put(_STOP)
        stopped = self._stopped

        def closed(result):
            self._pool.stop()
            self._read_engine.dispose()
            self._write_engine.dispose()
            return result

        return stopped.addBoth(closed)

    @property
    def is_open(self) -> bool:
        return self._open

    @property
    def queue_depth(self) -> int:
        return self.stats["queued"]

    # -- jobs ------------------------------------------------------------
    def write(self, fn: Callable[..., Any], *args, **kwargs) -> Deferred:
        if not self._open:
            return fail(StoreClosed("store is not running"))
        d: Deferred = Deferred()
        self.stats["queued"] += 1
        self._queue.put((fn, args, kwargs, d))
        return d

    def read(self, fn: Callable[..., Any], *args, **kwargs) -> Deferred:
        if not self._open:
            return fail(StoreClosed("store is not running"))
        return deferToThreadPool(self._reactor, self._pool, self._run_read, fn, args, kwargs)

    def _run_read(self, fn, args, kwargs):
        with self._read_engine.connect() as conn:
            return fn(conn, *args, **kwargs)

    def side_write(self, fn: Callable[..., Any], *args, **kwargs) -> Deferred:
        """Run a short write job in its own transaction on a reader
        connection, beside the writer's queue, so that it never waits behind
        the writer's backlog (a cluster node's heartbeat: a late one gets the
        node taken for dead).  On SQLite, which has one writer, it is a
        plain ``write``.  Keep such jobs to rows the writer's jobs do not
        lock (this node's own ``nodes`` row), or they may deadlock with it."""
        if not self._open:
            return fail(StoreClosed("store is not running"))
        if is_sqlite(self.url):
            return self.write(fn, *args, **kwargs)
        return deferToThreadPool(self._reactor, self._pool, self._run_side, fn, args, kwargs)

    def _run_side(self, fn, args, kwargs):
        with self._read_engine.begin() as conn:
            return fn(conn, *args, **kwargs)

    # -- background checkpoints (SQLite) ----------------------------------
    def _start_checkpoints(self, result):
        if self._open:
            self._checkpoints = LoopingCall(self._checkpoint_logged)
            self._checkpoints.clock = self._reactor
            self._checkpoints.start(self._checkpoint_interval, now=False)
        return result

    def _checkpoint_logged(self) -> Deferred:
        # LoopingCall waits for this Deferred, so checkpoints never overlap;
        # a failed one is logged (once per run of failures) and the next
        # runs on time.
        d = self.checkpoint()
        d.addCallbacks(lambda _r: self.watch.checkpoint_ok(), self.watch.checkpoint_failed)
        return d

    def checkpoint(self, mode: str = "PASSIVE") -> Deferred:
        """SQLite: copy the WAL's committed pages into the database file now.
        PASSIVE: as far as it can without waiting for anyone; TRUNCATE: all
        of it, waiting for the writer, then truncate the WAL to zero bytes.
        Fires with SQLite's ``(busy, wal_frames, frames_checkpointed)``
        (None on PostgreSQL)."""
        if mode not in ("PASSIVE", "TRUNCATE"):
            raise ValueError(f"checkpoint mode {mode!r}")
        if not self._open:
            return fail(StoreClosed("store is not running"))
        if not is_sqlite(self.url):
            return succeed(None)
        return deferToThreadPool(self._reactor, self._pool, self._run_checkpoint, mode)

    def _run_checkpoint(self, mode: str):
        if mode == "TRUNCATE":
            return truncate_wal(self._read_engine, self.url)
        # On a DB-API connection in autocommit: a checkpoint cannot run
        # inside a transaction.
        connection = self._read_engine.raw_connection()
        try:
            return tuple(connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone())
        finally:
            connection.close()

    # -- the writer thread -------------------------------------------------
    def _writer_main(self, started: Deferred) -> None:
        try:
            self._prepare()
        except BaseException:
            self._reactor.callFromThread(self._start_failed, started, Failure())
            return
        self._reactor.callFromThread(started.callback, None)
        opener = partial(connect_writer, self._write_engine, self.url, self._memory)
        conn = None
        running = True
        while running:
            batch, running = self._next_batch()
            if not batch:
                break
            outcomes, conn = commit_group(conn or opener, [job[:3] for job in batch])
            self._reactor.callFromThread(
                self._deliver, [(job[3], ok, value) for job, (ok, value) in zip(batch, outcomes)],
                take_outbox(conn))
        if conn is not None:
            conn.close()
        self._reactor.callFromThread(self._stopped.callback, None)

    def _prepare(self) -> None:
        """Give back what a WAL grew into, then migrate or check the schema."""
        from . import migrate
        try:
            truncate_wal(self._write_engine, self.url)
        except Exception as e:  # the store cannot write yet: its writes will say so
            self.log.warn("store: the WAL could not be truncated at start: {error}", error=e)
        with self._write_engine.begin() as conn:
            if self._migrate:
                migrate.upgrade_connection(conn)
            else:
                migrate.check_at_head(conn)

    def _next_batch(self) -> tuple[list, bool]:
        """The first queued job and whatever else is queued (up to
        ``max_batch``); False once the stop marker is reached."""
        first = self._queue.get()
        if first is _STOP:
            return [], False
        batch = [first]
        while len(batch) < self._max_batch:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is _STOP:
                return batch, False
            batch.append(job)
        return batch, True

    def _deliver(self, outcomes, outbox: bool = False) -> None:
        self.stats["transactions"] += 1
        self.stats["jobs"] += len(outcomes)
        self.stats["queued"] -= len(outcomes)
        self.watch.saw([(ok, result) for _d, ok, result in outcomes])
        for d, ok, result in outcomes:
            if d.called:  # cancelled by its caller (e.g. the HTTP client went away)
                continue
            if ok:
                d.callback(result)
            else:
                self.stats["failed_jobs"] += 1
                d.errback(result)
        if outbox:
            for hook in self.on_outbox:
                hook()

    def _start_failed(self, started: Deferred, failure: Failure) -> None:
        # On the reactor thread, where writes are queued: after this no write
        # is accepted, and the ones already queued fail with the reason.
        self._open = False
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is not _STOP:
                self.stats["queued"] -= 1
                job[3].errback(failure)
        self._pool.stop()
        self._read_engine.dispose()
        self._write_engine.dispose()
        started.errback(failure)
        self._stopped.callback(None)


def _daemon_thread(*args, **kwargs) -> threading.Thread:
    """A daemon thread, as the writer's is: a store never stopped does not hang the exit."""
    return threading.Thread(*args, daemon=True, **kwargs)
