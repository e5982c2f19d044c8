"""Where the part boundaries fall, for GSM-7 septets and UTF-16.

Rules (TS 23.040 9.2.3.24.1, TS 23.038 6.2.1.1):

* a body that fits ``single`` units goes in one part with no concatenation
  header; otherwise every part holds at most ``multi`` units;
* a boundary never falls between ESC and the septet it escapes, nor between
  the two halves of a UTF-16 surrogate pair: the part ends one unit early;
* more than 255 parts cannot be concatenated (the counts are one octet).

Boundaries are (start, end) unit offsets.  Only the loop over parts runs in
Python, so the cost is linear in the body with a small per-part constant.
"""
from __future__ import annotations

from segmentation.errors import SegmentationError

MAX_PARTS = 255                 # total and seqno are single octets
_ESC = 0x1B


def _too_many(units: int, multi: int, what: str) -> SegmentationError:
    needed = -(-units // multi)
    return SegmentationError(
        f"body needs at least {needed} parts of {multi} {what}; "
        f"the limit is {MAX_PARTS} parts"
    )


def gsm7_bounds(septets: bytes, single: int, multi: int) -> list[tuple[int, int]]:
    """Part boundaries in unpacked septets; escapes are never split."""
    n = len(septets)
    if n <= single:
        return [(0, n)]
    if n > MAX_PARTS * multi:
        raise _too_many(n, multi, "septets")
    bounds = []
    start = 0
    while start < n:
        end = start + multi
        if end >= n:
            end = n
        elif septets[end - 1] == _ESC:     # every ESC is a prefix: 0x1B is
            end -= 1                        # never itself an escaped septet
        bounds.append((start, end))
        start = end
    if len(bounds) > MAX_PARTS:
        raise _too_many(n, multi, "septets")
    return bounds


def ucs2_bounds(data: bytes, single: int, multi: int) -> list[tuple[int, int]]:
    """Part boundaries, in UTF-16 units, of UTF-16-BE ``data``."""
    n = len(data) // 2
    if n <= single:
        return [(0, n)]
    if n > MAX_PARTS * multi:
        raise _too_many(n, multi, "UTF-16 units")
    bounds = []
    start = 0
    while start < n:
        end = min(start + multi, n)
        if end < n and 0xD8 <= data[2 * end - 2] <= 0xDB:   # high surrogate
            end -= 1
        bounds.append((start, end))
        start = end
    if len(bounds) > MAX_PARTS:
        raise _too_many(n, multi, "UTF-16 units")
    return bounds
