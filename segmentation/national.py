"""National language shift tables of 3GPP TS 23.038 annex A.

Each language has a National Language Identifier (NLI) that travels in the
UDH: IEI 0x24 selects a *locking* shift table (replaces the default alphabet)
and IEI 0x25 a *single* shift table (replaces the extension table).  Spanish
has only a single shift table.  Languages are named by ISO 639-1 code, the
way carrier configs and ``--national`` spell them.

The Latin-script tables are here; the Indic-script and Urdu ones (NLI 4..13)
in ``national_indic``.
"""
from __future__ import annotations

from segmentation.national_indic import INDIC_LANGUAGES
from segmentation.national_model import NationalLanguage


# A.2.1 Turkish single shift / A.3.1 Turkish locking shift.
TURKISH_SINGLE = {
    0x0A: "\x0c", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\", 0x3C: "[", 0x3D: "~",
    0x3E: "]", 0x40: "|", 0x47: "\u011e", 0x49: "\u0130", 0x53: "\u015e",
    0x63: "\u00e7", 0x65: "\u20ac", 0x67: "\u011f", 0x69: "\u0131", 0x73: "\u015f",
}
TURKISH_LOCKING = (
    "@\u00a3$\u00a5\u20ac\u00e9\u00f9\u0131\u00f2\u00c7\n\u011e\u011f\r\u00c5\u00e5"  # 0x00
    "\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e\x1b\u015e\u015f\u00df\u00c9"  # 0x10
    " !\"#\u00a4%&'()*+,-./"  # 0x20
    "0123456789:;<=>?"  # 0x30
    "\u0130ABCDEFGHIJKLMNO"  # 0x40
    "PQRSTUVWXYZ\u00c4\u00d6\u00d1\u00dc\u00a7"  # 0x50
    "\u00e7abcdefghijklmno"  # 0x60
    "pqrstuvwxyz\u00e4\u00f6\u00f1\u00fc\u00e0"  # 0x70
)

# A.2.2 Spanish single shift (Spanish has no locking shift table).
SPANISH_SINGLE = {
    0x09: "\u00e7", 0x0A: "\x0c", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\",
    0x3C: "[", 0x3D: "~", 0x3E: "]", 0x40: "|", 0x41: "\u00c1", 0x49: "\u00cd",
    0x4F: "\u00d3", 0x55: "\u00da", 0x61: "\u00e1", 0x65: "\u20ac", 0x69: "\u00ed",
    0x6F: "\u00f3", 0x75: "\u00fa",
}

# A.2.3 Portuguese single shift / A.3.3 Portuguese locking shift.
PORTUGUESE_SINGLE = {
    0x05: "\u00ea", 0x09: "\u00e7", 0x0A: "\x0c", 0x0B: "\u00d4", 0x0C: "\u00f4",
    0x0E: "\u00c1", 0x0F: "\u00e1", 0x12: "\u03a6", 0x13: "\u0393", 0x14: "^",
    0x15: "\u03a9", 0x16: "\u03a0", 0x17: "\u03a8", 0x18: "\u03a3", 0x19: "\u0398",
    0x1F: "\u00ca", 0x28: "{", 0x29: "}", 0x2F: "\\", 0x3C: "[", 0x3D: "~", 0x3E: "]",
    0x40: "|", 0x41: "\u00c0", 0x49: "\u00cd", 0x4F: "\u00d3", 0x55: "\u00da",
    0x5B: "\u00c3", 0x5C: "\u00d5", 0x61: "\u00c2", 0x65: "\u20ac", 0x69: "\u00ed",
    0x6F: "\u00f3", 0x75: "\u00fa", 0x7B: "\u00e3", 0x7C: "\u00f5", 0x7F: "\u00e2",
}
PORTUGUESE_LOCKING = (
    "@\u00a3$\u00a5\u00ea\u00e9\u00fa\u00ed\u00f3\u00e7\n\u00d4\u00f4\r\u00c1\u00e1"  # 0x00
    "\u0394_\u00aa\u00c7\u00c0\u221e^\\\u20ac\u00d3|\x1b\u00c2\u00e2\u00ca\u00c9"  # 0x10
    " !\"#\u00ba%&'()*+,-./"  # 0x20
    "0123456789:;<=>?"  # 0x30
    "\u00cdABCDEFGHIJKLMNO"  # 0x40
    "PQRSTUVWXYZ\u00c3\u00d5\u00da\u00dc\u00a7"  # 0x50
    "~abcdefghijklmno"  # 0x60
    "pqrstuvwxyz\u00e3\u00f5`\u00fc\u00e0"  # 0x70
)


def _registry() -> dict[str, NationalLanguage]:
    languages = [
        NationalLanguage("tr", 1, "Turkish", TURKISH_LOCKING, TURKISH_SINGLE),
        NationalLanguage("es", 2, "Spanish", None, SPANISH_SINGLE),
        NationalLanguage("pt", 3, "Portuguese", PORTUGUESE_LOCKING, PORTUGUESE_SINGLE),
    ]
    languages.extend(INDIC_LANGUAGES)
    return {lang.code: lang for lang in languages}


LANGUAGES: dict[str, NationalLanguage] = _registry()
BY_NLI: dict[int, NationalLanguage] = {lang.nli: lang for lang in LANGUAGES.values()}


def parse_languages(spec: str | None) -> frozenset[str]:
    """Parse ``"tr,es,pt"`` (as in ``--national`` or a carrier config)."""
    codes = frozenset(c.strip().lower() for c in (spec or "").split(",") if c.strip())
    unknown = sorted(codes - LANGUAGES.keys())
    if unknown:
        raise ValueError(
            f"unknown national language(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(LANGUAGES))}"
        )
    return codes
