"""The simulator's whole-chunk lane: runs of submit_sm and deliver_sm_resp, in bytes.

Rules:

* The session hands the stream over (``Session.set_lane``) while the bind is
  up and nothing of the peer's awaits an answer.  The lane reads whole frames
  from the start and stops at the first one it does not take; that one and
  the rest go the normal way (decoded, an event).  It does not take: any other
  command, a submit_sm the codec would refuse (``scan_submit`` says so), a
  deliver_sm_resp with an error or a message_id, one that answers nothing of
  ours, an incomplete frame, or anything at all while error injection (any
  behaviour but the normal one) is on.
* A submit_sm gets what ``SmscSimulator.answer_submit`` gives it: the next id,
  the same counters and the same receipt.  What a receipt needs of a submit_sm
  body is kept per body (a load test repeats one body; at most ``BODIES``).
* A receipt is built as ``SmscSimulator._receipt`` builds it, from the parts
  every receipt of the chunk shares (the dates, the stat) and the parts of the
  body (addresses, text snippet); a receipt that needs a draw (several
  outcomes, drops) or another id spelling is left to ``_receipt`` itself.
  Receipts join the chunk's batch, which leaves after the chunk's responses.
* A deliver_sm_resp ESME_ROK settles its deliver_sm as ``deliver_answered``.

The tests run the same streams through both ways, in random chunkings, and
compare the bytes written and the counters.
"""
from __future__ import annotations

from struct import Struct
from typing import Any

from protocols.smpp.frames import SubmitView, scan_submit
from gateway.simulators.smsc.receipts import receipt_middle, receipt_snippet
from protocols.smpp.codec import Encoded
from protocols.smpp.constants import CommandId
from protocols.smpp.fast import fast_constructor
from protocols.smpp.pdu import DeliverSm, DeliverSmResp

BODIES = 4096  # submit_sm bodies remembered; real traffic varies, a load test does not
_HEADER = Struct(">IIII")
_unpack_header = _HEADER.unpack_from
_pack_header = _HEADER.pack
_SUBMIT = CommandId.SUBMIT_SM
_SUBMIT_RESP = CommandId.SUBMIT_SM_RESP
_DELIVER_RESP = CommandId.DELIVER_SM_RESP
_OCTET = tuple(bytes((n,)) for n in range(256))
# receipt deliver_sm after the addresses (see frames.receipt_body)
_RECEIPT_MIDDLE = b"\x04\x00\x00\x00\x00\x00\x00\x00\x00"
make_encoded = fast_constructor(Encoded)


class _Body:
    """What a receipt needs of one submit_sm body."""
    __slots__ = ("view", "asks", "head", "snippet", "chunk", "rest")

    def __init__(self, view: SubmitView) -> None:
        self.view = view
        self.asks = view.registered_delivery & 0x03
        self.head = b"\0" + view.destination + view.source + _RECEIPT_MIDDLE
        self.snippet = receipt_snippet(view.data_coding, view.esm_class, view.text)[:20]
        self.chunk: Any = None   # the chunk's shared part that ``rest`` was made with
        self.rest = b""          # the receipt text after the id


class SubmitLane:
    def __init__(self, sim: Any, protocol: Any, max_command_length: int) -> None:
        self.sim = sim
        self.protocol = protocol
        self.max_command_length = max_command_length
        self.bodies: dict[bytes, _Body] = {}

    def body(self, frame: bytes) -> _Body | None:
        view = scan_submit(frame)
        if view is None:
            return None
        if len(self.bodies) >= BODIES:
            self.bodies.clear()
        body = self.bodies[frame[16:]] = _Body(view)
        return body

    def __call__(self, stream: bytes, pos: int) -> int:
        sim = self.sim
        if sim._injecting:
            return pos
        session = self.protocol.session
        take_submit = session.lane_allows(_SUBMIT)
        take_resp = session.lane_allows(_DELIVER_RESP)
        queue, settle = session.queue_bytes, session.settle
        in_flight = self.protocol._in_flight
        bodies, recent = self.bodies, sim.received.append
        ids = sim.next_id
        counter, spelling = getattr(ids, "counter", None), getattr(ids, "spelling", b"")
        receipts = None
        end, longest = len(stream), self.max_command_length
        submits = acked = 0
        while end - pos >= 16:
            length, cid, status, seq = _unpack_header(stream, pos)
            after = pos + length
            if after > end or length > longest:
                break
            if cid == _SUBMIT and take_submit and length > 16:
                frame = stream[pos:after]
                body = bodies.get(frame[16:]) or self.body(frame)
                if body is None:
                    break
                recent(frame)
                submits += 1
                if counter is not None:
                    n = counter[0]
                    counter[0] = n + 1
                    raw = spelling % n
                else:
                    raw = ids().encode("latin-1")
                queue(_pack_header(17 + len(raw), _SUBMIT_RESP, 0, seq) + raw + b"\0")
                if body.asks:
                    if receipts is None:
                        receipts = ChunkReceipts(sim, self.protocol)
                    receipts.add(body, raw)
            elif (cid == _DELIVER_RESP and take_resp and not status
                  and (length == 16 or (length == 17 and not stream[pos + 16]))):
                if settle(seq, DeliverSmResp) is None:
                    break
                entry = in_flight.pop(seq, None)
                if entry is not None:
                    if entry[1] is None:
                        acked += 1
                    else:
                        sim.deliver_answered(self.protocol, entry, 0)
            else:
                break
            pos = after
        if submits:
            sim.submits += submits
            sim.responses[0] += submits
        sim.delivers_acked += acked
        return pos


class ChunkReceipts:
    """The receipts of one chunk's submit_sm (see the module's rules)."""

    def __init__(self, sim: Any, protocol: Any) -> None:
        config = sim.config
        self.sim = sim
        self.protocol = protocol
        self.stat = sim._single
        self.fast = (self.stat is not None and not config.drop_receipt_ratio
                     and sim._receipt_id is None and config.receipt_jitter <= 0)
        if self.fast:
            now = sim.clock.seconds()
            self.final_at = now + config.receipt_delay
            self.middle, state, network_error = receipt_middle(self.stat, now, self.final_at)
            self.tail = b"\x00\x04\x27\x00\x01%c\x04\x23\x00\x03%b" % (state, network_error)
            self.remember = sim.book.remember
            self.batch = sim._batch
            self.success_only = self.stat == "DELIVRD"

    def add(self, body: _Body, raw: bytes) -> None:
        sim = self.sim
        if not self.fast:
            sim._receipt(self.protocol, body.view, raw.decode("latin-1"))
            return
        self.remember(raw.decode("latin-1"), self.stat, self.final_at)
        if body.asks == 2 and self.success_only:
            return  # receipts on failure only
        if body.chunk is not self.middle:
            body.chunk = self.middle
            body.rest = self.middle + body.snippet
        rest = body.rest
        deliver = make_encoded(DeliverSm, b"".join((
            body.head, _OCTET[3 + len(raw) + len(rest)], b"id:", raw, rest,
            b"\x00\x1e\x00", _OCTET[len(raw) + 1], raw, self.tail)))
        sim.receipts_sent += 1
        self.batch.append((self.protocol, (deliver, None)))
