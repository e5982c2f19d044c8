"""A lean HTTP/1.1 keep-alive client: what callbacks need and nothing more.

Rules:

* Connections are kept per ``(scheme, host, port)``: after a complete
  answer a reusable connection goes back to its host's idle list (at most
  ``max_idle_per_host``; one more is closed).  How one connection frames
  an answer is :mod:`gateway.callbacks.http_connection`.
* Connections are opened by an ``IAgentEndpointFactory`` (the SSRF guard,
  :class:`gateway.mms.guard.GuardedEndpointFactory`: it resolves the name,
  refuses what is not allowed, connects with its timeout, wraps TLS for
  https).
* A reused connection that closes before the first byte of the answer (the
  server dropped it while idle) costs one more try on a new connection.
* Cancelling a request's Deferred stops the connect or aborts the
  connection; a cancelled request never fires twice.

Why not ``twisted.web.client.Agent``: per exchange it builds a Headers
object, a request object, a producer, a response and a body protocol and
runs a dozen Deferreds; this client writes one buffer and parses one answer.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from twisted.internet.defer import Deferred, DeferredList
from twisted.internet.protocol import Factory

from gateway.callbacks.http_connection import Connection, ConnectionLostEarly, StaleConnection


class _ConnectionFactory(Factory):
    protocol = Connection

    def __init__(self, pool: "HostConnections"):
        self.pool = pool


class HostConnections:
    """Idle keep-alive connections per host; opens new ones through the
    endpoint factory."""

    def __init__(self, endpoints: Any, max_idle_per_host: int):
        self.endpoints = endpoints
        self.max_idle_per_host = max_idle_per_host
        self._idle: dict[tuple, list[Connection]] = {}
        self._keys: dict[Connection, tuple] = {}
        self.opened = 0  # connections opened so far (for tests and figures)

    def request(self, key: tuple, data: bytes, keep: int) -> Deferred:
        """Deferred[(code, body)] of one exchange toward ``key``
        ``(scheme, host, port)``."""
        return _Attempt(self, key, data, keep).start()

    def _take(self, key: tuple) -> Connection | None:
        idle = self._idle.get(key)
        while idle:
            conn = idle.pop()
            if not conn.closed:
                return conn
        return None

    def _connect(self, key: tuple) -> Deferred:
        scheme, host, port = key
        uri = SimpleNamespace(scheme=scheme.encode("ascii"), host=host.encode("ascii"), port=port)
        endpoint = self.endpoints.endpointForURI(uri)
        self.opened += 1
        return endpoint.connect(_ConnectionFactory(self)).addCallback(self._opened, key)

    def _opened(self, conn: Connection, key: tuple) -> Connection:
        self._keys[conn] = key
        return conn

    def returned(self, conn: Connection, reusable: bool) -> None:
        idle = self._idle.setdefault(self._keys.get(conn), [])
        if reusable and not conn.closed and len(idle) < self.max_idle_per_host:
            conn.reused = True
            idle.append(conn)
        elif not conn.closed:
            conn.transport.loseConnection()

    def forget(self, conn: Connection) -> None:
        key = self._keys.pop(conn, None)
        idle = self._idle.get(key)
        if idle and conn in idle:
            idle.remove(conn)

    def closeCachedConnections(self) -> Deferred:
        """Close every idle connection; fires once they are closed."""
        waits = []
        for idle in self._idle.values():
            for conn in list(idle):
                d: Deferred = Deferred()
                conn.on_lost.append(d)
                waits.append(d)
                conn.transport.loseConnection()
        self._idle.clear()
        return DeferredList(waits).addCallback(lambda _: None)


class _Attempt:
    """One request: a connection (idle or new), the exchange, one retry on
    a stale reused connection, and cancellation at any step."""

    def __init__(self, pool: HostConnections, key: tuple, data: bytes, keep: int):
        self.pool, self.key, self.data, self.keep = pool, key, data, keep
        self.result: Deferred = Deferred(self._cancel)
        self._connecting: Deferred | None = None
        self._conn: Connection | None = None
        self._retried = False

    def start(self) -> Deferred:
        conn = self.pool._take(self.key)
        if conn is not None:
            self._exchange(conn)
        else:
            self._open()
        return self.result

    def _open(self) -> None:
        self._connecting = d = self.pool._connect(self.key)
        d.addCallbacks(self._connected, self._connect_failed)

    def _connected(self, conn: Connection) -> None:
        self._connecting = None
        if self.result.called:  # cancelled meanwhile
            conn.transport.loseConnection()
            return
        self._exchange(conn)

    def _connect_failed(self, failure) -> None:
        self._connecting = None
        if not self.result.called:
            self.result.errback(failure)

    def _exchange(self, conn: Connection) -> None:
        self._conn = conn
        done: Deferred = Deferred()
        conn.start(self.data, self.keep, done)
        done.addCallbacks(self._answered, self._exchange_failed)

    def _answered(self, answer) -> None:
        self._conn = None
        if not self.result.called:
            self.result.callback(answer)

    def _exchange_failed(self, failure) -> None:
        self._conn = None
        if self.result.called:
            return
        if failure.check(StaleConnection) and not self._retried:
            self._retried = True
            self._open()
            return
        if failure.check(StaleConnection):
            failure = ConnectionLostEarly("connection closed before the answer")
        self.result.errback(failure)

    def _cancel(self, _d: Deferred) -> None:
        if self._connecting is not None:
            connecting, self._connecting = self._connecting, None
            connecting.addErrback(lambda _f: None)
            connecting.cancel()
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.request = None
            conn.transport.abortConnection()
