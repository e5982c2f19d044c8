"""The base of every SMPP 3.4 PDU: the header words, the TLVs and `response()`.

The rules are stated in ``pdu.py``, where this class is imported from; the
PDU types, a declarative table, are in ``pdu_fields.py``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

from .fast import fast_constructor
from .tlv import find_raw, parse_value

Tlvs = tuple[tuple[int, bytes], ...]

# request type -> fast constructor of its response (see fast.py), built at its
# first response; a deliver_sm_resp per MO or receipt and a submit_sm_resp per
# submit in the simulator go through here.
_RESPONSE_MAKERS: dict[type, Callable[..., Any]] = {}


@dataclass(frozen=True, slots=True)
class Pdu:
    command_id: ClassVar[int]
    response_type: ClassVar[type[Pdu] | None] = None
    is_response: ClassVar[bool] = False

    tlvs: Tlvs = field(default=(), kw_only=True)
    command_status: int = field(default=0, kw_only=True)
    sequence_number: int = field(default=0, kw_only=True)

    def tlv(self, tag: int, default: Any = None) -> Any:
        """Typed value of the first TLV with `tag` (see tlv.py), or `default`."""
        raw = find_raw(self.tlvs, tag)
        return default if raw is None else parse_value(tag, raw)

    def tlv_raw(self, tag: int) -> bytes | None:
        """Raw bytes of the first TLV with `tag`, or None."""
        return find_raw(self.tlvs, tag)

    def response(self, **fields: Any) -> Pdu:
        """The response to this request, carrying its sequence number.

        `submit.response(message_id="1a2b")`, `deliver.response()`,
        `submit.response(command_status=CommandStatus.ESME_RTHROTTLED)`.
        """
        make = _RESPONSE_MAKERS.get(type(self))
        if make is None:
            make = _response_maker(type(self))
        return make(sequence_number=self.sequence_number, **fields)


def _response_maker(cls: type[Pdu]) -> Callable[..., Any]:
    if cls.response_type is None:
        raise TypeError("%s has no response" % cls.__name__)
    make = _RESPONSE_MAKERS[cls] = fast_constructor(cls.response_type)
    return make
