"""Decode an inbound short message: text plus concatenation info.

Invariant (as in h11's fuzz harness): for any ``data_coding`` and any bytes,
``decode`` returns a ``Decoded`` or raises ``DecodeError``; nothing else.

Text is ``None`` for 8-bit binary data (data_coding 0x02, 0x04, or a GSM DCS
with the 8-bit alphabet) and for codings this gateway does not interpret
(JIS X 0208/0212, pictograms, compressed or reserved codings); ``payload`` and
``hex`` still carry the bytes, so nothing received is lost.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from segmentation import udh
from segmentation.errors import DecodeError
from segmentation.gsm7 import DEFAULT, alphabet
from segmentation.national import BY_NLI
from segmentation.septets import fill_bits, unpack

GSM7, UCS2, BINARY, UNSUPPORTED = "GSM-7", "UCS-2", "binary", "unsupported"

# SMPP 3.4 5.2.19 data_coding values with a plain byte codec.
_CODECS = {
    0x01: ("IA5", "ascii"),
    0x03: ("Latin-1", "latin-1"),
    0x06: ("Cyrillic", "iso8859_5"),
    0x07: ("Latin/Hebrew", "iso8859_8"),
    0x0A: ("ISO-2022-JP", "iso2022_jp"),
    0x0E: ("KS C 5601", "euc_kr"),
}


class Concat(NamedTuple):
    reference: int
    total: int
    seqno: int
    bits: int          # 8 or 16 (UDH IE 0x00 / 0x08); SAR references are 16-bit


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str | None
    concat: Concat | None
    encoding: str                    # GSM-7, UCS-2, Latin-1, IA5, binary, ...
    payload: bytes                   # user data after the UDH, as received
    udh: bytes = b""
    national_locking: str | None = None
    national_single: str | None = None

    @property
    def hex(self) -> str:
        return self.payload.hex()


def alphabet_of(data_coding: int) -> str:
    """Which alphabet a data_coding value names (SMPP 3.4 + TS 23.038 ch. 4)."""
    if data_coding in (0x00,) or 0xC0 <= data_coding <= 0xDF:
        return GSM7
    if data_coding == 0x08 or 0xE0 <= data_coding <= 0xEF:
        return UCS2
    if data_coding in (0x02, 0x04):
        return BINARY
    if data_coding in _CODECS:
        return _CODECS[data_coding][0]
    if 0xF0 <= data_coding <= 0xFF:
        return BINARY if data_coding & 0x04 else GSM7
    if 0x10 <= data_coding <= 0x7F and not data_coding & 0x20:   # general, uncompressed
        return (GSM7, BINARY, UCS2, UNSUPPORTED)[(data_coding >> 2) & 0x03]
    return UNSUPPORTED


def decode(data_coding: int, data: bytes, *, udhi: bool = False, packed: bool = False,
           sar: tuple[int, int, int] | None = None) -> Decoded:
    """Decode one short message (or message_payload) of an inbound PDU."""
    if not isinstance(data_coding, int) or not 0 <= data_coding <= 0xFF:
        raise DecodeError(f"data_coding must be an octet, not {data_coding!r}")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise DecodeError(f"data must be bytes, not {type(data).__name__}")
    data = bytes(data)
    header, concat, locking, single = b"", None, None, None
    rest = data
    if udhi:
        header, ies, rest = udh.split_udh(data)
        concat, locking, single = _read_ies(ies)
    if concat is None and sar is not None:
        concat = _sar(sar)
    kind = alphabet_of(data_coding)
    text = _text(kind, data_coding, rest, len(header), packed, locking, single)
    return Decoded(
        text=text,
        concat=concat,
        encoding=kind,
        payload=rest,
        udh=header,
        national_locking=locking,
        national_single=single,
    )


def _text(kind, data_coding, rest, header_octets, packed, locking, single) -> str | None:
    if kind == GSM7:
        septets = unpack(rest, fill_bits(header_octets)) if packed else rest
        alpha = DEFAULT if locking is None and single is None else alphabet(locking, single)
        return alpha.decode(septets)
    if kind == UCS2:
        if len(rest) % 2:
            raise DecodeError(f"UCS-2 data has an odd length ({len(rest)} octets)")
        try:
            return rest.decode("utf-16-be")
        except UnicodeDecodeError as exc:
            raise DecodeError(f"UCS-2 data holds a lone surrogate at octet {exc.start}") from None
    if kind in (BINARY, UNSUPPORTED):
        return None
    name, codec = _CODECS[data_coding]
    try:
        return rest.decode(codec)
    except UnicodeDecodeError as exc:
        raise DecodeError(f"{name} data is malformed at octet {exc.start}") from None


def _read_ies(ies: list[tuple[int, bytes]]):
    """(concat, locking lang, single lang) from UDH IEs; the last of a kind wins."""
    concat = locking = single = None
    for iei, value in ies:
        if iei == udh.IEI_CONCAT_8:
            if len(value) != 3:
                raise DecodeError(f"concatenation IE 0x00 has length {len(value)}, not 3")
            concat = _concat(value[0], value[1], value[2], 8)
        elif iei == udh.IEI_CONCAT_16:
            if len(value) != 4:
                raise DecodeError(f"concatenation IE 0x08 has length {len(value)}, not 4")
            concat = _concat((value[0] << 8) | value[1], value[2], value[3], 16)
        elif iei in (udh.IEI_NATIONAL_LOCKING, udh.IEI_NATIONAL_SINGLE):
            if len(value) != 1:
                raise DecodeError(f"national language IE 0x{iei:02X} has length {len(value)}")
            lang = BY_NLI.get(value[0])
            # An unknown language, or one without this kind of table, falls
            # back to the default table (TS 23.038 6.2.1.2.4).
            if iei == udh.IEI_NATIONAL_LOCKING:
                locking = lang.code if lang and lang.locking else None
            else:
                single = lang.code if lang and lang.single else None
    return concat, locking, single


def _concat(reference: int, total: int, seqno: int, bits: int) -> Concat:
    if total == 0 or not 1 <= seqno <= total:
        raise DecodeError(f"concatenation says part {seqno} of {total}")
    return Concat(reference, total, seqno, bits)


def _sar(sar) -> Concat:
    try:
        reference, total, seqno = (int(v) for v in sar)
    except (TypeError, ValueError):
        raise DecodeError(f"SAR must be (ref, total, seqno), not {sar!r}") from None
    if not 0 <= reference <= 0xFFFF or not 0 <= total <= 0xFF:
        raise DecodeError(f"SAR values out of range: {sar!r}")
    return _concat(reference, total, seqno, 16)
