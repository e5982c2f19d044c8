"""Receipt parsing: real-world texts, TLV combinations, PDUs off the wire."""
from __future__ import annotations

import pytest

from protocols.smpp.codec import decode, encode
from protocols.smpp.constants import Tag
from protocols.smpp.pdu import DataSm, DeliverSm
from protocols.smpp.receipt import (
    NetworkError, Receipt, ReceiptError, ReceiptKind, is_receipt, parse_pdu, parse_receipt, parse_text,
    receipt_kind,
)
from protocols.smpp.tlv import build_tlvs

# (short_message as sent by the carrier, expected (message_id, stat, err, sub, dlvrd, text))
REAL_WORLD = [
    # SMPP 3.4 Appendix B style, as quoted by many carriers (err: SMPP status 0x4B)
    (b"id:0911897980 sub:001 dlvrd:000 submit date:1201121551 done date:1201121551 stat:UNDELIV err:075 text:-PROFILE",
     ("0911897980", "UNDELIV", "075", 1, 0, "-PROFILE")),
    # Vonage/Nexmo: zero-padded decimal id, "text:none"
    (b"id:0000000012345678 sub:001 dlvrd:001 submit date:1601010100 done date:1601010101 stat:DELIVRD err:000 text:none",
     ("0000000012345678", "DELIVRD", "000", 1, 1, "none")),
    # 20-digit id (> 2**63), seconds in the dates
    (b"id:64567564356765435676 sub:001 dlvrd:001 submit date:190608165232 done date:190608165237 stat:DELIVRD err:000 text:Hello World",
     ("64567564356765435676", "DELIVRD", "000", 1, 1, "Hello World")),
    # SMPPSim: capital "Text:"
    (b"id:0000000003 sub:001 dlvrd:001 submit date:0911121551 done date:0911121551 stat:DELIVRD err:000 Text:Hello",
     ("0000000003", "DELIVRD", "000", 1, 1, "Hello")),
    # Jasmin: UUID ids, empty text
    (b"id:16fd2706-8baf-433b-82eb-8c7fada847da sub:001 dlvrd:001 submit date:2001011200 done date:2001011201 stat:DELIVRD err:000 text:",
     ("16fd2706-8baf-433b-82eb-8c7fada847da", "DELIVRD", "000", 1, 1, None)),
    # all upper case, long stat form, hex id
    (b"ID:ABCDEF12 SUB:1 DLVRD:1 SUBMIT DATE:2001011200 DONE DATE:2001011201 STAT:DELIVERED ERR:0 TEXT:x",
     ("ABCDEF12", "DELIVRD", "0", 1, 1, "x")),
    # keys out of order, fields missing, hex err
    (b"stat:EXPIRED id:77 err:0x1B", ("77", "EXPIRED", "0x1B", None, None, None)),
    # underscores in the date keys, long REJECTED, hex err without prefix
    (b"id:5 submit_date:2001011200 done_date:2001011201 stat:REJECTED err:A02",
     ("5", "REJECTD", "A02", None, None, None)),
    # err of any length
    (b"id:1 stat:UNDELIVERABLE err:123456", ("1", "UNDELIV", "123456", None, None, None)),
    # trailing NULs and padding
    (b"id:9 stat:DELIVRD err:000\x00\x00   \x00", ("9", "DELIVRD", "000", None, None, None)),
    # text quoting something that looks like a key: keys count once
    (b"id:1 sub:001 dlvrd:001 stat:DELIVRD err:0 text:Your code: 1234 stat:FAKE id:2",
     ("1", "DELIVRD", "0", 1, 1, "Your code: 1234 stat:FAKE id:2")),
    # text before the status fields (some SMSCs)
    (b"id:44 text:hi there stat:UNDELIV err:001", ("44", "UNDELIV", "001", None, None, "hi there")),
    # separators other than spaces
    (b"id:123,stat:DELIVRD;err:0", ("123", "DELIVRD", "0", None, None, None)),
    # CR/LF and tabs between fields
    (b"id:8\r\nstat:ACCEPTED\terr:0\r\n", ("8", "ACCEPTD", "0", None, None, None)),
    # BUFFERED / EN_ROUTE / UNKNOWN long forms
    (b"id:3 stat:BUFFERED err:0", ("3", "BUFFRED", "0", None, None, None)),
    (b"id:3 stat:EN_ROUTE", ("3", "ENROUTE", None, None, None, None)),
]


