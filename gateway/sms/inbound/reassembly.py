"""Reassembling concatenated inbound messages (pure).

Parts of one handset message (8- or 16-bit UDH reference, or the SAR TLVs)
may arrive in any order, on any bind, more than once (an SMSC redelivers a
part whose deliver_sm_resp it did not see).  The store keeps each part in
``inbound_parts`` under ``group_key`` until ``assemble`` says the group is
complete, or until the reassembly timeout, when what arrived is delivered
and the message is marked incomplete.

* The group is (source, destination, reference, total): the reference is
  reused by handsets, the total makes an accidental merge less likely.
  The 8- and 16-bit references live in different spaces (``bits``).
* A repeated seqno keeps the first copy.
* Parts are joined in seqno order; a UTF-16 surrogate pair split across
  two parts (stored escaped, see ``escape_surrogates``) is mended; a half
  that stays alone becomes U+FFFD.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

MAX_PARTS = 255  # the UDH/SAR total is one octet


@dataclass(frozen=True)
class PartIn:
    seqno: int
    text: str


@dataclass(frozen=True)
class Assembled:
    text: str
    complete: bool
    missing: tuple[int, ...]  # seqnos that never arrived


def valid_concat(total: int, seqno: int) -> bool:
    """A usable concatenation header: 1 <= seqno <= total <= 255, total > 1."""
    return 1 < total <= MAX_PARTS and 1 <= seqno <= total


def group_key(source: str, destination: str, reference: int, total: int, bits: int = 8) -> str:
    return f"{source}|{destination}|{bits}:{reference}|{total}"


_ESCAPE = "\uffff"  # a noncharacter: never in a handset's text
_ESCAPED = re.compile(_ESCAPE + "([0-9a-f]{4})")
_LONE = re.compile("[\ud800-\udfff]")


def escape_surrogates(text: str) -> str:
    """A part's text storable in the database: a lone surrogate half (an
    emoji split across two parts) becomes U+FFFF + 4 hex digits."""
    return _LONE.sub(lambda m: f"{_ESCAPE}{ord(m.group()):04x}", text)


def mend(text: str) -> str:
    """Join surrogate halves that were decoded (or stored) separately."""
    text = _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)
    data = text.encode("utf-16-be", "surrogatepass")
    return data.decode("utf-16-be", "replace")


def assemble(parts: Iterable[PartIn], total: int) -> Assembled:
    by_seqno: dict[int, str] = {}
    for part in parts:
        if 1 <= part.seqno <= total:
            by_seqno.setdefault(part.seqno, part.text)
    missing = tuple(n for n in range(1, total + 1) if n not in by_seqno)
    text = mend("".join(by_seqno[n] for n in sorted(by_seqno)))
    return Assembled(text=text, complete=not missing, missing=missing)


def is_complete(seqnos: Iterable[int], total: int) -> bool:
    return set(range(1, total + 1)) <= set(seqnos)
