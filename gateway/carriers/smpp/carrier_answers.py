"""What a carrier does with each submit_sm's answer (a mixin of SmppCarrier).

* ESME_ROK fires the submit's Deferred with the submit_sm_resp.
* ESME_RTHROTTLED slows that bind down and resends; ESME_RMSGQFUL slows it
  down too and resends after a back-off; each within its per-carrier retry
  budget, then 30001 (``refusals.Refusals``, which also logs each episode's
  start and end).
* No answer in ``response_timeout`` (or the connection lost with the
  request in flight) resends up to ``retries`` times, then fails with 30090.
* Any other status or a generic_nack fails with 30008 carrying the status.
* A resend goes to the front of the queue; once the carrier stops taking
  work it fails with ``NotSent`` instead.

Uses the carrier's ``clock``, ``settings``, ``refusals``, ``_queue``,
``_backoffs``, ``_accepting``, ``_dispatch()`` and ``_wake_in()``.
"""
from __future__ import annotations

from collections import deque
from typing import Any

from twisted.internet.defer import Deferred

from gateway.carriers.smpp import errors
from gateway.carriers.smpp.bind import SmppBind
from gateway.carriers.smpp.errors import NotSent
from gateway.carriers.smpp.refusals import RefusalBudget, Refusals
from protocols.smpp.constants import status_name
from protocols.smpp.events import FailureReason
from protocols.smpp.pdu import GenericNack


class SubmitJob:
    """One submit_sm waiting in the carrier's queue or in flight on a bind."""

    __slots__ = ("pdu", "deferred", "attempts", "refusals", "bind")

    def __init__(self, pdu: Any) -> None:
        self.pdu = pdu
        self.deferred: Deferred = Deferred()
        self.attempts = 0   # sends that got no answer (timeout or connection lost)
        self.refusals: RefusalBudget | None = None  # once the SMSC refused it
        self.bind: SmppBind | None = None  # the bind it was last sent on


class SubmitAnswers:
    name: str
    clock: Any
    settings: Any
    refusals: Refusals
    _queue: deque[SubmitJob]
    _backoffs: dict[SubmitJob, Any]
    _accepting: bool

    def _dispatch(self) -> None:
        raise NotImplementedError

    def _wake_in(self, delay: float) -> None:
        raise NotImplementedError

    def _answered(self, job: SubmitJob, response: Any, reason: FailureReason | None,
                  latency: float) -> None:
        bind = job.bind
        stats = bind.stats
        if response is None:
            if reason is FailureReason.EXPIRED:
                stats.timeouts += 1
            else:
                stats.lost_in_flight += 1
            job.attempts += 1
            if job.attempts > self.settings.retries:
                job.deferred.errback(errors.no_response())
            else:
                self._retry(job)
            return
        status = response.command_status
        if status == errors.ESME_ROK and type(response) is not GenericNack:
            stats.accepted += 1
            stats.latency.observe(latency)
            now = self.clock.seconds()
            bind.rate.accepted(now)
            if self.refusals.active:
                self.refusals.accepted(now)
            job.deferred.callback(response)
        elif status == errors.ESME_RTHROTTLED or status == errors.ESME_RMSGQFUL:
            if status == errors.ESME_RTHROTTLED:
                stats.throttled += 1
            else:
                stats.queue_full += 1
            self._refused(job, bind, status)
        else:
            stats.rejected += 1
            job.deferred.errback(errors.rejected(status, status_name(status)))

    def _retry(self, job: SubmitJob) -> None:
        if self._accepting:
            self._queue.appendleft(job)
        else:
            job.deferred.errback(NotSent(f"carrier {self.name} stopped before an answer"))

    def _refused(self, job: SubmitJob, bind: SmppBind, status: int) -> None:
        """ESME_RTHROTTLED or ESME_RMSGQFUL: slow the bind down; resend or give up."""
        now = self.clock.seconds()
        if status == errors.ESME_RTHROTTLED:
            pause = bind.rate.throttled(now)
        else:
            pause = bind.rate.refused(now)
        if job.refusals is None:
            job.refusals = RefusalBudget()
        failure, delay = self.refusals.refused(job.refusals, status, now)
        if failure is not None:
            job.deferred.errback(failure)
        elif delay > 0:
            self._backoffs[job] = self.clock.callLater(delay, self._backoff_over, job)
        else:
            self._retry(job)
            self._wake_in(pause)

    def _backoff_over(self, job: SubmitJob) -> None:
        del self._backoffs[job]
        self._retry(job)
        self._dispatch()
