"""The callback sender: status callbacks and inbound ``sms_url`` requests.

Theory of operation:

* Rows come from the durable ``callback_outbox`` (``due_callbacks``), at
  most ``concurrency`` in flight.  The outbox gives only the lowest pending
  row of each message, so callbacks of one message go strictly in order;
  each fetched row is leased (its ``next_attempt_at`` pushed past the
  request timeout) so a second poll never sends it twice.
* GET puts the parameters in the query string, POST sends them as a form.
* 2xx -> done.  Connection errors, timeouts and 5xx -> retried with
  exponential backoff (``initial_backoff`` doubling up to ``max_backoff``)
  until ``retry_for`` seconds after the row was created, then dead.  Other
  answers (3xx, 4xx) -> dead at once: retrying cannot help.
* A 200 answer to an ``inbound`` row carries an RCML document: it is handed
  to the reply hook (``apply_rcml_reply``) in the same write that marks the
  row done.
* This service shares nothing with the dispatcher but the store's writer
  (group commit): a slow or dead endpoint only keeps its own rows waiting.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable
from urllib.parse import urlencode, urlsplit, urlunsplit

from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from gateway.config import CallbacksConfig
from gateway.store import outbox
from gateway.store.timeutil import from_timestamp, utc
from gateway.wakeup import Wakeup

log = Logger()

MAX_RESPONSE_BYTES = 256 * 1024  # an RCML answer is small


def backoff(attempts: int, config: CallbacksConfig) -> float:
    """Seconds to wait after the *attempts*-th failed try (1-based)."""
    return min(config.max_backoff, config.initial_backoff * (2 ** max(0, attempts - 1)))


def with_query(url: str, params) -> str:
    parts = urlsplit(url)
    query = urlencode([(k, v) for k, v in params])
    query = f"{parts.query}&{query}" if parts.query and query else (parts.query or query)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


class CallbackSender(Service):
    name = "callbacks"

    def __init__(self, store: Any, http: Any, clock: IReactorTime,
                 config: CallbacksConfig = CallbacksConfig(), *,
                 reply_hook: Callable[..., Any] | None = None,
                 on_new_messages: Callable[[list], Any] | None = None,
                 on_settled: Callable[[str], Any] | None = None):
        self.store = store
        self.http = http  # a treq HTTPClient (or anything with the same request())
        self.clock = clock
        self.config = config
        self.reply_hook = reply_hook
        self.on_new_messages = on_new_messages
        self.on_settled = on_settled  # called with done | retry | dead once recorded
        self.in_flight = 0
        self.stats = {"sent": 0, "retried": 0, "dead": 0}
        self._fetching = False
        self._wakeup = Wakeup(clock, self._fetch)
        self._requests: set[Deferred] = set()

    def startService(self):
        super().startService()
        self._wakeup.start(self.config.poll_interval)

    def stopService(self):
        super().stopService()
        self._wakeup.stop()
        # Requests in flight are cancelled: their rows stay pending (leased)
        # and go out again after the lease, from this or the next process.
        for d in list(self._requests):
            d.cancel()

    def wake(self, *_ignored) -> None:
        if self.running:
            self._wakeup.wake()

    def _fetch(self) -> None:
        room = self.config.concurrency - self.in_flight
        if not self.running or self._fetching or room <= 0:
            return
        self._fetching = True
        lease = timedelta(seconds=self.config.timeout + 5)
        d = self.store.write(outbox.due_callbacks, self._now(), room, lease=lease)
        d.addCallbacks(self._fetched, self._fetch_failed)

    def _fetch_failed(self, failure) -> None:
        self._fetching = False
        log.failure("callbacks: reading the outbox failed", failure)

    def _fetched(self, rows) -> None:
        self._fetching = False
        for row in rows:
            self._send(row)

    def _send(self, row) -> None:
        self.in_flight += 1
        params = [tuple(pair) for pair in row["params"]]
        if row["method"] == "GET":
            d = self.http.request("GET", with_query(row["url"], params), timeout=self.config.timeout)
        else:
            d = self.http.request("POST", row["url"], data=params, timeout=self.config.timeout)
        d.addCallback(self._answered, row)
        d.addCallbacks(self._settled, self._failed, callbackArgs=(row,), errbackArgs=(row,))
        d.addErrback(lambda f: log.failure("callbacks: recording a result failed", f))
        d.addBoth(self._done, d)
        self._requests.add(d)

    def _answered(self, response, row):
        if row["kind"] == "inbound" and response.code == 200:
            return _read_body(response).addCallback(lambda body: (response.code, body))
        return _read_body(response).addCallback(lambda _: (response.code, None))

    def _settled(self, answer, row):
        code, body = answer
        now = self._now()
        if 200 <= code < 300:
            self.stats["sent"] += 1
            d = self.store.write(_done_job, row["id"], row["message_sid"], body, now, self.reply_hook)
            return d.addCallback(self._replied).addCallback(self._recorded, "done")
        if code >= 500:
            return self._retry(row, f"HTTP {code}")
        self.stats["dead"] += 1
        log.warn("callbacks: {url} answered {code}; not retried", url=_safe(row["url"]), code=code)
        return self.store.write(outbox.callback_dead, row["id"], error=f"HTTP {code}").addCallback(
            self._recorded, "dead")

    def _replied(self, sids) -> None:
        if sids and self.on_new_messages is not None:
            self.on_new_messages(sids)

    def _failed(self, failure, row):
        if failure.check(_Cancelled):
            return None
        return self._retry(row, failure.getErrorMessage() or failure.type.__name__)

    def _retry(self, row, error: str):
        now = self._now()
        wait = backoff(row["attempts"] + 1, self.config)
        deadline = utc(row["created_at"]) + timedelta(seconds=self.config.retry_for)
        due = now + timedelta(seconds=wait)
        if due > deadline:
            self.stats["dead"] += 1
            log.warn("callbacks: giving up on {url} after {attempts} attempts: {error}",
                     url=_safe(row["url"]), attempts=row["attempts"] + 1, error=error)
            return self.store.write(outbox.callback_dead, row["id"], error=error).addCallback(
                self._recorded, "dead")
        self.stats["retried"] += 1
        return self.store.write(outbox.callback_retry, row["id"], next_attempt_at=due,
                                error=error).addCallback(self._recorded, "retry")

    def _recorded(self, _result, what: str) -> None:
        if self.on_settled is not None:
            self.on_settled(what)

    def _done(self, result, d):
        self._requests.discard(d)
        self.in_flight -= 1
        self.wake()
        return None

    def _now(self):
        return from_timestamp(self.clock.seconds())


try:
    from twisted.internet.defer import CancelledError as _Cancelled
except ImportError:  # pragma: no cover
    _Cancelled = Exception


def _read_body(response) -> Deferred:
    from treq import content

    return content(response)


def _done_job(conn, callback_id: int, message_sid: str, body: bytes | None, now, reply_hook):
    outbox.callback_done(conn, callback_id)
    if not body or reply_hook is None:
        return []
    savepoint = conn.begin_nested()
    try:
        sids = reply_hook(conn, message_sid, body[:MAX_RESPONSE_BYTES], now=now)
    except Exception as e:  # malformed RCML: the callback itself succeeded
        savepoint.rollback()
        log.warn("callbacks: RCML reply to {sid} ignored: {error}", sid=message_sid, error=e)
        return []
    savepoint.commit()
    return list(sids or [])


def _safe(url: str) -> str:
    """The URL without credentials or query (which may hold tokens)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
