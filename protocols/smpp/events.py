"""Events that `Session.receive_data` (and `connection_lost`/`expire`) hand back.

Every event is a frozen value. The adapter switches on the type:

    RequestReceived(pdu)                 the peer sent a request; answer it with
                                         session.send_response(pdu.response(...))
                                         (outbind and alert_notification take none)
    ResponseReceived(request, response)  a response matched a pending request of
                                         ours; response.command_status may be an error
    GenericNackReceived(request, nack)   the peer refused a request (request None when
                                         the nack's sequence number matches nothing)
    UnexpectedResponse(response)         a response whose sequence number is not pending
                                         (late, after `expire`, or a confused peer)
    RequestFailed(sequence_number, request, reason)
                                         a pending request will never be answered
    ProtocolError(status, message, sequence_number, fatal)
                                         the peer broke the protocol; the session has
                                         already queued the answer SMPP requires; when
                                         `fatal`, close the connection after writing
    BindStateChanged(old, new)           the bind state moved on input from the peer
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Callable

from .constants import CommandStatus
from .fast import fast_constructor
from .pdu import GenericNack, Pdu
from .state import BindState


class FailureReason(Enum):
    CONNECTION_LOST = "connection lost"
    EXPIRED = "no response in time"
    BAD_RESPONSE = "peer answered with a response SMPP does not allow here"


@dataclass(frozen=True, slots=True)
class Event:
    pass


@dataclass(frozen=True, slots=True)
class RequestReceived(Event):
    pdu: Pdu


@dataclass(frozen=True, slots=True)
class ResponseReceived(Event):
    request: Pdu
    response: Pdu

    @property
    def ok(self) -> bool:
        return self.response.command_status == CommandStatus.ESME_ROK


@dataclass(frozen=True, slots=True)
class GenericNackReceived(Event):
    request: Pdu | None
    nack: GenericNack


@dataclass(frozen=True, slots=True)
class UnexpectedResponse(Event):
    response: Pdu


@dataclass(frozen=True, slots=True)
class RequestFailed(Event):
    sequence_number: int
    request: Pdu
    reason: FailureReason


@dataclass(frozen=True, slots=True)
class ProtocolError(Event):
    status: int
    message: str
    sequence_number: int = 0
    fatal: bool = False


@dataclass(frozen=True, slots=True)
class BindStateChanged(Event):
    old: BindState
    new: BindState


request_received: Callable[[Pdu], RequestReceived] = fast_constructor(RequestReceived)
response_received: Callable[[Pdu, Pdu], ResponseReceived] = fast_constructor(ResponseReceived)
