"""Matching receipts to the parts we sent, and multi-part outcomes (pure).

Match keys
----------
An SMSC message id reaches us twice: in the submit_sm_resp and in the
receipt, and carriers spell it differently each time (hex in one, decimal in
the other; upper or lower case; zero-padded to 10 or 20 digits; UUIDs with
or without hyphens).  ``match_keys`` turns an id into a set of keys; two
ids are the same message when their key sets intersect:

* ``s:<id>``   the id itself, lower case, without leading zeros;
* ``n:<hex>``  the id's numeric value (unbounded int) written in hex, for
  each way it can be read: decimal when it is all digits, hex when it is
  all hex digits (UUID hyphens removed); with a ``0x`` prefix only hex.

So ``"0000000010"`` (decimal 10) meets ``"A"`` (hex 10), and ``"1f"`` meets
``"31"``.

Stored and looked-up keys
-------------------------
A part's row in ``segment_ids`` holds ``stored_keys``: its match keys
less each ``n:X`` whose ``s:X`` is there too.  That is the hex reading of
an id written only in hex digits (most SMSCs' ids), which says nothing the
spelling does not.  A look-up asks for ``lookup_keys`` of the receipt's
match keys: each ``n:X`` also as ``s:X``.  Such an ``X`` is hex digits, and
a part stored under ``s:X`` has the id ``X`` (less any leading zeros),
whose hex reading is ``n:X``; so a stored key meets the looked-up ones
exactly when the two ids' match keys meet: one row fewer per part, the
same matches.

Because an all-digit id can be read both ways, one receipt id may
meet more than one stored id; ``rank_key`` tells the store to prefer the
same carrier, then an exact spelling match, then a part still waiting for
its receipt, then the newest part.

Multi-part outcome
------------------
``aggregate`` gives a message's status from its parts' receipts: delivered
when every part is delivered; undelivered/failed as soon as one part is,
with that part's code; otherwise still ``sent``.  ``missing_outcome`` is the
verdict when parts never reported within the window: undelivered, 30009.
"""
from __future__ import annotations

from functools import lru_cache

import string
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

KEY_MAX = 160  # segment_ids.key column width
_HEX = frozenset(string.hexdigits)
_DEC = frozenset(string.digits)

MISSING_SEGMENT = 30009
MISSING_SEGMENT_MESSAGE = "Missing segment"


def normalize_id(message_id: str) -> str:
    return message_id.strip().strip("\x00").strip().lower()


@lru_cache(maxsize=1 << 15)
def match_keys(message_id: str) -> frozenset[str]:
    """The match keys of an SMSC message id (see the module's rules).

    Cached: the dispatcher records a part's keys and its receipt looks them
    up seconds later, so one cache serves both."""
    text = normalize_id(message_id)
    if not text:
        return frozenset()
    keys = {"s:" + (text.lstrip("0") or "0")}
    prefixed = text.startswith("0x")
    bare = text[2:] if prefixed else text
    compact = bare.replace("-", "") if _looks_like_uuid(bare) else bare
    if compact and set(compact) <= _DEC and not prefixed:
        keys.add("n:" + format(int(compact, 10), "x"))
    if compact and set(compact) <= _HEX:
        keys.add("n:" + format(int(compact, 16), "x"))
    return frozenset(key[:KEY_MAX] for key in keys)


def stored_keys(message_id: str) -> frozenset[str]:
    """The keys a part's ``segment_ids`` rows hold (see the module's rules)."""
    keys = match_keys(message_id)
    return frozenset(key for key in keys if not (key[0] == "n" and "s" + key[1:] in keys))


def lookup_keys(keys: frozenset[str] | set[str]) -> set[str]:
    """What to look ``segment_ids`` up under for match ``keys`` (see the module's rules)."""
    return set(keys).union(["s" + key[1:] for key in keys if key[0] == "n"])


def _looks_like_uuid(text: str) -> bool:
    parts = text.split("-")
    return [len(p) for p in parts] == [8, 4, 4, 4, 12] and all(set(p) <= _HEX for p in parts)


def exact_key(message_id: str) -> str:
    """The spelling key: two ids with equal exact keys are the same string."""
    return "s:" + (normalize_id(message_id).lstrip("0") or "0")


def rank_key(*, same_carrier: bool, exact: bool, waiting: bool, segment_id: int) -> tuple:
    """Sort key among candidate parts for one receipt: smallest is best."""
    return (not same_carrier, not exact, not waiting, -segment_id)


# A part's status once its final receipt is in.
PART_FINAL = frozenset({"delivered", "undelivered", "failed"})


def best_part(rows: Sequence[Mapping[str, Any]], receipt_id: str, carrier: str) -> Mapping[str, Any] | None:
    """The one receipt matcher: of the stored parts whose ids matched
    ``receipt_id`` (rows with ``id``, ``key``, ``carrier`` and the part's
    ``status``), the part the receipt is for, or None to keep the receipt
    waiting.

    The best ranks first by ``rank_key``: the receipt's own carrier, then the
    exact spelling of the id, then a part still waiting for its receipt, then
    the newest.  When only another spelling matched and that part already has
    its final receipt, the receipt most likely beat its own submit_sm_resp
    (hex "10" vs decimal 10 == "a"): None, so it waits."""
    if not rows:
        return None
    exact = exact_key(receipt_id)
    first = rows[0]
    if all(r["id"] == first["id"] for r in rows):
        # One part found under several of its keys (the common case): they
        # rank alike but for the spelling, so the exact key's row wins.
        best = next((r for r in rows if r["key"] == exact), first)
    else:
        best = min(rows, key=lambda r: rank_key(
            same_carrier=r["carrier"] == carrier, exact=r["key"] == exact,
            waiting=r["status"] not in PART_FINAL, segment_id=r["id"]))
    if best["key"] != exact and best["status"] in PART_FINAL:
        return None
    return best


@dataclass(frozen=True)
class PartState:
    seqno: int
    status: str | None  # None: no final receipt yet; else the part's status
    error_code: int | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class Aggregate:
    status: str
    error_code: int | None
    error_message: str | None


_FAILURES = ("undelivered", "failed")


def aggregate(parts: Sequence[PartState], total: int) -> Aggregate | None:
    """The message's new status from its parts, or None (still sent).

    ``parts`` are the message's parts in the order their receipts arrived
    (the first failing one decides the code); ``total`` is the number of
    parts the message was sent in.
    """
    for part in parts:
        if part.status in _FAILURES:
            return Aggregate(part.status, part.error_code, part.error_message)
    delivered = {p.seqno for p in parts if p.status == "delivered"}
    if total > 0 and len(delivered) >= total:
        return Aggregate("delivered", None, None)
    return None


def missing_outcome() -> Aggregate:
    return Aggregate("undelivered", MISSING_SEGMENT, MISSING_SEGMENT_MESSAGE)
