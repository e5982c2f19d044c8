"""One ESME connection: the Twisted shell around the sans-IO SMPP session.

Theory of operation:

* Bytes go into ``protocols.smpp.session.Session``; its events come out and
  are handled here; whatever the session queued is written once per
  ``dataReceived`` (one ``transport.write`` per chunk, however many PDUs).
* ``request(pdu, callback, context)`` queues a request; ``flush()`` writes.
  The callback is ``callback(context, response, reason, latency)``: the
  response PDU (any command_status, or a generic_nack) and ``reason`` None,
  or ``response`` None and the session's ``FailureReason`` (no answer in
  ``response_timeout``, or the connection was lost).  No Deferred per
  request: the carrier and the load tester push 100k requests a second.
* Every request has a deadline.  All requests share one timeout, so the
  table (a dict, in sending order) is also in deadline order, and one timer
  at the oldest deadline expires them: no timer per request.
* ``lane=True`` (the load tester) reads runs of submit_sm_resp, and receipts
  when ``receipt_id`` is given, straight from the bytes (``esme_lane.py``);
  ``request_many`` queues many copies of one request with one shared entry.
* After each chunk the ``listener`` hears ``window_opened(self)`` so it can
  refill the window; the refill goes out in the same write.
* A deliver_sm/data_sm goes to ``deliver_handler(pdu)``: its response is
  sent when the returned Deferred fires (ESME_ROK) or fails (ESME_RX_T_APPN,
  a temporary error: the SMSC delivers it again); at once when it returns
  anything else.  The SMSC's enquire_link is answered by the session.
* ``bind()`` and the enquire_link probe: ``esme_link.py``.
* A fatal framing error has been answered with generic_nack by the session;
  we write it and close.  Nothing here raises into the reactor.
"""
from __future__ import annotations

from typing import Any, Callable

from twisted.internet.defer import Deferred
from twisted.internet.protocol import Protocol
from twisted.logger import Logger

from gateway.carriers.smpp.endpoints import set_no_delay
from gateway.carriers.smpp.esme_lane import EsmeLane
from gateway.carriers.smpp.esme_inbound import InboundRequests
from gateway.carriers.smpp.esme_link import BindAndLink
from gateway.carriers.smpp.esme_stop import GracefulStop
from protocols.smpp.constants import status_name
from protocols.smpp.errors import LocalProtocolError
from protocols.smpp.events import (FailureReason, GenericNackReceived, ProtocolError,
                                   RequestFailed, RequestReceived, ResponseReceived,
                                   UnexpectedResponse)
from protocols.smpp.pdu import Pdu
from protocols.smpp.session import Session
from protocols.smpp.state import CAN_SUBMIT, Role

log = Logger()

Callback = Callable[[Any, "Pdu | None", "FailureReason | None", float], None]


class EsmeListener:
    """What an EsmeProtocol tells its owner (all optional no-ops here)."""

    def window_opened(self, protocol: "EsmeProtocol") -> None:
        pass

    def connection_lost(self, protocol: "EsmeProtocol") -> None:
        pass


