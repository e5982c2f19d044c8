"""One callback request, and the HTTP agent callbacks go through.

Rules:

* The URL is parsed by :mod:`gateway.weburl` (the parser intake uses); the
  request goes to ``WebUrl.request_url`` (no credentials, no fragment) with
  ``user:password@`` sent as HTTP Basic.
* GET puts the parameters in the query string, POST sends them as a form.
* The agent connects through the SSRF guard (:mod:`gateway.mm7.guard`)
  after name resolution, with a short connect timeout; ``[callbacks]
  allow_hosts`` lets named internal hosts through.  Its pool keeps up to
  ``per_host_concurrency`` persistent connections per host, the most
  requests the sender has in flight toward one host, so a busy host's
  callbacks reuse connections instead of opening one each.
* :func:`send` returns a Deferred of the answer ``(code, body)`` (``body``
  only when asked for) that covers the HTTP exchange and nothing else: the
  timeout (on the injected clock) cancels the request and the body read,
  never what the caller does with the answer.  A synchronous error from
  the agent becomes a failed Deferred.
"""
from __future__ import annotations

from base64 import b64encode
from typing import Any
from urllib.parse import urlencode

from twisted.internet.defer import CancelledError, Deferred, fail, succeed
from twisted.internet.protocol import Protocol, connectionDone
from twisted.web.client import Agent, HTTPConnectionPool, ResponseDone
from twisted.web.http import PotentialDataLoss
from twisted.web.http_headers import Headers
from twisted.web.iweb import IBodyProducer
from zope.interface import implementer

from gateway import webhook_signature
from gateway.mm7.guard import GuardedEndpointFactory
from gateway.weburl import WebUrl

USER_AGENT = b"carrier-gateway"
FORM = b"application/x-www-form-urlencoded"
MAX_BODY = 256 * 1024  # of an answer that is read (an RCML document is small)


class CallbackTimeout(Exception):
    """No complete answer within the callback timeout."""


def callback_pool(reactor: Any, config: Any) -> HTTPConnectionPool:
    pool = HTTPConnectionPool(reactor, persistent=True)
    pool.maxPersistentPerHost = config.per_host_concurrency
    return pool


def make_callback_agent(reactor: Any, config: Any, *, pool: HTTPConnectionPool | None = None,
                        tls_policy=None) -> Agent:
    """The agent for status callbacks and ``sms_url`` requests."""
    pool = pool if pool is not None else callback_pool(reactor, config)
    guard = GuardedEndpointFactory(reactor, allow_hosts=config.allow_hosts, tls_policy=tls_policy,
                                   connect_timeout=config.connect_timeout, purpose="callback")
    return Agent.usingEndpointFactory(reactor, guard, pool=pool)


def with_query(url: str, params) -> str:
    query = urlencode([(k, v) for k, v in params])
    if not query:
        return url
    return f"{url}&{query}" if "?" in url else f"{url}?{query}"


def send(agent: Any, clock: Any, url: WebUrl, method: str, params, *, timeout: float,
         want_body: bool, signing_token: str | None = None) -> Deferred:
    """Deferred[(code, body or None)]; fails with CallbackTimeout after *timeout*.
    With ``signing_token`` (the account's auth token) the request carries
    ``X-Twilio-Signature`` (``gateway.webhook_signature``)."""
    headers = Headers({b"user-agent": [USER_AGENT]})
    if url.auth is not None:
        user, password = url.auth
        token = b64encode(f"{user}:{password}".encode("utf-8"))
        headers.addRawHeader(b"authorization", b"Basic " + token)
    target, producer = url.request_url, None
    if method == "GET":
        target = with_query(target, params)
    else:
        headers.addRawHeader(b"content-type", FORM)
        producer = _Bytes(urlencode([(k, v) for k, v in params]).encode("ascii"))
    if signing_token is not None:
        signed = (target, ()) if method == "GET" else (target, params)
        headers.addRawHeader(webhook_signature.HEADER, webhook_signature.signature(signing_token, *signed))
    try:
        d = agent.request(method.encode("ascii"), target.encode("ascii"), headers, producer)
    except Exception as exc:  # the agent refused the URL before any I/O
        return fail(exc)
    d.addCallback(_read, want_body)
    expired = []

    def expire():
        expired.append(True)
        d.cancel()

    timer = clock.callLater(timeout, expire)

    def finished(result):
        if timer.active():
            timer.cancel()
        if expired and _is_cancel(result):
            return fail(CallbackTimeout(f"no answer within {timeout:g}s"))
        return result

    return d.addBoth(finished)


def _read(response, want_body: bool) -> Deferred:
    # The body is always read: the connection goes back to the pool after.
    collector = _Collect(MAX_BODY if want_body else 0)
    response.deliverBody(collector)
    return collector.done.addCallback(lambda data: (response.code, data if want_body else None))


class _Collect(Protocol):
    """Reads a response body, keeping at most ``keep`` bytes; cancelling
    closes the connection."""

    def __init__(self, keep: int):
        self._keep = keep
        self._parts: list[bytes] = []
        self._size = 0
        self.done = Deferred(lambda _d: self.transport.stopProducing())

    def dataReceived(self, data: bytes) -> None:
        if self._size < self._keep:
            self._parts.append(data[:self._keep - self._size])
            self._size += len(self._parts[-1])

    def connectionLost(self, reason=connectionDone) -> None:
        if self.done.called:
            return
        if reason.check(ResponseDone, PotentialDataLoss):
            self.done.callback(b"".join(self._parts))
        else:
            self.done.errback(reason)


def _is_cancel(result) -> bool:
    check = getattr(result, "check", None)
    if check is None:
        return False
    if check(CancelledError):
        return True
    from twisted.internet.error import ConnectingCancelledError

    if check(ConnectingCancelledError):
        return True
    reasons = getattr(result.value, "reasons", None) or ()
    return any(r.check(CancelledError, ConnectingCancelledError) for r in reasons)


@implementer(IBodyProducer)
class _Bytes:
    """A request body already in memory (no cooperator, no timer)."""

    def __init__(self, data: bytes):
        self._data = data
        self.length = len(data)

    def startProducing(self, consumer):
        consumer.write(self._data)
        return succeed(None)

    def pauseProducing(self):
        pass

    def resumeProducing(self):
        pass

    def stopProducing(self):
        pass
