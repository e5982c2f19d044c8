"""Delivery receipts: spotting them and reading them (pure).

Rules of this module:

* A deliver_sm/data_sm is a receipt when its esm_class message-type bits
  (2-5: 0x04 SMSC receipt, 0x08 SME delivery ack, 0x10 SME manual ack,
  0x20 intermediate notification) are set, or when it carries the
  ``receipted_message_id`` TLV (some carriers send receipts in data_sm, or
  forget the esm_class bits but never the TLV).
* The TLVs (``receipted_message_id``, ``message_state``,
  ``network_error_code``) and the text (``short_message`` or
  ``message_payload``) are read together; a TLV wins over the text.
* The text parser is tolerant: keys in any case and any order, any of
  them missing, ``err:`` of any length (decimal or hex), long ``stat:``
  forms, ids zero-padded, hex or UUID, trailing NULs and padding ignored.
  Each key counts once; a later repeat is part of the value before it
  (so ``text:`` may quote ``stat:`` without confusing us).
* Absent means ``None``.  Anything that is a receipt but cannot be read
  (no message id anywhere, a malformed TLV) raises ``ReceiptError``; no
  other exception escapes ``parse_receipt`` for any input.
"""
from __future__ import annotations

import enum
import re
from dataclasses import asdict, dataclass
from typing import Any, Mapping

from .constants import Tag
from .tlv import parse_value

ESM_TYPE_MASK = 0x3C  # esm_class bits 2..5: the message type


class ReceiptError(ValueError):
    """A receipt that cannot be read."""


class ReceiptKind(enum.Enum):
    SMSC = 0x04  # SMSC delivery receipt
    SME_ACK = 0x08  # SME delivery acknowledgement
    MANUAL_ACK = 0x10  # SME manual/user acknowledgement
    INTERMEDIATE = 0x20  # intermediate delivery notification


# message_state TLV values (SMPP 3.4 section 5.2.28) and their text stat.
MESSAGE_STATES = {
    1: "ENROUTE",
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    6: "ACCEPTD",
    7: "UNKNOWN",
    8: "REJECTD",
    9: "SKIPPED",  # SMPP 5.0
}

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


@dataclass(frozen=True)
class NetworkError:
    """The ``network_error_code`` TLV: network type (3 = GSM) and code."""

    network_type: int
    code: int

    def __str__(self) -> str:
        return f"{self.network_type}:{self.code}"


@dataclass(frozen=True)
class Receipt:
    message_id: str | None
    kind: ReceiptKind = ReceiptKind.SMSC
    stat: str | None = None  # canonical: DELIVRD, UNDELIV, ... (TLV wins)
    stat_raw: str | None = None  # as the text spelled it
    err: str | None = None  # the text's err:, raw
    message_state: int | None = None
    network_error: NetworkError | None = None
    sub: int | None = None
    dlvrd: int | None = None
    submit_date: str | None = None
    done_date: str | None = None
    text: str | None = None

    @property
    def intermediate(self) -> bool:
        return self.kind is ReceiptKind.INTERMEDIATE

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = self.kind.name
        if self.network_error is not None:
            data["network_error"] = [self.network_error.network_type, self.network_error.code]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Receipt":
        fields = dict(data)
        fields["kind"] = ReceiptKind[fields.get("kind", "SMSC")]
        net = fields.get("network_error")
        fields["network_error"] = NetworkError(int(net[0]), int(net[1])) if net else None
        return cls(**fields)


def _kind_of_bits(bits: int) -> ReceiptKind | None:
    for kind in ReceiptKind:  # several bits set (malformed): the lowest wins
        if bits & kind.value:
            return kind
    return None


# Every value of the message-type bits, looked up instead of iterating the Enum.
_KIND_BY_BITS = {bits: _kind_of_bits(bits) for bits in range(0, ESM_TYPE_MASK + 1, 4)}


def receipt_kind(esm_class: int) -> ReceiptKind | None:
    """The receipt type named by esm_class bits 2-5, or None."""
    return _KIND_BY_BITS[esm_class & ESM_TYPE_MASK]


def is_receipt(esm_class: int, tlvs: Mapping[str, Any]) -> bool:
    return receipt_kind(esm_class) is not None or tlvs.get("receipted_message_id") is not None


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


def _int_or_none(value: str | None) -> int | None:
    if value is None or not (value.isascii() and value.isdigit()):
        return None
    return int(value)


