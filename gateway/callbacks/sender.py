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
* What an answer or a failure means (done, retry, dead; an RCML reply)
  and how it is written is ``gateway.callbacks.results``.
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

from typing import Any, Callable

from twisted.application.service import Service
from twisted.internet.defer import Deferred, DeferredList, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from gateway.common import weburl
from gateway.callbacks.http_client import HostConnections
from gateway.callbacks.request import CallbackTimeout, HttpAgent, send
from gateway.callbacks.hosts import HostQueues
from gateway.callbacks.results import RCML_KINDS, Results
from gateway.config.model import CallbacksConfig
from gateway.callbacks import outbox
from gateway.store.timeutil import from_timestamp
from gateway.common.wakeup import Wakeup
from gateway.store.interface import Store

log = Logger()

STALL_AFTER = 2.0  # seconds without a finished request: the host hangs
BLOCKED_DEFER = 5.0  # seconds a blocked host's extra rows move back


class CallbackSender(Service):
    name = "callbacks"

    def __init__(self, store: Store, agent: HttpAgent, clock: IReactorTime,
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
        self.signing_tokens = signing_tokens  # AccountSid -> auth token (X-Twilio-Signature)
        self.results = Results(store, clock, config, self._released, reply_hook=reply_hook,
                               on_new_messages=on_new_messages,
                               on_settled=on_settled)  # on_settled: done | retry | dead once recorded
        self.enabled = True  # False: fetch nothing new (another node holds the role)
        self.hosts = HostQueues(config.concurrency, config.per_host_concurrency, STALL_AFTER)
        self._fetching = False
        self._again = False
        self._settled_meanwhile: set[int] = set()
        self._wakeup = Wakeup(clock, self._round)
        self._requests: set[Deferred] = set()  # HTTP exchanges in flight

    @property
    def stats(self) -> dict[str, int]:
        return self.results.stats

    @property
    def reply_hook(self) -> Callable[..., Any] | None:
        """Applies an RCML answer; a config reload replaces it (its number plan)."""
        return self.results.reply_hook

    @reply_hook.setter
    def reply_hook(self, hook: Callable[..., Any] | None) -> None:
        self.results.reply_hook = hook

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
        self.results.flush()
        writes = self.results.writes
        d = DeferredList(list(writes)) if writes else succeed(None)
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
        while self._requests or not self.results.idle:
            if self._requests:
                await DeferredList(list(self._requests), consumeErrors=True)
            self.results.flush()
            if self.results.writes:
                await DeferredList(list(self.results.writes), consumeErrors=True)

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
        now = from_timestamp(self.clock.seconds())
        d = self.store.read(outbox.due_callbacks, now, room, exclude=sorted(self.hosts.owned))
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
                self.results.dead(row, None, f"invalid URL: {exc}")
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
        self.results.postpone(ids, BLOCKED_DEFER)

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
                code, body = result
                self.results.answered(row, url, code, body)
            else:
                self._failed(result, host, row, url)
        finally:
            self._pump()  # the freed slot goes to the next queued row at once
            self.wake()

    def _failed(self, failure, host, row, url) -> None:
        if not self.running and not failure.check(CallbackTimeout):
            self.hosts.settled(row["id"])  # cancelled by stopService: stays pending
            return
        self.results.failed(row, url, failure)
        self._move_back([i for i, _ in self.hosts.shed(host)])

    def _released(self, ids: list[int]) -> None:
        """The rows' write ended: the outbox may show them again."""
        for row_id in ids:
            self.hosts.settled(row_id)
            if self._fetching:
                self._settled_meanwhile.add(row_id)
        self.wake()
