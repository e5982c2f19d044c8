"""Golden bytes for every PDU type, both directions (table style, like h11 test_io),
plus the decoder's and encoder's errors."""
from __future__ import annotations

import struct

import pytest

from protocols.smpp import (PDU_TYPES, AlertNotification, BindReceiver, BindReceiverResp,
                            BindTransceiver, BindTransceiverResp, BindTransmitter,
                            BindTransmitterResp, CancelSm, CancelSmResp, CommandStatus,
                            DataSm, DataSmResp, DeliverSm, DeliverSmResp, EnquireLink,
                            EnquireLinkResp, GenericNack, LocalProtocolError, Outbind,
                            QuerySm, QuerySmResp, RemoteProtocolError, ReplaceSm,
                            ReplaceSmResp, SubmitSm, SubmitSmResp, Unbind, UnbindResp,
                            decode, encode)


def frame(command_id: int, body: bytes = b"", status: int = 0, seq: int = 1) -> bytes:
    return struct.pack(">IIII", 16 + len(body), command_id, status, seq) + body


BIND_BODY = b"esme\0secret\0CMT\0\x34\x01\x01\0"
SM = b"\x05\x00\x03\x2a\x02\x01\x00H\x00i"
SUBMIT_BODY = (b"\0" b"\x01\x01" b"15551230000\0" b"\x01\x01" b"447700900123\0"
               b"\x40\x00\x00" b"\0" b"000001000000000R\0" b"\x01\x00\x08\x00"
               b"\x0a" + SM + b"\x02\x0c\x00\x02\x00\x2a")
RECEIPT = b"id:abc123 sub:001 dlvrd:001 submit date:2611271200 done date:2611271201 stat:DELIVRD err:000 text:Hi"
DELIVER_BODY = (b"\0" b"\x01\x01" b"447700900123\0" b"\x01\x01" b"15551230000\0"
                b"\x04\x00\x00" b"\0" b"\0" b"\x00\x00\x00\x00" + bytes([len(RECEIPT)]) + RECEIPT
                + b"\x00\x1e\x00\x07abc123\0" + b"\x04\x27\x00\x01\x02"
                + b"\x04\x23\x00\x03\x03\x00\x05" + b"\x14\x01\x00\x03xyz")
DELIVER = DeliverSm(source_addr_ton=1, source_addr_npi=1, source_addr="447700900123",
                    dest_addr_ton=1, dest_addr_npi=1, destination_addr="15551230000",
                    esm_class=4, short_message=RECEIPT, sequence_number=9,
                    tlvs=((0x001E, b"abc123\0"), (0x0427, b"\x02"), (0x0423, b"\x03\x00\x05"),
                          (0x1401, b"xyz")))

