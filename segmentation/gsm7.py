"""GSM 7-bit alphabets: encode text to septets and decode septets to text.

Theory of operation: an ``Alphabet`` is one (locking shift table, single shift
table) pair, the default alphabet being the pair (None, None).  Encoding uses
``str.translate`` with a precomputed map from character to its septet string
(one septet, or ESC + septet for single-shift characters), so the hot path
runs in C.  A septet string is a ``str`` whose code points are 0..127; it
becomes the SMPP "unpacked" payload with ``.encode("latin-1")``.

ESC (U+001B) and NUL are never GSM text: 0x1B is the escape septet, and no
table maps NUL, so a body holding either is not encodable in GSM-7.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

from segmentation.errors import DecodeError
from segmentation.national import LANGUAGES
from segmentation.national_model import UNDEFINED
from segmentation.tables import DEFAULT_LOCKING, DEFAULT_SINGLE, ESC

ESC_CHAR = chr(ESC)
_SEPTET_BYTES = bytes(range(128))


@dataclass(frozen=True, eq=False)
class Alphabet:
    locking_lang: str | None
    single_lang: str | None
    locking: str                  # 128 characters; ESC and UNDEFINED are placeholders
    single: dict[int, str]        # septet after ESC -> character
    encode_map: dict[int, str]    # ord(char) -> septet string, for str.translate
    chars: frozenset[str]         # every encodable character
    double: frozenset[str]        # characters that cost 2 septets (ESC + septet)

    def septet_count(self, text: str) -> int:
        """Septets needed for ``text`` (all of whose characters are encodable)."""
        return len(text) + sum(text.count(c) for c in self.double.intersection(text))

    def encode(self, text: str) -> str:
        """Septet string for ``text``; characters outside ``chars`` raise."""
        if not self.chars.issuperset(text):
            bad = "".join(sorted(set(text) - self.chars))
            raise ValueError(f"not GSM 7-bit text: {bad!r}")
        return text.translate(self.encode_map)

    def decode(self, septets: bytes) -> str:
        """Text of unpacked septets (one per octet); malformed -> DecodeError."""
        if septets.translate(None, _SEPTET_BYTES):
            raise DecodeError("GSM 7-bit data holds an octet above 0x7F")
        pieces = septets.split(b"\x1b")
        table = self.locking
        out = [pieces[0].decode("latin-1").translate(_plain_map(table))]
        for piece in pieces[1:]:
            if not piece:
                # ESC ESC is the reserved extension escape: shown as a space.
                # A trailing ESC cannot be resolved at all.
                if piece is pieces[-1]:
                    raise DecodeError("GSM 7-bit data ends inside an escape sequence")
                out.append(" ")
                continue
            code = piece[0]
            out.append(self.single.get(code, table[code]))
            out.append(piece[1:].decode("latin-1").translate(_plain_map(table)))
        return "".join(out)


@functools.lru_cache(maxsize=None)
def _plain_map(table: str) -> dict[int, str]:
    return {i: ch for i, ch in enumerate(table) if i != ESC}


def _build(locking_lang: str | None, single_lang: str | None) -> Alphabet:
    locking = DEFAULT_LOCKING if locking_lang is None else LANGUAGES[locking_lang].locking
    single = DEFAULT_SINGLE if single_lang is None else LANGUAGES[single_lang].single
    if locking is None or single is None:
        raise ValueError(f"no such table pair: locking={locking_lang} single={single_lang}")
    encode_map: dict[int, str] = {}
    for septet, ch in enumerate(locking):
        if septet != ESC and ch != UNDEFINED:
            encode_map.setdefault(ord(ch), chr(septet))
    double = set()
    for septet, ch in single.items():
        if ord(ch) not in encode_map:
            encode_map[ord(ch)] = ESC_CHAR + chr(septet)
            double.add(ch)
    return Alphabet(
        locking_lang=locking_lang,
        single_lang=single_lang,
        locking=locking,
        single=dict(single),
        encode_map=encode_map,
        chars=frozenset(map(chr, encode_map)),
        double=frozenset(double),
    )


@functools.lru_cache(maxsize=None)
def alphabet(locking_lang: str | None = None, single_lang: str | None = None) -> Alphabet:
    """The (cached) alphabet for a locking/single shift table pair."""
    return _build(locking_lang, single_lang)


DEFAULT = alphabet()
