"""SMPP 3.4 PDUs: one small frozen dataclass per type, naming its response type.

Rules:
- Mandatory fields are the dataclass fields, in wire order. Their annotation is
  their wire type: `str` a C-octet string (latin-1, NUL-terminated on the wire),
  `int` one octet, `bytes` short_message (with its one-octet sm_length, which is
  derived, never stored).
- Every PDU also carries, keyword-only: `tlvs` (the optional parameters, in order,
  as (tag, raw bytes); unknown vendor tags are kept raw), `command_status` and
  `sequence_number` (the header words). Requests normally leave both at 0: the
  session numbers what it sends. `request.response(...)` builds the matching
  response with the request's sequence number.
- Responses whose body is empty (SMSCs omit it on error) decode to the defaults.
- Passwords never appear in repr().
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from .constants import INTERFACE_VERSION_34, CommandId
from .fast import fast_constructor
from .tlv import find_raw, parse_value

Tlvs = tuple[tuple[int, bytes], ...]


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
            raise TypeError("%s has no response" % type(self).__name__)
        return make(sequence_number=self.sequence_number, **fields)


# ---- header-only PDUs -------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class GenericNack(Pdu):
    command_id = CommandId.GENERIC_NACK
    is_response = True


@dataclass(frozen=True, slots=True)
class UnbindResp(Pdu):
    command_id = CommandId.UNBIND_RESP
    is_response = True


@dataclass(frozen=True, slots=True)
class Unbind(Pdu):
    command_id = CommandId.UNBIND
    response_type = UnbindResp


@dataclass(frozen=True, slots=True)
class EnquireLinkResp(Pdu):
    command_id = CommandId.ENQUIRE_LINK_RESP
    is_response = True


@dataclass(frozen=True, slots=True)
class EnquireLink(Pdu):
    command_id = CommandId.ENQUIRE_LINK
    response_type = EnquireLinkResp


# ---- binds --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _BindResp(Pdu):
    is_response = True
    system_id: str = ""


@dataclass(frozen=True, slots=True)
class BindTransmitterResp(_BindResp):
    command_id = CommandId.BIND_TRANSMITTER_RESP


@dataclass(frozen=True, slots=True)
class BindReceiverResp(_BindResp):
    command_id = CommandId.BIND_RECEIVER_RESP


@dataclass(frozen=True, slots=True)
class BindTransceiverResp(_BindResp):
    command_id = CommandId.BIND_TRANSCEIVER_RESP


@dataclass(frozen=True, slots=True)
class _Bind(Pdu):
    system_id: str = ""
    password: str = field(default="", repr=False)
    system_type: str = ""
    interface_version: int = INTERFACE_VERSION_34
    addr_ton: int = 0
    addr_npi: int = 0
    address_range: str = ""


@dataclass(frozen=True, slots=True)
class BindTransmitter(_Bind):
    command_id = CommandId.BIND_TRANSMITTER
    response_type = BindTransmitterResp


@dataclass(frozen=True, slots=True)
class BindReceiver(_Bind):
    command_id = CommandId.BIND_RECEIVER
    response_type = BindReceiverResp


@dataclass(frozen=True, slots=True)
class BindTransceiver(_Bind):
    command_id = CommandId.BIND_TRANSCEIVER
    response_type = BindTransceiverResp


@dataclass(frozen=True, slots=True)
class Outbind(Pdu):
    """SMSC -> ESME: "please bind_receiver to me". It has no response."""

    command_id = CommandId.OUTBIND
    system_id: str = ""
    password: str = field(default="", repr=False)


# ---- messages -----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _MessageIdResp(Pdu):
    is_response = True
    message_id: str = ""


@dataclass(frozen=True, slots=True)
class SubmitSmResp(_MessageIdResp):
    command_id = CommandId.SUBMIT_SM_RESP


@dataclass(frozen=True, slots=True)
class DeliverSmResp(_MessageIdResp):
    command_id = CommandId.DELIVER_SM_RESP


@dataclass(frozen=True, slots=True)
class DataSmResp(_MessageIdResp):
    command_id = CommandId.DATA_SM_RESP


@dataclass(frozen=True, slots=True)
class _ShortMessage(Pdu):
    service_type: str = ""
    source_addr_ton: int = 0
    source_addr_npi: int = 0
    source_addr: str = ""
    dest_addr_ton: int = 0
    dest_addr_npi: int = 0
    destination_addr: str = ""
    esm_class: int = 0
    protocol_id: int = 0
    priority_flag: int = 0
    schedule_delivery_time: str = ""
    validity_period: str = ""
    registered_delivery: int = 0
    replace_if_present_flag: int = 0
    data_coding: int = 0
    sm_default_msg_id: int = 0
    short_message: bytes = b""


@dataclass(frozen=True, slots=True)
class SubmitSm(_ShortMessage):
    command_id = CommandId.SUBMIT_SM
    response_type = SubmitSmResp


@dataclass(frozen=True, slots=True)
class DeliverSm(_ShortMessage):
    command_id = CommandId.DELIVER_SM
    response_type = DeliverSmResp


@dataclass(frozen=True, slots=True)
class DataSm(Pdu):
    command_id = CommandId.DATA_SM
    response_type = DataSmResp
    service_type: str = ""
    source_addr_ton: int = 0
    source_addr_npi: int = 0
    source_addr: str = ""
    dest_addr_ton: int = 0
    dest_addr_npi: int = 0
    destination_addr: str = ""
    esm_class: int = 0
    registered_delivery: int = 0
    data_coding: int = 0


# ---- query, cancel, replace, alert ---------------------------------------------------

@dataclass(frozen=True, slots=True)
class QuerySmResp(Pdu):
    command_id = CommandId.QUERY_SM_RESP
    is_response = True
    message_id: str = ""
    final_date: str = ""
    message_state: int = 0
    error_code: int = 0


@dataclass(frozen=True, slots=True)
class QuerySm(Pdu):
    command_id = CommandId.QUERY_SM
    response_type = QuerySmResp
    message_id: str = ""
    source_addr_ton: int = 0
    source_addr_npi: int = 0
    source_addr: str = ""


@dataclass(frozen=True, slots=True)
class CancelSmResp(Pdu):
    command_id = CommandId.CANCEL_SM_RESP
    is_response = True


@dataclass(frozen=True, slots=True)
class CancelSm(Pdu):
    command_id = CommandId.CANCEL_SM
    response_type = CancelSmResp
    service_type: str = ""
    message_id: str = ""
    source_addr_ton: int = 0
    source_addr_npi: int = 0
    source_addr: str = ""
    dest_addr_ton: int = 0
    dest_addr_npi: int = 0
    destination_addr: str = ""


@dataclass(frozen=True, slots=True)
class ReplaceSmResp(Pdu):
    command_id = CommandId.REPLACE_SM_RESP
    is_response = True


@dataclass(frozen=True, slots=True)
class ReplaceSm(Pdu):
    command_id = CommandId.REPLACE_SM
    response_type = ReplaceSmResp
    message_id: str = ""
    source_addr_ton: int = 0
    source_addr_npi: int = 0
    source_addr: str = ""
    schedule_delivery_time: str = ""
    validity_period: str = ""
    registered_delivery: int = 0
    sm_default_msg_id: int = 0
    short_message: bytes = b""


@dataclass(frozen=True, slots=True)
class AlertNotification(Pdu):
    """SMSC -> ESME: a subscriber became available. It has no response."""

    command_id = CommandId.ALERT_NOTIFICATION
    source_addr_ton: int = 0
    source_addr_npi: int = 0
    source_addr: str = ""
    esme_addr_ton: int = 0
    esme_addr_npi: int = 0
    esme_addr: str = ""


PDU_TYPES: tuple[type[Pdu], ...] = (
    GenericNack, BindReceiver, BindReceiverResp, BindTransmitter, BindTransmitterResp,
    QuerySm, QuerySmResp, SubmitSm, SubmitSmResp, DeliverSm, DeliverSmResp, Unbind,
    UnbindResp, ReplaceSm, ReplaceSmResp, CancelSm, CancelSmResp, BindTransceiver,
    BindTransceiverResp, Outbind, EnquireLink, EnquireLinkResp, AlertNotification,
    DataSm, DataSmResp,
)
"""Every PDU type the codec knows (submit_multi is answered with generic_nack)."""

PDU_BY_COMMAND_ID: dict[int, type[Pdu]] = {cls.command_id: cls for cls in PDU_TYPES}

# request type -> fast constructor of its response (see fast.py); a deliver_sm_resp
# per MO or receipt and a submit_sm_resp per submit in the simulator go through here.
_RESPONSE_MAKERS = {cls: fast_constructor(cls.response_type) for cls in PDU_TYPES
                    if cls.response_type is not None}
