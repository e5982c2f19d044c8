"""Typed TLV access: building, reading, tolerance for carriers' variants."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocols.smpp import (DeliverSm, LocalProtocolError, NetworkErrorCode, Tag,
                            build_tlvs, make_tlv, parse_value)
from protocols.smpp.tlv import TLV_TYPES


@pytest.mark.parametrize("tag, value, raw", [
    (Tag.RECEIPTED_MESSAGE_ID, "abc123", b"abc123\0"),
    (Tag.MESSAGE_STATE, 2, b"\x02"),
    (Tag.SAR_MSG_REF_NUM, 0x1234, b"\x12\x34"),
    (Tag.QOS_TIME_TO_LIVE, 86400, b"\x00\x01\x51\x80"),
    (Tag.NETWORK_ERROR_CODE, NetworkErrorCode(3, 0x0105), b"\x03\x01\x05"),
    (Tag.MESSAGE_PAYLOAD, b"\x00H\x00i", b"\x00H\x00i"),
    (Tag.ALERT_ON_MESSAGE_DELIVERY, True, b""),
    (0x1401, b"vendor", b"vendor"),
])
def test_make_and_parse(tag, value, raw):
    assert make_tlv(tag, value) == (int(tag), raw)
    assert parse_value(tag, raw) == value


def test_pdu_tlv_reads_first_occurrence_typed_and_raw():
    pdu = DeliverSm(tlvs=build_tlvs([(Tag.RECEIPTED_MESSAGE_ID, "0A1B"), (Tag.MESSAGE_STATE, 5),
                                     (Tag.NETWORK_ERROR_CODE, (3, 6))]) + ((0x1E, b"second\0"),))
    assert pdu.tlv(Tag.RECEIPTED_MESSAGE_ID) == "0A1B"
    assert pdu.tlv(Tag.MESSAGE_STATE) == 5
    assert pdu.tlv(Tag.NETWORK_ERROR_CODE) == (3, 6)
    assert pdu.tlv(Tag.NETWORK_ERROR_CODE).error_code == 6
    assert pdu.tlv(Tag.MESSAGE_PAYLOAD) is None
    assert pdu.tlv(Tag.MESSAGE_PAYLOAD, b"") == b""
    assert pdu.tlv_raw(Tag.RECEIPTED_MESSAGE_ID) == b"0A1B\0"


@pytest.mark.parametrize("tag, raw, value", [
    (Tag.RECEIPTED_MESSAGE_ID, b"abc", "abc"),            # NUL missing
    (Tag.RECEIPTED_MESSAGE_ID, b"abc\0\0\0", "abc"),      # padded
    (Tag.MESSAGE_STATE, b"\x00\x02", 2),                  # int sent in two octets
    (Tag.MESSAGE_STATE, b"", 0),
    (Tag.NETWORK_ERROR_CODE, b"\x03", (3, 0)),            # short
    (Tag.NETWORK_ERROR_CODE, b"\x03\x00\x05\x00", (3, 5)),
])
def test_tolerant_reading(tag, raw, value):
    assert parse_value(tag, raw) == value


@pytest.mark.parametrize("tag, value", [
    (Tag.MESSAGE_STATE, 256), (Tag.SAR_MSG_REF_NUM, -1), (Tag.RECEIPTED_MESSAGE_ID, "a\0b"),
    (Tag.RECEIPTED_MESSAGE_ID, "\u20ac"), (Tag.MESSAGE_PAYLOAD, 5),
    (Tag.MESSAGE_PAYLOAD, b"x" * 65536), (Tag.NETWORK_ERROR_CODE, (3,)),
])
def test_bad_values_are_local_errors(tag, value):
    with pytest.raises(LocalProtocolError):
        make_tlv(tag, value)


@given(st.sampled_from(sorted(TLV_TYPES)), st.binary(max_size=8))
def test_parse_value_never_raises(tag, raw):
    parse_value(tag, raw)