@pytest.mark.parametrize("text, expected", REAL_WORLD)
def test_real_world_texts(text, expected):
    r = parse_receipt(esm_class=0x04, short_message=text)
    assert (r.message_id, r.stat, r.err, r.sub, r.dlvrd, r.text) == expected


def test_ucs2_receipt_text():
    text = "id:abc sub:001 dlvrd:001 stat:DELIVRD err:000 text:Привет".encode("utf-16-be")
    r = parse_receipt(esm_class=0x04, data_coding=0x08, short_message=text)
    assert (r.message_id, r.stat, r.text) == ("abc", "DELIVRD", "Привет")


@pytest.mark.parametrize("padding", [b"", b"\x00\x00"])
def test_ascii_receipt_labelled_ucs2(padding):
    """An SMSC that copies the message's data_coding 8 onto an ASCII receipt."""
    text = b"id:0A1B sub:001 dlvrd:001 stat:DELIVRD err:000 text:hi" + padding
    assert len(text) % 2 == 0
    r = parse_receipt(esm_class=0x04, data_coding=0x08, short_message=text)
    assert (r.message_id, r.stat, r.err) == ("0A1B", "DELIVRD", "000")


def test_latin1_receipt_text():
    r = parse_receipt(esm_class=0x04, data_coding=0x03, short_message="id:1 stat:DELIVRD text:Grüße".encode("latin-1"))
    assert r.text == "Grüße"


@pytest.mark.parametrize("esm_class, kind", [
    (0x04, ReceiptKind.SMSC), (0x08, ReceiptKind.SME_ACK), (0x10, ReceiptKind.MANUAL_ACK),
    (0x20, ReceiptKind.INTERMEDIATE), (0x44, ReceiptKind.SMSC), (0x00, None), (0x40, None), (0x03, None),
])
def test_receipt_kind_from_esm_class(esm_class, kind):
    assert receipt_kind(esm_class) is kind


def test_not_a_receipt_is_none():
    assert parse_receipt(esm_class=0, short_message=b"id:1 stat:DELIVRD") is None  # a handset's text


def test_tlvs_win_over_text():
    r = parse_receipt(esm_class=0x04, short_message=b"id:111 stat:DELIVRD err:000", tlvs={
        "receipted_message_id": b"222\x00", "message_state": 5, "network_error_code": b"\x03\x00\x1b"})
    assert (r.message_id, r.stat, r.stat_raw, r.message_state) == ("222", "UNDELIV", "DELIVRD", 5)
    assert r.network_error == NetworkError(3, 27)
    assert r.err == "000"  # the text's err is still kept for support


@pytest.mark.parametrize("state, stat", [(1, "ENROUTE"), (2, "DELIVRD"), (3, "EXPIRED"), (4, "DELETED"),
                                         (5, "UNDELIV"), (6, "ACCEPTD"), (7, "UNKNOWN"), (8, "REJECTD"),
                                         (42, "STATE42")])
def test_message_state_tlv_alone(state, stat):
    r = parse_receipt(esm_class=0x04, tlvs={"receipted_message_id": "a1", "message_state": state})
    assert (r.message_id, r.stat, r.err, r.text) == ("a1", stat, None, None)


def test_receipt_in_message_payload():
    r = parse_receipt(esm_class=0x04, tlvs={"message_payload": b"id:7 stat:DELIVRD err:0"})
    assert (r.message_id, r.stat) == ("7", "DELIVRD")


def test_receipted_message_id_alone_makes_a_receipt():
    assert is_receipt(0, {"receipted_message_id": "1"})
    assert parse_receipt(esm_class=0, tlvs={"receipted_message_id": "1", "message_state": 2}).stat == "DELIVRD"


