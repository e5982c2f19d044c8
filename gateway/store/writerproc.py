"""The store's writer in a process of its own (``[store] writer = "process"``).

Why: the reactor and the writer are both busy Python at thousands of
messages per second, and in one interpreter they take turns on its lock.
In its own process the writer runs SQL, job logic and the commit on the
second core while the reactor keeps the binds busy.  Nothing else changes:
the store's writer thread still drains the queue into one batch, but hands
the batch to this process and waits for its outcomes instead of running it;
the child runs it with the very same group-commit rules
(``gateway.store.group``) and answers after the COMMIT.  So a write's
Deferred still fires only once the write is durable.

Wire: a socketpair inherited by the child, frames from
``multiprocessing.connection.Connection`` (length-prefixed bytes).
Messages are pickles:

* parent -> child, first: ``{"url", "durability", "migrate", "sys_path",
  "log_level", "memory"}`` (``memory``: an ``engine.WriterMemory``); child answers ``("ready", None)`` once the schema is
  migrated (SQLite) or checked to be at head, or ``("error", (exc, tb))``.
* parent -> child, then: a list of per-job pickles of ``(fn, args, kwargs)``
  (so one job that cannot be unpickled fails alone); the child answers
  with a list of ``(ok, payload)``: a pickled result, or ``(exc, tb)``.

Jobs therefore travel by reference: ``fn`` must be a module-level function
(or a picklable callable), and arguments and results plain data.  A job
that cannot be pickled fails alone with ``TypeError`` before it is sent.

Lifetime: the child ignores SIGINT/SIGTERM (a terminal's Ctrl-C or
systemd's stop reach the whole group; the daemon drains first and then
closes the socket), and exits when the socket reaches EOF: when the store
stops, or when the daemon dies (even by ``kill -9``).  A write that was
running then either committed or rolled back as a whole; its caller never
got an answer, exactly as when the daemon dies with a writer thread.  If
the child dies, the batch in flight fails with ``WriterLost`` and the next
batch starts a new child.
"""
from __future__ import annotations

import os
import pickle
import queue
import signal
import socket
import subprocess
import sys
import threading
import traceback
from multiprocessing.connection import Connection
from typing import Any, Callable, Sequence

from twisted.logger import Logger
from twisted.python.failure import Failure

log = Logger()
PROTOCOL = pickle.HIGHEST_PROTOCOL


class WriterLost(RuntimeError):
    """The writer process went away; the batch in flight may or may not have
    been committed."""


class RemoteJobError(RuntimeError):
    """A job failed in the writer process with an exception that could not
    be pickled back; the message carries its type, text and traceback."""


# -- parent side -------------------------------------------------------------
class WriterProcess:
    """One writer child: spawn it, send batches, read their outcomes (in
    the order sent).  ``send`` and ``receive`` may run on two threads."""

    def __init__(self, url: str, *, durability: str = "normal", migrate: bool = True,
                 log_level: str = "info", memory: Any = None) -> None:
        self.url = url
        self.memory = memory
        self.durability = durability
        self.migrate = migrate
        self.log_level = log_level
        self.proc: subprocess.Popen | None = None
        self.lost = False
        self._channel: Connection | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def start(self) -> None:
        """Spawn the child and wait until its schema is ready; raise if not."""
        ours, theirs = socket.socketpair()
        package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gateway.store.writerproc", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),), env=env, stdin=subprocess.DEVNULL)
        finally:
            theirs.close()
        self._channel = Connection(ours.detach())
        self._send({"url": self.url, "durability": self.durability, "migrate": self.migrate,
                    "sys_path": list(sys.path), "log_level": self.log_level, "memory": self.memory})
        kind, payload = self._receive()
        if kind != "ready":
            self.close()
            raise _exception(payload)

    def run(self, jobs: Sequence[tuple]) -> list[tuple[bool, Any]]:
        """One group commit in the child: ``(ok, result-or-Failure)`` per job."""
        return self.receive(self.send(jobs))

    def send(self, jobs: Sequence[tuple]) -> list:
        """Send a batch; returns the ticket that ``receive`` completes.  A job
        that cannot be pickled fails at once, alone."""
        outcomes: list[tuple[bool, Any] | None] = [None] * len(jobs)
        frames, sent = [], []
        for i, job in enumerate(jobs):
            try:
                if getattr(job[0], "__module__", None) == "__main__":
                    raise TypeError("it is defined in __main__, which the writer process does not import")
                frames.append(pickle.dumps(job, PROTOCOL))
            except Exception as e:
                outcomes[i] = (False, Failure(TypeError(
                    f"store job {_name(job[0])} cannot be sent to the writer process: {e}")))
            else:
                sent.append(i)
        if frames:
            self._send(frames)
        return [outcomes, sent]

    def receive(self, ticket: list) -> list[tuple[bool, Any]]:
        outcomes, sent = ticket
        if sent:
            for i, (ok, payload) in zip(sent, self._receive()):
                outcomes[i] = (True, pickle.loads(payload)) if ok else (False, Failure(_exception(payload)))
        return outcomes

    def _send(self, message) -> None:
        try:
            if self._channel is None:
                raise OSError("closed")
            self._channel.send_bytes(pickle.dumps(message, PROTOCOL))
        except OSError as e:
            self.lost = True
            raise WriterLost(f"the store's writer process went away ({e})") from e

    def _receive(self):
        try:
            if self._channel is None:
                raise EOFError
            return pickle.loads(self._channel.recv_bytes())
        except (EOFError, OSError) as e:
            self.lost = True
            code = self.proc.poll() if self.proc is not None else None
            raise WriterLost(f"the store's writer process went away (exit status {code})") from e

    def close(self, timeout: float = 30.0) -> None:
        """Close the socket (the child exits at EOF) and reap the child."""
        if self._channel is not None:
            try:
                self._channel.close()
            except OSError:
                pass
            self._channel = None
        if self.proc is not None:
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None