GOLDEN = [
    (GenericNack(command_status=3, sequence_number=5),
     bytes.fromhex("00000010 80000000 00000003 00000005")),
    (BindTransmitter(system_id="esme", password="secret", system_type="CMT", addr_ton=1,
                     addr_npi=1, sequence_number=1), frame(0x02, BIND_BODY)),
    (BindReceiver(system_id="esme", password="secret", system_type="CMT", addr_ton=1,
                  addr_npi=1, sequence_number=1), frame(0x01, BIND_BODY)),
    (BindTransceiver(system_id="esme", password="secret", system_type="CMT", addr_ton=1,
                     addr_npi=1, sequence_number=1), frame(0x09, BIND_BODY)),
    (BindTransmitterResp(system_id="SMSC", tlvs=((0x0210, b"\x34"),), sequence_number=1),
     frame(0x80000002, b"SMSC\0\x02\x10\x00\x01\x34")),
    (BindReceiverResp(system_id="SMSC", sequence_number=2), frame(0x80000001, b"SMSC\0", seq=2)),
    (BindTransceiverResp(system_id="", command_status=0x0E, sequence_number=3),
     frame(0x80000009, b"\0", status=0x0E, seq=3)),
    (Outbind(system_id="smsc", password="pw", sequence_number=4), frame(0x0B, b"smsc\0pw\0", seq=4)),
    (Unbind(sequence_number=7), bytes.fromhex("00000010 00000006 00000000 00000007")),
    (UnbindResp(sequence_number=7), bytes.fromhex("00000010 80000006 00000000 00000007")),
    (EnquireLink(sequence_number=8), bytes.fromhex("00000010 00000015 00000000 00000008")),
    (EnquireLinkResp(sequence_number=8), bytes.fromhex("00000010 80000015 00000000 00000008")),
    (SubmitSm(source_addr_ton=1, source_addr_npi=1, source_addr="15551230000", dest_addr_ton=1,
              dest_addr_npi=1, destination_addr="447700900123", esm_class=0x40,
              validity_period="000001000000000R", registered_delivery=1, data_coding=8,
              short_message=SM, tlvs=((0x020C, b"\x00\x2a"),), sequence_number=1),
     frame(0x04, SUBMIT_BODY)),
    (SubmitSmResp(message_id="abc123", sequence_number=1), frame(0x80000004, b"abc123\0")),
    (DELIVER, frame(0x05, DELIVER_BODY, seq=9)),
    (DeliverSmResp(sequence_number=9), frame(0x80000005, b"\0", seq=9)),
    (DataSm(source_addr="123", destination_addr="456", registered_delivery=1, data_coding=8,
            tlvs=((0x0424, b"\x00H\x00i"),), sequence_number=10),
     frame(0x103, b"\0\0\0" b"123\0" b"\0\0" b"456\0" b"\x00\x01\x08" b"\x04\x24\x00\x04\x00H\x00i",
           seq=10)),
    (DataSmResp(message_id="m1", tlvs=((0x001D, b"ok\0"),), sequence_number=10),
     frame(0x80000103, b"m1\0" b"\x00\x1d\x00\x03ok\0", seq=10)),
    (QuerySm(message_id="abc123", source_addr_ton=1, source_addr_npi=1, source_addr="123",
             sequence_number=11), frame(0x03, b"abc123\0\x01\x01123\0", seq=11)),
    (QuerySmResp(message_id="abc123", final_date="261127120000000+", message_state=2,
                 error_code=0, sequence_number=11),
     frame(0x80000003, b"abc123\0" b"261127120000000+\0" b"\x02\x00", seq=11)),
    (CancelSm(message_id="abc123", source_addr_ton=1, source_addr_npi=1, source_addr="123",
              dest_addr_ton=1, dest_addr_npi=1, destination_addr="456", sequence_number=12),
     frame(0x08, b"\0" b"abc123\0" b"\x01\x01123\0" b"\x01\x01456\0", seq=12)),
    (CancelSmResp(sequence_number=12), frame(0x80000008, seq=12)),
    (ReplaceSm(message_id="abc123", source_addr_ton=1, source_addr_npi=1, source_addr="123",
               registered_delivery=1, short_message=b"new", sequence_number=13),
     frame(0x07, b"abc123\0" b"\x01\x01123\0" b"\0" b"\0" b"\x01\x00" b"\x03new", seq=13)),
    (ReplaceSmResp(sequence_number=13), frame(0x80000007, seq=13)),
    (AlertNotification(source_addr_ton=1, source_addr_npi=1, source_addr="123",
                       esme_addr_ton=1, esme_addr_npi=1, esme_addr="456",
                       tlvs=((0x0422, b"\x00"),), sequence_number=14),
     frame(0x102, b"\x01\x01123\0" b"\x01\x01456\0" b"\x04\x22\x00\x01\x00", seq=14)),
]


def test_golden_table_covers_every_pdu_type():
    assert {type(pdu) for pdu, _ in GOLDEN} == set(PDU_TYPES)


@pytest.mark.parametrize("pdu, data", GOLDEN, ids=[type(p).__name__ for p, _ in GOLDEN])
def test_encode_golden(pdu, data):
    assert encode(pdu) == data


@pytest.mark.parametrize("pdu, data", GOLDEN, ids=[type(p).__name__ for p, _ in GOLDEN])
def test_decode_golden(pdu, data):
    decoded = decode(data)
    assert type(decoded) is type(pdu)
    assert decoded == pdu


