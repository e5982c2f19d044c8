"""The decoder's invariant, as in h11's fuzz harness: any byte string either decodes
or raises RemoteProtocolError carrying a status; never anything else. And a session
fed garbage never raises: it answers and reports."""
from __future__ import annotations

import struct

from hypothesis import example, given, settings
from hypothesis import strategies as st

from protocols.smpp import (PDU_TYPES, CommandStatus, GenericNack, ProtocolError,
                            RemoteProtocolError, Role, Session, decode, encode)

from .helpers import ConnectionPair
from .test_codec import GOLDEN

GOLDEN_FRAMES = [data for _, data in GOLDEN]
KNOWN_STATUSES = {s.value for s in CommandStatus}


def check_decodes_or_refuses(data: bytes) -> None:
    try:
        pdu = decode(data)
    except RemoteProtocolError as e:
        assert e.status in KNOWN_STATUSES and e.status != 0
        assert 0 <= e.sequence_number <= 0xFFFFFFFF
        assert not e.fatal
        return
    assert type(pdu) in PDU_TYPES
    # what decodes re-encodes to a frame that decodes to the same PDU
    assert decode(encode(pdu)) == pdu


@settings(max_examples=500)
@given(st.binary(max_size=300))
@example(b"")
@example(b"\x00\x00\x00\x10\x80\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x01")
def test_any_bytes_decode_or_refuse(data):
    check_decodes_or_refuses(data)


@st.composite
def framed(draw):
    """A correct header (length, known command_id) over an arbitrary body."""
    cls = draw(st.sampled_from(PDU_TYPES))
    body = draw(st.binary(max_size=120))
    status, seq = draw(st.integers(0, 0xFFFFFFFF)), draw(st.integers(0, 0xFFFFFFFF))
    return struct.pack(">IIII", 16 + len(body), cls.command_id, status, seq) + body


@settings(max_examples=500)
@given(framed())
def test_any_body_under_a_good_header_decodes_or_refuses(data):
    check_decodes_or_refuses(data)


@st.composite
def mutated(draw):
    """A golden frame with a few bytes changed, cut or inserted (length kept right)."""
    data = bytearray(draw(st.sampled_from(GOLDEN_FRAMES)))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(16, max(16, len(data) - 1)))
        op = draw(st.sampled_from(["set", "cut", "insert"]))
        if op == "set" and i < len(data):
            data[i] = draw(st.integers(0, 255))
        elif op == "cut" and i < len(data):
            del data[i]
        else:
            data.insert(i, draw(st.integers(0, 255)))
    data[0:4] = struct.pack(">I", len(data))
    return bytes(data)


@settings(max_examples=500)
@given(mutated())
def test_mutated_golden_frames_decode_or_refuse(data):
    check_decodes_or_refuses(data)


@settings(max_examples=200)
@given(st.sampled_from(list(Role)), st.booleans(),
       st.lists(st.one_of(st.binary(max_size=40), framed(), mutated()), max_size=8))
def test_sessions_never_raise_on_garbage(role, bound, chunks):
    pair = ConnectionPair()
    if bound:
        pair.bind()
    session = pair.esme if role is Role.ESME else pair.smsc
    session.data_to_send()
    for chunk in chunks:
        if session.state.name == "CLOSED":
            break
        events = session.receive_data(chunk)
        out = session.data_to_send()
        for event in events:
            if isinstance(event, ProtocolError):
                assert event.status != 0 and out  # every refusal is answered
        if any(isinstance(e, ProtocolError) and e.fatal for e in events):
            assert isinstance(decode(out[-16:]), GenericNack)
            assert session.state.name == "CLOSED"


def test_fatal_framing_in_session_answers_generic_nack_with_rinvcmdlen():
    session = Session(Role.SMSC)
    (error,) = session.receive_data(b"\x00\x00\x00\x01")
    assert error.fatal and error.status == CommandStatus.ESME_RINVCMDLEN
    assert decode(session.data_to_send()) == GenericNack(command_status=2)
