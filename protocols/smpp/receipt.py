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
* A malformed optional TLV (a ``network_error_code`` that is not 3
  octets, an empty or over-255 ``message_state``, a value of the wrong
  type) is ignored: the receipt is read from its other TLVs and its text,
  and ``Receipt.ignored`` says what was dropped and why, so the caller can
  log and count it.  ``pdu_tlvs`` hands over the raw octets, so the daemon
  and ``carrier-gateway receipt`` judge a TLV the same way.
* The text is read in receipt_text.py, the TLVs in receipt_tlvs.py; this
  module joins them.
* Absent means ``None``.  A receipt that cannot be read at all (no message
  id anywhere) raises ``ReceiptError``; no other exception escapes
  ``parse_receipt`` for any input.
"""
from __future__ import annotations

import enum
from dataclasses import asdict, dataclass
from typing import Any, Mapping

from .fast import fast_constructor
from .receipt_text import (  # noqa: F401 (re-exported: the text half of the parser)
    _KEY_RE, _STANDARD_RE, _STAT_ALIASES, _scan_text, decode_text, normalize_stat, parse_text,
)
from .receipt_tlvs import (  # noqa: F401 (NetworkError, pdu_tlvs re-exported: the TLV half)
    NetworkError, pdu_tlvs, read_tlv, tlv_int, tlv_network_error, tlv_text,
)

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

@dataclass(frozen=True, slots=True)
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
    ignored: tuple[str, ...] = ()  # malformed optional TLVs read around, and why

    @property
    def intermediate(self) -> bool:
        return self.kind is ReceiptKind.INTERMEDIATE

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = self.kind.name
        data["ignored"] = list(self.ignored)
        if self.network_error is not None:
            data["network_error"] = [self.network_error.network_type, self.network_error.code]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Receipt":
        fields = dict(data)
        fields["kind"] = ReceiptKind[fields.get("kind", "SMSC")]
        net = fields.get("network_error")
        fields["network_error"] = NetworkError(int(net[0]), int(net[1])) if net else None
        fields["ignored"] = tuple(fields.get("ignored") or ())
        return cls(**fields)


# Every receipt read is built through its slots (``fast.py``).
_receipt = fast_constructor(Receipt)


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


def _int_or_none(value: str | None) -> int | None:
    if value is None or not (value.isascii() and value.isdigit()):
        return None
    return int(value)


def _payload_text(tlvs: Mapping[str, Any], short_message: Any, data_coding: int,
                  ignored: list[str]) -> str:
    payload = short_message
    if not payload:
        payload = tlvs.get("message_payload") or b""
        if not isinstance(payload, (str, bytes, bytearray, memoryview)):
            ignored.append("message_payload: not octets")
            payload = b""
    if isinstance(payload, str):
        return payload
    if isinstance(payload, (bytes, bytearray, memoryview)):
        return decode_text(bytes(payload), data_coding)
    raise ReceiptError("receipt text is neither bytes nor str")


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
    hex string, (type, code) or ``NetworkError``), ``message_payload``
    (bytes/str, used when ``short_message`` is empty).  A value of another
    shape is ignored and named in ``Receipt.ignored``.
    """
    tlvs = tlvs or {}
    kind = receipt_kind(esm_class)
    ignored: list[str] = []
    message_id = read_tlv(tlv_text, tlvs.get("receipted_message_id"), "receipted_message_id", ignored)
    if kind is None:
        if tlvs.get("receipted_message_id") is None:
            return None  # not a receipt (``is_receipt``)
        kind = ReceiptKind.SMSC
    text = _payload_text(tlvs, short_message, data_coding, ignored)
    fields = parse_text(text)
    state = read_tlv(tlv_int, tlvs.get("message_state"), "message_state", ignored)
    network_error = read_tlv(lambda v, _n: tlv_network_error(v), tlvs.get("network_error_code"),
                              "network_error_code", ignored)
    message_id = message_id or fields.get("id")
    if message_id is None:
        raise ReceiptError(f"receipt without a message id: {text[:80]!r}")
    stat_raw = fields.get("stat")
    stat = MESSAGE_STATES.get(state, f"STATE{state}") if state is not None else normalize_stat(stat_raw)
    return _receipt(
        message_id=message_id,
        kind=kind,
        stat=stat,
        stat_raw=stat_raw,
        err=fields.get("err"),
        message_state=state,
        network_error=network_error,
        sub=_int_or_none(fields.get("sub")),
        dlvrd=_int_or_none(fields.get("dlvrd")),
        submit_date=fields.get("submit date"),
        done_date=fields.get("done date"),
        text=fields.get("text"),
        ignored=tuple(ignored),
    )


def parse_pdu(pdu: Any) -> Receipt | None:
    """``parse_receipt`` for a ``protocols.smpp.pdu.DeliverSm`` or ``DataSm``."""
    return parse_receipt(
        esm_class=pdu.esm_class,
        data_coding=pdu.data_coding,
        short_message=getattr(pdu, "short_message", b""),
        tlvs=pdu_tlvs(pdu),
    )
