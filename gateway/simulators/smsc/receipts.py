"""Delivery receipt contents, in the classic text form plus TLVs.

``id:IIII sub:001 dlvrd:001 submit date:YYMMDDhhmm done date:YYMMDDhhmm
stat:DELIVRD err:000 text:first 20 chars`` (SMPP 3.4 appendix B), with the
``receipted_message_id``, ``message_state`` and ``network_error_code`` TLVs
(network type 3 = GSM, then the two-octet MAP cause).

``text:`` is the message's first 20 characters (``receipt_snippet``): the
short_message (or message_payload) decoded per its data_coding (GSM-7
unpacked, IA5, Latin-1, UCS-2, ...), its UDH left out, and written in
Latin-1, which every reading of data_coding 0 agrees on for printable ASCII
(and the gateway reads receipt text as Latin-1).  A character Latin-1 lacks
becomes ``?``, a line break or tab a space; binary data gives no text.

Pure: callers pass the times (epoch seconds) and the random draw.
"""
from __future__ import annotations

import bisect
import struct
import time
from dataclasses import dataclass
from typing import Mapping

from gateway.simulators.smsc.config import OUTCOME_ERRORS, OUTCOME_STATES
from segmentation import udh
from segmentation.decode import decode
from segmentation.errors import DecodeError

GSM_NETWORK = 3


@dataclass(frozen=True)
class ReceiptContent:
    message_id: str
    stat: str
    err: int
    text: bytes                 # the short_message
    message_state: int
    network_error_code: bytes   # 3 octets: network type, error code (16 bits)


class OutcomePicker:
    """Maps a uniform draw in [0, 1) to a stat by the configured weights."""

    def __init__(self, weights: Mapping[str, float]) -> None:
        total = float(sum(weights.values()))
        self.stats = tuple(weights)
        cumulative, running = [], 0.0
        for stat in self.stats:
            running += weights[stat] / total
            cumulative.append(running)
        self._cumulative = cumulative

    def pick(self, draw: float) -> str:
        index = bisect.bisect_right(self._cumulative, draw)
        return self.stats[min(index, len(self.stats) - 1)]


TEXT_CHARACTERS = 20  # SMPP 3.4 appendix B: "the first 20 characters of the short message"
_UDHI = 0x40
_PRINTABLE = {c: c if c.isprintable() else "?" for c in map(chr, range(256))}
_PRINTABLE.update({"\r": " ", "\n": " ", "\t": " "})
_snippets: dict[tuple[int, int, bytes], bytes] = {}


def receipt_snippet(data_coding: int, esm_class: int, data: bytes) -> bytes:
    """The receipt's ``text:`` value for a message's octets (see the module's rules)."""
    key = (data_coding, esm_class & _UDHI, data)
    snippet = _snippets.get(key)
    if snippet is None:
        if len(_snippets) >= 4096:  # a load test repeats a few texts; real traffic varies
            _snippets.clear()
        snippet = _snippets[key] = _snippet(data_coding, bool(esm_class & _UDHI), data)
    return snippet


def _snippet(data_coding: int, udhi: bool, data: bytes) -> bytes:
    try:
        text = decode(data_coding, data, udhi=udhi).text or ""
    except DecodeError:  # malformed: the octets after any UDH, as Latin-1
        if udhi:
            try:
                data = udh.split_udh(data)[2]
            except DecodeError:
                pass
        text = data.decode("latin-1")
    text = "".join(_PRINTABLE.get(c, "?") for c in text[:TEXT_CHARACTERS])
    return text.encode("latin-1")


_stamps: dict[int, bytes] = {}


def _date_bytes(epoch: float) -> bytes:
    """YYMMDDhhmm in UTC (cached per minute: receipts come in floods)."""
    minute = int(epoch // 60)
    stamp = _stamps.get(minute)
    if stamp is None:
        if len(_stamps) > 64:
            _stamps.clear()
        stamp = time.strftime("%y%m%d%H%M", time.gmtime(minute * 60)).encode("ascii")
        _stamps[minute] = stamp
    return stamp


# stat -> (dlvrd, " stat:... err:... text:", message_state, network_error_code)
_STAT_PARTS = {
    stat: (b"001" if stat == "DELIVRD" else b"000",
           b" stat:%s err:%03d text:" % (stat.encode(), OUTCOME_ERRORS[stat][0]),
           OUTCOME_STATES[stat],
           struct.pack(">BH", GSM_NETWORK, OUTCOME_ERRORS[stat][1]))
    for stat in OUTCOME_STATES
}


def receipt_middle(stat: str, submitted: float, done: float) -> tuple[bytes, int, bytes]:
    """(the text between the id and the original's 20 characters, message_state,
    network_error_code): what every receipt of ``stat`` at these times shares."""
    dlvrd, tail, state, network_error = _STAT_PARTS[stat]
    middle = b" sub:001 dlvrd:%s submit date:%s done date:%s%s" % (
        dlvrd, _date_bytes(submitted), _date_bytes(done), tail)
    return middle, state, network_error


def receipt_parts(message_id: bytes, stat: str, submitted: float, done: float,
                  original: bytes) -> tuple[bytes, int, bytes]:
    """The hot path of :func:`build_receipt`: (text, message_state, network_error_code)."""
    middle, state, network_error = receipt_middle(stat, submitted, done)
    return b"id:%s%s%s" % (message_id, middle, original[:20]), state, network_error


def build_receipt(message_id: str, stat: str, submitted: float, done: float,
                  original: bytes) -> ReceiptContent:
    text, state, network_error = receipt_parts(message_id.encode("latin-1"), stat,
                                               submitted, done, original)
    return ReceiptContent(message_id=message_id, stat=stat, err=OUTCOME_ERRORS[stat][0],
                          text=text, message_state=state, network_error_code=network_error)