class Pipeline:
    """Keeps the writer child busy: up to ``depth`` batches in flight.

    With one batch at a time the child idles while the daemon takes its
    answer, delivers it and sends the next batch (measured: 10-20 ms per
    round, a fifth of the child's time at full load): the daemon's threads
    wait for the interpreter lock behind a busy reactor.  With batches
    queued in the socket, the next one is there when a COMMIT ends.  Each
    batch is still one transaction, and answers come back in the order
    sent.  Depth 3: in alternating bench_e2e.py runs, 3 gave 3-23% more
    messages per second than 2 (median +12%); 4 gave nothing more.

    ``wait_for_room`` blocks the store's writer thread until a slot is
    free, *before* it drains its queue, so jobs keep gathering into the
    next batch meanwhile.  A receiver thread reads the answers and hands
    them to ``on_done`` callbacks.  When the child is lost, every batch in
    flight fails with ``WriterLost``; the next ``submit`` waits for them to
    be failed and starts a new child.
    """

    def __init__(self, make: Callable[[bool], WriterProcess], *, depth: int = 3) -> None:
        self._make = make
        self._depth = depth
        self._cond = threading.Condition()
        self._in_flight = 0
        self._tickets: queue.SimpleQueue = queue.SimpleQueue()
        self._receiver: threading.Thread | None = None
        self.writer: WriterProcess | None = None

    @property
    def pid(self) -> int | None:
        return self.writer.pid if self.writer is not None else None

    def start(self) -> None:
        self.writer = self._make(True)
        self._receiver = threading.Thread(target=self._receive_loop, name="store-writer-answers",
                                          daemon=True)
        self._receiver.start()

    def wait_for_room(self) -> None:
        with self._cond:
            while self._in_flight >= self._depth:
                self._cond.wait()

    def submit(self, jobs: Sequence[tuple], on_done: Callable[[list], None]) -> None:
        """Send ``jobs`` as one batch; ``on_done(outcomes)`` runs on the
        receiver thread once the child has answered (or is lost)."""
        try:
            writer = self._live_writer()
            ticket = writer.send(jobs)
        except Exception:
            on_done([(False, Failure()) for _ in jobs])
            return
        with self._cond:
            self._in_flight += 1
        self._tickets.put((writer, ticket, on_done, len(jobs)))

    def _live_writer(self) -> WriterProcess:
        if self.writer is not None and not self.writer.lost:
            return self.writer
        with self._cond:  # the lost child's batches fail first, in order
            while self._in_flight:
                self._cond.wait()
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        self.writer = self._make(False)
        return self.writer

    def _receive_loop(self) -> None:
        while True:
            item = self._tickets.get()
            if item is None:
                return
            writer, ticket, on_done, n = item
            try:
                outcomes = writer.receive(ticket)
            except Exception:
                outcomes = [(False, Failure()) for _ in range(n)]
            try:
                on_done(outcomes)
            finally:
                with self._cond:
                    self._in_flight -= 1
                    self._cond.notify_all()

    def close(self) -> None:
        """Wait for the batches in flight, stop the receiver, close the child."""
        with self._cond:
            while self._in_flight:
                self._cond.wait()
        self._tickets.put(None)
        if self._receiver is not None:
            self._receiver.join()
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def _name(fn) -> str:
    return getattr(fn, "__qualname__", None) or type(fn).__name__


