"""The load tester's lane (esme_lane.py) changes nothing an EsmeProtocol's owner
sees: the same SMSC streams, cut anywhere, with and without it, give the same
callbacks, the same receipt ids and the same answers back."""
from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport

from gateway.carriers.smpp.esme import EsmeProtocol
from gateway.carriers.smpp.settings import BindSettings
from protocols.smpp.codec import Encoded, encode
from protocols.smpp.constants import Tag
from protocols.smpp.pdu import (BindTransceiverResp, DeliverSm, EnquireLink, GenericNack,
                                SubmitSm, SubmitSmResp)

COUNT = 12
RECEIPT_TLVS = st.sampled_from([
    ((Tag.RECEIPTED_MESSAGE_ID, b"0000000a\0"), (Tag.MESSAGE_STATE, b"\x02")),
    ((Tag.MESSAGE_STATE, b"\x02"), (Tag.RECEIPTED_MESSAGE_ID, b"1F")),
    ((Tag.RECEIPTED_MESSAGE_ID, b""),), ()])
SMSC_PDU = st.one_of(
    st.builds(lambda seq, status, mid, tlvs: encode(SubmitSmResp(
        command_status=status, message_id=mid, tlvs=tlvs), seq),
        st.integers(1, COUNT + 3), st.sampled_from([0, 0, 0, 0x58]),
        st.text(alphabet="0123456789abcdef", max_size=10),
        st.sampled_from([(), ((0x0425, b"\x01"),)])),
    st.builds(lambda seq, tlvs, text: encode(DeliverSm(
        esm_class=4, short_message=text, tlvs=tlvs), seq),
        st.integers(1, 50), RECEIPT_TLVS, st.sampled_from([b"id:77 stat:DELIVRD", b"hi"])),
    st.integers(1, COUNT + 3).map(lambda seq: encode(GenericNack(command_status=3), seq)),
    st.just(encode(EnquireLink(), 99)),
    st.just(b"\x00\x00\x00\x12\x80\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x05ab"))  # no NUL


class Owner:
    """An EsmeProtocol bound on a StringTransport and what it told its owner."""

    def __init__(self, lane: bool) -> None:
        self.clock = Clock()
        self.heard: list[Any] = []
        settings = BindSettings(system_id="acme", password="pw", window=COUNT,
                                response_timeout=5.0, enquire_link_interval=30.0)
        self.protocol = EsmeProtocol(self.clock, settings, "transceiver", name="t",
                                     deliver_handler=self.deliver, lane=lane,
                                     receipt_id=self.receipt_id if lane else None)
        self.transport = StringTransport()
        self.protocol.makeConnection(self.transport)
        self.protocol.bind()
        self.protocol.dataReceived(encode(BindTransceiverResp(system_id="S"), 1))
        submit = SubmitSm(destination_addr="1", short_message=b"x")
        template = Encoded(SubmitSm, encode(submit)[16:])
        if lane:
            self.protocol.request_many(template, COUNT, self.answered, "c")
        else:
            for _ in range(COUNT):
                self.protocol.request(template, self.answered, "c")
        self.protocol.flush()

    def answered(self, context: Any, response: Any, reason: Any, latency: float) -> None:
        self.heard.append(("answer", context, response, reason, latency))

    def deliver(self, pdu: Any) -> None:
        value = pdu.tlv_raw(Tag.RECEIPTED_MESSAGE_ID)
        if value is None:  # as bench does: a receipted_message_id makes it a receipt
            self.heard.append(("deliver", pdu.sequence_number, pdu.short_message, value))
        else:
            self.receipt_id(value.rstrip(b"\0").decode("latin-1"))

    def receipt_id(self, message_id: str) -> None:
        self.heard.append(("receipt", message_id))


def frames_of(data: bytes) -> list[bytes]:
    """The frames written (compared as a set: the lane answers a receipt at once, the
    normal path after the chunk, so within a chunk the answers may come in another order)."""
    frames, pos = [], 0
    while pos < len(data):
        frames.append(data[pos:pos + int.from_bytes(data[pos:pos + 4], "big")])
        pos += len(frames[-1])
    return frames


def cut(stream: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(stream) + 1) for c in cuts} | {0, len(stream)})
    return [stream[a:b] for a, b in zip(points, points[1:])]


@settings(max_examples=200, deadline=None)
@given(st.lists(SMSC_PDU, max_size=30), st.lists(st.integers(0, 3000), max_size=10))
def test_the_lane_changes_nothing_the_owner_sees(frames: list[bytes], cuts: list[int]):
    # each deliver_sm its own number (see esme_lane's rules on a reused one)
    frames = [f[:12] + (100 + i).to_bytes(4, "big") + f[16:] if f[7] == 5 else f
              for i, f in enumerate(frames)]
    seen = []
    for lane in (True, False):
        owner = Owner(lane)
        for chunk in cut(b"".join(frames), cuts):
            owner.clock.advance(0.001)
            owner.protocol.dataReceived(chunk)
        owner.clock.advance(10)  # what is left expires
        owner.protocol.connectionLost(None)
        assert owner.clock.getDelayedCalls() == []
        seen.append((owner.heard, sorted(frames_of(owner.transport.value())), owner.protocol.delivers,
                     owner.protocol.late_responses))
    assert seen[0] == seen[1]


def test_request_many_queues_what_request_queues_count_times():
    one, many = Owner(False), Owner(True)
    assert one.transport.value() == many.transport.value()
    assert len(many.protocol._waiting) == COUNT and many.protocol.outstanding == COUNT
