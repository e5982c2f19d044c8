"""User Data Header (3GPP TS 23.040 9.2.3.24): build, size and parse.

A UDH is one length octet (UDHL) followed by information elements, each
IEI, length, value.  The ones this gateway writes and reads:

* 0x00 concatenation, 8-bit reference: ref, total, seqno  -> UDH of 6 octets
* 0x08 concatenation, 16-bit reference: ref(2), total, seqno -> 7 octets
* 0x24 national language locking shift: NLI (+3 octets)
* 0x25 national language single shift: NLI (+3 octets)

Capacity follows from the 140-octet user data: GSM-7 loses
ceil(8 * udh_octets / 7) septets (153 = 160 - ceil(48/7), 152 = 160 -
ceil(56/7)); UCS-2 loses whole octets (67 = (140 - 6) // 2, 66 = (140 - 7) // 2).
"""
from __future__ import annotations

from segmentation.errors import DecodeError

USER_DATA_OCTETS = 140                          # TP-UD limit
GSM7_SEPTETS = USER_DATA_OCTETS * 8 // 7         # 160
UCS2_UNITS = USER_DATA_OCTETS // 2               # 70

IEI_CONCAT_8 = 0x00
IEI_CONCAT_16 = 0x08
IEI_NATIONAL_LOCKING = 0x24
IEI_NATIONAL_SINGLE = 0x25

_CONCAT_IE_OCTETS = {8: 5, 16: 6}                # IEI + IEDL + value
_NATIONAL_IE_OCTETS = 3                          # IEI + IEDL + NLI


def header_octets(concat_bits: int | None, national_ies: int) -> int:
    """Octets of a UDH with an optional concat IE and 0..2 national IEs."""
    ies = (_CONCAT_IE_OCTETS[concat_bits] if concat_bits else 0) + _NATIONAL_IE_OCTETS * national_ies
    return 1 + ies if ies else 0


def gsm7_capacity(udh_octets: int) -> int:
    """Septets left beside a UDH of ``udh_octets`` (fill bits included)."""
    return GSM7_SEPTETS - (udh_octets * 8 + 6) // 7


def ucs2_capacity(udh_octets: int) -> int:
    """UTF-16 code units left beside a UDH of ``udh_octets``."""
    return (USER_DATA_OCTETS - udh_octets) // 2


def concat_ie(reference: int, total: int, seqno: int, bits: int) -> bytes:
    if bits == 8:
        return bytes((IEI_CONCAT_8, 3, reference, total, seqno))
    return bytes((IEI_CONCAT_16, 4, reference >> 8, reference & 0xFF, total, seqno))


def national_ies(locking_nli: int | None, single_nli: int | None) -> bytes:
    out = b""
    if locking_nli is not None:
        out += bytes((IEI_NATIONAL_LOCKING, 1, locking_nli))
    if single_nli is not None:
        out += bytes((IEI_NATIONAL_SINGLE, 1, single_nli))
    return out


def wrap(ies: bytes) -> bytes:
    """UDH bytes (UDHL + IEs), or b"" when there is no IE."""
    return bytes((len(ies),)) + ies if ies else b""


def split_udh(data: bytes) -> tuple[bytes, list[tuple[int, bytes]], bytes]:
    """Split user data into (udh, [(iei, value)], rest); malformed -> DecodeError."""
    if not data:
        raise DecodeError("UDHI is set but the user data is empty")
    udhl = data[0]
    if 1 + udhl > len(data):
        raise DecodeError(f"UDH length {udhl} exceeds the {len(data) - 1} octets that follow")
    ies: list[tuple[int, bytes]] = []
    pos, end = 1, 1 + udhl
    while pos < end:
        if pos + 2 > end:
            raise DecodeError(f"UDH information element at octet {pos} is truncated")
        iei, length = data[pos], data[pos + 1]
        if pos + 2 + length > end:
            raise DecodeError(f"UDH information element 0x{iei:02X} overruns the header")
        ies.append((iei, data[pos + 2:pos + 2 + length]))
        pos += 2 + length
    return data[:end], ies, data[end:]
