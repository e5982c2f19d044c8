"""The sans-IO session's request bookkeeping: the window, timeouts, a lost
connection, sequence numbers, and what it does with bad input from the peer."""
from __future__ import annotations

import pytest

from protocols.smpp import (BindState, BindTransmitter, CommandStatus, DeliverSm, DeliverSmResp,
                            EnquireLink, EnquireLinkResp, FailureReason, GenericNack,
                            LocalProtocolError, ProtocolError, QuerySmResp, RequestFailed,
                            ResponseReceived, Role, Session, SubmitSm, SubmitSmResp,
                            UnexpectedResponse, WindowFull, decode, encode)

from .helpers import ConnectionPair

SUBMIT = SubmitSm(destination_addr="447700900123", short_message=b"hello", registered_delivery=1)
S = BindState


def test_window_limits_outstanding_requests():
    pair = ConnectionPair(window=2)
    pair.bind()
    first = pair.esme.send_request(SUBMIT)
    pair.esme.send_request(SUBMIT)
    assert pair.esme.window_available == 0
    with pytest.raises(WindowFull) as info:
        pair.esme.send_request(SUBMIT)
    assert info.value.window == 2
    pair.esme.send_request(EnquireLink())  # the link check passes a full window
    received = pair.to_smsc()
    assert [type(e.pdu) for e in received] == [SubmitSm, SubmitSm]  # enquire_link answered
    pair.smsc.send_response(received[0].pdu.response(message_id="1"))
    events = pair.to_esme()
    assert [type(e.response) for e in events] == [EnquireLinkResp, SubmitSmResp]
    assert events[1].response.sequence_number == first
    assert pair.esme.window_available == 1


def test_expire_frees_window_and_late_response_is_unexpected():
    pair = ConnectionPair(window=1)
    pair.bind()
    seq = pair.esme.send_request(SUBMIT)
    (received,) = pair.to_smsc()
    assert pair.esme.expire(seq) == RequestFailed(seq, SUBMIT, FailureReason.EXPIRED)
    assert pair.esme.expire(seq) is None
    assert pair.esme.window_available == 1
    pair.smsc.send_response(received.pdu.response(message_id="late"))
    (late,) = pair.to_esme()
    assert late == UnexpectedResponse(SubmitSmResp(message_id="late", sequence_number=seq))


def test_connection_lost_fails_every_pending_request_at_once():
    pair = ConnectionPair(window=5)
    pair.bind()
    seqs = [pair.esme.send_request(SubmitSm(short_message=b"%d" % i)) for i in range(3)]
    pair.esme.send_request(EnquireLink())
    failures = pair.esme.connection_lost()
    assert [f.sequence_number for f in failures] == seqs + [seqs[-1] + 1]
    assert {f.reason for f in failures} == {FailureReason.CONNECTION_LOST}
    assert [f.request.short_message for f in failures[:3]] == [b"0", b"1", b"2"]
    assert pair.esme.state is S.CLOSED and pair.esme.outstanding == 0
    assert pair.esme.connection_lost() == []
    with pytest.raises(LocalProtocolError):
        pair.esme.receive_data(b"")


def test_garbage_pdu_gets_generic_nack_and_session_goes_on():
    pair = ConnectionPair()
    pair.bind()
    unknown = bytes.fromhex("00000010 12345678 00000000 0000002a")
    (error,) = pair.esme.receive_data(unknown)
    assert error.status == CommandStatus.ESME_RINVCMDID and error.sequence_number == 42
    assert not error.fatal
    assert decode(pair.esme.data_to_send()) == GenericNack(command_status=3, sequence_number=42)
    assert pair.esme.state is S.BOUND_TRX


def test_bad_command_length_nacks_closes_and_fails_pending():
    pair = ConnectionPair()
    pair.bind()
    seq = pair.esme.send_request(SUBMIT)
    pair.esme.data_to_send()
    error, failed = pair.esme.receive_data(b"\x00\x00\x00\x05garbage")
    assert error.fatal and error.status == CommandStatus.ESME_RINVCMDLEN
    assert failed == RequestFailed(seq, SUBMIT, FailureReason.CONNECTION_LOST)
    assert decode(pair.esme.data_to_send()) == GenericNack(command_status=2)
    assert pair.esme.state is S.CLOSED


def test_frames_before_a_bad_length_are_still_processed():
    pair = ConnectionPair()
    pair.bind()
    seq = pair.esme.send_request(SUBMIT)
    good = encode(SubmitSmResp(message_id="ok", sequence_number=seq))
    response, error = pair.esme.receive_data(good + b"\xff\xff\xff\xff")
    assert isinstance(response, ResponseReceived) and error.fatal


def test_send_response_validation():
    pair = ConnectionPair()
    pair.bind()
    with pytest.raises(LocalProtocolError, match="no request 77"):
        pair.smsc.send_response(SubmitSmResp(sequence_number=77))
    pair.esme.send_request(SUBMIT)
    (received,) = pair.to_smsc()
    with pytest.raises(LocalProtocolError, match="does not answer"):
        pair.smsc.send_response(QuerySmResp(sequence_number=received.pdu.sequence_number))
    with pytest.raises(LocalProtocolError, match="send_response"):
        pair.smsc.send_request(SubmitSmResp())
    pair.smsc.send_response(received.pdu.response(command_status=CommandStatus.ESME_RTHROTTLED))
    (response,) = pair.to_esme()
    assert not response.ok and response.response.command_status == 0x58


def test_mismatched_response_fails_the_request():
    pair = ConnectionPair()
    pair.bind()
    seq = pair.esme.send_request(SUBMIT)
    failed, error = pair.esme.receive_data(encode(QuerySmResp(sequence_number=seq)))
    assert failed == RequestFailed(seq, SUBMIT, FailureReason.BAD_RESPONSE)
    assert isinstance(error, ProtocolError) and pair.esme.outstanding == 0


def test_duplicate_inbound_sequence_number_is_refused():
    pair = ConnectionPair()
    pair.bind()
    pair.esme.receive_data(encode(DeliverSm(), 5))
    (error,) = pair.esme.receive_data(encode(DeliverSm(), 5))
    assert error.status == CommandStatus.ESME_RSYSERR
    assert decode(pair.esme.data_to_send()).command_status == CommandStatus.ESME_RSYSERR
    pair.esme.send_response(DeliverSmResp(sequence_number=5))


def test_sequence_numbers_wrap_and_skip_pending():
    session = Session(Role.ESME, first_sequence_number=0x7FFFFFFE)
    assert session.send_request(BindTransmitter()) == 0x7FFFFFFE
    session.receive_data(encode(BindTransmitter().response(), 0x7FFFFFFE))
    assert session.send_request(SUBMIT) == 0x7FFFFFFF
    assert session.send_request(SUBMIT) == 1
    session2 = Session(Role.ESME, window=5, first_sequence_number=0x7FFFFFFF)
    session2.send_request(BindTransmitter())
    session2.receive_data(encode(BindTransmitter().response(), 0x7FFFFFFF))
    assert [session2.send_request(SUBMIT) for _ in range(2)] == [1, 2]
