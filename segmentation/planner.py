"""Plan an outbound body: encoding, national tables, parts and headers.

Rules, in order:

1. A body longer than ``max_length`` characters is refused.
2. GSM-7 with the default tables whenever every character is in the default
   alphabet or its extension table (extension characters cost 2 septets).
3. If national tables are enabled, a (locking, single) pair is used when it
   makes GSM-7 possible (instead of UCS-2) or saves a segment (``choice.py``
   says how ties are broken).  Its IEs (0x24/0x25) shrink every part.
4. Otherwise UCS-2 (UTF-16-BE; characters outside the BMP take 2 units).

Modes: "udh" puts a concatenation IE in each part's UDH; "sar" leaves it out
and gives each part its sar_* TLV values (parts are sized as if the SMSC adds
the header); "payload" sends the whole body in one PDU (message_payload) and
still reports the billed segment count.
"""
from __future__ import annotations

import functools

from segmentation import choice, split, udh
from segmentation.errors import SegmentationError
from segmentation.gsm7 import DEFAULT, Alphabet
from segmentation.model import DATA_CODING, GSM7, UCS2, Part, Plan
from segmentation.national import LANGUAGES
from segmentation.national_model import UNDEFINED

MODES = ("udh", "sar", "payload")
DEFAULT_MAX_LENGTH = 1600
# Built once: ``set - LANGUAGES.keys()`` copied the whole table on every plan.
_KNOWN_LANGUAGES = frozenset(LANGUAGES)
_SINGLE_GSM7 = choice.gsm7_capacities(8, 0)[0]  # 160 septets: no UDH at all
_GSM7_DC = DATA_CODING[GSM7]


def plan(body: str, *, reference: int, concat_ref_bits: int = 8,
         national: frozenset[str] = frozenset(), max_length: int = DEFAULT_MAX_LENGTH,
         mode: str = "udh") -> Plan:
    """Plan ``body``; ``reference`` is the caller's concatenation reference.

    The reference is taken modulo 2**concat_ref_bits (2**16 in SAR mode, where
    sar_msg_ref_num is 16 bits).  Raises ``SegmentationError`` naming the limit.
    """
    if not isinstance(national, frozenset):
        national = _languages(national)
    _check(body, reference, concat_ref_bits, national, max_length, mode)
    septets = DEFAULT.try_encode(body)
    if septets is not None:
        if not national or not choice.may_save(body, septets, concat_ref_bits):
            if len(septets) <= _SINGLE_GSM7:  # one part with no header, in every mode: most SMS
                part = Part(body, len(septets), b"", septets, 1, 1, _GSM7_DC)
                return Plan(GSM7, _GSM7_DC, 1, (part,), len(septets), mode)
            return _gsm7(body, septets, DEFAULT, reference, concat_ref_bits, mode)
    if national:
        chosen = choice.choose(body, national, concat_ref_bits)
        if chosen is not None:
            return _gsm7(body, chosen[1], chosen[0], reference, concat_ref_bits, mode)
    return _ucs2(body, reference, concat_ref_bits, mode, national)


def _languages(national) -> frozenset[str]:
    """Any collection of language codes as a frozenset (a str is a mistake, not "t", "r")."""
    if isinstance(national, str):
        raise SegmentationError(f"national must be a collection of language codes, not {national!r}")
    return frozenset(national)


def _check(body, reference, bits, national, max_length, mode) -> None:
    if not isinstance(body, str):
        raise TypeError(f"body must be str, not {type(body).__name__}")
    if mode not in MODES:
        raise SegmentationError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if bits not in (8, 16):
        raise SegmentationError(f"concat_ref_bits must be 8 or 16, not {bits!r}")
    if not isinstance(reference, int) or reference < 0:
        raise SegmentationError(f"reference must be a non-negative integer, not {reference!r}")
    if not _KNOWN_LANGUAGES.issuperset(national):
        unknown = sorted(set(national) - _KNOWN_LANGUAGES)
        raise SegmentationError(f"unknown national language(s): {', '.join(unknown)}")
    if len(body) > max_length:
        raise SegmentationError(
            f"body is {len(body)} characters; the limit is {max_length} (max_length)"
        )


