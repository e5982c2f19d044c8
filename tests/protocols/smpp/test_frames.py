"""The simulator's submit_sm lane reads frames exactly as the codec does, and
builds the receipt the object path would have built."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from protocols.smpp.frames import receipt_body, scan_submit, submit_sm_resp, view_of
from protocols.smpp.codec import Encoded, decode, encode
from protocols.smpp.errors import RemoteProtocolError
from protocols.smpp.pdu import DeliverSm, SubmitSm, SubmitSmResp
from protocols.smpp.session import Session
from protocols.smpp.state import Role

SUBMIT = SubmitSm(source_addr_ton=1, source_addr_npi=1, source_addr="15550001111",
                  dest_addr_ton=5, dest_addr_npi=0, destination_addr="ACME",
                  esm_class=0x40, registered_delivery=1, data_coding=8,
                  short_message=b"\x05\x00\x03\x01\x02\x01\x00A",
                  tlvs=((0x0424, b"payload"), (0x1400, b"")))


def frame_of(body: bytes) -> bytes:
    return (16 + len(body)).to_bytes(4, "big") + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x07" + body


@settings(max_examples=2000, deadline=None)
@given(st.one_of(
    st.binary(max_size=80),
    st.integers(0, 80).flatmap(lambda cut: st.just(encode(SUBMIT, 7)[16:][:cut])),
    st.tuples(st.integers(0, 80), st.binary(max_size=6)).map(
        lambda t: encode(SUBMIT, 7)[16:][:t[0]] + t[1])))
def test_scan_accepts_exactly_what_decode_accepts(body: bytes):
    frame = frame_of(body)
    view = scan_submit(frame)
    try:
        pdu = decode(frame)
    except RemoteProtocolError:
        assert view is None
        return
    assert view == view_of(pdu)


def test_the_receipt_body_is_what_encode_gives():
    view = scan_submit(encode(SUBMIT, 7))
    assert view.text == SUBMIT.short_message and view.registered_delivery == 1
    tlvs = ((0x001E, b"00ff\0"), (0x0427, b"\x02"), (0x0423, b"\x03\x00\x00"))
    expected = DeliverSm(source_addr_ton=5, source_addr_npi=0, source_addr="ACME",
                         dest_addr_ton=1, dest_addr_npi=1, destination_addr="15550001111",
                         esm_class=0x04, short_message=b"id:00ff text:A", tlvs=tlvs)
    body = receipt_body(view, b"id:00ff text:A", b"".join(
        t.to_bytes(2, "big") + len(v).to_bytes(2, "big") + v for t, v in tlvs))
    assert encode(Encoded(DeliverSm, body), 9) == encode(expected, 9)
    assert Encoded(DeliverSm, body).tlv(0x001E) == "00ff"
    assert decode(submit_sm_resp(7, b"00ff")) == SubmitSmResp(message_id="00ff", sequence_number=7)
    # message_payload stands in for an empty short_message
    assert scan_submit(encode(SubmitSm(tlvs=((0x0424, b"long"),)), 1)).text == b"long"


def test_session_answers_raw_only_when_bound_and_otherwise_decodes():
    from protocols.smpp.pdu import BindTransmitter
    from protocols.smpp.events import RequestReceived

    session = Session(Role.SMSC)
    seen: list = []

    def answer(frame: bytes, seq: int) -> bytes | None:
        seen.append(seq)
        return submit_sm_resp(seq, b"1") if seq != 4 else None
    session.answer_raw(0x00000004, answer)
    events = session.receive_data(encode(SUBMIT, 2))  # not bound: refused as before
    assert seen == [] and session.data_to_send()[4:12] == b"\x80\x00\x00\x04\x00\x00\x00\x04"
    bind = session.receive_data(encode(BindTransmitter(system_id="a"), 1))[0]
    session.send_response(bind.pdu.response(system_id="S"))
    session.data_to_send()
    events = session.receive_data(encode(SUBMIT, 3) + encode(SUBMIT, 4))
    assert seen == [3, 4]
    assert [type(e) for e in events] == [RequestReceived] and events[0].pdu.sequence_number == 4
    assert decode(session.data_to_send()).message_id == "1"
    assert session.unanswered.keys() == {4}
