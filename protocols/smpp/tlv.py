"""Typed access to optional parameters (TLVs).

PDUs keep their TLVs exactly as they came: a tuple of (tag, raw value bytes), in
order, unknown vendor tags included. This module turns the raw value of a known tag
into a Python value and back, tolerantly on the way in (a carrier that sends
message_state in two octets, or receipted_message_id without its NUL, still reads):

    kind   tags (examples)                          Python value
    int    message_state, sar_*, sc_interface_...   int (big-endian, any length)
    cstr   receipted_message_id, additional_...     str (latin-1, NULs stripped)
    octets message_payload, callback_num, ...       bytes
    neterr network_error_code                       NetworkErrorCode(type, code)
    flag   alert_on_message_delivery                True (zero-length value)
"""
from __future__ import annotations

from typing import Any, Iterable, NamedTuple

from .constants import Tag
from .errors import LocalProtocolError


class NetworkErrorCode(NamedTuple):
    """network_error_code: one octet network type (3 = GSM), two octets error code."""

    network_type: int
    error_code: int


# tag -> (kind, width of an int on the wire)
_INT1 = ("int", 1)
_INT2 = ("int", 2)
_INT4 = ("int", 4)
_CSTR = ("cstr", 0)
_OCTETS = ("octets", 0)

TLV_TYPES: dict[int, tuple[str, int]] = {
    Tag.DEST_ADDR_SUBUNIT: _INT1, Tag.DEST_NETWORK_TYPE: _INT1,
    Tag.DEST_BEARER_TYPE: _INT1, Tag.DEST_TELEMATICS_ID: _INT2,
    Tag.SOURCE_ADDR_SUBUNIT: _INT1, Tag.SOURCE_NETWORK_TYPE: _INT1,
    Tag.SOURCE_BEARER_TYPE: _INT1, Tag.SOURCE_TELEMATICS_ID: _INT1,
    Tag.QOS_TIME_TO_LIVE: _INT4, Tag.PAYLOAD_TYPE: _INT1,
    Tag.ADDITIONAL_STATUS_INFO_TEXT: _CSTR, Tag.RECEIPTED_MESSAGE_ID: _CSTR,
    Tag.MS_MSG_WAIT_FACILITIES: _INT1, Tag.PRIVACY_INDICATOR: _INT1,
    Tag.SOURCE_SUBADDRESS: _OCTETS, Tag.DEST_SUBADDRESS: _OCTETS,
    Tag.USER_MESSAGE_REFERENCE: _INT2, Tag.USER_RESPONSE_CODE: _INT1,
    Tag.SOURCE_PORT: _INT2, Tag.DESTINATION_PORT: _INT2,
    Tag.SAR_MSG_REF_NUM: _INT2, Tag.LANGUAGE_INDICATOR: _INT1,
    Tag.SAR_TOTAL_SEGMENTS: _INT1, Tag.SAR_SEGMENT_SEQNUM: _INT1,
    Tag.SC_INTERFACE_VERSION: _INT1, Tag.CALLBACK_NUM_PRES_IND: _INT1,
    Tag.CALLBACK_NUM_ATAG: _OCTETS, Tag.NUMBER_OF_MESSAGES: _INT1,
    Tag.CALLBACK_NUM: _OCTETS, Tag.DPF_RESULT: _INT1, Tag.SET_DPF: _INT1,
    Tag.MS_AVAILABILITY_STATUS: _INT1, Tag.NETWORK_ERROR_CODE: ("neterr", 3),
    Tag.MESSAGE_PAYLOAD: _OCTETS, Tag.DELIVERY_FAILURE_REASON: _INT1,
    Tag.MORE_MESSAGES_TO_SEND: _INT1, Tag.MESSAGE_STATE: _INT1,
    Tag.USSD_SERVICE_OP: _INT1, Tag.DISPLAY_TIME: _INT1, Tag.SMS_SIGNAL: _INT2,
    Tag.MS_VALIDITY: _INT1, Tag.ALERT_ON_MESSAGE_DELIVERY: ("flag", 0),
    Tag.ITS_REPLY_TYPE: _INT1, Tag.ITS_SESSION_INFO: _OCTETS,
}


def find_raw(tlvs: tuple[tuple[int, bytes], ...], tag: int) -> bytes | None:
    """Raw value of the first TLV with this tag, or None."""
    for t, v in tlvs:
        if t == tag:
            return v
    return None


def parse_value(tag: int, raw: bytes) -> Any:
    """The typed value of a raw TLV value; unknown tags give the bytes back."""
    kind, _width = TLV_TYPES.get(tag, _OCTETS)
    if kind == "int":
        return int.from_bytes(raw, "big")
    if kind == "cstr":
        return raw.split(b"\0", 1)[0].decode("latin-1")
    if kind == "neterr":
        padded = raw.ljust(3, b"\0")
        return NetworkErrorCode(padded[0], int.from_bytes(padded[1:3], "big"))
    if kind == "flag":
        return True
    return raw


def make_tlv(tag: int, value: Any) -> tuple[int, bytes]:
    """(tag, raw bytes) for a typed value: `make_tlv(Tag.SAR_MSG_REF_NUM, 7)`.

    bytes are always taken as the raw value. Raises LocalProtocolError for a value
    that does not fit the tag's type.
    """
    tag = int(tag)
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
    else:
        kind, width = TLV_TYPES.get(tag, _OCTETS)
        try:
            raw = _encode_typed(kind, width, value)
        except (TypeError, ValueError, OverflowError) as e:
            raise LocalProtocolError("bad value for TLV 0x%04X: %s" % (tag, e)) from None
    if len(raw) > 0xFFFF:
        raise LocalProtocolError("TLV 0x%04X value over 65535 octets" % tag)
    return (tag, raw)


def _encode_typed(kind: str, width: int, value: Any) -> bytes:
    if kind == "int":
        return int(value).to_bytes(width, "big")
    if kind == "cstr":
        text = str(value).encode("latin-1")
        if b"\0" in text:
            raise ValueError("NUL inside a C-octet string")
        return text + b"\0"
    if kind == "neterr":
        network_type, error_code = value
        return bytes((network_type,)) + int(error_code).to_bytes(2, "big")
    if kind == "flag":
        return b""
    if isinstance(value, str):
        return value.encode("latin-1")
    raise TypeError("expected bytes for an octet-string TLV, got %r" % type(value).__name__)


def build_tlvs(items: Iterable[tuple[int, Any]]) -> tuple[tuple[int, bytes], ...]:
    """`build_tlvs([(Tag.MESSAGE_STATE, 2), (Tag.RECEIPTED_MESSAGE_ID, "ab12")])`."""
    return tuple(make_tlv(tag, value) for tag, value in items)
