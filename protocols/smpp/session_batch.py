"""The SMPP session's batch entry points, for the hot paths of both roles.

Rules (the rest of the session's are in session.py):
- `send_requests(pdus)` and `send_copies(pdu, count)` number and queue many
  requests at once (the bind state and window checked once; all or none).
  Requests the batch rules do not cover (bind, unbind, enquire_link, one that
  changes the bind state, mixed command_ids) go through `send_request` one by one.
- `answer_raw(command_id, answer)` (the SMSC simulator's submit_sm lane; the ESME
  client never sets one): a request of that command_id that the bind state allows
  and that leaves the state as it is goes to `answer(frame, sequence_number)`
  undecoded. The bytes it returns are queued as the answer, and no event is made;
  if it returns None the request takes the normal path (decoded, an event).
- `set_lane(lane)` (a whole-chunk reader: the simulator's, and the ESME
  client's for responses and receipts): while the session is bound
  and no request of the peer's awaits our answer, `receive_data` first hands the
  stream (what was buffered plus the new bytes) to `lane(buffer, 0)`, which reads
  the whole frames it knows from the start, queues its answers (`queue_bytes`),
  settles the responses it read (`settle`) and returns where it stopped; the
  rest takes the normal path. A lane reads only what `lane_allows` and leaves
  anything unusual (or incomplete) to the normal path.
"""
from __future__ import annotations

from struct import Struct
from typing import TYPE_CHECKING, Callable

from .codec import Encoded, encode
from .constants import MAX_SEQUENCE_NUMBER, CommandId
from .errors import LocalProtocolError, WindowFull
from .pdu import Pdu
from .state import BindState

_ID_AND_SEQ = Struct(">I4xI").unpack_from  # command_id and sequence_number of a frame
_SEQ = Struct(">I").pack
_HEADER = Struct(">IIII").pack
UNWINDOWED = frozenset((CommandId.BIND_TRANSMITTER, CommandId.BIND_RECEIVER,
                        CommandId.BIND_TRANSCEIVER, CommandId.UNBIND, CommandId.ENQUIRE_LINK))


class BatchEntries:
    """The batch entry points of ``Session``, which holds the state they use."""

    state: BindState
    window: int
    _pending: dict[int, Pdu]
    _inbound: dict[int, Pdu]
    _windowed: int
    _next_seq: int
    _out: list[bytes]
    _send_rules: dict
    _recv_rules: dict
    _raw: dict[int, Callable[[bytes, int], bytes | None]]
    _lane: Callable[[bytes, int], int] | None

    if TYPE_CHECKING:  # Session's
        def send_request(self, pdu: Pdu) -> int: ...
        def _allocate(self) -> int: ...

    # ---- sending many ------------------------------------------------------------
    def _batchable(self, pdu: Pdu, count: int) -> bool:
        """``count`` requests like ``pdu`` may be numbered together (else one by one);
        raises WindowFull when they do not fit."""
        cid = pdu.command_id
        if (pdu.is_response or pdu.response_type is None or cid in UNWINDOWED
                or self._send_rules.get((cid, True)) is not self.state):
            return False
        if self._windowed + count > self.window:
            raise WindowFull(self.window)
        return True

    def send_copies(self, pdu: Pdu, count: int) -> list[int]:
        """``send_requests([pdu] * count)``, the PDU encoded once."""
        if count <= 0 or not self._batchable(pdu, count):
            return self.send_requests([pdu] * count)
        frame = encode(pdu, 0)
        head, body = frame[:12], frame[16:]
        pending, seqs = self._pending, []
        for _ in range(count):
            seq = self._next_seq
            if seq in pending or not 0 < seq <= MAX_SEQUENCE_NUMBER:
                seq = self._allocate()
            else:
                self._next_seq = seq + 1
            pending[seq] = pdu
            seqs.append(seq)
        self._out.append(b"".join([head + _SEQ(seq) + body for seq in seqs]))
        self._windowed += count
        return seqs

    def send_requests(self, pdus: list) -> list[int]:
        """``send_request`` for each of many requests of one command_id, in order
        (the checks made once): their sequence numbers.  Raises as
        ``send_request`` does, the whole window counted, and then queues none."""
        if not pdus:
            return []
        cid = pdus[0].command_id
        if (any(p.command_id != cid for p in pdus)
                or not self._batchable(pdus[0], len(pdus))):
            return [self.send_request(pdu) for pdu in pdus]  # the general rules, one by one
        pending, frames, seqs = self._pending, [], []
        saved = self._next_seq
        try:
            for pdu in pdus:
                seq = self._next_seq
                if seq in pending or not 0 < seq <= MAX_SEQUENCE_NUMBER:
                    seq = self._allocate()
                else:
                    self._next_seq = seq + 1
                frames.append(_HEADER(16 + len(pdu.body), cid, 0, seq) + pdu.body
                              if type(pdu) is Encoded else encode(pdu, seq))
                pending[seq] = pdu
                seqs.append(seq)
        except LocalProtocolError:
            for seq in seqs:
                del pending[seq]
            self._next_seq = saved
            raise
        self._out.extend(frames)
        self._windowed += len(pdus)
        return seqs

    # ---- receiving in whole chunks ---------------------------------------------------
    def answer_raw(self, command_id: int,
                   answer: Callable[[bytes, int], bytes | None] | None) -> None:
        """Answer requests of `command_id` from their frame (see the rules); None: stop."""
        if answer is None:
            self._raw.pop(command_id, None)
        else:
            self._raw[command_id] = answer

    def set_lane(self, lane: Callable[[bytes, int], int] | None) -> None:
        """Read whole chunks through ``lane`` first (see the rules); None: stop."""
        self._lane = lane

    def lane_allows(self, command_id: int) -> bool:
        """A request (or ESME_ROK response) of ``command_id`` may arrive now and
        leaves the bind state as it is."""
        return self._recv_rules.get((command_id, True)) is self.state

    def settle(self, sequence_number: int, response_type: type) -> Pdu | None:
        """A lane read an ESME_ROK response of ``response_type``: the request it
        answers, forgotten and its window slot freed.  None (and nothing
        changed) when it answers no pending request of ours of that type."""
        request = self._pending.get(sequence_number)
        if request is None or request.response_type is not response_type:
            return None
        del self._pending[sequence_number]
        if request.command_id not in UNWINDOWED:
            self._windowed -= 1
        return request

    def _answered_raw(self, frame: bytes) -> bool:
        cid, seq = _ID_AND_SEQ(frame, 4)
        answer = self._raw.get(cid)
        if (answer is None or self._recv_rules.get((cid, True)) is not self.state
                or seq in self._inbound):
            return False
        out = answer(frame, seq)
        if out is None:
            return False
        self._out.append(out)
        return True
