"""GSM 7-bit alphabets: encode text to septets and decode septets to text.

Theory of operation: an ``Alphabet`` is one (locking shift table, single
shift table) pair; the default alphabet is the pair (None, None).  Septets
are ``bytes`` with one septet per octet, which is also SMPP's "unpacked"
GSM-7 payload for data_coding 0x00.

Encoding runs in C.  Each alphabet owns a charmap codec table in which a
character of the locking table maps to its septet and a single-shift
character maps to the marker octet ``0x80 | septet``; markers are then
expanded to ESC + septet with ``bytes.replace``.  Pure-ASCII text (most SMS)
takes a faster route: ``str.encode("ascii")`` and one ``bytes.translate``.
A character outside the alphabet makes ``encode`` fail, so there is no
separate per-character check, except for U+FFFE: it fills the undefined slots
of the codec table, so ``charmap_build`` would map it to an octet.

ESC (U+001B) and NUL are never GSM text: 0x1B is the escape septet, and no
table maps NUL, so a body holding either is not encodable in GSM-7.
"""
from __future__ import annotations

import codecs
import functools
from dataclasses import dataclass, field

from segmentation.errors import DecodeError
from segmentation.national import LANGUAGES
from segmentation.national_model import UNDEFINED
from segmentation.tables import DEFAULT_LOCKING, DEFAULT_SINGLE, ESC

_MARKER = 0x80                  # marker octet = 0x80 | single-shift septet
_NO_CHAR = "\ufffe"             # "undefined" slot for codecs.charmap_build; never encodable
_SEPTET_VALUES = bytes(range(128))
_ASCII = bytes(range(128))


@dataclass(frozen=True, eq=False)
class Alphabet:
    locking_lang: str | None
    single_lang: str | None
    locking: str = field(repr=False)            # 128 characters; ESC, UNDEFINED placeholders
    single: dict[int, str] = field(repr=False)  # septet after ESC -> character
    chars: frozenset[str] = field(repr=False)   # every encodable character
    double: frozenset[str] = field(repr=False)  # characters costing 2 septets (ESC + septet)
    _charmap: object = field(repr=False)        # codecs.charmap_build() table, with markers
    _ascii_table: bytes = field(repr=False)     # ASCII octet -> septet or marker
    _ascii_invalid: bytes = field(repr=False)   # ASCII octets this alphabet cannot encode
    _decode_table: str = field(repr=False)      # septet -> character, for charmap_decode

    def try_encode(self, text: str) -> bytes | None:
        """Septets for ``text``, or None when some character is not in the alphabet."""
        if text.isascii():
            raw = text.encode("ascii")
            if raw.translate(None, self._ascii_invalid) != raw:
                return None
            raw = raw.translate(self._ascii_table)
        else:
            if _NO_CHAR in text:     # charmap_build maps the placeholder itself
                return None
            try:
                raw = codecs.charmap_encode(text, "strict", self._charmap)[0]
            except UnicodeEncodeError:
                return None
        markers = raw.translate(None, _SEPTET_VALUES)
        for marker in set(markers):
            raw = raw.replace(bytes((marker,)), bytes((ESC, marker & 0x7F)))
        return raw

    def encode(self, text: str) -> bytes:
        """Septets for ``text``; a character outside the alphabet raises ValueError."""
        raw = self.try_encode(text)
        if raw is None:
            bad = "".join(sorted(set(text) - self.chars))
            raise ValueError(f"not GSM 7-bit text: {bad!r}")
        return raw

    def decode(self, septets: bytes) -> str:
        """Text of unpacked septets (one per octet); malformed -> DecodeError."""
        if septets.translate(None, _SEPTET_VALUES):
            raise DecodeError("GSM 7-bit data holds an octet above 0x7F")
        pieces = septets.split(b"\x1b")
        out = [codecs.charmap_decode(pieces[0], "strict", self._decode_table)[0]]
        for index, piece in enumerate(pieces[1:], 1):
            if not piece:
                # ESC ESC is the reserved extension escape: shown as a space.
                # A trailing ESC cannot be resolved at all.
                if index == len(pieces) - 1:
                    raise DecodeError("GSM 7-bit data ends inside an escape sequence")
                out.append(" ")
                continue
            # TS 23.038 6.2.1.1: a code missing from the single shift table
            # shows the locking table's character.
            out.append(self.single.get(piece[0]) or self.locking[piece[0]])
            out.append(codecs.charmap_decode(piece[1:], "strict", self._decode_table)[0])
        return "".join(out)


def _build(locking_lang: str | None, single_lang: str | None) -> Alphabet:
    locking = DEFAULT_LOCKING if locking_lang is None else LANGUAGES[locking_lang].locking
    single = DEFAULT_SINGLE if single_lang is None else LANGUAGES[single_lang].single
    if locking is None or single is None:
        raise ValueError(f"no such table pair: locking={locking_lang} single={single_lang}")
    septet_of: dict[str, int] = {}
    for septet, ch in enumerate(locking):
        if septet != ESC and ch != UNDEFINED:
            septet_of.setdefault(ch, septet)
    double = {}
    for septet, ch in sorted(single.items()):
        if ch not in septet_of and ch not in double:
            double[ch] = septet
    codes = [_NO_CHAR] * 256
    for ch, septet in septet_of.items():
        codes[septet] = ch
    for ch, septet in double.items():
        codes[_MARKER | septet] = ch
    ascii_table = bytearray(256)
    ascii_invalid = bytearray()
    for octet in _ASCII:
        ch = chr(octet)
        if ch in septet_of:
            ascii_table[octet] = septet_of[ch]
        elif ch in double:
            ascii_table[octet] = _MARKER | double[ch]
        else:
            ascii_invalid.append(octet)
    return Alphabet(
        locking_lang=locking_lang,
        single_lang=single_lang,
        locking=locking,
        single=dict(single),
        chars=frozenset(septet_of) | frozenset(double),
        double=frozenset(double),
        _charmap=codecs.charmap_build("".join(codes)),
        _ascii_table=bytes(ascii_table),
        _ascii_invalid=bytes(ascii_invalid),
        _decode_table=locking,
    )


@functools.lru_cache(maxsize=None)
def alphabet(locking_lang: str | None = None, single_lang: str | None = None) -> Alphabet:
    """The (cached) alphabet for a locking/single shift table pair."""
    return _build(locking_lang, single_lang)


DEFAULT = alphabet()
