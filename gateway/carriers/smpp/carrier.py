"""A carrier: N binds to one SMSC, and the queue of submits spread over them.

Rules:

* ``submit(pdu)`` never fails just because no bind is up: the request waits
  in the carrier's queue until a transmitter/transceiver bind has window room
  and its pacing allows (``max_tps``, adaptive slow-down after throttling).
  Binds are used round-robin.
* What each answer does (resend, slow down, fail with 30001/30008/30090):
  ``carrier_answers.py``.
* ``gated=True`` (a cluster: ``gateway.cluster.slots``): starting the
  carrier opens no bind; ``open_slot(i)`` starts bind ``i`` (both halves of
  a transmitter+receiver pair) and ``close_slot(i)`` drains and unbinds it.
  A slot opened again gets fresh bind objects.
* ``stopService`` stops taking work: queued requests fail with ``NotSent``
  (the daemon keeps them and sends them later), each bind drains its window
  (bounded by ``drain_timeout``), unbinds and closes.
"""
from __future__ import annotations

from collections import deque
from typing import Any, Callable

from twisted.application.service import MultiService, Service
from twisted.internet.defer import Deferred, fail
from twisted.logger import Logger

from gateway.carriers.smpp import errors
from gateway.carriers.smpp.bind import SmppBind
from gateway.carriers.smpp.carrier_answers import SubmitAnswers, SubmitJob
from gateway.carriers.smpp.errors import NotSent
from gateway.carriers.smpp.refusals import Refusals
from gateway.carriers.smpp.settings import coerce
from protocols.smpp.constants import CommandStatus
from protocols.smpp.errors import LocalProtocolError, WindowFull

log = Logger()

DeliverHandler = Callable[[str, str, Any], Any]
ESME_RINVBNDSTS = CommandStatus.ESME_RINVBNDSTS
STALL_RETRY = 0.1  # seconds before trying a bind that refused a request again
MIN_WAKE = 0.001


