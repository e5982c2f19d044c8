"""An SMPP carrier as the dispatcher sends through it.

:class:`SmsSender` is a ``gateway.dispatch.outcomes.Sender``: it wraps a
``gateway.carriers.smpp.interface.Carrier`` (an ``SmppCarrier``), segments
the body, builds the submit_sm PDUs, submits every part and reports what
the SMSC did with them as an outcome value (``Sent``, ``Failed``,
``NotSent``) -- expected results are values, not errbacks.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Mapping

from twisted.internet.defer import Deferred, DeferredList, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.python.failure import Failure

from gateway.config.model import CarrierConfig
from gateway.carriers.smpp.errors import NotSent as CarrierNotSent
from gateway.carriers.smpp.errors import SubmitFailed
from gateway.carriers.smpp.interface import Carrier
from gateway.dispatch.outcomes import Failed, NotSent, Outcome, Sent
from gateway.messages.validity import validity_left
from gateway.sms.outbound.submit_sm import References, build_submits

ERROR_UNKNOWN = 30008
ERROR_EXPIRED = 30001
ERROR_TOO_LONG = 21617


class SmsSender:
    def __init__(self, carrier_config: CarrierConfig, carrier: Carrier, clock: IReactorTime,
                 references: References, plan: Callable[..., Any] | None = None,
                 observe: Callable[[str, float], None] | None = None):
        self.config = carrier_config
        self.name = carrier_config.name
        self.carrier = carrier
        self.clock = clock
        self.references = references
        self._plan = plan
        self._observe = observe

    @property
    def is_up(self) -> bool:
        return bool(self.carrier.is_up)

    def _planner(self):
        if self._plan is None:
            from segmentation import plan

            self._plan = plan
        return self._plan

    def send(self, row: Mapping[str, Any], now: datetime) -> Deferred[Outcome]:
        settings = self.config.smpp
        left = validity_left(row, now)
        if left is not None and left <= 0:
            return succeed(Failed(ERROR_EXPIRED, "validity period ended before the message could be sent",
                                  try_next=False))
        try:
            plan = self._planner()(
                row["body"] or "", reference=self.references(self.name, settings.concat_ref_bits),
                concat_ref_bits=settings.concat_ref_bits, national=settings.national,
                max_length=settings.max_length, mode=settings.segment_mode)
        except ValueError as e:
            return succeed(Failed(ERROR_TOO_LONG, str(e), try_next=False))
        pdus = build_submits(row, plan, registered_delivery=settings.registered_delivery,
                             mode=settings.segment_mode, validity=left,
                             validity_format=settings.validity_format, now=now)
        total = len(pdus)
        started = self.clock.seconds()
        attempts = [self._submit_one(pdu, seqno, total, started) for seqno, pdu in enumerate(pdus, 1)]
        if total == 1:
            d = attempts[0].addCallbacks(lambda result: _outcome([(True, result)]),
                                         lambda failure: _outcome([(False, failure)]))
        else:
            d = DeferredList(attempts, consumeErrors=True).addCallback(_outcome)
        if plan.num_segments != total:
            d.addCallback(_billed, plan.num_segments)
        return d

    def _submit_one(self, pdu, seqno: int, total: int, started: float) -> Deferred:
        def accepted(resp):
            if self._observe is not None:
                self._observe(self.name, self.clock.seconds() - started)
            bind = getattr(resp, "bind_name", None)
            return (seqno, total, bind, resp.message_id)

        try:
            d = self.carrier.submit(pdu)
        except Exception:
            return _failed_now()
        return d.addCallback(accepted)


def _billed(outcome, num_segments: int):
    if isinstance(outcome, Sent):
        return Sent(outcome.parts, outcome.extra, num_segments)
    return outcome


def _failed_now() -> Deferred:
    d: Deferred = Deferred()
    d.errback(Failure())
    return d


def _outcome(results) -> Outcome:
    """Sent when every part went; else why not (the first failure decides)."""
    parts, failure = [], None
    for ok, value in results:
        if ok:
            parts.append(value)
        elif failure is None:
            failure = value
    if failure is None:
        return Sent(tuple(parts))
    error = failure.value if isinstance(failure, Failure) else failure
    if isinstance(error, CarrierNotSent) and not parts:
        return NotSent(str(error) or "carrier not accepting")
    if isinstance(error, SubmitFailed):
        return Failed(error.error_code, error.message, tuple(parts), try_next=not parts)
    return Failed(ERROR_UNKNOWN, f"submit error: {error}", tuple(parts), try_next=not parts)
