"""Sans-IO SMPP session for either role: bytes in, events out (h2 style).

    session = Session(Role.ESME, window=100)
    seq = session.send_request(BindTransceiver(system_id="acme", password="pw"))
    transport.write(session.data_to_send())
    ...
    for event in session.receive_data(data):      # from dataReceived
        ...
    transport.write(session.data_to_send())

Rules:
- The session owns framing, sequence numbers (1..0x7FFFFFFF, wrapping, never one
  still pending), the table of our pending requests keyed by sequence number, the
  table of the peer's requests we have not answered yet, the window, and the bind
  state (state.py). It owns no socket, no clock and no timer.
- `send_request(pdu)` assigns a fresh sequence number (whatever `pdu.sequence_number`
  holds is ignored, so one value may be resent), queues the bytes and returns the
  number. Events hand back the request object as it was given.
- The window caps requests of ours awaiting a response. bind, unbind and
  enquire_link do not count against it (a link check must pass a full window).
- The session answers on its own only what SMPP itself requires:
  * a PDU that does not decode: generic_nack with the status the decoder names;
  * a command_length out of bounds: generic_nack, then state CLOSED and a fatal
    `ProtocolError` event: write `data_to_send()` and close the connection;
  * a request not allowed in the bind state: its response with ESME_RINVBNDSTS
    (ESME_RALYBND for a second bind), or generic_nack when it has no response;
  * enquire_link: enquire_link_resp, unless `auto_enquire_link_resp=False`.
  Everything else, unbind included, is answered by the caller with
  `send_response(request.response(...))`.
- Timers live in the adapter: when one fires it calls `expire(seq)`. Losing the
  connection is `connection_lost()`, which fails every pending request at once.
- Event order for one PDU: its own event first, then `BindStateChanged` if any.
- The batch entry points (`send_requests`, `send_copies`, a lane, `answer_raw`)
  are in session_batch.py, with their rules.
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Callable, Mapping

from .codec import decode, encode
from .constants import DEFAULT_MAX_COMMAND_LENGTH, MAX_SEQUENCE_NUMBER, CommandId
from .constants import CommandStatus as St
from .errors import LocalProtocolError, RemoteProtocolError, WindowFull
from .events import (BindStateChanged, Event, FailureReason, GenericNackReceived,
                     ProtocolError, RequestFailed, UnexpectedResponse, request_received,
                     response_received)
from .framer import Framer
from .pdu import EnquireLinkResp, GenericNack, Pdu
from .session_batch import UNWINDOWED, BatchEntries
from .state import BIND_COMMANDS, BOUND, RULES, BindState, Flow, Role

class Session(BatchEntries):
    def __init__(self, role: Role, *, window: int = 10,
                 max_command_length: int = DEFAULT_MAX_COMMAND_LENGTH,
                 auto_enquire_link_resp: bool = True, first_sequence_number: int = 1) -> None:
        if window < 1:
            raise ValueError("window must be at least 1")
        self.role = role
        self.window = window
        self.auto_enquire_link_resp = auto_enquire_link_resp
        self._send_flow = Flow.E2S if role is Role.ESME else Flow.S2E
        self._recv_flow = Flow.S2E if role is Role.ESME else Flow.E2S
        self._framer = Framer(max_command_length)
        self._out: list[bytes] = []
        self._pending: dict[int, Pdu] = {}
        self._windowed = 0
        self._inbound: dict[int, Pdu] = {}
        self._next_seq = first_sequence_number
        self._raw: dict[int, Callable[[bytes, int], bytes | None]] = {}
        self._lane: Callable[[bytes, int], int] | None = None
        self.queue_bytes = self._out.append  # a lane's answers, in stream order
        self._set_state(BindState.OPEN)

    # ---- state ------------------------------------------------------------------
    def _set_state(self, state: BindState) -> None:
        self.state = state
        self._send_rules = RULES[self._send_flow][state]
        self._recv_rules = RULES[self._recv_flow][state]

    @property
    def is_bound(self) -> bool:
        return self.state in BOUND

    @property
    def outstanding(self) -> int:
        """Requests of ours awaiting a response that count against the window."""
        return self._windowed

    @property
    def window_available(self) -> int:
        return self.window - self._windowed

    @property
    def pending(self) -> Mapping[int, Pdu]:
        """Our requests awaiting a response, by sequence number (read-only view)."""
        return MappingProxyType(self._pending)

    @property
    def unanswered(self) -> Mapping[int, Pdu]:
        """The peer's requests we have not answered yet (read-only view)."""
        return MappingProxyType(self._inbound)

    # ---- sending ----------------------------------------------------------------
    def send_request(self, pdu: Pdu) -> int:
        """Queue a request; return its sequence number.

        Raises LocalProtocolError (status ESME_RINVBNDSTS) when the bind state does
        not allow it, WindowFull when the window has no room, LocalProtocolError
        when a field does not fit on the wire. Nothing is queued when it raises.
        """
        cid = pdu.command_id
        if pdu.is_response:
            raise LocalProtocolError("%s is a response; use send_response" % type(pdu).__name__)
        new = self._send_rules.get((cid, True))
        if new is None:
            raise LocalProtocolError("cannot send %s in state %s" % (
                type(pdu).__name__, self.state.name), St.ESME_RINVBNDSTS)
        windowed = cid not in UNWINDOWED
        if windowed and self._windowed >= self.window:
            raise WindowFull(self.window)
        seq = self._next_seq
        if seq in self._pending or not 0 < seq <= MAX_SEQUENCE_NUMBER:
            seq = self._allocate()
        else:
            self._next_seq = seq + 1
        self._out.append(encode(pdu, seq))
        if pdu.response_type is not None:
            self._pending[seq] = pdu
            if windowed:
                self._windowed += 1
        if new is not self.state:
            self._set_state(new)
        return seq

    def _allocate(self) -> int:
        seq = self._next_seq if 0 < self._next_seq <= MAX_SEQUENCE_NUMBER else 1
        while seq in self._pending:
            seq = seq + 1 if seq < MAX_SEQUENCE_NUMBER else 1
        self._next_seq = seq + 1 if seq < MAX_SEQUENCE_NUMBER else 1
        return seq

    def send_response(self, response: Pdu) -> None:
        """Queue the answer to a request the peer sent (matched by sequence_number).

        Build it with `request.response(...)`; a GenericNack may answer any request.
        Raises LocalProtocolError for a response to nothing, of the wrong type, or
        one the bind state does not allow (e.g. a successful bind_resp when the
        session is not binding).
        """
        seq = response.sequence_number
        request = self._inbound.get(seq)
        if request is None:
            raise LocalProtocolError("no request %d awaits a response" % seq)
        if type(response) is not request.response_type and type(response) is not GenericNack:
            raise LocalProtocolError("%s does not answer %s" % (
                type(response).__name__, type(request).__name__))
        new = self._send_rules.get((response.command_id, response.command_status == 0))
        if new is None:
            raise LocalProtocolError("cannot send %s in state %s" % (
                type(response).__name__, self.state.name), St.ESME_RINVBNDSTS)
        self._out.append(encode(response, seq))
        del self._inbound[seq]
        if new is not self.state:
            self._set_state(new)

    def data_to_send(self) -> bytes:
        """All bytes queued since the last call (b"" when none)."""
        out = b"".join(self._out)
        self._out.clear()
        return out

    # ---- receiving ---------------------------------------------------------------
    def receive_data(self, data: bytes) -> list[Event]:
        """Feed bytes from the peer; return the events they complete, in order."""
        if self.state is BindState.CLOSED:
            raise LocalProtocolError("session is closed")
        events: list[Event] = []
        framer = self._framer
        raw = self._raw
        if self._lane is not None and not self._inbound and self.state in BOUND:
            stream = framer.take(data)
            if stream:
                start = self._lane(stream, 0)
                data = stream[start:] if start else stream
        for frame in framer.feed(data):
            if raw and self._answered_raw(frame):
                continue
            try:
                pdu = decode(frame)
            except RemoteProtocolError as e:
                self._out.append(encode(GenericNack(command_status=e.status), e.sequence_number))
                events.append(ProtocolError(e.status, e.message, e.sequence_number))
                continue
            if pdu.is_response:
                self._on_response(pdu, events)
            else:
                self._on_request(pdu, events)
        if framer.error is not None:
            e = framer.error
            self._out.append(encode(GenericNack(command_status=e.status), e.sequence_number))
            events.append(ProtocolError(e.status, e.message, e.sequence_number, fatal=True))
            self._close(events, FailureReason.CONNECTION_LOST)
        return events

    def _on_request(self, pdu: Pdu, events: list[Event]) -> None:
        cid = pdu.command_id
        seq = pdu.sequence_number
        new = self._recv_rules.get((cid, True))
        if new is None or seq in self._inbound:
            if new is None:
                status = St.ESME_RALYBND if (cid in BIND_COMMANDS and self.state is not
                                             BindState.OPEN) else St.ESME_RINVBNDSTS
                why = "%s not allowed in state %s" % (type(pdu).__name__, self.state.name)
            else:
                status, why = St.ESME_RSYSERR, "sequence number %d already awaits our answer" % seq
            answer = (pdu.response(command_status=status) if pdu.response_type is not None
                      else GenericNack(command_status=status))
            self._out.append(encode(answer, seq))
            events.append(ProtocolError(status, why, seq))
            return
        if cid == CommandId.ENQUIRE_LINK and self.auto_enquire_link_resp:
            self._out.append(encode(EnquireLinkResp(), seq))
            return
        if pdu.response_type is not None:
            self._inbound[seq] = pdu
        events.append(request_received(pdu))
        if new is not self.state:
            old = self.state
            self._set_state(new)
            events.append(BindStateChanged(old, new))

    def _on_response(self, pdu: Pdu, events: list[Event]) -> None:
        request = self._pending.pop(pdu.sequence_number, None)
        is_nack = type(pdu) is GenericNack
        if request is None:
            events.append(GenericNackReceived(None, pdu) if is_nack else UnexpectedResponse(pdu))
            return
        if request.command_id not in UNWINDOWED:
            self._windowed -= 1
        new = self._recv_rules.get((pdu.command_id, pdu.command_status == 0))
        if new is None or (type(pdu) is not request.response_type and not is_nack):
            events.append(RequestFailed(pdu.sequence_number, request, FailureReason.BAD_RESPONSE))
            events.append(ProtocolError(St.ESME_RINVBNDSTS, "%s does not answer %s in state %s" % (
                type(pdu).__name__, type(request).__name__, self.state.name), pdu.sequence_number))
            return
        events.append(GenericNackReceived(request, pdu) if is_nack else response_received(request, pdu))
        if new is not self.state:
            old = self.state
            self._set_state(new)
            events.append(BindStateChanged(old, new))

    # ---- timers and loss -----------------------------------------------------------
    def expire(self, sequence_number: int) -> RequestFailed | None:
        """The adapter's timer for this request fired: forget it and free its window
        slot. Returns the failure, or None if it was already answered or failed. A late
        response then comes as UnexpectedResponse. An expired bind leaves the state
        BINDING: close the connection."""
        request = self._pending.pop(sequence_number, None)
        if request is None:
            return None
        if request.command_id not in UNWINDOWED:
            self._windowed -= 1
        return RequestFailed(sequence_number, request, FailureReason.EXPIRED)

    def connection_lost(self) -> list[RequestFailed]:
        """The connection is gone: state CLOSED, every pending request failed at once
        (in sequence order). Calling it again returns []."""
        events: list[Event] = []
        self._close(events, FailureReason.CONNECTION_LOST)
        return events  # type: ignore[return-value]

    def _close(self, events: list[Event], reason: FailureReason) -> None:
        pending = sorted(self._pending.items())
        self._pending.clear()
        self._inbound.clear()
        self._windowed = 0
        events.extend(RequestFailed(seq, request, reason) for seq, request in pending)
        if self.state is not BindState.CLOSED:
            self._set_state(BindState.CLOSED)
