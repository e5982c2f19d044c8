"""The sans-IO session: an ESME and an SMSC session talking to each other in memory."""
from __future__ import annotations

import pytest

from protocols.smpp import (BindReceiver, BindReceiverResp, BindState, BindStateChanged,
                            BindTransceiver, BindTransmitter, CommandStatus, DataSm, DeliverSm,
                            DeliverSmResp, EnquireLink, EnquireLinkResp, GenericNack,
                            GenericNackReceived, LocalProtocolError, Outbind, ProtocolError,
                            RequestReceived, ResponseReceived, Role, Session, SubmitSm,
                            SubmitSmResp, Unbind, decode, encode)

from .helpers import ConnectionPair

SUBMIT = SubmitSm(destination_addr="447700900123", short_message=b"hello", registered_delivery=1)
S = BindState


def test_bind_submit_deliver_unbind():
    pair = ConnectionPair()
    seq = pair.esme.send_request(BindTransceiver(system_id="esme", password="pw"))
    assert pair.esme.state is S.BINDING
    received, changed = pair.to_smsc()
    assert received == RequestReceived(BindTransceiver(system_id="esme", password="pw",
                                                       sequence_number=seq))
    assert changed == BindStateChanged(S.OPEN, S.BINDING)
    pair.smsc.send_response(received.pdu.response(system_id="SMSC"))
    assert pair.smsc.state is S.BOUND_TRX
    response, changed = pair.to_esme()
    assert isinstance(response, ResponseReceived) and response.ok
    assert changed == BindStateChanged(S.BINDING, S.BOUND_TRX)

    seq = pair.esme.send_request(SUBMIT)
    assert pair.esme.outstanding == 1
    (received,) = pair.to_smsc()
    assert received.pdu.destination_addr == "447700900123" and received.pdu.sequence_number == seq
    pair.smsc.send_response(received.pdu.response(message_id="m-1"))
    pair.smsc.send_request(DeliverSm(esm_class=4, short_message=b"id:m-1 stat:DELIVRD"))
    response, deliver = pair.to_esme()
    assert response == ResponseReceived(SUBMIT, SubmitSmResp(message_id="m-1", sequence_number=seq))
    assert isinstance(deliver, RequestReceived) and deliver.pdu.esm_class == 4
    assert pair.esme.outstanding == 0
    pair.esme.send_response(deliver.pdu.response())
    assert isinstance(pair.to_smsc()[0], ResponseReceived)

    pair.esme.send_request(Unbind())
    received, changed = pair.to_smsc()
    assert isinstance(received.pdu, Unbind) and changed.new is S.UNBINDING
    pair.smsc.send_response(received.pdu.response())
    response, changed = pair.to_esme()
    assert isinstance(response, ResponseReceived) and changed == BindStateChanged(S.UNBINDING, S.UNBOUND)
    assert pair.smsc.state is pair.esme.state is S.UNBOUND
    assert pair.esme.pending == {} and pair.smsc.unanswered == {}


@pytest.mark.parametrize("bind, state", [
    (BindTransmitter(), S.BOUND_TX), (BindReceiver(), S.BOUND_RX), (BindTransceiver(), S.BOUND_TRX)])
def test_bind_types(bind, state):
    pair = ConnectionPair()
    pair.bind(bind)
    assert pair.esme.state is pair.smsc.state is state


def test_bind_failure_returns_to_open_and_allows_rebind():
    pair = ConnectionPair()
    pair.esme.send_request(BindTransmitter(system_id="esme", password="wrong"))
    received, _ = pair.to_smsc()
    pair.smsc.send_response(received.pdu.response(command_status=CommandStatus.ESME_RINVPASWD))
    assert pair.smsc.state is S.OPEN
    response, changed = pair.to_esme()
    assert not response.ok and response.response.command_status == 0x0E
    assert changed == BindStateChanged(S.BINDING, S.OPEN)
    pair.bind(BindTransmitter(system_id="esme", password="right"))


def test_generic_nack_to_bind_returns_to_open():
    pair = ConnectionPair()
    pair.esme.send_request(BindTransmitter())
    received, _ = pair.to_smsc()
    pair.smsc.send_response(GenericNack(command_status=CommandStatus.ESME_RBINDFAIL,
                                        sequence_number=received.pdu.sequence_number))
    nack, changed = pair.to_esme()
    assert isinstance(nack, GenericNackReceived) and isinstance(nack.request, BindTransmitter)
    assert pair.esme.state is pair.smsc.state is S.OPEN


def test_submit_before_bind_is_a_local_error():
    session = Session(Role.ESME)
    with pytest.raises(LocalProtocolError) as info:
        session.send_request(SUBMIT)
    assert info.value.status == CommandStatus.ESME_RINVBNDSTS
    assert session.data_to_send() == b""


def test_smsc_answers_submit_while_unbound_with_rinvbndsts():
    smsc = Session(Role.SMSC)
    (error,) = smsc.receive_data(encode(SUBMIT, 5))
    assert error == ProtocolError(CommandStatus.ESME_RINVBNDSTS, "SubmitSm not allowed in state OPEN", 5)
    assert decode(smsc.data_to_send()) == SubmitSmResp(command_status=CommandStatus.ESME_RINVBNDSTS,
                                                       sequence_number=5)