class EsmeProtocol(BindAndLink, InboundRequests, GracefulStop, Protocol):
    def __init__(self, clock: Any, settings: Any, kind: str = "transceiver", *,
                 name: str = "bind", listener: EsmeListener | None = None,
                 deliver_handler: Callable[[Pdu], Any] | None = None, lane: bool = False,
                 receipt_id: Callable[[str], Any] | None = None) -> None:
        self.clock = clock
        self.settings = settings
        self.kind = kind
        self.name = name
        self.listener = listener or EsmeListener()
        self.deliver_handler = deliver_handler
        self.session = Session(Role.ESME, window=settings.window,
                               max_command_length=settings.max_command_length)
        self.draining = False
        self.closed = False
        self._close_after_flush = False
        self.late_responses = 0
        self.delivers = 0
        self._waiting: dict[int, tuple[float, Callback, Any, float]] = {}
        self._timeout = float(settings.response_timeout)
        self._sweep_call: Any = None
        self._link_call: Any = None
        self._link_seq: int | None = None
        self._rx = 0
        self._rx_at_tick = 0
        self._closed_waiters: list[Deferred] = []
        self._drain_call: Any = None
        self._drained: Deferred | None = None
        self._lane: EsmeLane | None = None
        if lane:
            self._lane = EsmeLane(self.session, settings.max_command_length, receipt_id)
            self.session.set_lane(self._lane)

    # ---- state ------------------------------------------------------------------
    @property
    def can_submit(self) -> bool:
        return not self.draining and self.session.state in CAN_SUBMIT

    @property
    def window_available(self) -> int:
        return self.session.window_available

    @property
    def outstanding(self) -> int:
        return self.session.outstanding

    # ---- Twisted ----------------------------------------------------------------
    def connectionMade(self) -> None:
        set_no_delay(self.transport)

    def dataReceived(self, data: bytes) -> None:
        self._rx += 1
        session = self.session
        try:
            events = session.receive_data(data)
        except LocalProtocolError:  # closed session: bytes after a fatal error
            return
        now = self.clock.seconds()
        waiting = self._waiting
        lane = self._lane
        if lane is not None and lane.taken:
            self.delivers += lane.delivers
            lane.delivers = 0
            lane.run(waiting, now)
        for event in events:
            kind = type(event)
            if kind is ResponseReceived:
                entry = waiting.pop(event.response.sequence_number, None)
                if entry is not None:
                    entry[1](entry[2], event.response, None, now - entry[3])
            elif kind is RequestReceived:
                self._on_request(event.pdu)
            else:
                self._on_other(event, now)
        if not self._close_after_flush and not self.closed:
            self.listener.window_opened(self)
            if self.draining:
                self._check_drained()
        self.flush()
        if self._close_after_flush:
            self.transport.loseConnection()

    def _on_other(self, event: Any, now: float) -> None:
        kind = type(event)
        if kind is GenericNackReceived:
            if event.request is None:
                log.warn("{bind}: generic_nack {status} for no request", bind=self.name,
                         status=status_name(event.nack.command_status))
                return
            entry = self._waiting.pop(event.nack.sequence_number, None)
            if entry is not None:
                entry[1](entry[2], event.nack, None, now - entry[3])
        elif kind is RequestFailed:
            entry = self._waiting.pop(event.sequence_number, None)
            if entry is not None:
                entry[1](entry[2], None, event.reason, now - entry[3])
        elif kind is UnexpectedResponse:
            self.late_responses += 1
        elif kind is ProtocolError:
            log.warn("{bind}: SMSC broke the protocol: {message} ({status})", bind=self.name,
                     message=event.message, status=status_name(event.status))
            if event.fatal:
                self._close_after_flush = True

    def connectionLost(self, reason: Any = None) -> None:
        if self.closed:
            return
        self.closed = True
        self._cancel_timers()
        now = self.clock.seconds()
        waiting = self._waiting
        for failed in self.session.connection_lost():
            entry = waiting.pop(failed.sequence_number, None)
            if entry is not None:
                entry[1](entry[2], None, FailureReason.CONNECTION_LOST, now - entry[3])
        for entry in list(waiting.values()):  # requests without a pending slot
            entry[1](entry[2], None, FailureReason.CONNECTION_LOST, now - entry[3])
        waiting.clear()
        self.listener.connection_lost(self)
        if self._drained is not None and not self._drained.called:
            self._drained.callback(None)
        waiters, self._closed_waiters = self._closed_waiters, []
        for d in waiters:
            d.callback(None)

    def _cancel_timers(self) -> None:
        for name in ("_sweep_call", "_link_call", "_drain_call"):
            call = getattr(self, name)
            if call is not None and call.active():
                call.cancel()
            setattr(self, name, None)

    # ---- requests ---------------------------------------------------------------
    def request(self, pdu: Pdu, callback: Callback, context: Any = None) -> int:
        """Queue ``pdu``; ``callback`` hears its outcome.  Call ``flush()`` to write.

        Raises the session's LocalProtocolError (WindowFull, wrong state).
        """
        seq = self.session.send_request(pdu)
        now = self.clock.seconds()
        self._waiting[seq] = (now + self._timeout, callback, context, now)
        if self._sweep_call is None:
            self._sweep_call = self.clock.callLater(self._timeout, self._sweep)
        return seq

    def request_many(self, pdu: Pdu, count: int, callback: Callback, context: Any = None) -> None:
        """``request(pdu, callback, context)`` ``count`` times (one session call)."""
        seqs = self.session.send_copies(pdu, count)
        now = self.clock.seconds()
        entry = (now + self._timeout, callback, context, now)
        waiting = self._waiting
        for seq in seqs:
            waiting[seq] = entry
        if self._sweep_call is None:
            self._sweep_call = self.clock.callLater(self._timeout, self._sweep)

    def flush(self) -> None:
        out = self.session.data_to_send()
        if out and not self.closed:
            self.transport.write(out)

    def _sweep(self) -> None:
        self._sweep_call = None
        now = self.clock.seconds()
        expired = []
        next_deadline = None
        for seq, entry in self._waiting.items():
            if entry[0] > now:
                next_deadline = entry[0]
                break
            expired.append(seq)
        for seq in expired:
            entry = self._waiting.pop(seq)
            self.session.expire(seq)
            entry[1](entry[2], None, FailureReason.EXPIRED, now - entry[3])
        if self.closed:
            return
        if next_deadline is None and self._waiting:
            next_deadline = min(entry[0] for entry in self._waiting.values())
        if next_deadline is not None and self._sweep_call is None:
            self._sweep_call = self.clock.callLater(max(0.0, next_deadline - now), self._sweep)
        if expired:
            self.listener.window_opened(self)
            if self.draining:
                self._check_drained()
            self.flush()

    # ---- closing ------------------------------------------------------------------------
    def abort(self) -> None:
        """Close now, without unbinding."""
        if not self.closed:
            self.transport.abortConnection()

