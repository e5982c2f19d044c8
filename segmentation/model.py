"""The values a plan is made of: ``Plan`` and its ``Part``s."""
from __future__ import annotations

from dataclasses import dataclass

GSM7 = "GSM-7"
UCS2 = "UCS-2"
DATA_CODING = {GSM7: 0x00, UCS2: 0x08}   # SMPP: SMSC default alphabet / UCS-2


@dataclass(frozen=True, slots=True)
class Part:
    """One PDU's worth of a message.

    ``payload`` is GSM-7 unpacked (one septet per octet, the way SMPP carries
    data_coding 0x00) or UCS-2 big-endian; ``units`` counts septets (escapes
    included) or UTF-16 code units.  ``udh`` is b"" when there is none.
    ``sar`` is (sar_msg_ref_num, sar_total_segments, sar_segment_seqnum) in
    SAR mode for a multi-part message, else None.
    """

    text: str
    units: int
    udh: bytes
    payload: bytes
    seqno: int
    total: int
    data_coding: int
    sar: tuple[int, int, int] | None = None

    @property
    def short_message(self) -> bytes:
        return self.udh + self.payload

    @property
    def esm_class_udhi(self) -> bool:
        return bool(self.udh)

    @property
    def air_octets(self) -> int:
        """TP-User-Data octets on the air interface (GSM-7 packed, UDH included)."""
        if self.data_coding == DATA_CODING[UCS2]:
            return len(self.udh) + len(self.payload)
        header_septets = (len(self.udh) * 8 + 6) // 7      # UDH plus fill bits
        return ((header_septets + self.units) * 7 + 7) // 8


@dataclass(frozen=True, slots=True)
class Plan:
    """How a body goes on the wire and what it costs.

    ``num_segments`` is the billed count: the parts an SMSC delivers.  It
    equals ``len(parts)`` in "udh" and "sar" modes; in "payload" mode there
    is one PDU (``parts`` has one element) that the network still delivers as
    ``num_segments`` segments.
    """

    encoding: str
    data_coding: int
    num_segments: int
    parts: tuple[Part, ...]
    units: int
    mode: str = "udh"
    national_locking: str | None = None
    national_single: str | None = None
    ucs2_chars: tuple[str, ...] = ()
