"""GSM 7-bit tables of 3GPP TS 23.038: default alphabet and extension table.

A *locking shift table* is a 128-character string indexed by septet value; the
character at 0x1B is a placeholder for the escape to the single shift table.
A *single shift table* maps the septet after an escape to its character.
The national language tables (annex A) live in ``national.py``.
"""
from __future__ import annotations

ESC = 0x1B

# 6.2.1 GSM 7 bit default alphabet.
DEFAULT_LOCKING = (
    "@\u00a3$\u00a5\u00e8\u00e9\u00f9\u00ec\u00f2\u00c7\n\u00d8\u00f8\r\u00c5\u00e5"  # 0x00
    "\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e\x1b\u00c6\u00e6\u00df\u00c9"  # 0x10
    " !\"#\u00a4%&'()*+,-./"  # 0x20
    "0123456789:;<=>?"  # 0x30
    "\u00a1ABCDEFGHIJKLMNO"  # 0x40
    "PQRSTUVWXYZ\u00c4\u00d6\u00d1\u00dc\u00a7"  # 0x50
    "\u00bfabcdefghijklmno"  # 0x60
    "pqrstuvwxyz\u00e4\u00f6\u00f1\u00fc\u00e0"  # 0x70
)

# 6.2.1.1 GSM 7 bit default alphabet extension table: each costs 2 septets.
DEFAULT_SINGLE = {
    0x0A: "\x0c", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\", 0x3C: "[", 0x3D: "~",
    0x3E: "]", 0x40: "|", 0x65: "\u20ac",
}

assert len(DEFAULT_LOCKING) == 128
