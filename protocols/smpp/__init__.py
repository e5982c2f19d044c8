"""Pure SMPP 3.4 core: PDUs, codec, framer and a sans-IO session (no I/O, no clock).

Public API (stable; everything below is importable from `protocols.smpp`):

PDUs (pdu.py) - frozen dataclasses, one per type, mandatory fields in wire order:
    BindTransmitter/BindReceiver/BindTransceiver (+Resp), Outbind, Unbind(+Resp),
    EnquireLink(+Resp), GenericNack, SubmitSm(+Resp), DeliverSm(+Resp), DataSm(+Resp),
    QuerySm(+Resp), CancelSm(+Resp), ReplaceSm(+Resp), AlertNotification.
    Class attributes: `command_id`, `response_type` (None for outbind, alert and
    responses), `is_response`. Keyword-only on every PDU: `tlvs` (tuple of
    (tag, raw bytes), in order, unknown tags kept), `command_status`, `sequence_number`.
    `pdu.tlv(Tag.RECEIPTED_MESSAGE_ID)` -> typed value or None; `pdu.tlv_raw(tag)`;
    `request.response(**fields)` -> the response with the request's sequence number.
    `PDU_TYPES`, `PDU_BY_COMMAND_ID`.
    `fast_constructor(cls)` (fast.py) -> a function with cls's constructor signature
    that builds the same frozen value through its slots, for the hot paths.

TLVs (tlv.py): `make_tlv(tag, value) -> (tag, bytes)`, `build_tlvs([(tag, value), ...])`,
    `parse_value(tag, raw)`, `NetworkErrorCode(network_type, error_code)`.

Constants (constants.py): IntEnums `CommandId`, `CommandStatus` (ESME_ROK,
    ESME_RTHROTTLED, ...), `Tag`, `MessageState`, `NetworkType`, `Ton`, `Npi`;
    `status_name(code) -> "ESME_RTHROTTLED" | "0x00000400"`; esm_class and
    registered_delivery bits; HEADER_LENGTH, DEFAULT_MAX_COMMAND_LENGTH.

Codec (codec.py): `encode(pdu, sequence_number=None) -> bytes`,
    `decode(frame: bytes) -> Pdu` (one whole frame). decode raises only
    RemoteProtocolError; encode raises LocalProtocolError.
Framer (framer.py): `Framer(max_command_length).feed(data) -> list[bytes]`; on a
    command_length under 16 or over the maximum, `framer.error` is set (fatal).

Errors (errors.py): `SmppProtocolError` > `RemoteProtocolError`, `LocalProtocolError`
    > `WindowFull`; each has `.status` (command_status to answer with),
    `.sequence_number`, `.fatal`, `.message`.

Session (session.py, state.py, events.py):
    `Session(role: Role, *, window=10, max_command_length=..., auto_enquire_link_resp=True)`
    Role.ESME | Role.SMSC. `BindState`: OPEN, BINDING, BOUND_TX, BOUND_RX, BOUND_TRX,
    UNBINDING, UNBOUND, CLOSED. Transition table: `state.TRANSITIONS`
    ((state, Flow, command_id, ok) -> next state); `state.CAN_SUBMIT` (states in which
    the ESME may send messages), `state.CAN_DELIVER` (the SMSC may), `state.BOUND`.
    session.send_request(pdu) -> seq            (LocalProtocolError / WindowFull;
                                                 pdu.sequence_number is ignored, so a
                                                 PDU value may be resent as is)
    session.send_response(response)             (matched by response.sequence_number)
    session.receive_data(data) -> list[Event]
    session.data_to_send() -> bytes
    session.expire(seq) -> RequestFailed | None (adapter's response timer fired)
    session.connection_lost() -> list[RequestFailed]
    session.state, .is_bound, .window, .window_available, .outstanding,
    .pending (seq -> request), .unanswered (seq -> peer request)
    Events: RequestReceived(pdu), ResponseReceived(request, response) (.ok),
    GenericNackReceived(request | None, nack), UnexpectedResponse(response),
    RequestFailed(sequence_number, request, reason: FailureReason),
    ProtocolError(status, message, sequence_number, fatal), BindStateChanged(old, new).
    The session answers by itself only what SMPP requires: generic_nack for bad PDUs,
    ESME_RINVBNDSTS/ESME_RALYBND for requests in the wrong state, enquire_link_resp.

The carrier's receipt parser is in receipt.py (owned by the receipts code).
"""
from .codec import decode, encode
from .constants import (DEFAULT_MAX_COMMAND_LENGTH, ESM_CLASS_DELIVERY_RECEIPT,
                        ESM_CLASS_TYPE_MASK, ESM_CLASS_UDHI, HEADER_LENGTH,
                        REGISTERED_DELIVERY_ALWAYS, REGISTERED_DELIVERY_NONE,
                        REGISTERED_DELIVERY_ON_FAILURE, CommandId, CommandStatus,
                        MessageState, NetworkType, Npi, Tag, Ton, status_name)
