"""The API listener's defences against slow and greedy clients.

Twisted's idle timeout is reset by every byte, so a client trickling one
byte now and then keeps a connection (a file descriptor) for ever.  Rules:

* **Header deadline.**  A request's head (request line and headers) must
  be complete within ``header_timeout`` seconds of its first byte (of the
  connection, for the first request).  **Body deadline.**  Its body must be
  complete within ``body_timeout`` seconds of the end of the head.  Bytes
  arriving meanwhile do not extend either deadline.  A client that misses
  one gets ``408`` with the API's JSON error body, and the connection is
  closed (aborted ``abortTimeout`` seconds later if the client does not
  read).  Between requests on a keep-alive connection, and while a request
  is being answered, only the idle timeout applies.
* **Connection caps.**  At most ``max_connections_per_ip`` open connections
  per client address and ``max_connections`` in all.  A connection over a
  cap is answered ``503`` with ``Retry-After`` and closed at once, before
  anything is read from it.  (Behind a proxy every client has the proxy's
  address: raise the per-address cap there.)
* Every refusal and timeout is counted (``stats``, exported by ``/metrics``)
  and logged by a counted, rate-limited line (``gateway.common.ratelog``).

The clock is the site's reactor (``Site(reactor=...)``), so tests drive the
deadlines with ``task.Clock``.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from twisted.internet.protocol import Protocol
from twisted.logger import Logger
from gateway.common.ratelog import RateLimitedLog

from .channel import JsonErrorChannel
from gateway.messages.errors import ApiError

log = Logger()

TOO_SLOW = {"headers": ApiError(408, 20408, "request headers not received in time"),
            "body": ApiError(408, 20408, "request body not received in time")}
TOO_MANY = ApiError(503, 20503, "too many connections; retry later")
RETRY_AFTER = 1  # seconds, in the 503's Retry-After


@dataclass(frozen=True)
class ConnectionLimits:
    header_timeout: float | None = 10.0  # None: no deadline
    body_timeout: float | None = 60.0
    max_connections_per_ip: int = 256  # 0: no cap
    max_connections: int = 4096


def raw_response(error: ApiError, more_info: str, *extra: tuple[bytes, bytes]) -> bytes:
    """A whole HTTP/1.1 response with the API's JSON error body; closes."""
    from twisted.web.http import RESPONSES

    body = error.body(more_info)
    head = [b"HTTP/1.1 %d %s" % (error.status, RESPONSES.get(error.status, b"Error")),
            b"Content-Type: application/json", b"Content-Length: %d" % len(body),
            b"Connection: close", *(name + b": " + value for name, value in extra)]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


class ApiChannel(JsonErrorChannel):
    """The API's HTTP channel: unreadable heads answered as JSON
    (``gateway.api.channel``), plus header and body deadlines (see the
    module's rules)."""

    _phase = "headers"  # headers | body | busy | idle
    _deadline = None

    def connectionMade(self):
        super().connectionMade()
        self._arm("headers", self.site.limits.header_timeout)

    def dataReceived(self, data):
        if self._phase == "idle":  # the first byte of the next request
            self._arm("headers", self.site.limits.header_timeout)
        super().dataReceived(data)

    def allHeadersReceived(self):
        super().allHeadersReceived()
        if self.length != 0:
            self._arm("body", self.site.limits.body_timeout)
        else:
            self._disarm("busy")

    def allContentReceived(self):
        self._disarm("busy")
        super().allContentReceived()

    def requestDone(self, request):
        self._disarm("idle")  # before: buffered data may start the next request
        super().requestDone(request)

    def connectionLost(self, reason):
        self._disarm("idle")
        super().connectionLost(reason)
        self.site.connection_closed(self)

    def _arm(self, phase: str, timeout: float | None) -> None:
        self._disarm(phase)
        if timeout is not None:
            self._deadline = self.callLater(timeout, self._too_slow, phase)

    def _disarm(self, phase: str) -> None:
        self._phase = phase
        if self._deadline is not None:
            if self._deadline.active():
                self._deadline.cancel()
            self._deadline = None

    def _refuse(self, error: ApiError) -> None:
        self._disarm("closing")  # a refused head is answered once, not timed out later
        super()._refuse(error)

    def _too_slow(self, phase: str) -> None:
        self._deadline = None
        self._phase = "closing"
        self.site.too_slow(self, phase)
        self.transport.write(raw_response(TOO_SLOW[phase], self.site.more_info))
        self.setTimeout(None)
        if self.abortTimeout is not None:
            self._abortingCall = self.callLater(self.abortTimeout, self.forceAbortClient)
        self.loseConnection()


class Refused(Protocol):
    """Answers 503 to a connection over a cap and closes it unread."""

    def __init__(self, response: bytes):
        self.response = response

    def connectionMade(self):
        self.transport.write(self.response)
        self.transport.loseConnection()


class ConnectionCounter:
    """Open connections per client address and in all, for one site."""

    def __init__(self, limits: ConnectionLimits, clock: Any):
        self.limits = limits
        self.per_ip: Counter[str] = Counter()
        self.open = 0
        self.stats = {"header_timeouts": 0, "body_timeouts": 0, "refused_per_ip": 0,
                      "refused_total": 0}
        self._refusals = RateLimitedLog(log, clock, "API: refused {count} connections over the "
                                        "{cap} cap (last from {peer}; {total} since start)")
        self._slow = RateLimitedLog(log, clock, "API: closed {count} connections too slow to send "
                                    "their {phase} (last from {peer}; {total} since start)")

    def admit(self, host: str) -> str | None:
        """Count a new connection from *host*, or name the cap it is over."""
        limits = self.limits
        if limits.max_connections and self.open >= limits.max_connections:
            cap = "max_connections"
        elif limits.max_connections_per_ip and self.per_ip[host] >= limits.max_connections_per_ip:
            cap = "max_connections_per_ip"
        else:
            self.open += 1
            self.per_ip[host] += 1
            return None
        self.stats["refused_total" if cap == "max_connections" else "refused_per_ip"] += 1
        self._refusals.event(cap=cap, peer=host)
        return cap

    def release(self, host: str) -> None:
        self.open -= 1
        self.per_ip[host] -= 1
        if self.per_ip[host] <= 0:
            del self.per_ip[host]

    def too_slow(self, host: str, phase: str) -> None:
        self.stats[f"{'header' if phase == 'headers' else 'body'}_timeouts"] += 1
        self._slow.event(phase=phase, peer=host)
