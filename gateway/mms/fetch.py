"""Fetching MMS media from ``media_list`` / ``MediaUrl`` URLs with treq.

Every fetch has a total deadline, a byte cap (checked against Content-Length
and again while reading), a content-type check and a redirect limit, and goes
through the SSRF guard (``gateway.mms.guard``).  Failures are ``MediaError``
values carrying the API error code:

* 21620 invalid or refused media URL (bad scheme, private address)
* 11200 HTTP retrieval failure (connection, timeout, non-2xx status)
* 12300 invalid content type (not allowed, or not valid RFC 2045 syntax)
* 30019 media larger than the fetch cap
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from twisted.internet.defer import CancelledError, Deferred, inlineCallbacks
from twisted.internet.protocol import Protocol
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.client import Agent, BrowserLikeRedirectAgent, HTTPConnectionPool, ResponseDone
from twisted.web.http import PotentialDataLoss

from gateway.mms.guard import BlockedAddress, GuardedEndpointFactory, ip_literal, is_public
from protocols.mm7.content import MediaItem
from protocols.mm7.mediatype import InvalidMediaType, parse_media_type

log = Logger()

ALLOWED_TYPES = ("image/", "video/", "audio/", "text/vcard", "text/x-vcard", "text/calendar",
                 "text/plain", "application/pdf", "application/vcard")


class MediaError(Exception):
    def __init__(self, error_code: int, message: str):
        super().__init__(message)
        self.error_code = error_code
        self.message = message


@dataclass(frozen=True)
class FetchPolicy:
    timeout: float = 20.0
    max_bytes: int = 5 << 20
    max_redirects: int = 3
    allow_private: bool = False
    allowed_types: tuple[str, ...] = ALLOWED_TYPES


class _Collect(Protocol):
    def __init__(self, done: Deferred, cap: int, url: str):
        self.done, self.cap, self.url, self.chunks, self.size = done, cap, url, [], 0

    def dataReceived(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.cap:
            self.transport.stopProducing()
            if not self.done.called:
                self.done.errback(MediaError(30019, f"media {self.url} is over the {self.cap}-byte cap"))
            return
        self.chunks.append(data)

    def connectionLost(self, reason) -> None:
        if self.done.called:
            return
        if reason.check(ResponseDone, PotentialDataLoss):
            self.done.callback(b"".join(self.chunks))
        else:
            self.done.errback(MediaError(11200, f"reading media {self.url} failed: {reason.value}"))


class MediaFetcher:
    def __init__(self, reactor, policy: FetchPolicy = FetchPolicy(), *, tls_policy=None, pool=None):
        import treq.client

        self._reactor = reactor
        self.policy = policy
        factory = GuardedEndpointFactory(reactor, allow_private=policy.allow_private, tls_policy=tls_policy)
        agent = Agent.usingEndpointFactory(reactor, factory, pool=pool or HTTPConnectionPool(reactor))
        agent = BrowserLikeRedirectAgent(agent, redirectLimit=policy.max_redirects)
        self._http = treq.client.HTTPClient(agent)

    def fetch(self, url: str, declared_type: str | None = None) -> Deferred:
        """Deferred[MediaItem]; errbacks with ``MediaError``."""
        d = self._fetch(url, declared_type)
        expired = []

        def expire():
            expired.append(True)
            d.cancel()

        timer = self._reactor.callLater(self.policy.timeout, expire)

        def done(result):
            if timer.active():
                timer.cancel()
            # Cancelling surfaces as CancelledError, or as a connect error while connecting.
            if expired and isinstance(result, Failure):
                raise MediaError(11200, f"fetching media {url} timed out after {self.policy.timeout:g}s")
            return result

        return d.addBoth(done)

    @inlineCallbacks
    def _fetch(self, url: str, declared_type: str | None):
        if not url.lower().startswith(("http://", "https://")):
            raise MediaError(21620, f"media URL must be http(s): {url!r}")
        try:
            literal = ip_literal(urlsplit(url).hostname or "")
        except ValueError:
            raise MediaError(21620, f"invalid media URL {url!r}") from None
        if literal and not self.policy.allow_private and not is_public(literal):
            # Refused here already: the guard below also checks, but treq cannot
            # even build a request for an IPv6 literal.
            raise MediaError(21620, f"refusing to fetch media from {literal}: not a public address")
        try:
            response = yield self._http.get(url, allow_redirects=False)
        except BlockedAddress as exc:
            raise MediaError(21620, str(exc)) from None
        except CancelledError:
            raise
        except Exception as exc:  # connection refused, DNS, TLS, too many redirects
            cause = getattr(exc, "reasons", None)
            if cause and any(r.check(BlockedAddress) for r in cause):
                raise MediaError(21620, str(cause[0].value)) from None
            raise MediaError(11200, f"fetching media {url} failed: {exc}") from None
        if not 200 <= response.code < 300:
            response.deliverBody(Protocol())
            raise MediaError(11200, f"fetching media {url} failed: HTTP {response.code}")
        ctype = self._content_type(response, declared_type, url)
        length = response.length if isinstance(response.length, int) else None
        if length is not None and length > self.policy.max_bytes:
            response.deliverBody(Protocol())
            raise MediaError(30019, f"media {url} is {length} bytes, over the {self.policy.max_bytes}-byte cap")
        done: Deferred = Deferred()
        response.deliverBody(_Collect(done, self.policy.max_bytes, url))
        data = yield done
        name = url.rsplit("/", 1)[-1].split("?", 1)[0] or None
        return MediaItem(ctype, data, filename=name if name and "." in name else None)

    def _content_type(self, response, declared: str | None, url: str) -> str:
        """The media's ``type/subtype``: the server's, else (when it says
        nothing or octet-stream) the declared one.  Either must be a valid
        RFC 2045 media type; only its ``type/subtype`` goes on."""
        raw = response.headers.getRawHeaders(b"content-type", [b""])[0].decode("latin-1")
        ctype = _essence(raw, url, "the server's")
        if not ctype or ctype == "application/octet-stream":
            ctype = _essence(declared or "", url, "the declared")
        if not ctype or not ctype.startswith(self.policy.allowed_types):
            raise MediaError(12300, f"media {url} has unsupported content type {ctype or 'none'!r}")
        return ctype


def _essence(value: str, url: str, whose: str) -> str:
    if not value.strip():
        return ""
    try:
        return parse_media_type(value).essence
    except InvalidMediaType as exc:
        raise MediaError(12300, f"media {url}: {whose} content type is invalid: {exc}") from None