class SmppCarrier(SubmitAnswers, MultiService):
    def __init__(self, name: str, settings: Any, clock: Any,
                 endpoint_factory: Callable[[Any], Any],
                 deliver_handler: DeliverHandler | None = None, *, gated: bool = False) -> None:
        super().__init__()
        self.name = name
        self.gated = gated
        self._endpoint_factory = endpoint_factory
        self._deliver_handler = deliver_handler
        self.settings = settings = coerce(settings)
        self.clock = clock
        self.binds: list[SmppBind] = []
        self._slots: dict[int, list[SmppBind]] = {}
        self._opened: set[int] = set()  # slots opened before: reopened with fresh binds
        for index in range(1, settings.binds + 1):
            self._slots[index] = self._make_binds(index)
            self.binds += self._slots[index]
        self._senders = [b for b in self.binds if b.can_send]
        self._queue: deque[SubmitJob] = deque()
        self._next = 0
        self._dispatching = False
        self._wake: Any = None
        self._backoffs: dict[SubmitJob, Any] = {}
        self._accepting = True
        self.refusals = Refusals(name, settings)

    def _make_binds(self, index: int) -> list[SmppBind]:
        kinds = self.settings.connection_kinds
        made = []
        for kind in kinds:
            suffix = "" if len(kinds) == 1 else ("-tx" if kind == "transmitter" else "-rx")
            bind_name = f"{self.name}-{index}{suffix}"
            bind = SmppBind(bind_name, kind, self.settings, self.clock, self._endpoint_factory(self.settings),
                            carrier=self, slot=index,
                            deliver_handler=_handler(self._deliver_handler, self.name, bind_name))
            bind.setServiceParent(self)
            made.append(bind)
        return made

    # ---- cluster bind slots ------------------------------------------------------------
    def startService(self) -> None:
        if self.gated:
            Service.startService(self)  # the slot keeper opens the binds
        else:
            super().startService()

    def open_slot(self, index: int) -> None:
        binds = self._slots[index]
        if any(b.running for b in binds):
            return
        if index in self._opened:  # a ClientService does not start again: fresh binds
            for b in binds:
                b.disownServiceParent()
            fresh = self._make_binds(index)
            self.binds = [b for b in self.binds if b not in binds] + fresh
            self._senders = [b for b in self.binds if b.can_send]
            self._slots[index] = binds = fresh
        self._opened.add(index)
        for b in binds:
            b.startService()

    def close_slot(self, index: int) -> Deferred:
        from twisted.internet.defer import gatherResults, maybeDeferred

        return gatherResults([maybeDeferred(b.stopService) for b in self._slots[index] if b.running],
                             consumeErrors=True).addCallback(lambda _: None)

    # ---- health ------------------------------------------------------------------------
    @property
    def bound_count(self) -> int:
        return sum(1 for b in self.binds if b.is_bound)

    @property
    def is_up(self) -> bool:
        return any(b.is_bound for b in self._senders)

    @property
    def queued(self) -> int:
        return len(self._queue) + len(self._backoffs)

    @property
    def stats(self) -> dict[str, dict[str, Any]]:
        """Per bind: state, window use, counters, latency histogram."""
        out = {}
        for b in self.binds:
            protocol = b.protocol
            out[b.name] = {
                "kind": b.kind, "bound": b.is_bound, "window": self.settings.window,
                "window_used": protocol.outstanding if protocol is not None else 0,
                "tps_limit": b.rate.limit, "throttling_events": b.rate.throttled_events,
                "last_error": b.last_error, **b.stats.as_dict(),
            }
        return out

    # ---- submitting ---------------------------------------------------------------------
    def submit(self, pdu: Any) -> Deferred:
        """Send ``pdu`` (a SubmitSm); fires with its SubmitSmResp or fails with
        SubmitFailed (or NotSent once the carrier is stopping)."""
        if not self._accepting:
            return fail(NotSent(f"carrier {self.name} is stopping"))
        job = SubmitJob(pdu)
        self._queue.append(job)
        self._dispatch()
        return job.deferred

    def _dispatch(self) -> None:
        queue = self._queue
        if not queue or self._dispatching:
            return
        self._dispatching = True
        touched = set()
        wait = None
        stalled = False
        try:
            now = self.clock.seconds()
            senders = self._senders
            count = len(senders)
            while queue and not stalled:
                for _ in range(count):
                    bind = senders[self._next]
                    self._next = (self._next + 1) % count
                    if bind.room() <= 0:
                        continue
                    delay = bind.rate.delay(now)
                    if delay > 0:
                        wait = delay if wait is None else min(wait, delay)
                        continue
                    job = queue.popleft()
                    job.bind = bind
                    try:
                        bind.protocol.request(job.pdu, self._answered, job)
                    except LocalProtocolError as e:
                        stalled = not self._unsendable(job, e)
                        break
                    bind.stats.submits += 1
                    touched.add(bind.protocol)
                    break
                else:
                    break
        finally:
            self._dispatching = False
            for protocol in touched:
                protocol.flush()
        if stalled:
            wait = STALL_RETRY if wait is None else min(wait, STALL_RETRY)
        if queue and wait is not None:
            self._wake_in(wait)

    def _unsendable(self, job: SubmitJob, error: LocalProtocolError) -> bool:
        """The session refused the request: True when it was the request's fault."""
        if isinstance(error, WindowFull) or error.status == ESME_RINVBNDSTS:
            log.warn("bind {bind} refused a request: {error}", bind=job.bind.name, error=str(error))
            self._queue.appendleft(job)  # the bind's fault: try again later
            return False
        job.deferred.errback(errors.SubmitFailed(
            errors.ERROR_UNKNOWN, None, f"invalid submit_sm: {error.message}"))
        return True

    def _wake_in(self, delay: float) -> None:
        # Never less than a millisecond: a wait below the clock's float
        # resolution would come due at once, forever.
        delay = max(delay, MIN_WAKE)
        call = self._wake
        if call is not None and call.active():
            if call.getTime() <= self.clock.seconds() + delay:
                return
            call.cancel()
        self._wake = self.clock.callLater(delay, self._woken)

    def _woken(self) -> None:
        self._wake = None
        self._dispatch()

    # ---- binds tell us ----------------------------------------------------------------------
    def bind_up(self, bind: SmppBind) -> None:
        self._dispatch()

    def bind_down(self, bind: SmppBind) -> None:
        pass  # its in-flight requests come back through _answered

    def window_opened(self, bind: SmppBind) -> None:
        if self._queue:
            self._dispatch()

    # ---- service ------------------------------------------------------------------------------
    def stopService(self) -> Deferred:
        self._accepting = False
        if self._wake is not None and self._wake.active():
            self._wake.cancel()
        self._wake = None
        stopped = NotSent(f"carrier {self.name} is stopping")
        backoffs, self._backoffs = self._backoffs, {}
        for job, call in backoffs.items():
            call.cancel()
            job.deferred.errback(stopped)
        queue, self._queue = self._queue, deque()
        if queue:
            log.info("carrier {carrier}: {count} queued submits not sent (stopping)",
                     carrier=self.name, count=len(queue))
        for job in queue:
            job.deferred.errback(stopped)
        return super().stopService()


def _handler(handler: DeliverHandler | None, carrier: str, bind: str) -> Callable[[Any], Any] | None:
    if handler is None:
        return None

    def deliver(pdu: Any) -> Any:
        return handler(carrier, bind, pdu)
    return deliver