def _gsm7(body: str, septets: bytes, alpha: Alphabet, reference: int, bits: int,
          mode: str) -> Plan:
    locking_nli = LANGUAGES[alpha.locking_lang].nli if alpha.locking_lang else None
    single_nli = LANGUAGES[alpha.single_lang].nli if alpha.single_lang else None
    national_ies = udh.national_ies(locking_nli, single_nli)
    nationals = (locking_nli is not None) + (single_nli is not None)
    pieces = []
    escapes = 0         # ESC septets before ``start``: text index = septet index - escapes
    for start, end in split.gsm7_bounds(septets, *choice.gsm7_capacities(bits, nationals)):
        n_esc = septets.count(b"\x1b", start, end)
        pieces.append((body[start - escapes:end - escapes - n_esc], end - start,
                       septets[start:end]))
        escapes += n_esc
    return _assemble(GSM7, body, septets, len(septets), pieces, national_ies, reference, bits,
                     mode, alpha.locking_lang, alpha.single_lang, ())


def _ucs2(body: str, reference: int, bits: int, mode: str, national: frozenset[str]) -> Plan:
    try:
        data = body.encode("utf-16-be")
    except UnicodeEncodeError as exc:
        raise SegmentationError(
            f"body holds a lone surrogate at character {exc.start}; it is not text"
        ) from None
    single, multi = udh.ucs2_capacity(0), udh.ucs2_capacity(udh.header_octets(bits, 0))
    bounds = split.ucs2_bounds(data, single, multi)
    pieces = []
    for start, end in bounds:
        chunk = data[2 * start:2 * end]
        pieces.append((chunk.decode("utf-16-be"), end - start, chunk))
    return _assemble(UCS2, body, data, len(data) // 2, pieces, b"", reference, bits, mode,
                     None, None, _forcing(body, national))


def _forcing(body: str, national: frozenset[str]) -> tuple[str, ...]:
    """The characters that forced UCS-2, in order of first appearance."""
    chars = set(body)
    forcing = chars - _gsm_chars(national) or chars - DEFAULT.chars
    return tuple(sorted(forcing, key=body.index))


@functools.lru_cache(maxsize=None)
def _gsm_chars(national: frozenset[str]) -> frozenset[str]:
    """Every character some enabled table can encode."""
    gsm = set(DEFAULT.chars)
    for code in national:
        lang = LANGUAGES[code]
        gsm.update(lang.locking or "", (lang.single or {}).values())
    gsm.difference_update(("\x1b", UNDEFINED))
    return frozenset(gsm)


def _assemble(encoding, body, raw, units, pieces, national_ies, reference, bits, mode,
              locking, single, forcing) -> Plan:
    dc = DATA_CODING[encoding]
    total = len(pieces)
    if mode == "payload":
        parts = (Part(body, units, udh.wrap(national_ies), raw, 1, 1, dc),)
    elif total == 1:
        text, n, payload = pieces[0]
        parts = (Part(text, n, udh.wrap(national_ies), payload, 1, 1, dc),)
    elif mode == "sar":
        ref = reference & 0xFFFF
        parts = tuple(
            Part(text, n, udh.wrap(national_ies), payload, i, total, dc, (ref, total, i))
            for i, (text, n, payload) in enumerate(pieces, 1)
        )
    else:
        ref = reference & ((1 << bits) - 1)
        parts = tuple(
            Part(text, n, udh.wrap(udh.concat_ie(ref, total, i, bits) + national_ies),
                 payload, i, total, dc)
            for i, (text, n, payload) in enumerate(pieces, 1)
        )
    return Plan(encoding, dc, total, parts, units, mode, locking, single, forcing)
