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

from collections.abc import Callable

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
    # Every ESC is a prefix: 0x1B is never itself an escaped septet.
    return _bounds(len(septets), single, multi, "septets",
                   lambda last: septets[last] == _ESC)


def ucs2_bounds(data: bytes, single: int, multi: int) -> list[tuple[int, int]]:
    """Part boundaries, in UTF-16 units, of UTF-16-BE ``data``."""
    return _bounds(len(data) // 2, single, multi, "UTF-16 units",
                   lambda last: 0xD8 <= data[2 * last] <= 0xDB)    # high surrogate


def _bounds(n: int, single: int, multi: int, what: str,
            opens_pair: Callable[[int], bool]) -> list[tuple[int, int]]:
    """Boundaries of ``n`` units; a part whose last unit ``opens_pair`` ends one early."""
    if n <= single:
        return [(0, n)]
    if n > MAX_PARTS * multi:
        raise _too_many(n, multi, what)
    bounds = []
    start = 0
    while start < n:
        end = start + multi
        if end >= n:
            end = n
        elif opens_pair(end - 1):
            end -= 1
        bounds.append((start, end))
        start = end
    if len(bounds) > MAX_PARTS:
        raise _too_many(n, multi, what)
    return bounds