# Bytes real peers send that we never produce ourselves: decode only.
DECODE_ONLY = [
    (frame(0x80000004, status=0x58, seq=3), SubmitSmResp(command_status=0x58, sequence_number=3)),
    (frame(0x80000005, seq=4), DeliverSmResp(sequence_number=4)),
    (frame(0x80000009, status=0x0E, seq=1), BindTransceiverResp(command_status=0x0E, sequence_number=1)),
    # latin-1 alphanumeric sender survives unchanged
    (frame(0x80000004, "Zürich\0".encode("latin-1")), SubmitSmResp(message_id="Zürich", sequence_number=1)),
    # a vendor TLV appended to enquire_link_resp is kept, not an error
    (frame(0x80000015, b"\x14\x00\x00\x00"), EnquireLinkResp(tlvs=((0x1400, b""),), sequence_number=1)),
]


@pytest.mark.parametrize("data, pdu", DECODE_ONLY)
def test_decode_only(data, pdu):
    assert decode(data) == pdu


def test_encode_sequence_number_override():
    assert encode(EnquireLink(sequence_number=1), 0x7FFFFFFF)[12:] == b"\x7f\xff\xff\xff"


def test_response_helper_carries_sequence_number():
    assert DELIVER.response() == DeliverSmResp(sequence_number=9)
    assert Outbind().response_type is None
    with pytest.raises(TypeError):
        Outbind().response()


SM_AT = SUBMIT_BODY.index(bytes([len(SM)]) + SM)
BAD_FRAMES = [
    (b"\x00\x00\x00\x10\x00\x00", CommandStatus.ESME_RINVCMDLEN, 0),          # short header
    (frame(0x15, seq=5) + b"x", CommandStatus.ESME_RINVCMDLEN, 5),             # length != size
    (frame(0x21, b"\0" * 20, seq=6), CommandStatus.ESME_RINVCMDID, 6),         # submit_multi
    (frame(0x12345678, seq=7), CommandStatus.ESME_RINVCMDID, 7),
    (frame(0x80000004, b"abc", seq=8), CommandStatus.ESME_RINVCMDLEN, 8),     # no NUL
    (frame(0x04, SUBMIT_BODY[:40], seq=9), CommandStatus.ESME_RINVCMDLEN, 9),  # truncated
    (frame(0x04, SUBMIT_BODY[:SM_AT] + b"\xff" + SM, seq=2), CommandStatus.ESME_RINVCMDLEN, 2),
    (frame(0x15, b"\x00\x1e\x00", seq=3), CommandStatus.ESME_RINVOPTPARSTREAM, 3),
    (frame(0x15, b"\x00\x1e\x00\x09abc", seq=4), CommandStatus.ESME_RINVOPTPARSTREAM, 4),
]


@pytest.mark.parametrize("data, status, seq", BAD_FRAMES)
def test_decode_errors_carry_status_and_sequence(data, status, seq):
    with pytest.raises(RemoteProtocolError) as info:
        decode(data)
    assert info.value.status == status
    assert info.value.sequence_number == seq
    assert not info.value.fatal


def test_submit_body_prefix_is_where_the_test_thinks():
    # guards BAD_FRAMES above: SM_AT is sm_length in SUBMIT_BODY
    assert SM_AT == 55 and SUBMIT_BODY[SM_AT] == len(SM)


@pytest.mark.parametrize("pdu, needle", [
    (SubmitSm(short_message=b"x" * 256), "short_message over 255"),
    (SubmitSm(destination_addr="12\x003"), "NUL"),
    (SubmitSm(esm_class=256), "range"),
    (SubmitSm(short_message="text, not bytes"), "bytes"),
    (SubmitSm(source_addr="\u20ac"), "latin-1"),
    (EnquireLink(sequence_number=2 ** 32), "requires 0 <= number"),
])
def test_encode_errors_are_local(pdu, needle):
    with pytest.raises(LocalProtocolError, match=needle):
        encode(pdu)


def test_encode_rejects_non_pdu():
    with pytest.raises(LocalProtocolError):
        encode("enquire_link")  # type: ignore[arg-type]


def test_decode_accepts_bytearray_and_memoryview():
    data = frame(0x80000004, b"abc\0")
    assert decode(bytearray(data)) == decode(memoryview(data)) == SubmitSmResp(message_id="abc",
                                                                             sequence_number=1)
