"""Choosing national language shift tables for a body (TS 23.038 annex A).

A (locking, single) pair is worth using only when it makes GSM-7 possible or
saves a segment.  For each enabled locking table L (or the default), the
characters of the body that L lacks must all be in the single table S; those
are exactly the characters that cost 2 septets.  So a pair's septet count is
``len(body)`` plus the occurrences of the characters L lacks, computed from
per-character counts without encoding anything.  That gives each pair a lower
bound on its segment count (escapes pushed over a boundary can add one);
pairs are then encoded and split exactly in order of that bound until no
remaining bound can win.

Ties go to fewer shift tables, then fewer septets, then a single table of the
same language as the locking table, then language code order.

A usable pair never costs more segments than UCS-2 would: every character in
the tables is in the BMP and costs at most 2 septets, and even with both
shift IEs a part holds 72 such characters (145 septets) against UCS-2's 67,
and a single part 76 against 70.  So GSM-7 is always chosen when some pair
can encode the body.
"""
from __future__ import annotations

import functools

from segmentation import split, udh
from segmentation.errors import SegmentationError
from segmentation.gsm7 import Alphabet, alphabet
from segmentation.national import LANGUAGES
from segmentation.national_model import UNDEFINED
from segmentation.tables import DEFAULT_LOCKING, DEFAULT_SINGLE


def may_save(body: str, septets: bytes, bits: int) -> bool:
    """Could any national pair beat the default alphabet for GSM ``body``?"""
    if len(septets) <= udh.gsm7_capacity(0) or len(septets) == len(body):
        return False     # already one part, or no 2-septet character to save on
    default_parts = len(split.gsm7_bounds(septets, *gsm7_capacities(bits, 0)))
    return _bound(len(body), bits, 1) < default_parts


def choose(body: str, national: frozenset[str], bits: int) -> tuple[Alphabet, bytes] | None:
    """Best (alphabet, septets) over the enabled pairs, or None for UCS-2."""
    counts: dict[str, int] = {}
    candidates = []
    for locking, single, lacking in _usable_pairs(frozenset(body), national):
        for c in lacking.difference(counts):
            counts[c] = body.count(c)
        nationals = (locking is not None) + (single is not None)
        septets = len(body) + sum(counts[c] for c in lacking)
        same = single is None or single == locking
        key = (_bound(septets, bits, nationals), nationals, septets, not same,
               locking or "", single or "")
        candidates.append(key)
    best = None
    for key in sorted(candidates):
        if best is not None and key[:3] >= best[0][:3]:
            break
        alpha = alphabet(key[4] or None, key[5] or None)
        septets = alpha.encode(body)
        try:
            parts = len(split.gsm7_bounds(septets, *gsm7_capacities(bits, key[1])))
        except SegmentationError:
            continue
        exact = (parts,) + key[1:]
        if best is None or exact < best[0]:
            best = (exact, alpha, septets)
    return None if best is None else (best[1], best[2])


@functools.lru_cache(maxsize=4096)
def _usable_pairs(chars: frozenset[str], national: frozenset[str]):
    """(locking, single, characters taken from the single table) for every
    enabled pair that can encode ``chars``; cached, as bodies repeat their
    character sets (templates, one language per carrier)."""
    pairs = []
    for locking in _lockings(national):
        lacking = chars - _locking_chars(locking)
        if lacking and not lacking <= _all_single_chars(national):
            continue
        for single in _singles(national):
            if single is not None and lacking <= _single_chars(None):
                continue     # the default extension table already covers it
            if lacking <= _single_chars(single):
                pairs.append((locking, single, lacking))
    return tuple(pairs)


@functools.lru_cache(maxsize=None)
def gsm7_capacities(bits: int, nationals: int) -> tuple[int, int]:
    """(single-part, per-part) septets with ``nationals`` shift IEs."""
    return (udh.gsm7_capacity(udh.header_octets(None, nationals)),
            udh.gsm7_capacity(udh.header_octets(bits, nationals)))


def _bound(septets: int, bits: int, nationals: int) -> int:
    single, multi = gsm7_capacities(bits, nationals)
    return 1 if septets <= single else -(-septets // multi)


@functools.lru_cache(maxsize=None)
def _lockings(national: frozenset[str]) -> tuple[str | None, ...]:
    return (None,) + tuple(sorted(c for c in national if LANGUAGES[c].locking))


@functools.lru_cache(maxsize=None)
def _singles(national: frozenset[str]) -> tuple[str | None, ...]:
    return (None,) + tuple(sorted(c for c in national if LANGUAGES[c].single))


@functools.lru_cache(maxsize=None)
def _locking_chars(code: str | None) -> frozenset[str]:
    table = DEFAULT_LOCKING if code is None else LANGUAGES[code].locking
    return frozenset(table) - {"\x1b", UNDEFINED}


@functools.lru_cache(maxsize=None)
def _single_chars(code: str | None) -> frozenset[str]:
    return frozenset((DEFAULT_SINGLE if code is None else LANGUAGES[code].single).values())


@functools.lru_cache(maxsize=None)
def _all_single_chars(national: frozenset[str]) -> frozenset[str]:
    return frozenset().union(*(_single_chars(code) for code in _singles(national)))
