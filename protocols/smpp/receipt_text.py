"""Receipt text: the ``id:... stat:... err:... text:...`` form, read tolerantly (pure).

Rules: keys in any case and any order, any of them missing, ``err:`` of any
length (decimal or hex), long ``stat:`` forms, trailing NULs and padding
ignored.  Each key counts once; a later repeat is part of the value before
it (so ``text:`` may quote ``stat:`` without confusing us).  The layout of
SMPP 3.4 appendix B takes a one-match fast path that gives exactly what the
general scan gives.  ``protocols.smpp.receipt`` joins this with the TLVs.
"""
from __future__ import annotations

import re

# Long and variant spellings seen from carriers -> the canonical stat.
_STAT_ALIASES = {
    "DELIVERED": "DELIVRD",
    "DELIVRED": "DELIVRD",
    "UNDELIVERABLE": "UNDELIV",
    "UNDELIVERED": "UNDELIV",
    "UNDELIVRD": "UNDELIV",
    "REJECTED": "REJECTD",
    "REJECT": "REJECTD",
    "ACCEPTED": "ACCEPTD",
    "EXPIRE": "EXPIRED",
    "DELETE": "DELETED",
    "EN_ROUTE": "ENROUTE",
    "BUFFERED": "BUFFRED",
    "UNKNOWN_STATE": "UNKNOWN",
    "UNKNOWNSTATE": "UNKNOWN",
}

_KEYS = ("id", "sub", "dlvrd", "submit date", "done date", "stat", "err", "text")
_KEY_RE = re.compile(
    r"(?:^|(?<=[\s,;]))"
    r"(id|sub|dlvrd|submit[ _-]?date|done[ _-]?date|stat|err|text)\s*:",
    re.IGNORECASE,
)


def decode_text(data: bytes, data_coding: int) -> str:
    """Receipt text: UCS-2 for data_coding 8, else ASCII-compatible octets.

    Receipt keywords are the same octets in GSM-7 (unpacked), ASCII and
    Latin-1, so Latin-1 reads all three without ever failing.  Some SMSCs
    copy the original message's data_coding 8 onto a receipt written in
    ASCII: text with no NUL octet before its padding cannot hold a UCS-2
    keyword (``i`` is 00 69), so it is read as octets too.
    """
    if data_coding & 0xEF == 0x08 and len(data) % 2 == 0 and b"\x00" in data.rstrip(b"\x00"):
        try:
            return data.decode("utf-16-be")
        except UnicodeDecodeError:
            pass
    return data.decode("latin-1")


def normalize_stat(stat: str | None) -> str | None:
    if not stat:
        return None
    upper = stat.strip().upper()
    return _STAT_ALIASES.get(upper, upper) or None


# The regex matches only these key spellings (lower-cased); each maps to its
# canonical key.  One dict lookup per key instead of a re.sub.
_CANONICAL_KEYS = {key: key for key in ("id", "sub", "dlvrd", "stat", "err", "text")}
for _prefix in ("submit", "done"):
    for _sep in ("", " ", "_", "-"):
        _CANONICAL_KEYS[f"{_prefix}{_sep}date"] = f"{_prefix} date"


# The layout of SMPP 3.4 appendix B exactly (what most SMSCs send): one
# anchored match reads it.  Each value is one token without separators, so
# no key can hide inside one, and a key quoted after ``text:`` is a repeat;
# the general scan gives the same fields for every text this matches.
_VALUE = r"([^\s,;]+) "
_STANDARD_RE = re.compile(
    r"id:" + _VALUE + "sub:" + _VALUE + "dlvrd:" + _VALUE + "submit date:" + _VALUE
    + "done date:" + _VALUE + "stat:" + _VALUE + "err:" + _VALUE + "text:(.*)", re.DOTALL)
_STANDARD_KEYS = ("id", "sub", "dlvrd", "submit date", "done date", "stat", "err")


def parse_text(text: str) -> dict[str, str]:
    """The text's fields by canonical key (``submit date`` etc.), raw values."""
    if "\x00" in text:
        text = text.replace("\x00", " ")
    standard = _STANDARD_RE.match(text)
    if standard is not None:
        fields = dict(zip(_STANDARD_KEYS, standard.groups()))
        body = standard.group(8).strip()
        if body:
            fields["text"] = body
        return fields
    return _scan_text(text)


def _scan_text(text: str) -> dict[str, str]:
    """The general, tolerant reading (any order, case, spacing)."""
    found: list[tuple[str, int, int]] = []
    seen: set[str] = set()
    for match in _KEY_RE.finditer(text):
        key = _CANONICAL_KEYS[match.group(1).lower()]
        if key not in seen:
            seen.add(key)
            found.append((key, match.start(), match.end()))
    fields: dict[str, str] = {}
    last = len(found) - 1
    for index, (key, _start, end) in enumerate(found):
        value = text[end:found[index + 1][1] if index < last else len(text)]
        if key == "text":
            value = value.strip()
        else:
            words = value.split(None, 1)
            value = words[0].rstrip(",;") if words else ""
        if value:
            fields[key] = value
    return fields