def _exception(payload) -> BaseException:
    exc, tb = payload
    if isinstance(exc, BaseException):
        exc.add_note("in the store's writer process:\n" + tb)
        return exc
    return RemoteJobError(str(exc) + "\n" + tb)


def _portable(exc: BaseException, tb: str):
    """``(exc, tb)`` if the exception survives pickling, else its text."""
    try:
        pickle.loads(pickle.dumps(exc, PROTOCOL))
        return exc, tb
    except Exception:
        return f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}", tb


# -- child side ------------------------------------------------------------------
def serve(channel: Connection) -> int:
    from gateway.store.group import commit_group

    init = pickle.loads(channel.recv_bytes())
    sys.path[:] = init["sys_path"]
    _start_logging(init.get("log_level", "info"))
    writer = _ChildWriter(init["url"], init["durability"], init.get("memory"))
    try:
        writer.prepare(init["migrate"])
    except BaseException as e:
        channel.send_bytes(pickle.dumps(("error", _portable(e, traceback.format_exc())), PROTOCOL))
        return 1
    channel.send_bytes(pickle.dumps(("ready", None), PROTOCOL))
    _settle_garbage()

    def finish(result):
        return pickle.dumps(result, PROTOCOL)

    while True:
        try:
            frames = pickle.loads(channel.recv_bytes())
        except EOFError:
            break
        jobs, slots, answers = [], [], [None] * len(frames)
        for i, frame in enumerate(frames):
            try:
                jobs.append(pickle.loads(frame))
                slots.append(i)
            except Exception as e:
                answers[i] = (False, _portable(e, traceback.format_exc()))
        outcomes, writer.conn = commit_group(writer.connection, jobs, finish)
        for i, (ok, value) in zip(slots, outcomes):
            if ok:
                answers[i] = (True, value)
            else:
                answers[i] = (False, _portable(value.value, value.getTraceback()))
        try:
            channel.send_bytes(pickle.dumps(answers, PROTOCOL))
        except OSError:  # the daemon is gone
            break
    writer.close()
    return 0


class _ChildWriter:
    def __init__(self, url: str, durability: str, memory=None) -> None:
        from gateway.store.engine import WriterMemory, make_engine

        self.url = url
        self.memory = memory or WriterMemory()
        self.engine = make_engine(url, writer=True, durability=durability)
        self.conn = None

    def prepare(self, migrate_schema: bool) -> None:
        from gateway.store import migrate
        from gateway.store.engine import truncate_wal

        try:
            truncate_wal(self.engine, self.url)  # give back what a WAL grew into
        except Exception as e:  # the store cannot write yet: its writes will say so
            log.warn("store: the WAL could not be truncated at start: {error}", error=e)
        with self.engine.begin() as conn:
            if migrate_schema:
                migrate.upgrade_connection(conn)
            else:
                migrate.check_at_head(conn)

    def connection(self):
        if self.conn is None:
            from gateway.store.engine import connect_writer

            self.conn = connect_writer(self.engine, self.url, self.memory)
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.engine.dispose()


def _start_logging(level: str) -> None:
    from twisted.logger import globalLogBeginner

    from gateway.daemon.logsetup import make_observer

    globalLogBeginner.beginLoggingTo([make_observer(level, os.environ, sys.stdout)],
                                     redirectStandardIO=False, discardBuffer=True)


def _settle_garbage() -> None:
    from gateway.daemon.gctune import settle

    settle()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # The daemon decides when the writer stops (it drains first): a Ctrl-C
    # or SIGTERM sent to the whole process group must not cut a transaction.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)
    channel = Connection(int(argv[0]))
    try:
        return serve(channel)
    finally:
        channel.close()


if __name__ == "__main__":
    sys.exit(main())
