"""The SMS/MMS dispatcher: queued -> sending -> sent | failed.

Theory of operation:

* ``wake()`` (the API's ``notify_new_message`` hook, a finished batch, the
  periodic poll) schedules one pump on the next reactor turn; many wakes in
  one turn cost one pump.
* A wake that comes while a claim is under way is kept, not dropped: the
  claim's query may have run before the message that caused the wake was
  committed (a NOTIFY from another node's intake), so one more pump runs
  once the claim is back.
* A pump claims up to ``batch_size`` due messages in ONE store write
  (``claim_queued``: queued -> sending), never more than ``max_in_flight``
  in the air.  When no carrier is up at all it claims nothing: messages
  wait in the queue, never failed, never lost.  A cluster node on
  PostgreSQL claims only the messages whose route has a carrier up on it
  (``gateway.dispatch.reach``); the others wait for a node that has one.
* A cluster node's claim commits alone (``Store.side_write``; on SQLite a
  plain write), never inside the writer's batch.  On PostgreSQL a ``FOR UPDATE SKIP
  LOCKED`` scan keeps the lock of a row that another node's claim
  committed while the scan ran (locked, re-checked, skipped): inside a
  batch that lock was held while the batch's later jobs waited on other
  rows, and the other node's outcome write for that very row waited on it
  in turn: a deadlock, broken after ``deadlock_timeout`` (about 1 s).  A
  claim that commits at once, and never waits (SKIP LOCKED, then inserts
  only), holds such a lock for a moment and is never part of a cycle.
  Outside a cluster (no ``node_id``) no other node claims: it stays a write.
* Each claimed message is routed and handed to a carrier by
  ``gateway.dispatch.handoff``: the first candidate that is up takes it,
  a failed submit moves on to the fallback, no candidate up -> requeued,
  and ``MaxPrice`` is checked there, where the carrier is known.
* Outcomes are buffered and written in one store job per reactor turn
  (``gateway.dispatch.recording``); a failed outcome write is held and
  written again until the store takes it, so the messages leave
  ``sending`` as soon as the store is back, without a restart.  They still
  count as in flight meanwhile, so claiming stops at ``max_in_flight``.
  The recovery at start and claims retry alike.
* ``stopService`` stops claiming, waits (bounded) for submits in flight and
  their outcome write, then returns: the carriers below stop after it.
  Anything still in ``sending`` is resolved at the next start by the
  mid-send policy (``requeue_stuck``): in a cluster (``node_id``) this
  node's own only; a dead node's are taken over by ``gateway.cluster``.
"""
from __future__ import annotations

from typing import Mapping

from twisted.application.service import Service
from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from gateway.config.model import PipelineConfig
from gateway.dispatch.store import AfterSent
from gateway.messages.pricing import PriceBook
from gateway.dispatch.handoff import Handoff
from gateway.dispatch.outcomes import Sender
from gateway.dispatch.recording import OutcomeRecorder
from gateway.dispatch.reach import reach
from gateway.messages.routing import Router
from gateway.dispatch import claims as q
from gateway.store.faults import backoff, is_fault
from gateway.store.timeutil import from_timestamp
from gateway.common.wakeup import Wakeup
from gateway.store.interface import Store

log = Logger()


