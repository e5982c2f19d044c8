"""The simulator's whole-chunk lane (lane.py) writes what the PDU-by-PDU path
writes: the same streams, cut anywhere, through both, byte for byte, with the
same counters, receipts and query_sm book."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport

from gateway.simulators.smsc.config import SimConfig
from gateway.simulators.smsc.smsc import SmscSimulator
from protocols.smpp.codec import decode, encode
from protocols.smpp.pdu import (BindTransceiver, DeliverSm, DeliverSmResp, EnquireLink,
                                QuerySm, SubmitSm)

ADDRESS = st.text(alphabet="0123456789+ABC", max_size=12)
TEXT = st.one_of(st.binary(max_size=60), st.text(max_size=30).map(lambda t: t.encode("utf-16-be")),
                 st.just(b"\x05\x00\x03\x07\x02\x01Hello @ $ _ world"))
SUBMIT = st.builds(
    SubmitSm, source_addr_ton=st.integers(0, 6), source_addr_npi=st.integers(0, 18),
    source_addr=ADDRESS, dest_addr_ton=st.integers(0, 6), dest_addr_npi=st.integers(0, 18),
    destination_addr=ADDRESS, esm_class=st.sampled_from([0, 0x40, 0x03]),
    registered_delivery=st.integers(0, 3), data_coding=st.sampled_from([0, 1, 3, 4, 8, 0xF0]),
    short_message=TEXT,
    tlvs=st.sampled_from([(), ((0x0424, b"payload text"),), ((0x1400, b""), (0x0204, b"\x00\x01"))]))
# frames the lane must leave to the normal path, among the submit_sm
ODD = st.sampled_from([encode(EnquireLink(), 0), encode(QuerySm(message_id="00000001"), 0),
                       b"\x00\x00\x00\x13\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x01",
                       b"\x00\x00\x00\x10\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00"])
CONFIGS = st.sampled_from([
    SimConfig(), SimConfig(receipt_delay=0.0),
    SimConfig(outcomes={"DELIVRD": 1, "UNDELIV": 1}, seed=5),
    SimConfig(id_format="decimal", receipt_id_format="hex"), SimConfig(id_format="uuid", seed=3),
    SimConfig(outcomes={"UNDELIV": 1}), SimConfig(drop_receipt_ratio=0.5, seed=1)])


def with_seq(frame: bytes, seq: int) -> bytes:
    return frame[:12] + seq.to_bytes(4, "big") + frame[16:]


def split(data: bytes) -> list[bytes]:
    frames, pos = [], 0
    while pos < len(data):
        frames.append(data[pos:pos + int.from_bytes(data[pos:pos + 4], "big")])
        pos += len(frames[-1])
    return frames


def cut(stream: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(stream) + 1) for c in cuts} | {0, len(stream)})
    return [stream[a:b] for a, b in zip(points, points[1:])]


class Side:
    """One simulator and one bound transceiver, fed by hand on a task.Clock."""

    def __init__(self, config: SimConfig, fast: bool) -> None:
        self.clock = Clock()
        self.clock.advance(1_800_000_000)
        self.sim = SmscSimulator(config, clock=self.clock)
        self.sim.fast_lane = fast
        self.protocol = self.sim.buildProtocol(None)
        self.transport = StringTransport()
        self.protocol.makeConnection(self.transport)
        self.protocol.dataReceived(encode(BindTransceiver(system_id="acme", password="pw"), 1))
        self.writes: list[bytes] = []
        self.answered = 0
        self.transport.write = self.writes.append  # each write kept apart

    def feed(self, chunks: list[bytes]) -> None:
        for chunk in chunks:
            self.protocol.dataReceived(chunk)

    def answer_delivers(self, cuts: list[int], status: int = 0) -> None:
        """Answer the deliver_sm written since the last call (in one stream, cut at ``cuts``)."""
        answers = b""
        new, self.answered = self.writes[self.answered:], len(self.writes)
        for frame in split(b"".join(new)):
            if frame[4:8] == b"\x00\x00\x00\x05":
                answers += encode(DeliverSmResp(command_status=status),
                                  int.from_bytes(frame[12:16], "big"))
        self.feed(cut(answers, cuts))

    def outcome(self) -> tuple:
        return (self.writes, self.sim.stats, dict(self.sim.book._book),
                [encode(p, 0) for p in self.sim.received])


@settings(max_examples=150, deadline=None)
@given(CONFIGS, st.lists(st.one_of(SUBMIT.map(lambda p: encode(p, 0)), ODD), min_size=1,
                         max_size=40), st.lists(st.integers(0, 5000), max_size=12),
       st.lists(st.integers(0, 5000), max_size=12))
def test_the_lane_writes_what_the_pdu_path_writes(config: SimConfig, frames: list[bytes],
                                                  cuts: list[int], answer_cuts: list[int]):
    stream = b"".join(with_seq(frame, seq) for seq, frame in enumerate(frames, start=2))
    outcomes = []
    for fast in (True, False):
        side = Side(config, fast)
        side.feed(cut(stream, cuts))
        side.clock.advance(0.5)
        side.answer_delivers(answer_cuts)
        side.clock.advance(0.5)
        outcomes.append(side.outcome())
        side.sim.stop()
        assert side.clock.getDelayedCalls() == []
    assert outcomes[0] == outcomes[1]


def test_the_lane_takes_the_run_and_leaves_the_rest_in_order():
    side = Side(SimConfig(receipt_delay=0.0), fast=True)
    submit = encode(SubmitSm(source_addr="1", destination_addr="2", registered_delivery=1,
                             short_message=b"hi"), 0)
    stream = (with_seq(submit, 2) + encode(EnquireLink(), 3) + with_seq(submit, 4)
              + with_seq(submit, 5)[:30])
    side.feed([stream])
    answers = [decode(frame) for frame in split(side.writes[0])]
    assert [(type(a).__name__, a.sequence_number) for a in answers] == [
        ("SubmitSmResp", 2), ("EnquireLinkResp", 3), ("SubmitSmResp", 4)]
    side.feed([with_seq(submit, 5)[30:]])  # the rest of the cut frame
    pdus = [decode(frame) for frame in split(b"".join(side.writes))]
    assert [p.sequence_number for p in pdus if type(p).__name__ == "SubmitSmResp"] == [2, 4, 5]
    # each receipt after its response
    ids = [p.message_id if type(p).__name__ == "SubmitSmResp" else p.tlv(0x001E)
           for p in pdus if type(p).__name__ in ("SubmitSmResp", "DeliverSm")]
    assert all(ids.index(i) < len(ids) - 1 - ids[::-1].index(i) for i in set(ids))
    assert side.sim.submits == 3 and side.sim.receipts_sent == 3
    side.sim.stop()


def test_an_error_answer_to_a_receipt_still_brings_it_again():
    side = Side(SimConfig(receipt_delay=0.0, redeliver_delay=1.0), fast=True)
    side.feed([encode(SubmitSm(registered_delivery=1, short_message=b"x"), 2)])
    side.answer_delivers([], status=0x08)
    assert side.sim.deliver_errors == 1 and side.sim.delivers_acked == 0
    side.clock.advance(1.0)
    delivers = [f for f in split(b"".join(side.writes)) if f[4:8] == b"\x00\x00\x00\x05"]
    assert len(delivers) == 2 and isinstance(decode(delivers[-1]), DeliverSm)
    side.answer_delivers([])
    assert side.sim.delivers_acked == 1
    side.sim.stop()


def test_error_injection_keeps_every_submit_off_the_lane():
    side = Side(SimConfig(error_ratio=1.0), fast=True)
    side.feed([encode(SubmitSm(short_message=b"x"), n) for n in (2, 3)])
    assert [decode(w).command_status for w in side.writes] == [0x08, 0x08]
    side.sim.stop()

