"""One callback request, and the HTTP agent callbacks go through.

Rules:

* The URL is parsed by :mod:`gateway.common.weburl` (the parser intake uses); the
  request goes to ``WebUrl.request_url`` (no credentials, no fragment) with
  ``user:password@`` sent as HTTP Basic.
* GET puts the parameters in the query string, POST sends them as a form.
* The agent connects through the SSRF guard (:mod:`gateway.mms.guard`)
  after name resolution, with a short connect timeout; ``[callbacks]
  allow_hosts`` lets named internal hosts through.  Requests go over
  :mod:`gateway.callbacks.http_client` (one written buffer, one parsed answer per
  exchange); its pool keeps up to ``per_host_concurrency`` keep-alive
  connections per host, the most requests the sender has in flight toward
  one host, so a busy host's callbacks reuse connections instead of opening
  one each.
* The request's headers come from :func:`request_headers` (one place to
  add a header).  With ``signing_token`` (the account's auth token) the
  request carries ``X-Twilio-Signature`` (:mod:`gateway.callbacks.signature`)
  over the URL (with its query, for GET) and the form parameters.
* The sender goes through an :class:`HttpAgent` (``CallbackAgent`` in the
  daemon): bytes of one request out, ``(code, body)`` back.
* :func:`send` returns a Deferred of the answer ``(code, body)`` (``body``
  only when asked for) that covers the HTTP exchange and nothing else: the
  timeout (on the injected clock) cancels the request and the body read,
  never what the caller does with the answer.  A synchronous error from
  the agent becomes a failed Deferred.
"""
from __future__ import annotations

from base64 import b64encode
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlencode

from twisted.internet.defer import CancelledError, Deferred, fail
from twisted.internet.interfaces import IReactorTime

from gateway.callbacks import signature as webhook_signature
from gateway.callbacks.http_client import HostConnections
from gateway.mms.guard import GuardedEndpointFactory
from gateway.common.weburl import WebUrl

USER_AGENT = b"carrier-gateway"
FORM = b"application/x-www-form-urlencoded"
MAX_BODY = 256 * 1024  # of an answer that is read (an RCML document is small)


class CallbackTimeout(Exception):
    """No complete answer within the callback timeout."""


def callback_pool(reactor: Any, config: Any) -> HostConnections:
    """The connection pool: up to ``per_host_concurrency`` idle keep-alive
    connections per host.  Its endpoints are set by the agent."""
    return HostConnections(None, config.per_host_concurrency)


@runtime_checkable
class HttpAgent(Protocol):
    """What callbacks (status callbacks, ``sms_url`` and RCML ``action``
    requests) send through."""

    def request(self, url: WebUrl, data: bytes, keep: int) -> Deferred[tuple[int, bytes]]:
        """Send the whole request *data* toward *url*; fires with the answer's
        status code and at most *keep* bytes of its body."""


class CallbackAgent:
    """Sends one request over the pool's connections (``gateway.callbacks.http_client``)."""

    def __init__(self, pool: HostConnections):
        self.pool = pool

    def request(self, url: WebUrl, data: bytes, keep: int) -> Deferred[tuple[int, bytes]]:
        return self.pool.request((url.scheme, url.host, url.port), data, keep)


def make_callback_agent(reactor: Any, config: Any, *, pool: HostConnections | None = None,
                        tls_policy=None) -> CallbackAgent:
    """The agent for status callbacks and ``sms_url`` requests."""
    pool = pool if pool is not None else callback_pool(reactor, config)
    pool.endpoints = GuardedEndpointFactory(
        reactor, allow_hosts=config.allow_hosts, tls_policy=tls_policy,
        connect_timeout=config.connect_timeout, purpose="callback")
    return CallbackAgent(pool)


def with_query(url: str, params) -> str:
    query = urlencode([(k, v) for k, v in params])
    if not query:
        return url
    return f"{url}&{query}" if "?" in url else f"{url}?{query}"


def request_headers(url: WebUrl, method: str, params,
                    signing_token: str | None = None) -> list[tuple[bytes, bytes]]:
    """The request's headers after ``Host`` (and before ``Content-Length``)."""
    headers = [(b"User-Agent", USER_AGENT)]
    if signing_token is not None:
        signed = ((with_query(url.request_url, params), ()) if method == "GET"
                  else (url.request_url, params))
        headers.append((webhook_signature.HEADER, webhook_signature.signature(signing_token, *signed)))
    if url.auth is not None:
        user, password = url.auth
        token = b64encode(f"{user}:{password}".encode("utf-8"))
        headers.append((b"Authorization", b"Basic " + token))
    if method != "GET":
        headers.append((b"Content-Type", FORM))
    return headers


def request_bytes(url: WebUrl, method: str, params, signing_token: str | None = None) -> bytes:
    """The whole request: GET puts the parameters in the query string,
    POST sends them as a form."""
    target, body = url.target, b""
    if method == "GET":
        target = with_query(target, params)
    else:
        body = urlencode([(k, v) for k, v in params]).encode("ascii")
    lines = [f"{method} {target} HTTP/1.1\r\nHost: {url.netloc}\r\n".encode("ascii")]
    lines += [name + b": " + value + b"\r\n" for name, value in request_headers(url, method, params, signing_token)]
    if method != "GET":
        lines.append(b"Content-Length: %d\r\n" % len(body))
    lines.append(b"\r\n")
    lines.append(body)
    return b"".join(lines)


def send(agent: HttpAgent, clock: IReactorTime, url: WebUrl, method: str, params, *, timeout: float,
         want_body: bool, signing_token: str | None = None) -> Deferred:
    """Deferred[(code, body or None)]; fails with CallbackTimeout after *timeout*."""
    try:
        data = request_bytes(url, method, params, signing_token)
        d = agent.request(url, data, MAX_BODY if want_body else 0)
    except Exception as exc:  # refused before any I/O
        return fail(exc)
    if not want_body:
        d.addCallback(lambda answer: (answer[0], None))
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
