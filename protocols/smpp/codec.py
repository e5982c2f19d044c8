"""Fast SMPP 3.4 codec: `encode(pdu) -> bytes`, `decode(frame) -> Pdu`.

Theory of operation: a PDU class's mandatory fields are declared in wire order with
their wire type as annotation (pdu_fields.py). At import time this module turns each class
into two straight-line functions (as `dataclasses` and `namedtuple` do), so the hot
path does no per-field reflection:

- encode: one `bytes %` format for the whole body (`%b\\0` per C-octet string,
  `%c` per octet, `%c%b` for sm_length + short_message), the TLVs appended, one
  struct.pack for the header.
- decode: `bytes.index(b"\\0", pos)` per C-octet string, slices for octets, then
  the frozen instance is filled through its slot descriptors (a frozen dataclass's
  `__init__` costs more; README, "Codec and session").

Errors: `decode` raises only RemoteProtocolError, carrying the status to answer
with: ESME_RINVCMDLEN (length mismatch, truncated body, missing NUL), ESME_RINVCMDID
(unknown command_id), ESME_RINVOPTPARSTREAM (truncated TLV). `encode` raises
LocalProtocolError for a value that does not fit (an octet over 255, a NUL inside a
C-octet string, a short_message over 255 octets: use message_payload). Maximum
C-string lengths of the specification are not enforced in either direction:
carriers exceed them, and the peer is the judge.
"""
from __future__ import annotations

import dataclasses
from struct import Struct
from struct import error as StructError
from typing import Any, Callable

from .constants import HEADER_LENGTH, CommandStatus
from .errors import LocalProtocolError, RemoteProtocolError
from .fast import fast_constructor
from .pdu import PDU_TYPES, Pdu

_HEADER = Struct(">IIII")
_TLV_HEAD = Struct(">HH")
_HEADER_FIELDS = ("tlvs", "command_status", "sequence_number")
_KIND = {"str": "cstr", "int": "octet", "bytes": "sm"}
_DECODE_ERRORS = (IndexError, ValueError, StructError)
_ENCODE_ERRORS = (TypeError, ValueError, OverflowError, AttributeError, StructError)


def body_fields(cls: type[Pdu]) -> list[tuple[str, str]]:
    """[(field name, "cstr" | "octet" | "sm")] in wire order."""
    return [(f.name, _KIND[f.type]) for f in dataclasses.fields(cls) if f.name not in _HEADER_FIELDS]


def decode_tlvs(frame: bytes, pos: int, end: int) -> tuple[tuple[int, bytes], ...]:
    tlvs = []
    while pos < end:
        if end - pos < 4:
            raise RemoteProtocolError("truncated TLV header at offset %d" % pos,
                                      CommandStatus.ESME_RINVOPTPARSTREAM)
        tag, length = _TLV_HEAD.unpack_from(frame, pos)
        pos += 4
        value = frame[pos:pos + length]
        if len(value) != length:
            raise RemoteProtocolError("TLV 0x%04X claims %d octets, %d left" % (tag, length, len(value)),
                                      CommandStatus.ESME_RINVOPTPARSTREAM)
        tlvs.append((tag, value))
        pos += length
    return tuple(tlvs)


def encode_tlvs(tlvs: tuple[tuple[int, bytes], ...]) -> bytes:
    return b"".join([_TLV_HEAD.pack(tag, len(value)) + value for tag, value in tlvs])


def _decoder_source(cls: type[Pdu], fields: list[tuple[str, str]]) -> str:
    lines = ["def decode_%s(frame, status, seq):" % cls.__name__]
    if cls.is_response:  # SMSCs omit the body of an error response, and some of deliver_sm_resp
        lines.append("    if len(frame) == 16: return _make_empty(status, seq)")
    lines.append("    pos = 16")
    names = [name for name, _ in fields]
    i = 0
    while i < len(fields):
        name, kind = fields[i]
        if kind == "cstr":
            lines.append("    n = _index(frame, b'\\0', pos)")
            lines.append("    %s = frame[pos:n].decode('latin-1') if n != pos else ''" % name)
            lines.append("    pos = n + 1")
        elif kind == "sm":
            lines.append("    n = frame[pos]; pos += 1")
            lines.append("    %s = frame[pos:pos + n]" % name)
            lines.append("    if len(%s) != n: raise IndexError" % name)
            lines.append("    pos += n")
        else:  # a run of octets
            run = [name]
            while i + 1 < len(fields) and fields[i + 1][1] == "octet":
                i += 1
                run.append(fields[i][0])
            if len(run) == 1:
                lines.append("    %s = frame[pos]" % name)
            else:
                lines.append("    %s, = frame[pos:pos + %d]" % (", ".join(run), len(run)))
            lines.append("    pos += %d" % len(run))
        i += 1
    lines.append("    tlvs = _decode_tlvs(frame, pos, len(frame)) if pos < len(frame) else ()")
    lines.append("    o = _new(_cls)")
    for name in list(_HEADER_FIELDS) + names:
        value = {"tlvs": "tlvs", "command_status": "status", "sequence_number": "seq"}.get(name, name)
        lines.append("    _set_%s(o, %s)" % (name, value))
    lines.append("    return o")
    return "\n".join(lines) + "\n"


