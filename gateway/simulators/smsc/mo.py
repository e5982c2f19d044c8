"""Mobile-originated deliver_sm, long ones split the way handsets do, and the
trackers that follow a deliver_sm through redeliveries to its final answer."""
from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred

from protocols.smpp.constants import ESM_CLASS_UDHI, Tag
from protocols.smpp.pdu import DeliverSm


def _address(number: str) -> tuple[int, int, str]:
    """(ton, npi, digits): "+E164" is international ISDN, else unknown."""
    if number.startswith("+"):
        return 1, 1, number[1:]
    if number.isdigit():
        return 0, 1, number
    return 5, 0, number  # alphanumeric


def mo_parts(text: str, source: str, destination: str, reference: int,
             mode: str = "udh") -> list[DeliverSm]:
    """One deliver_sm per segment; concatenated with a UDH or SAR TLVs."""
    from segmentation import plan

    if mode not in ("udh", "sar"):
        raise ValueError("MO concatenation mode must be udh or sar")
    message = plan(text, reference=reference, mode=mode)
    src_ton, src_npi, src = _address(source)
    dst_ton, dst_npi, dst = _address(destination)
    pdus = []
    for part in message.parts:
        tlvs: tuple = ()
        if part.sar is not None:
            ref, total, seqno = part.sar
            tlvs = ((Tag.SAR_MSG_REF_NUM, ref.to_bytes(2, "big")),
                    (Tag.SAR_TOTAL_SEGMENTS, bytes((total,))),
                    (Tag.SAR_SEGMENT_SEQNUM, bytes((seqno,))))
        pdus.append(DeliverSm(
            source_addr_ton=src_ton, source_addr_npi=src_npi, source_addr=src,
            dest_addr_ton=dst_ton, dest_addr_npi=dst_npi, destination_addr=dst,
            esm_class=ESM_CLASS_UDHI if part.esm_class_udhi else 0,
            data_coding=message.data_coding, short_message=part.short_message, tlvs=tlvs))
    return pdus


class Tracker:
    """Follows one deliver_sm through redeliveries to its final answer."""

    __slots__ = ("collector", "attempts")

    def __init__(self, collector: Any, attempts: int) -> None:
        self.collector = collector
        self.attempts = attempts

    def answered(self, status: int) -> None:
        if self.collector is not None:
            self.collector(status)


class Collector:
    def __init__(self, results: list, index: int, done: Deferred) -> None:
        self.results, self.index, self.done = results, index, done

    def __call__(self, status: int) -> None:
        self.results[self.index] = status
        if None not in self.results and not self.done.called:
            self.done.callback(list(self.results))
