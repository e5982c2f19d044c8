"""The load tester's whole-chunk lane: runs of submit_sm_resp and receipts, in bytes.

An ``EsmeProtocol`` option (``lane=True``, used by ``bench``), on the
session's lane (``Session.set_lane``): while the bind is up and nothing of
the SMSC's awaits our answer, whole frames are read from the front of each
chunk until the first one the lane does not take, which goes the normal way
(decoded, an event), with the rest.

Rules:

* It takes a submit_sm_resp ESME_ROK whose body is a message_id alone (or
  nothing) and which answers a pending submit_sm of ours: its callback gets
  the ``SubmitSmResp`` the codec would have decoded.
* With ``receipt_id`` set, it takes a deliver_sm that the codec would decode
  (``scan_message``) and that carries a receipted_message_id TLV: it answers
  deliver_sm_resp ESME_ROK at once (as the normal path does when the
  deliver handler returns anything but a Deferred) and ``receipt_id(id)``
  hears the id; ``deliver_handler`` does not see that deliver_sm.  (One
  difference: an SMSC that reuses a sequence number within a chunk gets each
  deliver_sm answered ESME_ROK here; the normal path, which answers after
  the chunk, refuses the second with ESME_RSYSERR.)
* What it read is handed over after the session is done with the chunk
  (``run``), in stream order and before the chunk's events, so callbacks may
  send, unbind or close as they would from an event.
"""
from __future__ import annotations

from struct import Struct
from typing import Any, Callable

from protocols.smpp.frames import find_tlv, scan_message
from protocols.smpp.constants import CommandId, Tag
from protocols.smpp.fast import fast_constructor
from protocols.smpp.pdu import SubmitSmResp

_HEADER = Struct(">IIII")
_unpack_header = _HEADER.unpack_from
_SUBMIT_RESP = CommandId.SUBMIT_SM_RESP
_DELIVER = CommandId.DELIVER_SM
_DELIVER_RESP = b"\x00\x00\x00\x11\x80\x00\x00\x05\x00\x00\x00\x00"  # ..., seq, message_id ""
_RECEIPTED_ID = Tag.RECEIPTED_MESSAGE_ID
make_submit_sm_resp = fast_constructor(SubmitSmResp)


class EsmeLane:
    def __init__(self, session: Any, max_command_length: int,
                 receipt_id: Callable[[str], Any] | None) -> None:
        self.session = session
        self.max_command_length = max_command_length
        self.receipt_id = receipt_id
        self.taken: list[Any] = []   # SubmitSmResp, or the str id of a receipt
        self.delivers = 0

    def __call__(self, stream: bytes, pos: int) -> int:
        session = self.session
        take_resp = session.lane_allows(_SUBMIT_RESP)
        take_deliver = self.receipt_id is not None and session.lane_allows(_DELIVER)
        settle, queue, taken = session.settle, session.queue_bytes, self.taken.append
        end, longest = len(stream), self.max_command_length
        while end - pos >= 16:
            length, cid, status, seq = _unpack_header(stream, pos)
            after = pos + length
            if after > end or length > longest or length < 16:
                break
            if cid == _SUBMIT_RESP and take_resp and not status:
                if length == 16:
                    message_id = ""
                elif stream[after - 1] == 0 and stream.find(b"\0", pos + 16) == after - 1:
                    message_id = stream[pos + 16:after - 1].decode("latin-1")
                else:
                    break
                if settle(seq, SubmitSmResp) is None:
                    break
                taken(make_submit_sm_resp(sequence_number=seq, message_id=message_id))
            elif cid == _DELIVER and take_deliver:
                frame = stream[pos:after]
                scanned = scan_message(frame)
                value = None if scanned is None else find_tlv(frame, scanned[1], _RECEIPTED_ID)
                if value is None:
                    break
                taken(value.rstrip(b"\0").decode("latin-1"))
                queue(_DELIVER_RESP + stream[pos + 12:pos + 16] + b"\0")
                self.delivers += 1
            else:
                break
            pos = after
        return pos

    def run(self, waiting: dict, now: float) -> None:
        """Hand over what the lane read (see the rules); ``waiting`` is the protocol's
        table of seq -> (deadline, callback, context, sent at)."""
        taken, self.taken = self.taken, []
        receipt_id = self.receipt_id
        for item in taken:
            if type(item) is str:
                receipt_id(item)
                continue
            entry = waiting.pop(item.sequence_number, None)
            if entry is not None:
                entry[1](entry[2], item, None, now - entry[3])