@pytest.mark.parametrize("tlvs, why", [
    ({"receipted_message_id": "1", "message_state": b"\x01\x02"}, "message_state: not a 1-octet integer"),
    ({"receipted_message_id": "1", "message_state": b""}, "message_state: empty"),
    ({"receipted_message_id": "1", "network_error_code": b"\x03\x00"}, "must be 3 octets, got 2"),
    ({"receipted_message_id": "1", "network_error_code": b"\x05"}, "must be 3 octets, got 1"),
    ({"receipted_message_id": "1", "network_error_code": "zz"}, "not hex"),
    ({"receipted_message_id": 5}, "receipted_message_id: not a string"),
])
def test_a_malformed_optional_tlv_is_ignored_and_named(tlvs, why):
    r = parse_receipt(esm_class=0x04, short_message=b"id:1 stat:UNDELIV err:027", tlvs=tlvs)
    assert (r.message_id, r.stat, r.err) == ("1", "UNDELIV", "027")  # from the rest
    (ignored,) = r.ignored
    assert why in ignored
    assert r.network_error is None


def test_receipt_without_any_id_raises_receipt_error():
    with pytest.raises(ReceiptError, match="message id"):
        parse_receipt(esm_class=0x04, tlvs={"message_state": 2})


# RestComm smscgateway's test fixture: a deliver_sm receipt whose
# network_error_code TLV carries a single octet.  The daemon used to pad it
# into a GSM MAP cause and the receipt command refused the whole line.
RESTCOMM = DeliverSm(esm_class=0x04, short_message=(
    b"id:0000000001 sub:001 dlvrd:001 submit date:1408121200 done date:1408121201 "
    b"stat:UNDELIV err:004 text:Hello"), tlvs=((Tag.RECEIPTED_MESSAGE_ID, b"0000000001\x00"),
                                         (Tag.MESSAGE_STATE, b"\x05"),
                                         (Tag.NETWORK_ERROR_CODE, b"\x03")))


def test_one_octet_network_error_code_off_the_wire_is_ignored():
    r = parse_pdu(wire(RESTCOMM))
    assert (r.message_id, r.stat, r.err, r.network_error) == ("0000000001", "UNDELIV", "004", None)
    assert r.ignored == ("network_error_code: must be 3 octets, got 1",)


def test_round_trip_through_dict():
    r = parse_receipt(esm_class=0x20, short_message=b"id:1 sub:1 stat:ENROUTE",
                      tlvs={"network_error_code": "030001"})
    assert Receipt.from_dict(r.to_dict()) == r


def wire(pdu):
    """The PDU as the SMSC sent it: encoded and decoded by the real codec."""
    return decode(encode(pdu, 7))


def test_deliver_sm_off_the_wire():
    pdu = wire(DeliverSm(esm_class=0x04, short_message=b"id:1F sub:001 stat:UNDELIV err:0",
                         tlvs=build_tlvs([(Tag.RECEIPTED_MESSAGE_ID, "0001f"), (Tag.MESSAGE_STATE, 5),
                                          (Tag.NETWORK_ERROR_CODE, (3, 31)), (0x1401, b"vendor")])))
    r = parse_pdu(pdu)
    assert (r.message_id, r.stat, r.network_error) == ("0001f", "UNDELIV", NetworkError(3, 31))


def test_data_sm_receipt_off_the_wire():
    pdu = wire(DataSm(esm_class=0x04, tlvs=build_tlvs([
        (Tag.RECEIPTED_MESSAGE_ID, "abc"), (Tag.MESSAGE_STATE, 2),
        (Tag.MESSAGE_PAYLOAD, b"id:abc stat:DELIVRD err:000 text:hey")])))
    r = parse_pdu(pdu)
    assert (r.message_id, r.stat, r.err, r.text) == ("abc", "DELIVRD", "000", "hey")


def test_mo_deliver_sm_is_not_a_receipt():
    assert parse_pdu(wire(DeliverSm(short_message=b"id:5 stat:DELIVRD"))) is None


def test_parse_text_fields():
    assert parse_text("Submit Date:2001011200 DONE_DATE:2001011201") == {
        "submit date": "2001011200", "done date": "2001011201"}
