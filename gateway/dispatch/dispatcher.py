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
* Each claimed message is routed (longest prefix, by channel) and handed to
  the first candidate carrier that is up; a failed submit moves on to the
  fallback when nothing was accepted yet.  No candidate up -> requeued.
* ``MaxPrice`` is checked here, where the carrier is known: a candidate
  whose price (``gateway.messages.pricing``, with the ``num_segments`` counted at
  intake) is above it is passed over; when no candidate that is up can
  take it, the message fails with 30010 (never requeued: it cannot get
  cheaper).  A sent message is priced in the same outcome write that
  records ``sent``, with the segments the carrier took.
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

from datetime import timedelta
from typing import Callable, Mapping

from twisted.application.service import Service
from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from gateway.config.model import PipelineConfig
from gateway.dispatch.store import AfterSent
from gateway.messages.pricing import ERROR_MAX_PRICE, MAX_PRICE_MESSAGE, PriceBook, exceeds
from gateway.dispatch.outcomes import Failed, NotSent, Sender, Sent
from gateway.dispatch.recording import OutcomeRecorder, sent_outcome
from gateway.dispatch.reach import reach
from gateway.messages.routing import Router
from gateway.dispatch import claims as q
from gateway.store.faults import backoff, is_fault
from gateway.store.timeutil import from_timestamp
from gateway.common.wakeup import Wakeup
from gateway.store.interface import Store

log = Logger()

ERROR_NO_ROUTE = 21612
NO_ROUTE_MESSAGE = "no carrier route for this destination"
TOO_DEAR = Failed(ERROR_MAX_PRICE, MAX_PRICE_MESSAGE, try_next=True)


