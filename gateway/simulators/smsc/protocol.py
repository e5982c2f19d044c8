"""One ESME connection to the simulated SMSC, on the server-role session.

The hot path (a bound ESME pushing submit_sm as fast as it can) is the
session's lane (``lane.py``): runs of submit_sm and deliver_sm_resp read
straight from the chunk, no decode, no event, no PDU object; receipts
queued; everything written once per chunk.  A submit_sm the lane leaves is
still answered from its frame when it can be (``Session.answer_raw``).  No Deferred, no timer, no log line per PDU.  Everything
slow or odd (error injection, delays, MO) is decided by the simulator object
(``smsc.py``), which holds the config, the clock and the counters.

deliver_sm (receipts and MO) wait in ``outbox`` when the window is full and
go out as deliver_sm_resp come back; one answered with an error is given
back to the simulator for redelivery.
"""
from __future__ import annotations

from collections import deque
from functools import partial
from typing import Any

from twisted.internet.protocol import Protocol
from twisted.logger import Logger

from gateway.carriers.smpp.endpoints import set_no_delay
from gateway.simulators.smsc.lane import SubmitLane
from protocols.smpp.constants import CommandId
from protocols.smpp.constants import CommandStatus as St
from protocols.smpp.errors import LocalProtocolError
from protocols.smpp.events import (BindStateChanged, GenericNackReceived, ProtocolError,
                                   RequestFailed, RequestReceived, ResponseReceived)
from protocols.smpp.pdu import (BindReceiver, BindTransceiver, BindTransmitter, EnquireLink,
                                QuerySm, SubmitSm, Unbind)
from protocols.smpp.session import Session
from protocols.smpp.state import CAN_DELIVER, Role

log = Logger()

_BINDS = {BindTransmitter: "transmitter", BindReceiver: "receiver",
          BindTransceiver: "transceiver"}


class SmscProtocol(Protocol):
    def __init__(self, sim: Any) -> None:
        self.sim = sim
        config = sim.config
        self.session = Session(Role.SMSC, window=max(1, config.window),
                               max_command_length=config.max_command_length,
                               auto_enquire_link_resp=not (config.silent or
                                                           config.ignore_enquire_link))
        self.system_id: str | None = None
        self.kind: str | None = None
        self.outbox: deque = deque()
        self._in_flight: dict[int, tuple[Any, Any]] = {}  # seq -> (deliver_sm, tracker)
        self.closed = False
        self._close_after_flush = False

    @property
    def can_deliver(self) -> bool:
        return not self.closed and self.session.state in CAN_DELIVER

    def connectionMade(self) -> None:
        set_no_delay(self.transport)
        self.session.answer_raw(CommandId.SUBMIT_SM, partial(self.sim.answer_submit, self))
        if self.sim.fast_lane:
            self.session.set_lane(SubmitLane(self.sim, self, self.sim.config.max_command_length))
        self.sim.connection_made(self)

    def connectionLost(self, reason: Any = None) -> None:
        if self.closed:
            return
        self.closed = True
        failed = self.session.connection_lost()
        undelivered = [self._in_flight.pop(f.sequence_number) for f in failed
                       if f.sequence_number in self._in_flight]
        undelivered.extend(self.outbox)
        self.outbox.clear()
        self.sim.connection_lost(self, undelivered)

    # ---- input ------------------------------------------------------------------------
    def dataReceived(self, data: bytes) -> None:
        try:
            events = self.session.receive_data(data)
        except LocalProtocolError:
            return
        sim = self.sim
        for event in events:
            kind = type(event)
            if kind is RequestReceived:
                pdu = event.pdu
                if type(pdu) is SubmitSm:
                    sim.on_submit(self, pdu)
                else:
                    self._on_request(pdu)
            elif kind is ResponseReceived:
                entry = self._in_flight.pop(event.response.sequence_number, None)
                if entry is not None:
                    sim.deliver_answered(self, entry, event.response.command_status)
                elif type(event.request) is Unbind:
                    self._close_after_flush = True
            elif kind is GenericNackReceived:
                if event.request is not None:
                    entry = self._in_flight.pop(event.nack.sequence_number, None)
                    if entry is not None:
                        sim.deliver_answered(self, entry, event.nack.command_status or 0xFF)
            elif kind is RequestFailed:
                entry = self._in_flight.pop(event.sequence_number, None)
                if entry is not None:
                    sim.deliver_answered(self, entry, None)
            elif kind is ProtocolError:
                sim.protocol_errors += 1
                if event.fatal:
                    self._close_after_flush = True
            elif kind is BindStateChanged:
                pass
        self.flush()
        if sim._batch or sim._dirty:
            sim.end_of_chunk()

    def _on_request(self, pdu: Any) -> None:
        sim = self.sim
        kind = type(pdu)
        if kind in _BINDS:
            status = sim.check_bind(pdu)
            self.respond(pdu.response(command_status=status, system_id=sim.config.system_id))
            if status == 0:
                self.system_id = pdu.system_id
                self.kind = _BINDS[kind]
                sim.bound(self)
        elif sim.config.silent:
            return
        elif kind is Unbind:
            self.respond(pdu.response())
            self._close_after_flush = True
        elif kind is EnquireLink:  # only when not answered by the session
            if not sim.config.ignore_enquire_link:
                self.respond(pdu.response())
        elif kind is QuerySm:
            sim.on_query(self, pdu)
        elif pdu.response_type is not None:
            # cancel_sm, replace_sm, data_sm: not simulated
            self.respond(pdu.response(command_status=St.ESME_RINVCMDID))

    # ---- output -----------------------------------------------------------------------
    def respond(self, response: Any) -> None:
        try:
            self.session.send_response(response)
        except LocalProtocolError as e:
            log.debug("simulator: response not sent: {error}", error=str(e))

    def send_deliver(self, entry: tuple[Any, Any]) -> None:
        """Queue a (deliver_sm, tracker) pair; it goes out when the window has
        room.  On a session that may not take it (unbinding or unbound) it
        waits in ``outbox``, which goes back to the simulator when the
        connection ends."""
        if self.outbox or self.session.window_available <= 0 or not self.can_deliver:
            self.outbox.append(entry)
        else:
            self._in_flight[self.session.send_request(entry[0])] = entry

    def send_delivers(self, entries: list[tuple[Any, Any]]) -> None:
        """``send_deliver`` for each, in order (one session call when the window has room)."""
        session = self.session
        if self.outbox or session.window_available < len(entries) or not self.can_deliver:
            for entry in entries:
                self.send_deliver(entry)
            return
        in_flight = self._in_flight
        for seq, entry in zip(session.send_requests([entry[0] for entry in entries]), entries):
            in_flight[seq] = entry

    def pump(self) -> None:
        outbox = self.outbox
        session = self.session
        if not self.can_deliver:  # unbinding or unbound: the outbox goes back on connectionLost
            return
        while outbox and session.window_available > 0:
            entry = outbox.popleft()
            self._in_flight[session.send_request(entry[0])] = entry

    def unbind(self) -> None:
        try:
            self.session.send_request(Unbind())
        except LocalProtocolError:
            self._close_after_flush = True

    def flush(self) -> None:
        if self.closed:
            return
        if self.outbox:
            self.pump()
        out = self.session.data_to_send()
        if out:
            self.transport.write(out)
        if self._close_after_flush:
            self.transport.loseConnection()