from .errors import LocalProtocolError, RemoteProtocolError, SmppProtocolError, WindowFull
from .events import (BindStateChanged, Event, FailureReason, GenericNackReceived,
                     ProtocolError, RequestFailed, RequestReceived, ResponseReceived,
                     UnexpectedResponse)
from .fast import fast_constructor
from .framer import Framer
from .pdu import (PDU_BY_COMMAND_ID, PDU_TYPES, AlertNotification, BindReceiver,
                  BindReceiverResp, BindTransceiver, BindTransceiverResp, BindTransmitter,
                  BindTransmitterResp, CancelSm, CancelSmResp, DataSm, DataSmResp, DeliverSm,
                  DeliverSmResp, EnquireLink, EnquireLinkResp, GenericNack, Outbind, Pdu,
                  QuerySm, QuerySmResp, ReplaceSm, ReplaceSmResp, SubmitSm, SubmitSmResp,
                  Unbind, UnbindResp)
from .session import Session
from .state import BindState, Role
from .tlv import NetworkErrorCode, build_tlvs, make_tlv, parse_value

__all__ = [
    "decode", "encode", "Framer", "Session", "BindState", "Role",
    "CommandId", "CommandStatus", "Tag", "MessageState", "NetworkType", "Ton", "Npi",
    "status_name", "HEADER_LENGTH", "DEFAULT_MAX_COMMAND_LENGTH", "ESM_CLASS_UDHI",
    "ESM_CLASS_TYPE_MASK", "ESM_CLASS_DELIVERY_RECEIPT", "REGISTERED_DELIVERY_NONE",
    "REGISTERED_DELIVERY_ALWAYS", "REGISTERED_DELIVERY_ON_FAILURE",
    "SmppProtocolError", "RemoteProtocolError", "LocalProtocolError", "WindowFull",
    "Event", "RequestReceived", "ResponseReceived", "GenericNackReceived",
    "UnexpectedResponse", "RequestFailed", "FailureReason", "ProtocolError",
    "BindStateChanged", "Pdu", "PDU_TYPES", "PDU_BY_COMMAND_ID", "GenericNack",
    "BindTransmitter", "BindTransmitterResp", "BindReceiver", "BindReceiverResp",
    "BindTransceiver", "BindTransceiverResp", "Outbind", "Unbind", "UnbindResp",
    "EnquireLink", "EnquireLinkResp", "SubmitSm", "SubmitSmResp", "DeliverSm",
    "DeliverSmResp", "DataSm", "DataSmResp", "QuerySm", "QuerySmResp", "CancelSm",
    "CancelSmResp", "ReplaceSm", "ReplaceSmResp", "AlertNotification",
    "NetworkErrorCode", "make_tlv", "build_tlvs", "parse_value", "fast_constructor",
]