class Dispatcher(Service):
    name = "pipeline"

    def __init__(self, store: Store, senders: Mapping[str, Sender], router: Router, clock: IReactorTime,
                 config: PipelineConfig = PipelineConfig(), *, after_sent: AfterSent | None = None,
                 retry_delay: float = 5.0, expire_every: float = 30.0, stop_timeout: float = 15.0,
                 node_id: str | None = None,
                 prices: PriceBook | None = None):
        self.store = store
        self.senders = dict(senders)
        self.router = router
        self.clock = clock
        self.config = config
        self.expire_every = expire_every
        self.stop_timeout = stop_timeout
        self.node_id = node_id  # claims record it; at start only its own are resolved
        self.in_flight = 0
        self.stats = {"claimed": 0, "sent": 0, "failed": 0, "requeued": 0, "pumps": 0}
        self._wakeup = Wakeup(clock, self._pump, self._tick)
        self._claim: Deferred | None = None  # the claim under way
        self._woken_while_claiming = False
        self.recorder = OutcomeRecorder(store, clock, self._now, self._recorded, self._check_idle,
                                        after_sent=after_sent)
        self.handoff = Handoff(self.senders, self.recorder, self._now, retry_delay, prices)
        self._last_expire = 0.0
        self._idle: list[Deferred] = []
        self._ready: Deferred | None = None
        self._recovery = None  # the retry of the mid-send recovery at start
        self._recovery_attempts = 0

    # -- lifecycle ----------------------------------------------------------
    def startService(self):
        super().startService()
        self._ready = self._recover()
        return self._ready

    def _recover(self) -> Deferred:
        self._recovery = None
        d = self.store.write(q.requeue_stuck, self._now(), policy=self.config.mid_send_policy,
                           node_id=self.node_id)
        d.addCallbacks(self._resolved_stuck, self._recovery_failed)
        return d

    def _recovery_failed(self, failure) -> None:
        # Without the recovery the dispatcher does not start claiming: try
        # again until the store takes it (the store logs its own episode).
        if not is_fault(failure.value):
            log.failure("pipeline: mid-send recovery failed", failure)
        if self.running:
            self._recovery_attempts += 1
            self._recovery = self.clock.callLater(backoff(self._recovery_attempts), self._recover)

    def _resolved_stuck(self, sids):
        if sids:
            log.info("pipeline: {count} messages caught mid-send resolved ({policy})",
                     count=len(sids), policy=self.config.mid_send_policy)
        if not self.running:  # stopped before the recovery write came back
            return
        self._wakeup.start(self.config.poll_interval)

    def stopService(self):
        super().stopService()
        self._wakeup.stop()
        if self._recovery is not None and self._recovery.active():
            self._recovery.cancel()
        done = self._when_idle()
        timeout = self.clock.callLater(self.stop_timeout, done.cancel)

        def finished(result):
            if timeout.active():
                timeout.cancel()
            self.recorder.stop()
            if self.in_flight:
                log.warn("pipeline: stopped with {count} messages in flight (resolved at next start)",
                         count=self.in_flight)
            return None

        return done.addBoth(finished)

    def set_router(self, router: Router) -> None:
        """SIGHUP: new routes take effect for the next claimed message."""
        self.router = router

    def set_prices(self, prices: PriceBook) -> None:
        """SIGHUP: new price tables apply to the next claimed message."""
        self.prices = prices

    @property
    def prices(self) -> PriceBook | None:
        """The carrier price tables (``gateway.messages.pricing``): price, ``MaxPrice``."""
        return self.handoff.prices

    @prices.setter
    def prices(self, prices: PriceBook | None) -> None:
        self.handoff.prices = prices

    @property
    def retry_delay(self) -> float:
        """Seconds before a message requeued for want of a bind is due again."""
        return self.handoff.retry_delay

    @retry_delay.setter
    def retry_delay(self, seconds: float) -> None:
        self.handoff.retry_delay = seconds

    # -- waking and claiming ------------------------------------------------
    def wake(self, *_ignored) -> None:
        if self.running:
            self._wakeup.wake()

    def _tick(self) -> None:
        now = self.clock.seconds()
        if now - self._last_expire >= self.expire_every:
            self._last_expire = now
            self.store.write(q.expire_unsent, self._now()).addCallbacks(
                self._expired, lambda f: log.failure("pipeline: expiry scan failed", f))
        self.wake()

    def _expired(self, sids) -> None:
        if sids:
            log.info("pipeline: {count} queued messages expired (30001)", count=len(sids))
            self.stats["failed"] += len(sids)

    def _pump(self) -> None:
        if self._claim is not None:
            self._woken_while_claiming = True
            return
        if not self.running:
            return
        room = self.config.max_in_flight - self.in_flight
        up = frozenset(name for name, sender in self.senders.items() if sender.is_up)
        if room <= 0 or not up:
            return
        # A cluster node claims what it can send; outside a cluster, everything.
        routes = reach(self.router, up) if self.node_id is not None else None
        limit = min(self.config.batch_size, room)
        self.stats["pumps"] += 1
        # A cluster node's claim is a transaction of its own, not a job of the writer's batch.
        write = self.store.write if self.node_id is None else self.store.side_write
        d = self._claim = write(q.claim_queued, self._now(), limit, self.node_id, routes)
        d.addCallback(self._claimed, limit)
        d.addErrback(self._claim_failed)

    def after_claim(self) -> Deferred:
        """Fires once the claim under way, if any, is back and its messages
        handed out (or it failed)."""
        done: Deferred = Deferred()
        if self._claim is None:
            done.callback(None)
        else:
            self._claim.addBoth(lambda result: (done.callback(None), result)[1])
        return done

    def _claim_failed(self, failure) -> None:
        self._claim = None
        if not is_fault(failure.value):  # else the store logs its episode; the next tick retries
            log.failure("pipeline: claim failed", failure)

    def _claimed(self, rows, limit: int) -> None:
        self._claim = None
        again, self._woken_while_claiming = self._woken_while_claiming, False
        self.stats["claimed"] += len(rows)
        if not rows:
            self._check_idle()
        for row in rows:
            self.in_flight += 1
            self.handoff.dispatch(row, self.router.candidates(row["channel"], row["to"]))
        if again or len(rows) == limit:
            self.wake()

    # -- recording outcomes -------------------------------------------------
    def _recorded(self, batch: list[dict], counts: dict) -> None:
        self.in_flight -= len(batch)
        self.stats["sent"] += counts["sent"]
        self.stats["failed"] += counts["failed"]
        self.stats["requeued"] += counts["requeue"]
        self._after_write()

    def _after_write(self) -> None:
        if not self.recorder.buffered:
            self._check_idle()
        self.wake()

    def _when_idle(self) -> Deferred:
        if (self.in_flight == 0 and not self.recorder.writing and not self.recorder.buffered
                and self._claim is None):
            return succeed(None)
        d: Deferred = Deferred(lambda _: self._idle.remove(d) if d in self._idle else None)
        self._idle.append(d)
        return d

    def _check_idle(self) -> None:
        if self.in_flight == 0 and not self.recorder.writing and self._claim is None:
            waiting, self._idle = self._idle, []
            for d in waiting:
                d.callback(None)

    def _now(self):
        return from_timestamp(self.clock.seconds())
