"""Binding and keeping the link alive (a mixin of EsmeProtocol).

* ``bind()`` sends the bind PDU for the protocol's ``kind``; it fires with
  the bind_resp (ESME_ROK) or fails with ``BindFailed``: the status of a
  refusal (a generic_nack saying 0 counts as ESME_RUNKNOWNERR), or the
  session's reason when no answer came.
* Once bound, every ``enquire_link_interval`` seconds (0: never) an
  enquire_link goes out when nothing arrived since the last tick, one at a
  time.  An unanswered one means the link is dead: the connection is
  aborted (and the ClientService reconnects).

Uses the protocol's ``settings``, ``kind``, ``clock``, ``session``,
``transport``, ``request()``, ``flush()`` and its ``_rx`` chunk counter.
"""
from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred, fail
from twisted.logger import Logger

from gateway.carriers.smpp.errors import ESME_ROK, BindFailed
from protocols.smpp.constants import status_name
from protocols.smpp.errors import LocalProtocolError
from protocols.smpp.events import FailureReason
from protocols.smpp.pdu import (BindReceiver, BindTransceiver, BindTransmitter, EnquireLink,
                                GenericNack, Pdu)

log = Logger()

BIND_PDUS = {"transmitter": BindTransmitter, "receiver": BindReceiver,
             "transceiver": BindTransceiver}
ESME_RUNKNOWNERR = 0xFF


class BindAndLink:
    clock: Any
    settings: Any
    session: Any
    transport: Any
    kind: str
    name: str
    closed: bool
    _timeout: float
    _rx: int
    _rx_at_tick: int
    _link_call: Any
    _link_seq: int | None

    def flush(self) -> None:
        raise NotImplementedError

    def request(self, pdu: Any, callback: Any, context: Any = None) -> int:
        raise NotImplementedError

    def bind(self) -> Deferred:
        """Send the bind; fires with the bind_resp or fails with BindFailed."""
        s = self.settings
        pdu = BIND_PDUS[self.kind](
            system_id=s.system_id, password=s.password, system_type=s.system_type,
            interface_version=s.interface_version, addr_ton=s.addr_ton,
            addr_npi=s.addr_npi, address_range=s.address_range)
        d: Deferred = Deferred()
        try:
            self.request(pdu, self._bind_answered, d)
        except LocalProtocolError as e:
            return fail(BindFailed(None, f"cannot bind: {e}"))
        self.flush()
        return d

    def _bind_answered(self, d: Deferred, response: Pdu | None,
                       reason: FailureReason | None, latency: float) -> None:
        if (response is not None and response.command_status == ESME_ROK
                and type(response) is not GenericNack):
            self._rx_at_tick = self._rx
            self._schedule_link_check()
            d.callback(response)
            return
        if response is None:
            d.errback(BindFailed(None, f"bind {self.kind}: {reason.value}"))
        else:
            status = response.command_status or ESME_RUNKNOWNERR  # a generic_nack saying 0
            d.errback(BindFailed(status, f"bind {self.kind} refused: {status_name(status)}"))

    def _schedule_link_check(self) -> None:
        interval = float(self.settings.enquire_link_interval)
        if interval > 0 and not self.closed:
            self._link_call = self.clock.callLater(interval, self._link_tick)

    def _link_tick(self) -> None:
        self._link_call = None
        if self.closed:
            return
        if self._rx != self._rx_at_tick or self._link_seq is not None:
            self._rx_at_tick = self._rx  # traffic proves the link; one probe at a time
        elif self.session.is_bound:
            try:
                self._link_seq = self.request(EnquireLink(), self._link_answered)
            except LocalProtocolError:
                pass
            self.flush()
        self._schedule_link_check()

    def _link_answered(self, _: Any, response: Pdu | None, reason: FailureReason | None,
                       latency: float) -> None:
        self._link_seq = None
        if response is None and reason is FailureReason.EXPIRED:
            log.warn("{bind}: no enquire_link_resp in {timeout}s: link dead, reconnecting",
                     bind=self.name, timeout=self._timeout)
            self.transport.abortConnection()
