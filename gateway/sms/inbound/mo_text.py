"""Reading the text of an inbound (mobile-originated) short message (pure).

Rules:

* ``segmentation.decode`` reads the UDH / SAR and the text; this module
  only chooses which data_coding it is asked to read, and what to do when
  it raises ``DecodeError``.  It never raises itself: every octet string
  gives an ``MoText``.
* data_coding 0 is "the SMSC default alphabet", which each carrier names
  in its ``default_alphabet`` setting: "gsm7" (read as GSM-7), "latin1"
  (read as data_coding 3, ISO-8859-1) or "ascii" (data_coding 1, IA5).
* A data_coding 0 message holding octets above 0x7F cannot be GSM-7 or
  ASCII: it is read as Latin-1 and flagged ``fallback``, so the caller
  can say the carrier probably needs ``default_alphabet = "latin1"``.
* A data_coding 0 message read as GSM-7 whose octets are all printable
  ASCII and include one of the octets that ASCII and GSM-7 read
  differently in text (``@`` ``$`` ``_``, which GSM-7 reads as ``¡ ¤ §``)
  is flagged ``ascii_hint``: the SMSC most likely sends ASCII (or Latin-1),
  so the caller can say the carrier probably needs ``default_alphabet =
  "ascii"``.  The text is still read as configured.
* ``gsm7_of_octets`` re-reads text taken one octet per character (how a
  receipt's text is read) as GSM-7, for showing a data_coding 0 receipt's
  ``text:`` in a carrier's ``default_alphabet``.
* A UCS-2 part that starts or ends with half of a surrogate pair (the
  other half is in the next part) reads, the half escaped
  (``gateway.sms.inbound.reassembly.escape_surrogates``).
* Anything else that is not text -- 8-bit binary data, codings we do not
  interpret, malformed text, a malformed UDH -- gives ``text = None`` and
  ``why``; the caller keeps the octets (it must not lose the message).
"""
from __future__ import annotations

from dataclasses import dataclass

from gateway.sms.inbound.reassembly import escape_surrogates
from segmentation import DecodeError, decode
from segmentation.decode import UCS2, alphabet_of
from segmentation.tables import DEFAULT_LOCKING, DEFAULT_SINGLE, ESC

SMSC_DEFAULT = 0x00  # data_coding 0: "SMSC default alphabet" (SMPP 3.4 5.2.19)
IA5, LATIN1, OCTETS = 0x01, 0x03, 0x04  # data_coding values decode() reads as such
# default_alphabet -> the data_coding that decode() reads that way
ALPHABETS = {"gsm7": SMSC_DEFAULT, "latin1": LATIN1, "ascii": IA5}
HIGHEST_SEPTET = 0x7F  # GSM-7 (unpacked) and ASCII never use the top bit
# Printable ASCII (and CR/LF): what an ASCII SMSC sends for text.
PRINTABLE_ASCII = frozenset(range(0x20, 0x7F)) | {0x0A, 0x0D}
# "@", "$", "_" in ASCII; GSM-7 reads these octets as "¡", "¤", "§" (and
# spells @ $ _ as 0x00, 0x02, 0x11, which are not printable ASCII).
TELLTALE_OCTETS = frozenset(b"@$_")


@dataclass(frozen=True)
class MoText:
    text: str | None  # None: not text, see ``why``
    concat: tuple[int, int, int, int] | None  # reference, total, seqno, bits
    encoding: str  # what the text was read as: GSM-7, Latin-1, IA5, UCS-2, binary, ...
    fallback: bool = False  # data_coding 0 read as Latin-1 against the carrier's setting
    ascii_hint: bool = False  # read as GSM-7, but the octets look like ASCII (see the rules)
    why: str | None = None  # why the text is None (or needed the fallback)


def read_mo(data_coding: int, data: bytes, *, udhi: bool = False,
            sar: tuple[int, int, int] | None = None, default_alphabet: str = "gsm7") -> MoText:
    """The text of one MO short message (or message_payload); never raises."""
    if default_alphabet not in ALPHABETS:
        raise ValueError(f"default_alphabet must be one of {', '.join(ALPHABETS)}, not {default_alphabet!r}")
    coding = ALPHABETS[default_alphabet] if data_coding == SMSC_DEFAULT else data_coding
    try:
        decoded = decode(coding, data, udhi=udhi, sar=sar)
    except DecodeError as exc:
        return _undecodable(data_coding, coding, data, udhi, sar, str(exc))
    concat = tuple(decoded.concat) if decoded.concat else None
    if decoded.text is None:
        why = f"{decoded.encoding} data (data_coding {data_coding:#04x}) is not text"
        return MoText(None, concat, decoded.encoding, why=why)
    hint = coding == SMSC_DEFAULT and data_coding == SMSC_DEFAULT and looks_ascii(decoded.payload)
    return MoText(decoded.text, concat, decoded.encoding, ascii_hint=hint)


def looks_ascii(payload: bytes) -> bool:
    """All printable ASCII, with an octet GSM-7 would read otherwise."""
    octets = set(payload)
    return bool(octets & TELLTALE_OCTETS) and octets <= PRINTABLE_ASCII


def _undecodable(data_coding: int, coding: int, data: bytes, udhi: bool, sar, why: str) -> MoText:
    try:
        frame = decode(OCTETS, data, udhi=udhi, sar=sar)  # the UDH/SAR alone, text left alone
    except DecodeError as exc:
        return MoText(None, None, "unreadable", why=str(exc))
    concat = tuple(frame.concat) if frame.concat else None
    payload = frame.payload
    if data_coding == SMSC_DEFAULT and coding != LATIN1 and max(payload, default=0) > HIGHEST_SEPTET:
        return MoText(payload.decode("latin-1"), concat, "Latin-1", fallback=True, why=why)
    if alphabet_of(coding) == UCS2 and len(payload) % 2 == 0:
        text = payload.decode("utf-16-be", "surrogatepass")  # only a lone surrogate failed
        return MoText(escape_surrogates(text), concat, UCS2)
    return MoText(None, concat, alphabet_of(coding), why=why)


# Octet (as a Latin-1 character) -> its GSM-7 character, for 0x00-0x7F.
_GSM7_OF_OCTET = str.maketrans({chr(i): ch for i, ch in enumerate(DEFAULT_LOCKING)
                                if i != ESC and chr(i) != ch})


def gsm7_of_octets(text: str) -> str:
    """Text read one octet per character (Latin-1) re-read as unpacked
    GSM-7: letters and digits stay, ``@`` (0x40) becomes ``¡``, ``ESC (``
    becomes ``{`` (an unknown escape shows the base character, as TS 23.038
    says); characters above 0x7F stay."""
    first, *escaped = text.split(chr(ESC))
    out = [first.translate(_GSM7_OF_OCTET)]
    for part in escaped:
        if part:
            out.append(DEFAULT_SINGLE.get(ord(part[0])) or part[0].translate(_GSM7_OF_OCTET))
            out.append(part[1:].translate(_GSM7_OF_OCTET))
    return "".join(out)
