"""The session's batch entry points: ``send_requests`` (many requests, checked
once) and what a lane uses (``lane_allows``, ``settle``, ``queue_bytes``)."""
from __future__ import annotations

import pytest

from protocols.smpp import (DeliverSm, DeliverSmResp, LocalProtocolError, ResponseReceived,
                            SubmitSm, SubmitSmResp, WindowFull, encode)
from protocols.smpp.codec import Encoded

from .helpers import ConnectionPair

SUBMITS = [SubmitSm(destination_addr=str(n), short_message=b"m%d" % n) for n in range(5)]


def test_send_requests_queues_what_send_request_queues_one_by_one():
    one, many = ConnectionPair(window=10), ConnectionPair(window=10)
    for pair in (one, many):
        pair.bind()
        pair.esme._next_seq = 0x7FFFFFFE  # numbering wraps inside the batch
        pair.esme._pending[1] = SUBMITS[0]  # and skips a number still pending
    seqs = [one.esme.send_request(pdu) for pdu in SUBMITS]
    assert many.esme.send_requests(SUBMITS) == seqs == [0x7FFFFFFE, 0x7FFFFFFF, 2, 3, 4]
    assert many.esme.data_to_send() == one.esme.data_to_send()
    assert many.esme.outstanding == one.esme.outstanding == 5
    assert dict(many.esme.pending) == dict(one.esme.pending)


def test_send_requests_frames_encoded_bodies_as_the_pdus_they_stand_for():
    delivers = [DeliverSm(source_addr=str(n), short_message=b"r%d" % n) for n in range(4)]
    encoded = [Encoded(DeliverSm, encode(pdu, 0)[16:]) for pdu in delivers]
    plain, fast = ConnectionPair(window=10), ConnectionPair(window=10)
    for pair in (plain, fast):
        pair.bind()
        pair.smsc._next_seq = 0x7FFFFFFF
    mixed = [encoded[0], delivers[1], encoded[2], encoded[3]]
    assert fast.smsc.send_requests(mixed) == plain.smsc.send_requests(delivers)
    assert fast.smsc.data_to_send() == plain.smsc.data_to_send()
    assert list(fast.smsc.pending.values()) == mixed


def test_send_copies_queues_what_send_request_queues_count_times():
    one, many = ConnectionPair(window=10), ConnectionPair(window=10)
    for pair in (one, many):
        pair.bind()
        pair.esme._next_seq = 0x7FFFFFFE
        pair.esme._pending[1] = SUBMITS[0]
    seqs = [one.esme.send_request(SUBMITS[1]) for _ in range(4)]
    assert many.esme.send_copies(SUBMITS[1], 4) == seqs == [0x7FFFFFFE, 0x7FFFFFFF, 2, 3]
    assert many.esme.data_to_send() == one.esme.data_to_send()
    assert dict(many.esme.pending) == dict(one.esme.pending)
    with pytest.raises(WindowFull):
        many.esme.send_copies(SUBMITS[1], 7)  # 4 + 7 > 10: none queued
    assert many.esme.data_to_send() == b"" and many.esme.outstanding == 4


def test_send_requests_queues_none_when_the_window_or_a_field_refuses():
    pair = ConnectionPair(window=4)
    pair.bind()
    with pytest.raises(WindowFull):
        pair.esme.send_requests(SUBMITS)
    with pytest.raises(LocalProtocolError):
        pair.esme.send_requests([SUBMITS[0], SubmitSm(destination_addr="a\0b")])
    assert pair.esme.data_to_send() == b"" and pair.esme.outstanding == 0
    assert pair.esme.send_requests(SUBMITS[:2]) == [2, 3]  # numbering as if nothing happened


def test_settle_forgets_the_request_of_a_response_read_elsewhere():
    pair = ConnectionPair(window=10)
    pair.bind()
    seq = pair.smsc.send_request(DeliverSm(short_message=b"r"))
    assert pair.smsc.lane_allows(DeliverSmResp.command_id)
    assert pair.smsc.settle(seq, SubmitSmResp) is None  # not the answer to a deliver_sm
    assert pair.smsc.settle(seq + 1, DeliverSmResp) is None  # nothing pending there
    assert pair.smsc.outstanding == 1
    assert pair.smsc.settle(seq, DeliverSmResp).short_message == b"r"
    assert pair.smsc.outstanding == 0 and not pair.smsc.pending


def test_a_lane_reads_the_front_of_the_stream_and_the_rest_is_decoded():
    pair = ConnectionPair(window=10)
    pair.bind()
    seen: list = []

    def lane(stream: bytes, pos: int) -> int:  # takes whole submit_sm only
        while len(stream) - pos >= 16 and stream[pos + 7] == 4:
            length = int.from_bytes(stream[pos:pos + 4], "big")
            if len(stream) < pos + length:
                break
            seen.append(int.from_bytes(stream[pos + 12:pos + 16], "big"))
            pair.smsc.queue_bytes(encode(SubmitSmResp(message_id="x"), seen[-1]))
            pos += length
        return pos
    pair.smsc.set_lane(lane)
    for pdu in SUBMITS:
        pair.esme.send_request(pdu)
    stream = pair.esme.data_to_send()
    cut = len(stream) - 10
    assert pair.smsc.receive_data(stream[:cut]) == [] and seen == [2, 3, 4, 5]
    assert pair.smsc.receive_data(stream[cut:]) == [] and seen == [2, 3, 4, 5, 6]
    events = pair.to_esme()
    assert [type(e) for e in events] == [ResponseReceived] * 5