def test_second_bind_gets_ralybnd():
    pair = ConnectionPair()
    pair.bind()
    (error,) = pair.smsc.receive_data(encode(BindTransmitter(), 9))
    assert error.status == CommandStatus.ESME_RALYBND
    assert decode(pair.smsc.data_to_send()).command_status == CommandStatus.ESME_RALYBND
    assert pair.smsc.state is S.BOUND_TRX


def test_direction_rules_follow_bind_type():
    pair = ConnectionPair()
    pair.bind(BindTransmitter())
    with pytest.raises(LocalProtocolError):
        pair.smsc.send_request(DeliverSm())  # a transmitter bind receives no messages
    (error,) = pair.esme.receive_data(encode(DeliverSm(), 3))
    assert error.status == CommandStatus.ESME_RINVBNDSTS
    assert decode(pair.esme.data_to_send()) == DeliverSmResp(command_status=4, sequence_number=3)


def test_receiver_bind_cannot_submit_but_data_sm_flows_both_ways_on_trx():
    pair = ConnectionPair()
    pair.bind(BindReceiver())
    with pytest.raises(LocalProtocolError):
        pair.esme.send_request(SUBMIT)
    pair = ConnectionPair()
    pair.bind()
    pair.esme.send_request(DataSm(destination_addr="1"))
    pair.smsc.send_request(DataSm(destination_addr="2"))
    assert isinstance(pair.to_smsc()[0].pdu, DataSm) and isinstance(pair.to_esme()[0].pdu, DataSm)


def test_bind_resp_must_match_the_bind_type():
    smsc = Session(Role.SMSC)
    smsc.receive_data(encode(BindTransmitter(), 1))
    with pytest.raises(LocalProtocolError):
        smsc.send_response(BindReceiverResp(sequence_number=1))
    assert smsc.state is S.BINDING
    smsc.send_response(BindTransmitter(sequence_number=1).response())
    assert smsc.state is S.BOUND_TX


def test_enquire_link_can_be_left_to_the_caller():
    pair = ConnectionPair(auto_enquire_link_resp=False)
    pair.bind()
    seq = pair.esme.send_request(EnquireLink())
    (received,) = pair.to_smsc()
    assert received == RequestReceived(EnquireLink(sequence_number=seq))
    pair.smsc.send_response(received.pdu.response())
    assert isinstance(pair.to_esme()[0].response, EnquireLinkResp)


def test_outbind_then_receiver_bind():
    smsc, esme = Session(Role.SMSC), Session(Role.ESME)
    smsc.send_request(Outbind(system_id="smsc", password="pw"))
    (received,) = esme.receive_data(smsc.data_to_send())
    assert isinstance(received.pdu, Outbind) and esme.unanswered == {}
    assert esme.pending == {} and smsc.pending == {}
    esme.send_request(BindReceiver(system_id="esme"))
    received, _ = smsc.receive_data(esme.data_to_send())
    smsc.send_response(received.pdu.response())
    esme.receive_data(smsc.data_to_send())
    assert esme.state is smsc.state is S.BOUND_RX


def test_smsc_initiated_unbind_while_a_submit_is_unanswered():
    pair = ConnectionPair()
    pair.bind()
    pair.esme.send_request(SUBMIT)
    (submit,) = pair.to_smsc()
    pair.smsc.send_request(Unbind())
    (unbind, changed) = pair.to_esme()
    assert changed.new is S.UNBINDING
    with pytest.raises(LocalProtocolError):
        pair.esme.send_request(SUBMIT)  # no new work while unbinding
    pair.esme.send_response(unbind.pdu.response())
    pair.smsc.send_response(submit.pdu.response(message_id="still-answered"))
    events = pair.to_esme()
    assert events[0].response.message_id == "still-answered"
    assert pair.to_smsc()[-1] == BindStateChanged(S.UNBINDING, S.UNBOUND)


def test_window_must_be_positive():
    with pytest.raises(ValueError):
        Session(Role.ESME, window=0)


def test_password_not_in_repr():
    assert "pw" not in repr(BindTransceiver(system_id="esme", password="pw"))


def test_session_fed_one_byte_at_a_time_sees_the_same_events():
    def script(feed):
        pair = ConnectionPair()
        pair.bind()
        seqs = [pair.esme.send_request(SubmitSm(short_message=b"%d" % i)) for i in range(3)]
        for received in pair.to_smsc():
            pair.smsc.send_response(received.pdu.response(message_id="id%d" % received.pdu.sequence_number))
        pair.smsc.send_request(DeliverSm(short_message=b"mo"))
        pair.smsc.send_request(EnquireLink())
        events = feed(pair.esme, pair.smsc.data_to_send())
        return seqs, events, pair.esme.data_to_send()

    def all_at_once(session, data):
        return session.receive_data(data)

    def byte_by_byte(session, data):
        return [e for i in range(len(data)) for e in session.receive_data(data[i:i + 1])]

    seqs, events, answered = script(all_at_once)
    assert script(byte_by_byte) == (seqs, events, answered)
    assert [type(e).__name__ for e in events] == ["ResponseReceived"] * 3 + ["RequestReceived"]
    assert decode(answered) == EnquireLinkResp(sequence_number=2)
