"""Incremental framing: any chunking gives the same frames; bad lengths are fatal."""
from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols.smpp import (CommandStatus, DeliverSm, EnquireLink, Framer, SubmitSm,
                            SubmitSmResp, encode)

FRAMES = [
    encode(EnquireLink(sequence_number=1)),
    encode(SubmitSm(destination_addr="447700900123", short_message=b"x" * 160, sequence_number=2)),
    encode(SubmitSmResp(message_id="abc", sequence_number=2)),
    encode(DeliverSm(short_message=b"\0" * 255, tlvs=((0x0424, b"p" * 3000),), sequence_number=3)),
]
STREAM = b"".join(FRAMES)


def test_byte_at_a_time():
    framer = Framer()
    out = []
    for i in range(len(STREAM)):
        got = framer.feed(STREAM[i:i + 1])
        assert all(f in FRAMES for f in got)
        out += got
    assert out == FRAMES
    assert framer.buffered == 0 and framer.error is None


def test_all_at_once():
    framer = Framer()
    assert framer.feed(STREAM) == FRAMES


def test_partial_frame_waits():
    framer = Framer()
    assert framer.feed(STREAM[:20]) == [FRAMES[0]]
    assert framer.buffered == 4
    assert framer.feed(STREAM[20:len(FRAMES[0]) + len(FRAMES[1])]) == [FRAMES[1]]


@settings(max_examples=100)
@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=12))
def test_any_chunking_gives_the_same_frames(cuts):
    points = [0] + sorted(cuts) + [len(STREAM)]
    framer = Framer()
    out = []
    for a, b in zip(points, points[1:]):
        out += framer.feed(STREAM[a:b])
    assert out == FRAMES


@pytest.mark.parametrize("length", [0, 4, 15])
def test_length_under_header_is_fatal(length):
    framer = Framer()
    good = FRAMES[0]
    assert framer.feed(good + struct.pack(">I", length) + b"\0" * 12) == [good]
    error = framer.error
    assert error is not None and error.fatal
    assert error.status == CommandStatus.ESME_RINVCMDLEN
    assert framer.feed(FRAMES[0]) == []  # dead from now on


def test_length_over_maximum_is_fatal_and_names_sequence_number_when_known():
    framer = Framer(max_command_length=1000)
    assert framer.feed(FRAMES[3][:16]) == []
    assert framer.error is not None
    assert framer.error.status == CommandStatus.ESME_RINVCMDLEN
    assert framer.error.sequence_number == 3
    assert "1000" in framer.error.message


def test_length_over_maximum_detected_from_first_four_bytes():
    framer = Framer(max_command_length=1000)
    framer.feed(FRAMES[3][:4])
    assert framer.error is not None and framer.error.sequence_number == 0


def test_exactly_maximum_is_accepted():
    big = FRAMES[3]
    assert Framer(max_command_length=len(big)).feed(big) == [big]


def test_maximum_below_header_refused():
    with pytest.raises(ValueError):
        Framer(max_command_length=15)


def test_accepts_memoryview_and_bytearray_chunks():
    framer = Framer()
    assert framer.feed(memoryview(STREAM)[:30]) == [FRAMES[0]]
    assert framer.feed(bytearray(STREAM[30:])) == FRAMES[1:]
