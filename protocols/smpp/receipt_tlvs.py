"""Receipt TLVs: reading ``receipted_message_id``, ``message_state`` and
``network_error_code`` leniently (pure).

Rules: a TLV's raw octets, or an already typed value (str, int, a (type,
code) pair, hex text), are accepted.  A malformed one raises ``_Ignored``
inside this module; ``read_tlv`` turns that into None and a note in the
caller's ``ignored`` list, so the receipt is read around it.
``protocols.smpp.receipt`` joins this with the text.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .constants import Tag


@dataclass(frozen=True)
class NetworkError:
    """The ``network_error_code`` TLV: network type (3 = GSM) and code."""

    network_type: int
    code: int

    def __str__(self) -> str:
        return f"{self.network_type}:{self.code}"


class _Ignored(ValueError):
    """A malformed optional TLV: the receipt is read without it."""


def tlv_text(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        value = bytes(value).split(b"\x00", 1)[0].decode("latin-1")  # a C-octet string
    if not isinstance(value, str):
        raise _Ignored(f"{name}: not a string")
    value = value.strip("\x00 \t\r\n")
    return value or None


def tlv_int(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        # 1 octet; a longer value whose extra leading octets are 0 still reads
        if not value:
            raise _Ignored(f"{name}: empty")
        value = int.from_bytes(value, "big")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFF:
        raise _Ignored(f"{name}: not a 1-octet integer ({value!r})")
    return value


def tlv_network_error(value: Any) -> NetworkError | None:
    if value is None or isinstance(value, NetworkError):
        return value
    if isinstance(value, str):
        try:
            value = bytes.fromhex(value)
        except ValueError:
            raise _Ignored("network_error_code: not hex") from None
    if isinstance(value, tuple) and len(value) == 2:
        try:
            net_type, code = int(value[0]), int(value[1])
        except (TypeError, ValueError):
            raise _Ignored("network_error_code: not (type, code)") from None
        if 0 <= net_type <= 0xFF and 0 <= code <= 0xFFFF:
            return NetworkError(net_type, code)
        raise _Ignored("network_error_code: out of range")
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise _Ignored("network_error_code: not octets")
    if len(value) != 3:
        raise _Ignored(f"network_error_code: must be 3 octets, got {len(value)}")
    data = bytes(value)
    return NetworkError(data[0], int.from_bytes(data[1:3], "big"))


def read_tlv(read: Any, value: Any, name: str, ignored: list[str]) -> Any:
    """``read(value, name)``, or None (noted in ``ignored``) when malformed."""
    try:
        return read(value, name)
    except _Ignored as exc:
        ignored.append(str(exc))
        return None


_RECEIPT_TLVS = {
    "receipted_message_id": Tag.RECEIPTED_MESSAGE_ID,
    "message_state": Tag.MESSAGE_STATE,
    "network_error_code": Tag.NETWORK_ERROR_CODE,
    "message_payload": Tag.MESSAGE_PAYLOAD,
}


_RECEIPT_TAGS = {int(tag): name for name, tag in _RECEIPT_TLVS.items()}


def pdu_tlvs(pdu: Any) -> dict[str, bytes]:
    """The receipt TLVs of a DeliverSm/DataSm, raw, by name (absent: missing).

    The first TLV of each tag counts (as ``pdu.tlv(tag)``); one pass over
    them.  Raw octets, so that ``parse_receipt`` judges their shape: this is
    the one reading of a receipt's TLVs, for the daemon and the
    ``carrier-gateway receipt`` command alike.
    """
    values: dict[str, bytes] = {}
    for tag, raw in pdu.tlvs:
        name = _RECEIPT_TAGS.get(tag)
        if name is not None and name not in values:
            values[name] = raw
    return values
