"""Pure: a stored message + its segmentation plan -> the submit_sm PDUs.

Rules:

* Addresses: ``+E164`` goes out as TON 1 (international) / NPI 1 (ISDN)
  without the ``+``; an alphanumeric sender as TON 5 / NPI 0; a short code
  (digits only, no ``+``) as TON 3 (network specific) / NPI 0.
* ``esm_class`` gets UDHI (0x40) on parts that carry a UDH; SAR parts carry
  the three ``sar_*`` TLVs instead; ``payload`` mode sends the whole body in
  one ``message_payload`` TLV with an empty ``short_message``.
* ``validity_period`` says when the message's ``expires_at`` comes, in the
  carrier's ``validity_format``: ``"relative"`` (the default) is the SMPP
  relative form ``YYMMDDhhmmss000R`` of the time left (so a message that
  waited in the queue gets only what remains of its validity);
  ``"absolute"`` is the absolute form ``YYMMDDhhmmsstnnp`` of that moment
  in UTC (``tnn+`` = tenths of a second, 00 quarter hours ahead of UTC),
  for SMSCs that refuse or warn about the relative form.
"""
from __future__ import annotations

import struct
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Mapping

from protocols.smpp.constants import Tag
from protocols.smpp.fast import fast_constructor
from protocols.smpp.pdu import SubmitSm

ESM_UDHI = 0x40
TON_INTERNATIONAL, TON_NETWORK, TON_ALPHANUMERIC = 1, 3, 5
NPI_UNKNOWN, NPI_ISDN = 0, 1

MAX_RELATIVE_DAYS = 99  # two decimal digits in the DD field
# One SubmitSm per part sent: built through its slots (``protocols.smpp.fast``).
_submit_sm = fast_constructor(SubmitSm)


def address(value: str) -> tuple[int, int, str]:
    """(ton, npi, digits-or-name) for a message address."""
    if value.startswith("+") and value[1:].isdigit():
        return TON_INTERNATIONAL, NPI_ISDN, value[1:]
    if value.isdigit():
        return TON_NETWORK, NPI_UNKNOWN, value
    return TON_ALPHANUMERIC, NPI_UNKNOWN, value


@lru_cache(maxsize=256)  # messages sent together have the same seconds left
def _relative(left: int) -> str:
    days, left = divmod(left, 86400)
    days = min(days, MAX_RELATIVE_DAYS)
    hours, left = divmod(left, 3600)
    minutes, secs = divmod(left, 60)
    return f"0000{days:02d}{hours:02d}{minutes:02d}{secs:02d}000R"


def relative_validity(seconds: float) -> str:
    """SMPP 3.4 relative time (section 7.1.1) for *seconds* from now."""
    return _relative(max(1, int(seconds)))


def absolute_validity(moment: datetime) -> str:
    """SMPP 3.4 absolute time (section 7.1.1) of *moment*, written in UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    tenths = moment.microsecond // 100_000
    return f"{moment:%y%m%d%H%M%S}{tenths}00+"


def validity_field(seconds: float | None, now: datetime, validity_format: str = "relative") -> str:
    """The validity_period for *seconds* of validity left at *now* ("" = none)."""
    if seconds is None:
        return ""
    if validity_format == "absolute":
        return absolute_validity(now + timedelta(seconds=max(1.0, seconds)))
    return relative_validity(seconds)


def build_submits(row: Mapping[str, Any], plan: Any, *, registered_delivery: int,
                  mode: str = "udh", validity: float | None = None,
                  validity_format: str = "relative", now: datetime | None = None) -> list[SubmitSm]:
    """One SubmitSm per part of *plan* for the message *row*.

    *validity* is the seconds of validity left at *now* (which the absolute
    format needs).
    """
    if validity is not None and validity_format == "absolute" and now is None:
        raise ValueError("an absolute validity_period needs now")
    src_ton, src_npi, src = address(row["from_"])
    dst_ton, dst_npi, dst = address(row["to"])
    common = dict(
        source_addr_ton=src_ton, source_addr_npi=src_npi, source_addr=src,
        dest_addr_ton=dst_ton, dest_addr_npi=dst_npi, destination_addr=dst,
        registered_delivery=registered_delivery, data_coding=plan.data_coding,
        validity_period=validity_field(validity, now, validity_format),
    )
    if mode == "payload":
        payload = b"".join(part.payload for part in plan.parts)
        return [_submit_sm(short_message=b"", tlvs=((Tag.MESSAGE_PAYLOAD, payload),), **common)]
    out = []
    for part in plan.parts:
        tlvs: tuple = ()
        esm_class = ESM_UDHI if part.udh else 0
        if part.sar is not None:
            ref, total, seqno = part.sar
            tlvs = _sar_tlvs(ref, total, seqno)
        out.append(_submit_sm(esm_class=esm_class, short_message=part.udh + part.payload,
                              tlvs=tlvs, **common))
    return out


def _sar_tlvs(ref: int, total: int, seqno: int) -> tuple:
    return (
        (Tag.SAR_MSG_REF_NUM, struct.pack(">H", ref & 0xFFFF)),
        (Tag.SAR_TOTAL_SEGMENTS, struct.pack(">B", total)),
        (Tag.SAR_SEGMENT_SEQNUM, struct.pack(">B", seqno)),
    )


class References:
    """Concatenation references per carrier: a counter wrapping at 2**bits.

    The start value comes from the caller (random in the daemon, fixed in
    tests), so a restart does not reuse the same references at once.
    """

    def __init__(self, start: int = 0):
        self._start = start
        self._next: dict[str, int] = {}

    def __call__(self, carrier: str, bits: int = 8) -> int:
        value = self._next.get(carrier, self._start)
        self._next[carrier] = value + 1
        return value % (1 << bits)
