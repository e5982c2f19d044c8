"""The SMPP 3.4 PDU types: a declarative table, one frozen dataclass per type.

The rules of the table (fields in wire order, annotations as wire types,
passwords kept out of repr()) are stated in ``pdu.py``, where these names are
imported from; ``codec.py`` turns each class into its encoder and decoder.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .constants import INTERFACE_VERSION_34, CommandId
from .pdu_base import Pdu


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
