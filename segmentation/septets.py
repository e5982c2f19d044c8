"""Packing of GSM 7-bit septets into octets (3GPP TS 23.038 6.1.2.1.1).

Septet *i* occupies bits ``fill + 7*i`` .. ``fill + 7*i + 6`` of the
little-endian bit string, where ``fill`` is the number of fill bits that
align the first septet after a UDH on a septet boundary (TS 23.040 9.2.3.24).
SMPP usually carries GSM-7 unpacked (one septet per octet); packed septets
are for carriers that ask for them and for SMS-PP/MMS paths.

Padding rule (TS 23.038 6.1.2.3.1): when the last octet would have 7 spare
bits, they carry CR instead of zeros, so the receiver does not read a
spurious '@'.  ``unpack`` without a known septet count drops that CR.  A body
whose own last character is CR at such a position is ambiguous on the wire;
pass ``count`` when the real septet count is known.

Both directions take groups of 8 septets <-> 7 octets, so cost is linear.
"""
from __future__ import annotations

from segmentation.errors import DecodeError

_CR = 0x0D
_SEPTET_VALUES = bytes(range(128))


def fill_bits(udh_octets: int) -> int:
    """Fill bits after a UDH of ``udh_octets`` octets (TS 23.040 9.2.3.24)."""
    return (7 - (udh_octets * 8) % 7) % 7


def pack(septets: bytes, fill: int = 0) -> bytes:
    """Pack septets (one per octet, values 0..127) into octets after ``fill`` bits."""
    if septets.translate(None, _SEPTET_VALUES):
        raise ValueError("a septet is above 0x7F")
    if (fill + 7 * len(septets)) % 8 == 1:   # 7 spare bits would remain
        septets += bytes([_CR])
    length = (fill + 7 * len(septets) + 7) // 8
    groups = []
    for start in range(0, len(septets), 8):
        value = 0
        for i, septet in enumerate(septets[start:start + 8]):
            value |= septet << (7 * i)
        groups.append(value.to_bytes(7, "little"))
    value = int.from_bytes(b"".join(groups), "little") << fill
    return value.to_bytes(length + 7, "little")[:length]


def unpack(data: bytes, fill: int = 0, count: int | None = None) -> bytes:
    """Unpack octets into septets (one per octet), skipping ``fill`` bits.

    ``count`` is the number of septets when known (e.g. from TP-UDL); without
    it every whole septet is returned, less a trailing CR that only filled 7
    spare bits.
    """
    bits = len(data) * 8 - fill
    available = max(bits // 7, 0)
    auto = count is None
    if auto:
        count = available
    elif count > available:
        raise DecodeError(f"packed GSM 7-bit data holds {available} septets, not {count}")
    raw = (int.from_bytes(data, "little") >> fill).to_bytes(len(data) + 7, "little")
    out = bytearray()
    for start in range(0, count, 8):
        offset = start // 8 * 7
        value = int.from_bytes(raw[offset:offset + 7], "little")
        for i in range(min(8, count - start)):
            out.append((value >> (7 * i)) & 0x7F)
    if auto and bits % 7 == 0 and out[-1:] == b"\r":
        del out[-1]  # CR that filled 7 spare bits
    return bytes(out)
