"""The MM7 client: POST a SubmitReq to the MMSC and read its answer.

HTTP goes through an :class:`HttpClient` passed in: a treq ``HTTPClient``
(the default agent verifies HTTPS certificates; see ``make_http_client``),
or treq's ``StubTreq`` in tests.  Basic auth when configured,
with ``username``/``password`` or as ``user:password@`` in the ``url`` (taken
out of the URL before it is requested).  Carrier credentials never reach a
result's ``error_message`` or a log line: they are replaced with ``***``.

Retries: a transport error (connection refused/reset, timeout), an HTTP 5xx
that carries no readable MM7 answer, or an MM7 status the table calls
retryable (3xxx, 4006) is tried again after ``backoff`` seconds (doubling),
up to ``retries`` more times; then the result is ``failed`` 30008.  Any other
answer decides at once.  (A retry after a timeout may duplicate an MM the
MMSC did accept: the gateway is at-least-once.)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from twisted.internet.defer import CancelledError, Deferred, inlineCallbacks
from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import deferLater
from twisted.web.iweb import IResponse
from twisted.logger import Logger

from protocols.mm7.errors import Mm7Error
from protocols.mm7.messages import SubmitResponse, read_submit_response
from protocols.mm7.parse import read_envelope
from protocols.mm7.status import SubmitVerdict, Verdict, submit_verdict

log = Logger()
TRANSPORT_ERROR = 30008
MAX_RESPONSE = 256 * 1024


@dataclass(frozen=True)
class SubmitResult:
    verdict: Verdict  # SENT or FAILED (RETRY never leaves the client)
    message_id: str | None = None
    error_code: int | None = None
    error_message: str | None = None
    status_code: int | None = None
    attempts: int = 1


@runtime_checkable
class HttpClient(Protocol):
    """What the MM7 client needs of treq's ``HTTPClient``: one POST."""

    def post(self, url: Any, data: Any = None, **kwargs: Any) -> Deferred[IResponse]:
        """POST *data* to *url* (treq's keywords: headers, auth, timeout...)."""


def make_http_client(reactor, *, ca_file: str | None = None) -> HttpClient:
    """A treq client whose HTTPS verifies certificates (against ``ca_file``
    when given, else the system trust store)."""
    import treq.client
    from twisted.internet import ssl
    from twisted.web.client import Agent, BrowserLikePolicyForHTTPS, HTTPConnectionPool

    policy = BrowserLikePolicyForHTTPS()
    if ca_file:
        with open(ca_file, "rb") as handle:
            root = ssl.Certificate.loadPEM(handle.read())
        policy = BrowserLikePolicyForHTTPS(trustRoot=root)
    pool = HTTPConnectionPool(reactor)
    return treq.client.HTTPClient(Agent(reactor, contextFactory=policy, pool=pool))


def _cancelled(exc: BaseException) -> bool:
    """A cancellation, bare or wrapped by the HTTP agent."""
    from twisted.internet.error import ConnectingCancelledError

    if isinstance(exc, (CancelledError, ConnectingCancelledError)):
        return True
    return any(r.check(CancelledError, ConnectingCancelledError) for r in getattr(exc, "reasons", None) or ())


def split_userinfo(url: str) -> tuple[str, tuple[str, str] | None]:
    """``url`` without its ``user:password@`` part, and that part decoded
    (None when there is none)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    userinfo, host = parts.netloc.rsplit("@", 1)
    user, _, password = userinfo.partition(":")
    return urlunsplit(parts._replace(netloc=host)), (unquote(user), unquote(password))


class Redactor:
    """Replaces carrier credentials with ``***`` in text that may reach a
    customer (``error_message``) or a log line: the MMSC's own answers can
    echo them.  Values shorter than ``MIN_SECRET`` are left alone, since
    replacing a letter or two would garble every message."""

    MIN_SECRET = 3

    def __init__(self, *secrets: str):
        found = {s for s in secrets if s and len(s) >= self.MIN_SECRET}
        found |= {quote(s, safe="") for s in found}
        self._secrets = sorted(found, key=len, reverse=True)

    def __call__(self, text: str | None) -> str | None:
        for secret in self._secrets if text else ():
            text = text.replace(secret, "***")
        return text


class Mm7Client:
    """``url`` may carry ``user:password@``: it is sent as HTTP Basic (unless
    ``username`` is given, which wins) and removed from the URL requested."""

    def __init__(self, http: HttpClient, clock: IReactorTime, *, url: str, username: str = "", password: str = "",
                 timeout: float = 30.0, retries: int = 2, backoff: float = 1.0, name: str = "mm7"):
        self._http = http
        self._clock = clock
        self.url, from_url = split_userinfo(url)
        self._auth = (username, password) if username else from_url
        self._redact = Redactor(username, password, *(from_url or ()))
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.name = name

    @inlineCallbacks
    def submit(self, content_type: str, body: bytes):
        """Deferred[SubmitResult]; never errbacks for an MMSC's answer."""
        attempt, last = 0, SubmitVerdict(Verdict.RETRY, TRANSPORT_ERROR, "not sent")
        status_code = None
        while True:
            attempt += 1
            answer = yield self._post_once(content_type, body)
            if isinstance(answer, SubmitResponse):
                status_code = answer.status_code
                last = submit_verdict(answer.status_code, answer.status_text)
                if last.verdict is Verdict.SENT:
                    return SubmitResult(Verdict.SENT, answer.message_id, status_code=status_code,
                                        attempts=attempt)
            else:
                last = SubmitVerdict(Verdict.RETRY, TRANSPORT_ERROR, answer)
            if last.verdict is Verdict.FAILED or attempt > self.retries:
                break
            delay = self.backoff * (2 ** (attempt - 1))
            log.info("mm7 {carrier}: attempt {attempt} failed ({why}); retrying in {delay}s",
                     carrier=self.name, attempt=attempt, why=self._redact(last.error_message), delay=delay)
            yield deferLater(self._clock, delay, lambda: None)
        message = last.error_message or "MM7 submit failed"
        if last.verdict is Verdict.RETRY:
            message = f"{message} (gave up after {attempt} attempts)"
        return SubmitResult(Verdict.FAILED, None, last.error_code or TRANSPORT_ERROR, self._redact(message),
                            status_code, attempt)

    @inlineCallbacks
    def _post_once(self, content_type: str, body: bytes):
        """A ``SubmitResponse``, or a string saying why there is none (retryable)."""
        import treq

        headers = {"Content-Type": [content_type], "SOAPAction": ['""'], "Accept": ["text/xml, multipart/related"]}
        try:
            response = yield self._http.post(self.url, data=body, headers=headers, auth=self._auth,
                                             timeout=self.timeout, reactor=self._clock,
                                             allow_redirects=False)
            content = yield treq.content(response)
        except Exception as exc:
            if _cancelled(exc):  # treq's timeout cancels: connecting or waiting
                return f"no answer from MMSC within {self.timeout:g}s"
            return f"MMSC connection failed: {exc.__class__.__name__}: {exc}"
        ctype = (response.headers.getRawHeaders(b"content-type", [b"text/xml"])[0]).decode("latin-1")
        try:
            env = read_envelope(ctype, content, max_bytes=MAX_RESPONSE)
            return read_submit_response(env)
        except Mm7Error as exc:
            if response.code >= 500:
                return f"MMSC answered HTTP {response.code}"
            if response.code in (401, 403):
                return SubmitResponse(4001, f"HTTP {response.code}: authentication refused", None, True)
            return SubmitResponse(None, f"unreadable MMSC answer (HTTP {response.code}): {exc}", None, True)