class Dispatcher(Service):
    name = "pipeline"

    def __init__(self, store: Store, senders: Mapping[str, Sender], router: Router, clock: IReactorTime,
                 config: PipelineConfig = PipelineConfig(), *, after_sent: AfterSent | None = None,
                 retry_delay: float = 5.0, expire_every: float = 30.0, stop_timeout: float = 15.0,
                 on_outcome: Callable[[str], None] | None = None, node_id: str | None = None,
                 prices: PriceBook | None = None):
        self.store = store
        self.senders = dict(senders)
        self.router = router
        self.clock = clock
        self.config = config
        self.retry_delay = retry_delay
        self.expire_every = expire_every
        self.stop_timeout = stop_timeout
        self.on_outcome = on_outcome
        self.node_id = node_id  # claims record it; at start only its own are resolved
        self.prices = prices  # carrier price tables (gateway.messages.pricing): price, MaxPrice
        self.in_flight = 0
        self.stats = {"claimed": 0, "sent": 0, "failed": 0, "requeued": 0, "pumps": 0}
        self._wakeup = Wakeup(clock, self._pump, self._tick)
        self._claiming = False
        self._woken_while_claiming = False
        self.recorder = OutcomeRecorder(store, clock, self._now, self._recorded, self._check_idle,
                                        after_sent=after_sent)
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
        if self._claiming:
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
        self._claiming = True
        self.stats["pumps"] += 1
        # A cluster node's claim is a transaction of its own, not a job of the writer's batch.
        write = self.store.write if self.node_id is None else self.store.side_write
        d = write(q.claim_queued, self._now(), limit, self.node_id, routes)
        d.addCallback(self._claimed, limit)
        d.addErrback(self._claim_failed)

    def _claim_failed(self, failure) -> None:
        self._claiming = False
        if not is_fault(failure.value):  # else the store logs its episode; the next tick retries
            log.failure("pipeline: claim failed", failure)

    def _claimed(self, rows, limit: int) -> None:
        self._claiming = False
        again, self._woken_while_claiming = self._woken_while_claiming, False
        self.stats["claimed"] += len(rows)
        if not rows:
            self._check_idle()
        for row in rows:
            self.in_flight += 1
            self._dispatch(row, self.router.candidates(row["channel"], row["to"]), 0)
        if again or len(rows) == limit:
            self.wake()

    # -- one message --------------------------------------------------------
    def _dispatch(self, row, candidates: tuple[str, ...], start: int,
                  failed: Failed | None = None, failed_on: str | None = None) -> None:
        if not candidates:
            self.recorder.add({"kind": "failed", "sid": row["sid"], "error_code": ERROR_NO_ROUTE,
                               "error_message": NO_ROUTE_MESSAGE, "carrier": None, "row": row})
            return
        for index in range(start, len(candidates)):
            name = candidates[index]
            sender = self.senders.get(name)
            if sender is None or not sender.is_up:
                continue
            if row.get("max_price") is not None and exceeds(self._price(row, name), row["max_price"]):
                failed, failed_on = TOO_DEAR, name  # a cheaper fallback may take it
                continue
            d = sender.send(row, self._now())
            d.addCallback(self._sent, row, candidates, index)
            d.addErrback(self._send_crashed, row, sender.name)
            return
        if failed is not None:
            self._failed(row, failed_on or candidates[start - 1], failed)
        else:
            self._requeue(row, "no bind up on " + ", ".join(candidates))

    def _price(self, row, carrier: str, num_segments: int | None = None):
        if self.prices is None:
            return None
        return self.prices.price(carrier, row["to"], num_segments or row.get("num_segments") or 1)

    def _sent(self, result, row, candidates, index) -> None:
        name = candidates[index]
        if isinstance(result, Sent):
            price = self._price(row, name, result.num_segments or len(result.parts))
            self.recorder.add(sent_outcome(row, name, result, price))  # priced when sent
        elif isinstance(result, NotSent):
            self._requeue(row, f"{name}: {result.reason}")
        elif isinstance(result, Failed):
            if result.try_next and index + 1 < len(candidates) and not result.parts:
                log.info("pipeline: {sid} failed on {carrier} ({code}), trying {next}",
                         sid=row["sid"], carrier=name, code=result.error_code, next=candidates[index + 1])
                self._dispatch(row, candidates, index + 1, result, name)
                return
            self._failed(row, name, result)

    def _failed(self, row, name: str, result: Failed) -> None:
        self.recorder.add({"kind": "failed", "sid": row["sid"], "account_sid": row["account_sid"],
                           "carrier": name, "error_code": result.error_code,
                           "error_message": result.error_message, "parts": result.parts, "row": row})

    def _send_crashed(self, failure, row, name) -> None:
        log.failure("pipeline: sending {sid} on {carrier} crashed", failure, sid=row["sid"], carrier=name)
        self.recorder.add({"kind": "failed", "sid": row["sid"], "carrier": name, "error_code": 30008,
                           "error_message": "internal error while sending", "row": row})

    def _requeue(self, row, detail: str) -> None:
        due = self._now() + timedelta(seconds=self.retry_delay)
        self.recorder.add({"kind": "requeue", "sid": row["sid"], "next_attempt_at": due, "detail": detail})

    # -- recording outcomes -------------------------------------------------
    def _recorded(self, batch: list[dict], counts: dict) -> None:
        self.in_flight -= len(batch)
        self.stats["sent"] += counts["sent"]
        self.stats["failed"] += counts["failed"]
        self.stats["requeued"] += counts["requeue"]
        if self.on_outcome is not None:
            for outcome in batch:
                self.on_outcome(outcome["kind"])
        self._after_write()

    def _after_write(self) -> None:
        if not self.recorder.buffered:
            self._check_idle()
        self.wake()

    def _when_idle(self) -> Deferred:
        if (self.in_flight == 0 and not self.recorder.writing and not self.recorder.buffered
                and not self._claiming):
            return succeed(None)
        d: Deferred = Deferred(lambda _: self._idle.remove(d) if d in self._idle else None)
        self._idle.append(d)
        return d

    def _check_idle(self) -> None:
        if self.in_flight == 0 and not self.recorder.writing and not self._claiming:
            waiting, self._idle = self._idle, []
            for d in waiting:
                d.callback(None)

    def _now(self):
        return from_timestamp(self.clock.seconds())