def _tlv_text(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        value = bytes(value).decode("latin-1")
    if not isinstance(value, str):
        raise ReceiptError(f"TLV {name} is not a string")
    value = value.strip("\x00 \t\r\n")
    return value or None


def _tlv_int(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        if len(value) != 1:
            raise ReceiptError(f"TLV {name} must be 1 octet, got {len(value)}")
        return bytes(value)[0]
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ReceiptError(f"TLV {name} is not an integer")


def _tlv_network_error(value: Any) -> NetworkError | None:
    if value is None:
        return None
    if isinstance(value, NetworkError):
        return value
    if isinstance(value, str):
        try:
            value = bytes.fromhex(value)
        except ValueError:
            raise ReceiptError("TLV network_error_code is not hex") from None
    if isinstance(value, tuple) and len(value) == 2:
        return NetworkError(int(value[0]), int(value[1]))
    if not isinstance(value, (bytes, bytearray, memoryview)) or len(value) != 3:
        raise ReceiptError("TLV network_error_code must be 3 octets")
    data = bytes(value)
    return NetworkError(data[0], int.from_bytes(data[1:3], "big"))


def parse_receipt(
    *,
    esm_class: int,
    data_coding: int = 0,
    short_message: bytes = b"",
    tlvs: Mapping[str, Any] | None = None,
) -> Receipt | None:
    """Read a receipt; None when the PDU is not a receipt at all.

    ``tlvs`` maps TLV names to values: ``receipted_message_id`` (str/bytes),
    ``message_state`` (int or 1 octet), ``network_error_code`` (3 octets,
    hex string or ``NetworkError``), ``message_payload`` (bytes/str, used
    when ``short_message`` is empty).
    """
    tlvs = tlvs or {}
    kind = receipt_kind(esm_class)
    if kind is None:
        if tlvs.get("receipted_message_id") is None:
            return None  # not a receipt (``is_receipt``)
        kind = ReceiptKind.SMSC
    payload = short_message or tlvs.get("message_payload") or b""
    if isinstance(payload, str):
        text = payload
    elif isinstance(payload, (bytes, bytearray, memoryview)):
        text = decode_text(bytes(payload), data_coding)
    else:
        raise ReceiptError("receipt text is neither bytes nor str")
    fields = parse_text(text)
    state = _tlv_int(tlvs.get("message_state"), "message_state")
    message_id = _tlv_text(tlvs.get("receipted_message_id"), "receipted_message_id")
    message_id = message_id or fields.get("id")
    if message_id is None:
        raise ReceiptError(f"receipt without a message id: {text[:80]!r}")
    stat_raw = fields.get("stat")
    stat = MESSAGE_STATES.get(state, f"STATE{state}") if state is not None else normalize_stat(stat_raw)
    return Receipt(
        message_id=message_id,
        kind=kind,
        stat=stat,
        stat_raw=stat_raw,
        err=fields.get("err"),
        message_state=state,
        network_error=_tlv_network_error(tlvs.get("network_error_code")),
        sub=_int_or_none(fields.get("sub")),
        dlvrd=_int_or_none(fields.get("dlvrd")),
        submit_date=fields.get("submit date"),
        done_date=fields.get("done date"),
        text=fields.get("text"),
    )


_RECEIPT_TLVS = {
    "receipted_message_id": Tag.RECEIPTED_MESSAGE_ID,
    "message_state": Tag.MESSAGE_STATE,
    "network_error_code": Tag.NETWORK_ERROR_CODE,
    "message_payload": Tag.MESSAGE_PAYLOAD,
}


_RECEIPT_TAGS = {int(tag): name for name, tag in _RECEIPT_TLVS.items()}


def pdu_tlvs(pdu: Any) -> dict[str, Any]:
    """The receipt TLVs of a DeliverSm/DataSm, typed, by name (absent: missing).

    The first TLV of each tag counts (as ``pdu.tlv(tag)``); one pass over them.
    """
    values: dict[str, Any] = {}
    for tag, raw in pdu.tlvs:
        name = _RECEIPT_TAGS.get(tag)
        if name is not None and name not in values:
            values[name] = parse_value(tag, raw)
    return values


def parse_pdu(pdu: Any) -> Receipt | None:
    """``parse_receipt`` for a ``protocols.smpp.pdu.DeliverSm`` or ``DataSm``."""
    return parse_receipt(
        esm_class=pdu.esm_class,
        data_coding=pdu.data_coding,
        short_message=getattr(pdu, "short_message", b""),
        tlvs=pdu_tlvs(pdu),
    )
