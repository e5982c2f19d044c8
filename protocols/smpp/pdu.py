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

This module is where the PDUs are imported from. The base class (header words,
TLVs, `response`) is in ``pdu_base.py``; the types, a declarative table, are in
``pdu_fields.py``.
"""
from __future__ import annotations

from .pdu_base import Pdu, Tlvs
from .pdu_fields import (PDU_BY_COMMAND_ID, PDU_TYPES, AlertNotification, BindReceiver,
                         BindReceiverResp, BindTransceiver, BindTransceiverResp, BindTransmitter,
                         BindTransmitterResp, CancelSm, CancelSmResp, DataSm, DataSmResp,
                         DeliverSm, DeliverSmResp, EnquireLink, EnquireLinkResp, GenericNack,
                         Outbind, QuerySm, QuerySmResp, ReplaceSm, ReplaceSmResp, SubmitSm,
                         SubmitSmResp, Unbind, UnbindResp)

__all__ = [
    "Pdu", "Tlvs", "PDU_TYPES", "PDU_BY_COMMAND_ID", "GenericNack", "BindTransmitter",
    "BindTransmitterResp", "BindReceiver", "BindReceiverResp", "BindTransceiver",
    "BindTransceiverResp", "Outbind", "Unbind", "UnbindResp", "EnquireLink", "EnquireLinkResp",
    "SubmitSm", "SubmitSmResp", "DeliverSm", "DeliverSmResp", "DataSm", "DataSmResp",
    "QuerySm", "QuerySmResp", "CancelSm", "CancelSmResp", "ReplaceSm", "ReplaceSmResp",
    "AlertNotification",
]
