"""Cross-check against a third-party codec: our bytes decode in smpplib, and smpplib's
bytes decode in ours, for every PDU type smpplib implements.

smpplib has no outbind, cancel_sm or replace_sm (its factory refuses them); those are
covered by the golden bytes in test_codec.py, and the test below fails if smpplib
gains or we lose a type without this table following.
"""
from __future__ import annotations

import dataclasses

import pytest
from smpplib import exceptions as smpplib_exceptions
from smpplib.smpp import make_pdu, parse_pdu

from protocols.smpp import (PDU_TYPES, AlertNotification, BindReceiver, BindReceiverResp,
                            BindTransceiver, BindTransceiverResp, BindTransmitter,
                            BindTransmitterResp, CancelSm, CancelSmResp, DataSm, DataSmResp,
                            DeliverSm, DeliverSmResp, EnquireLink, EnquireLinkResp,
                            GenericNack, Outbind, QuerySm, QuerySmResp, ReplaceSm,
                            ReplaceSmResp, SubmitSm, SubmitSmResp, Unbind, UnbindResp,
                            decode, encode)
from protocols.smpp.codec import body_fields


class Numbering:
    """smpplib asks its client object for sequence numbers."""

    sequence = 0

    def next_sequence(self) -> int:
        return 1


CLIENT = Numbering()
BIND = dict(system_id="esme", password="secret", system_type="CMT", interface_version=0x34,
            addr_ton=1, addr_npi=1, address_range="^1555")
ADDRS = dict(source_addr_ton=1, source_addr_npi=1, source_addr="15551230000",
             dest_addr_ton=1, dest_addr_npi=1, destination_addr="447700900123")
RECEIPT = b"id:abc123 sub:001 dlvrd:001 submit date:2611271200 done date:2611271201 stat:UNDELIV err:005"
SUBMIT = dict(ADDRS, service_type="CMT", esm_class=0x40, protocol_id=0, priority_flag=1,
              schedule_delivery_time="", validity_period="000001000000000R",
              registered_delivery=1, replace_if_present_flag=0, data_coding=8,
              sm_default_msg_id=0, short_message=b"\x05\x00\x03\x2a\x02\x01\x00H\x00i")
DELIVER = dict(ADDRS, esm_class=4, short_message=RECEIPT)
DATA = dict(ADDRS, service_type="", esm_class=0, registered_delivery=1, data_coding=8)
QUERY = dict(message_id="abc123", source_addr_ton=1, source_addr_npi=1, source_addr="123")
ALERT = dict(source_addr_ton=1, source_addr_npi=1, source_addr="123", esme_addr_ton=2,
             esme_addr_npi=1, esme_addr="456")
QRESP = dict(message_id="abc123", final_date="261127120000000+", message_state=5, error_code=7)

# (our PDU, smpplib command name, smpplib keyword arguments for the same PDU)
CASES = [
    (BindTransmitter(**BIND), "bind_transmitter", BIND),
    (BindReceiver(**BIND), "bind_receiver", BIND),
    (BindTransceiver(**BIND), "bind_transceiver", BIND),
    (BindTransmitterResp(system_id="SMSC", tlvs=((0x0210, b"\x34"),)), "bind_transmitter_resp",
     dict(system_id="SMSC", sc_interface_version=0x34)),
    (BindReceiverResp(system_id="SMSC"), "bind_receiver_resp", dict(system_id="SMSC")),
    (BindTransceiverResp(system_id="SMSC", tlvs=((0x0210, b"\x34"),)), "bind_transceiver_resp",
     dict(system_id="SMSC", sc_interface_version=0x34)),
    (GenericNack(command_status=3), "generic_nack", {}),
    (SubmitSm(**SUBMIT, tlvs=((0x020C, b"\x00\x2a"), (0x020E, b"\x02"), (0x020F, b"\x01"))),
     "submit_sm", dict(SUBMIT, sar_msg_ref_num=0x2a, sar_total_segments=2, sar_segment_seqnum=1)),
    (SubmitSmResp(message_id="abc123"), "submit_sm_resp", dict(message_id="abc123")),
    (DeliverSm(**DELIVER, tlvs=((0x0423, b"\x03\x00\x05"), (0x0427, b"\x05"),
                                (0x001E, b"abc123\0"))),
     "deliver_sm", dict(DELIVER, network_error_code=b"\x03\x00\x05", message_state=5,
                        receipted_message_id="abc123")),
    (DeliverSmResp(), "deliver_sm_resp", {}),
    (DataSm(**DATA, tlvs=((0x0424, b"\x00H\x00i"), (0x001E, b"m9\0"), (0x0427, b"\x02"))),
     "data_sm", dict(DATA, message_payload=b"\x00H\x00i", receipted_message_id="m9",
                     message_state=2)),
    (DataSmResp(message_id="m1", tlvs=((0x001D, b"ok\0"),)), "data_sm_resp",
     dict(message_id="m1", additional_status_info_text="ok")),
    (QuerySm(**QUERY), "query_sm", QUERY),
    (QuerySmResp(**QRESP), "query_sm_resp", QRESP),
    (Unbind(), "unbind", {}),
    (UnbindResp(), "unbind_resp", {}),
    (EnquireLink(), "enquire_link", {}),
    (EnquireLinkResp(), "enquire_link_resp", {}),
    (AlertNotification(**ALERT, tlvs=((0x0422, b"\x01"),)), "alert_notification",
     dict(ALERT, ms_availability_status=1)),
]
NOT_IN_SMPPLIB = {Outbind: "outbind", CancelSm: "cancel_sm", CancelSmResp: "cancel_sm_resp",
                  ReplaceSm: "replace_sm", ReplaceSmResp: "replace_sm_resp"}
IDS = [name for _, name, _ in CASES]


def as_smpplib_value(value):
    return value.encode("latin-1") if isinstance(value, str) else value


def test_cases_cover_every_type_smpplib_has():
    assert {type(pdu) for pdu, _, _ in CASES} | set(NOT_IN_SMPPLIB) == set(PDU_TYPES)
    for name in NOT_IN_SMPPLIB.values():
        with pytest.raises(smpplib_exceptions.UnknownCommandError):
            make_pdu(name, client=CLIENT)


@pytest.mark.parametrize("ours, name, fields", CASES, ids=IDS)
def test_our_bytes_decode_in_smpplib(ours, name, fields):
    theirs = parse_pdu(encode(ours, 77), client=CLIENT)
    assert theirs.command == name
    assert theirs.sequence == 77 and theirs.status == ours.command_status
    for field, value in fields.items():
        assert getattr(theirs, field) == as_smpplib_value(value), field
    for field, _kind in body_fields(type(ours)):  # and nothing we sent was misread
        assert getattr(theirs, field) == as_smpplib_value(getattr(ours, field)), field


@pytest.mark.parametrize("ours, name, fields", CASES, ids=IDS)
def test_smpplib_bytes_decode_in_ours(ours, name, fields):
    theirs = make_pdu(name, client=CLIENT, **fields)
    theirs.sequence = 78
    theirs.status = ours.command_status
    assert decode(theirs.generate()) == dataclasses.replace(ours, sequence_number=78)


@pytest.mark.parametrize("status", [0x58, 0x14])
def test_smpplib_reads_our_error_response(status):
    theirs = parse_pdu(encode(SubmitSmResp(command_status=status), 5), client=CLIENT)
    assert theirs.is_error() and theirs.status == status
