"""The callback sender: status callbacks and inbound ``sms_url`` requests.

Theory of operation:

* Rows come from the durable ``callback_outbox`` by a plain read
  (``due_callbacks``: only the lowest pending row of each message, so the
  callbacks of one message go strictly in order).  Rows held in memory
  (queued, in flight, or their result being written) are passed as
  ``exclude``; a row whose result is written while a read runs is dropped
  from that read's answer.  So a row is never sent twice by one process,
  and no write is paid per read.
* Requests are scheduled by host (``gateway.callbacks.hosts``): at most
  ``concurrency`` in flight, ``per_host_concurrency`` per host, one for a
  failing host, hosts in turn.  Rows of a blocked (failing or hanging)
  host are moved behind the others in the store, so a dead or hanging
  endpoint of one customer never delays another customer's callbacks.
* Each URL is parsed by ``gateway.common.weburl`` (intake's parser); one that does
  not parse, or whose host the SSRF guard refuses, is dead at once.
* 2xx -> done; done rows are written in batches (one UPDATE per reactor
  turn).  Connection errors, timeouts and 5xx -> retried with exponential
  backoff (``initial_backoff`` doubling up to ``max_backoff``) until
  ``retry_for`` seconds after the row was created, then dead.  Other
  answers (3xx, 4xx) -> dead at once: retrying cannot help.  Dead is
  recorded once, logged once and counted in ``stats["dead"]``.
* A 200 answer to an ``inbound`` row (an sms_url) or an ``action`` row (an
  RCML ``<Message action>``) carries an RCML document: it is handed to the
  reply hook (``apply_rcml_reply``, with the URL that answered, for
  relative URLs) in the same write that marks the row done.
* Every path releases the request's slot: the HTTP exchange (with its
  timeout) is one Deferred, ended before its result is recorded; the
  timeout and ``stopService`` cancel only that exchange, never a store write.
* ``stopService`` cancels the requests in flight (their rows stay pending
  and go out again later) and returns once every answer already received
  is recorded, before the store closes.
* In a cluster the sender is a one-node role (``gateway.cluster.roles``):
  ``enabled`` is False while another node holds it, and ``pause()`` (the
  role's release) drops the queued rows, lets the requests in flight end
  and records their results before the role goes to another node, so no
  request is made by two nodes at once.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable

from twisted.application.service import Service
from twisted.internet.defer import Deferred, DeferredList, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from gateway.common import weburl
from gateway.callbacks.http_client import HostConnections
from gateway.callbacks.request import (CallbackTimeout, HttpAgent, callback_pool, make_callback_agent,
                                       send, with_query)
from gateway.callbacks.hosts import HostQueues
from gateway.config.model import CallbacksConfig
from gateway.mms.guard import BlockedAddress
from gateway.callbacks import outbox
from gateway.store.timeutil import from_timestamp, utc
from gateway.common.wakeup import Wakeup

log = Logger()

MAX_RESPONSE_BYTES = 256 * 1024  # an RCML answer is small
RCML_KINDS = ("inbound", "action")  # rows whose 200 answer is RCML to follow
STALL_AFTER = 2.0  # seconds without a finished request: the host hangs
BLOCKED_DEFER = 5.0  # seconds a blocked host's extra rows move back

__all__ = ["CallbackSender", "backoff", "callback_pool", "make_callback_agent", "with_query"]


def backoff(attempts: int, config: CallbacksConfig) -> float:
    """Seconds to wait after the *attempts*-th failed try (1-based)."""
    return min(config.max_backoff, config.initial_backoff * (2 ** max(0, attempts - 1)))


class CallbackSender(Service):
    name = "callbacks"

    def __init__(self, store: Any, agent: HttpAgent, clock: IReactorTime,
                 config: CallbacksConfig = CallbacksConfig(), *,
                 reply_hook: Callable[..., Any] | None = None,
                 on_new_messages: Callable[[list], Any] | None = None,
                 on_settled: Callable[[str], Any] | None = None, pool: HostConnections | None = None,
                 signing_tokens: Callable[[str], str | None] | None = None):
        self.store = store
        self.pool = pool  # the agent's connection pool: closed on stop
        self.agent = agent  # ``make_callback_agent`` in the daemon
        self.clock = clock
        self.config = config
        self.reply_hook = reply_hook
        self.on_new_messages = on_new_messages
        self.on_settled = on_settled  # called with done | retry | dead once recorded
        self.signing_tokens = signing_tokens  # AccountSid -> auth token (X-Twilio-Signature)
        self.stats = {"sent": 0, "retried": 0, "dead": 0}
        self.enabled = True  # False: fetch nothing new (another node holds the role)
        self.hosts = HostQueues(config.concurrency, config.per_host_concurrency, STALL_AFTER)
        self._fetching = False
        self._again = False
        self._settled_meanwhile: set[int] = set()
        self._wakeup = Wakeup(clock, self._round)
        self._requests: set[Deferred] = set()  # HTTP exchanges in flight
        self._records: set[Deferred] = set()  # result writes in flight
        self._done: list[tuple[int, int]] = []  # (id, 2xx status) waiting for the batch write
        self._flush = None

    @property
    def in_flight(self) -> int:
        return self.hosts.in_flight

    def startService(self):
        super().startService()
        self._wakeup.start(self.config.poll_interval)

    def stopService(self):
        super().stopService()
        self._wakeup.stop()
        for d in list(self._requests):
            d.cancel()  # the HTTP exchange only: its row stays pending
        self._write_done()
        d = DeferredList(list(self._records)) if self._records else succeed(None)
        if self.pool is not None:
            d.addCallback(lambda _: self.pool.closeCachedConnections())
        return d.addCallback(lambda _: None)

    async def pause(self) -> None:
        """Stop sending and settle: queued rows are dropped (they stay pending
        in the store), the requests in flight end (answer, failure or their
        timeout) and every result is recorded.  When this returns nothing of
        this sender is in flight, so another node may take the role."""
        self.enabled = False
        self.hosts.drop_queued()
        while self._requests or self._records or self._done:
            if self._requests:
                await DeferredList(list(self._requests), consumeErrors=True)
            self._write_done()
            if self._records:
                await DeferredList(list(self._records), consumeErrors=True)

    def wake(self, *_ignored) -> None:
        if self.running:
            self._wakeup.wake()

    # -- reading the outbox ---------------------------------------------
    def _round(self) -> None:
        self._pump()
        if self._fetching:
            self._again = True  # rows may have come since that read began
            return
        ready = self.hosts.ready(self.clock.seconds())
        if not self.running or not self.enabled or ready >= self.config.concurrency:
            return
        room = 2 * self.config.concurrency - ready
        self._fetching, self._again = True, False
        self._settled_meanwhile = set()
        d = self.store.read(outbox.due_callbacks, self._now(), room, exclude=sorted(self.hosts.owned))
        d.addCallbacks(self._fetched, self._fetch_failed)

    def _fetch_failed(self, failure) -> None:
        self._fetching = False
        log.failure("callbacks: reading the outbox failed", failure)

    def _fetched(self, rows) -> None:
        self._fetching = False
        again, self._again = self._again, False
        if not self.running or not self.enabled:  # stopped or paused meanwhile: the rows stay pending
            return
        skip = self.hosts.owned | self._settled_meanwhile
        now = self.clock.seconds()
        moved: list[int] = []
        for row in rows:
            if row["id"] in skip:
                continue
            try:
                url = weburl.parse(row["url"])
            except weburl.BadUrl as exc:
                self.hosts.owned.add(row["id"])
                self._dead(row, None, f"invalid URL: {exc}")
                continue
            if not self.hosts.add((url.scheme, url.host, url.port), row["id"], (row, url), now):
                moved.append(row["id"])
        self._move_back(moved)
        if again:
            self._round()  # pumps, and reads again
        else:
            self._pump()

    def _move_back(self, ids: list[int]) -> None:
        if not ids:
            return
        self.hosts.owned.update(ids)
        until = self._now() + timedelta(seconds=BLOCKED_DEFER)
        self._record(self.store.write(outbox.callbacks_deferred, ids, until=until), ids, None)

    # -- sending --------------------------------------------------------
    def _pump(self) -> None:
        while self.running and self.enabled:
            taken = self.hosts.take(self.clock.seconds())
            if taken is None:
                return
            host, (row, url) = taken
            self._send(host, row, url)

    def _send(self, host, row, url: weburl.WebUrl) -> None:
        params = [tuple(pair) for pair in row["params"]]
        want_body = row["kind"] in RCML_KINDS
        d = send(self.agent, self.clock, url, row["method"], params, timeout=self.config.timeout,
                 want_body=want_body, signing_token=self._signing_token(params))
        self._requests.add(d)
        d.addBoth(self._exchanged, d, host, row, url)

    def _signing_token(self, params) -> str | None:
        """The auth token of the account the callback is about (its AccountSid)."""
        account = next((value for name, value in params if name == "AccountSid"), None)
        return None if self.signing_tokens is None or account is None else self.signing_tokens(account)

    def _exchanged(self, result, d, host, row, url) -> None:
        """The HTTP exchange is over (answer or failure): free the slot first."""
        self._requests.discard(d)
        answered = not hasattr(result, "check")
        self.hosts.finished(host, answered, self.clock.seconds())
        try:
            if answered:
                self._answered(result, row, url)
            else:
                self._failed(result, host, row, url)
        finally:
            self._pump()  # the freed slot goes to the next queued row at once
            self.wake()

    def _answered(self, answer, row, url) -> None:
        code, body = answer
        if 200 <= code < 300:
            self.stats["sent"] += 1
            if row["kind"] in RCML_KINDS and code == 200 and body and self.reply_hook is not None:
                d = self.store.write(_done_job, row["id"], row["message_sid"], body[:MAX_RESPONSE_BYTES],
                                     self._now(), self.reply_hook, url.text, code)
                self._record(d.addCallback(self._replied), [row["id"]], "done")
            else:
                self._queue_done(row, code)
        elif code >= 500:
            self._retry(row, url, f"HTTP {code}", code)
        else:
            self._dead(row, url, f"HTTP {code}", retryable=False, http_status=code)

    def _failed(self, failure, host, row, url) -> None:
        if not self.running and not failure.check(CallbackTimeout):
            self.hosts.settled(row["id"])  # cancelled by stopService: stays pending
            return
        if failure.check(BlockedAddress) or _blocked(failure):
            self._dead(row, url, "blocked: not a public address (see [callbacks] allow_hosts)",
                       retryable=False)
        else:
            self._retry(row, url, failure.getErrorMessage() or failure.type.__name__)
        self._move_back([i for i, _ in self.hosts.shed(host)])

    def _retry(self, row, url, error: str, http_status: int | None = None) -> None:
        now = self._now()
        due = now + timedelta(seconds=backoff(row["attempts"] + 1, self.config))
        if due > utc(row["created_at"]) + timedelta(seconds=self.config.retry_for):
            self._dead(row, url, error, gave_up=True, http_status=http_status)
            return
        self.stats["retried"] += 1
        d = self.store.write(outbox.callback_retry, row["id"], next_attempt_at=due, error=error,
                             http_status=http_status)
        self._record(d, [row["id"]], "retry")

    def _dead(self, row, url, error: str, *, gave_up: bool = False, retryable: bool = True,
              http_status: int | None = None) -> None:
        self.stats["dead"] += 1
        where = url.safe if url is not None else "a callback URL"
        if gave_up:
            log.warn("callbacks: giving up on {url} after {attempts} attempts: {error}",
                     url=where, attempts=row["attempts"] + 1, error=error)
        else:
            log.warn("callbacks: {url} failed: {error}; not retried", url=where, error=error)
        d = self.store.write(outbox.callback_dead, row["id"], error=error, http_status=http_status)
        self._record(d, [row["id"]], "dead")

    # -- recording results ------------------------------------------------
    def _queue_done(self, row, http_status: int) -> None:
        self._done.append((row["id"], http_status))
        if self._flush is None:
            self._flush = self.clock.callLater(0, self._write_done)

    def _write_done(self) -> None:
        if self._flush is not None and self._flush.active():
            self._flush.cancel()
        self._flush = None
        done, self._done = self._done, []
        if done:
            ids = [row_id for row_id, _status in done]
            self._record(self.store.write(outbox.callbacks_done, ids, dict(done)), ids, "done",
                         count=len(ids))

    def _record(self, d: Deferred, ids: list[int], what: str | None, count: int = 1) -> None:
        self._records.add(d)

        def recorded(_):
            for _i in range(count if what is not None else 0):
                if self.on_settled is not None:
                    self.on_settled(what)

        def failed(failure):
            log.failure("callbacks: recording a result failed (the rows stay pending)", failure)

        def finally_(_):
            self._records.discard(d)
            for row_id in ids:
                self.hosts.settled(row_id)
                if self._fetching:
                    self._settled_meanwhile.add(row_id)
            self.wake()

        d.addCallbacks(recorded, failed).addBoth(finally_)

    def _replied(self, sids) -> None:
        if sids and self.on_new_messages is not None:
            self.on_new_messages(sids)

    def _now(self):
        return from_timestamp(self.clock.seconds())


def _blocked(failure) -> bool:
    """A BlockedAddress wrapped by the agent (e.g. in a ConnectError)."""
    reasons = getattr(failure.value, "reasons", None) or ()
    return any(r.check(BlockedAddress) for r in reasons) or "not a public address" in str(failure.value)


def _done_job(conn, callback_id: int, message_sid: str, body: bytes, now, reply_hook,
              base_url: str | None = None, http_status: int = 200):
    outbox.callback_done(conn, callback_id, http_status)
    savepoint = conn.begin_nested()
    try:
        sids = reply_hook(conn, message_sid, body, now=now, base_url=base_url)
    except Exception as e:  # malformed RCML: the callback itself succeeded
        savepoint.rollback()
        log.warn("callbacks: RCML reply to {sid} ignored: {error}", sid=message_sid, error=e)
        return []
    savepoint.commit()
    return list(sids or [])