def _encoder_source(cls: type[Pdu], fields: list[tuple[str, str]]) -> str:
    lines = ["def encode_%s(p, seq):" % cls.__name__]
    fmt, args, checks = [], [], []
    for name, kind in fields:
        if kind == "cstr":
            fmt.append("%b\\0")
            args.append("p.%s.encode('latin-1')" % name)
            checks.append("p.%s" % name)
        elif kind == "sm":
            lines.append("    sm = p.%s" % name)
            lines.append("    if len(sm) > 255: raise ValueError('short_message over 255 octets,"
                         " use message_payload')")
            fmt.append("%c%b")
            args += ["len(sm)", "sm"]
        else:
            fmt.append("%c")
            args.append("p.%s" % name)
    if checks:
        lines.append("    if '\\0' in %s: raise ValueError('NUL inside a C-octet string')"
                     % " + ".join(checks))
    if fmt:
        lines.append("    body = b'%s' %% (%s,)" % ("".join(fmt), ", ".join(args)))
    else:
        lines.append("    body = b''")
    lines.append("    if p.tlvs: body += _encode_tlvs(p.tlvs)")
    lines.append("    return _pack_header(16 + len(body), %d, p.command_status, seq) + body"
                 % cls.command_id)
    return "\n".join(lines) + "\n"


def _compile(cls: type[Pdu]) -> tuple[Callable, Callable]:
    fields = body_fields(cls)
    make = fast_constructor(cls)
    namespace: dict = {
        "_cls": cls, "_new": object.__new__, "_index": bytes.index,
        "_decode_tlvs": decode_tlvs, "_encode_tlvs": encode_tlvs, "_pack_header": _HEADER.pack,
        "_make_empty": lambda status, seq: make(command_status=status, sequence_number=seq),
    }
    for name in list(_HEADER_FIELDS) + [name for name, _ in fields]:
        namespace["_set_" + name] = getattr(cls, name).__set__
    exec(_decoder_source(cls, fields), namespace)  # noqa: S102 - source built above
    exec(_encoder_source(cls, fields), namespace)  # noqa: S102
    return namespace["decode_" + cls.__name__], namespace["encode_" + cls.__name__]


@dataclasses.dataclass(frozen=True, slots=True)
class Encoded:
    """A request whose body is already in wire form, e.g. ``Encoded(DeliverSm, body)``.

    The session numbers, windows and sends it like the PDU it stands for (the
    SMSC simulator builds its receipts so, from slices of the submit_sm);
    ``decoded()`` is that PDU, and any other attribute (``short_message``,
    ``tlv(tag)``) is read from it."""
    pdu_type: type[Pdu]
    body: bytes
    is_response = False
    sequence_number = 0

    @property
    def command_id(self) -> int:
        return self.pdu_type.command_id

    @property
    def response_type(self) -> type[Pdu] | None:
        return self.pdu_type.response_type

    def decoded(self, sequence_number: int = 0) -> Pdu:
        return decode(encode(self, sequence_number))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.decoded(), name)


def _encode_encoded(p: Encoded, seq: int) -> bytes:
    return _HEADER.pack(16 + len(p.body), p.pdu_type.command_id, 0, seq) + p.body


_DECODERS: dict[int, Callable] = {}
_ENCODERS: dict[type, Callable] = {Encoded: _encode_encoded}
for _cls in PDU_TYPES:
    _DECODERS[_cls.command_id], _ENCODERS[_cls] = _compile(_cls)


def encode(pdu: Pdu, sequence_number: int | None = None) -> bytes:
    """The wire bytes of `pdu`, header included; `sequence_number` overrides the
    PDU's own. Raises LocalProtocolError when a value does not fit."""
    encoder = _ENCODERS.get(type(pdu))
    if encoder is None:
        raise LocalProtocolError("not an SMPP PDU: %r" % (type(pdu).__name__,))
    try:
        return encoder(pdu, pdu.sequence_number if sequence_number is None else sequence_number)
    except _ENCODE_ERRORS as e:
        raise LocalProtocolError("cannot encode %s: %s" % (type(pdu).__name__, e)) from None


def decode(frame: bytes) -> Pdu:
    """The PDU in one whole frame (command_length == len(frame)).

    Raises RemoteProtocolError, and nothing else, for any bytes that are not one."""
    if type(frame) is not bytes:
        frame = bytes(frame)
    if len(frame) < HEADER_LENGTH:
        raise RemoteProtocolError("%d octets, shorter than a header" % len(frame),
                                  CommandStatus.ESME_RINVCMDLEN)
    length, command_id, status, seq = _HEADER.unpack_from(frame)
    if length != len(frame):
        raise RemoteProtocolError("command_length %d but %d octets" % (length, len(frame)),
                                  CommandStatus.ESME_RINVCMDLEN, seq)
    decoder = _DECODERS.get(command_id)
    if decoder is None:
        raise RemoteProtocolError("unknown command_id 0x%08X" % command_id,
                                  CommandStatus.ESME_RINVCMDID, seq)
    try:
        return decoder(frame, status, seq)
    except RemoteProtocolError as e:
        e.sequence_number = seq
        raise
    except _DECODE_ERRORS:
        raise RemoteProtocolError("truncated or unterminated body of command_id 0x%08X"
                                  % command_id, CommandStatus.ESME_RINVCMDLEN, seq) from None
