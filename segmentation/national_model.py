"""The shape of a national language entry (TS 23.038 6.2.1.2.4, annex A)."""
from __future__ import annotations

from dataclasses import dataclass

# A septet that a locking shift table leaves empty: never produced; decodes as U+FFFD.
UNDEFINED = "\ufffd"


@dataclass(frozen=True)
class NationalLanguage:
    code: str                      # ISO 639-1, e.g. "tr"
    nli: int                       # National Language Identifier carried in IE 0x24/0x25
    name: str
    locking: str | None            # 128 characters, or None (no locking table)
    single: dict[int, str] | None  # septet -> character, or None (no single table)
