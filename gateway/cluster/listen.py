"""This node's LISTEN on ``gateway_queued``: a message accepted by any node
wakes this node's dispatcher at once (PostgreSQL only).

Theory of operation:

* The store's trigger (``gateway.store.notify_triggers``) makes PostgreSQL
  NOTIFY at the commit of every transaction that made a message due in
  ``queued``, whichever node wrote it.  This service holds one connection
  of its own (psycopg 3, autocommit) that LISTENs, and calls ``wake`` for
  every batch of notifications that arrives.  The dispatcher's periodic
  poll stays, as the fallback only.
* The connection is opened on a thread (``psycopg.connect`` blocks); once
  it listens, the reactor watches its socket (``addReader``) and reads the
  notifications without a thread: ``consume_input`` then ``notifies``.
* After every (re)connect ``wake`` is called once: a message committed
  while nothing listened is claimed then, not at the next poll.
* A dropped connection (the server restarted, a network cut seen by the
  TCP keepalives, ``pg_terminate_backend``) is closed and opened again,
  with the store's backoff between attempts, until the service stops.
"""
from __future__ import annotations

import os
from typing import Any, Callable

import psycopg
from sqlalchemy.engine import make_url
from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThreadPool
from twisted.logger import Logger

from gateway.store.faults import backoff
from gateway.store.notify_triggers import QUEUED_CHANNEL

log = Logger()

# Seconds of silence before the kernel probes the listening connection, then
# between probes, and probes lost before it is dead: a cut network is seen
# in about 10 + 5 * 3 seconds (the poll covers the gap).
KEEPALIVE = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3}


def conninfo(url: str) -> str:
    """The libpq connection string of a SQLAlchemy PostgreSQL URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def open_listening(dsn: str, channel: str) -> psycopg.Connection:
    """A new autocommit connection that LISTENs on *channel* (blocking)."""
    conn = psycopg.connect(dsn, autocommit=True, **KEEPALIVE)
    try:
        conn.execute(f'LISTEN "{channel}"')
    except BaseException:
        conn.close()
        raise
    return conn


class _Socket:
    """The listening connection's socket as a Twisted read descriptor.

    The reactor watches a duplicate of libpq's descriptor: libpq closes its
    own socket when it reads the end of the connection, and a closed
    descriptor cannot be taken out of epoll; the duplicate is closed here,
    after the reactor has let go of it."""

    def __init__(self, fd: int, readable: Callable[[], Exception | None],
                 lost: Callable[[Any], None]):
        self._fd = os.dup(fd)
        self.doRead = readable
        self._lost = lost

    def fileno(self) -> int:
        return self._fd

    def close(self) -> None:
        if self._fd != -1:
            os.close(self._fd)
            self._fd = -1

    def connectionLost(self, reason) -> None:  # noqa: N802 (Twisted's name)
        self._lost(reason)

    def logPrefix(self) -> str:  # noqa: N802
        return "queue-listener"


class QueueListener(Service):
    name = "queue-listener"

    def __init__(self, url: str, reactor: Any, wake: Callable[[], Any], *,
                 channel: str = QUEUED_CHANNEL,
                 connect: Callable[[str, str], psycopg.Connection] = open_listening):
        self.dsn = conninfo(url)
        self.reactor = reactor
        self.wake = wake
        self.channel = channel
        self.connect = connect
        self.stats = {"connects": 0, "notifies": 0, "drops": 0}
        self._conn: psycopg.Connection | None = None
        self._reader: _Socket | None = None
        self._retry = None
        self._attempts = 0
        self._listening: list[Deferred] = []

    @property
    def backend_pid(self) -> int | None:
        """The server process of the listening connection (None: not listening)."""
        return None if self._conn is None else self._conn.info.backend_pid

    def when_listening(self) -> Deferred:
        """Fires once a LISTEN is in force (now, or after the next connect)."""
        d: Deferred = Deferred()
        if self._conn is not None:
            d.callback(self.backend_pid)
        else:
            self._listening.append(d)
        return d

    def startService(self):
        super().startService()
        self._open()

    def stopService(self):
        super().stopService()
        if self._retry is not None and self._retry.active():
            self._retry.cancel()
        self._retry = None
        self._close()

    # -- connecting -----------------------------------------------------------
    def _open(self) -> None:
        self._retry = None
        d = deferToThreadPool(self.reactor, self.reactor.getThreadPool(), self.connect,
                              self.dsn, self.channel)
        d.addCallbacks(self._opened, self._failed)

    def _opened(self, conn: psycopg.Connection) -> None:
        if not self.running:
            conn.close()
            return
        self._conn, self._attempts = conn, 0
        self.stats["connects"] += 1
        self._reader = _Socket(conn.pgconn.socket, self._readable, self._dropped)
        self.reactor.addReader(self._reader)
        log.info("cluster: listening for queued messages on {channel}", channel=self.channel)
        waiting, self._listening = self._listening, []
        for d in waiting:
            d.callback(self.backend_pid)
        self.wake()  # anything committed while nothing listened

    def _failed(self, failure) -> None:
        if not self.running:
            return
        self._attempts += 1
        delay = backoff(self._attempts)
        log.warn("cluster: cannot listen for queued messages ({error}); again in {delay}s "
                 "(the poll goes on meanwhile)", error=failure.getErrorMessage(), delay=delay)
        self._retry = self.reactor.callLater(delay, self._open)

    # -- reading --------------------------------------------------------------
    def _readable(self) -> Exception | None:
        """doRead: an error returned makes the reactor drop the descriptor and
        call ``_dropped``."""
        conn = self._conn
        if conn is None:
            return None
        count = 0
        try:
            conn.pgconn.consume_input()
            while conn.pgconn.notifies() is not None:
                count += 1
            if conn.pgconn.status != psycopg.pq.ConnStatus.OK:
                raise psycopg.OperationalError("the listening connection is gone")
        except psycopg.Error as error:
            return error
        finally:
            if count:
                self.stats["notifies"] += count
                self.wake()
        return None

    def _dropped(self, reason) -> None:
        """The reactor let go of the socket (the connection ended)."""
        if self._reader is None:  # already closed by stopService
            return
        self._reader.close()
        self._reader = None
        self.stats["drops"] += 1
        error = getattr(reason, "value", reason)
        log.warn("cluster: the listening connection dropped ({error}); connecting again",
                 error=str(error).strip())
        self._close()
        self.wake()  # a notification may have been lost with the connection
        if self.running:
            self._attempts += 1
            self._retry = self.reactor.callLater(0 if self._attempts == 1 else backoff(self._attempts),
                                                 self._open)

    def _close(self) -> None:
        if self._reader is not None:
            self.reactor.removeReader(self._reader)
            self._reader.close()
            self._reader = None
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except psycopg.Error:
                pass


__all__ = ["QueueListener", "conninfo", "open_listening"]
