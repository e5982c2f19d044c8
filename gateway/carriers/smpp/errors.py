"""Errors the SMPP client reports to its callers.

A submit either fires with the ``submit_sm_resp`` or fails with
:class:`SubmitFailed`, whose ``error_code`` is a Messages API error code the
pipeline stores on the message as is:

* 30090 "No Response received for SMPP Request": every attempt timed out;
* 30001 "Queue overflow": the SMSC kept answering ESME_RMSGQFUL or
  ESME_RTHROTTLED past the carrier's retry budget (``status`` says which);
* 30008 "Unknown error": any other error status (``status`` says which).

ESME_RTHROTTLED and ESME_RMSGQFUL are not failures at once: the client
slows down and resends within the budget (``refusals.py``).
"""
from __future__ import annotations

from protocols.smpp.constants import CommandStatus

ERROR_NO_RESPONSE = 30090
ERROR_QUEUE_OVERFLOW = 30001
ERROR_UNKNOWN = 30008

# SMPP 3.4 command_status values this package acts on (names as in the core).
ESME_ROK = int(CommandStatus.ESME_ROK)
ESME_RMSGQFUL = int(CommandStatus.ESME_RMSGQFUL)
ESME_RINVPASWD = int(CommandStatus.ESME_RINVPASWD)
ESME_RINVSYSID = int(CommandStatus.ESME_RINVSYSID)
ESME_RBINDFAIL = int(CommandStatus.ESME_RBINDFAIL)
ESME_RTHROTTLED = int(CommandStatus.ESME_RTHROTTLED)
ESME_RX_T_APPN = int(CommandStatus.ESME_RX_T_APPN)

# Statuses after which retrying with the same credentials is pointless until
# an operator acts: the bind is retried slowly and logged clearly.
AUTH_FAILURES = frozenset({ESME_RINVPASWD, ESME_RINVSYSID})


class SubmitFailed(Exception):
    """A submit_sm that will not be accepted by this carrier."""

    def __init__(self, error_code: int, status: int | None, message: str) -> None:
        super().__init__(error_code, status, message)
        self.error_code = error_code
        self.status = status
        self.message = message

    def __str__(self) -> str:
        status = "" if self.status is None else f" (command_status 0x{self.status:08X})"
        return f"{self.error_code} {self.message}{status}"


def no_response() -> SubmitFailed:
    return SubmitFailed(ERROR_NO_RESPONSE, None, "No Response received for SMPP Request")


def queue_overflow(status: int = ESME_RMSGQFUL) -> SubmitFailed:
    return SubmitFailed(ERROR_QUEUE_OVERFLOW, status, "Queue overflow")


def rejected(status: int, name: str | None = None) -> SubmitFailed:
    label = name or f"0x{status:08X}"
    return SubmitFailed(ERROR_UNKNOWN, status, f"SMSC rejected the submit_sm: {label}")


class BindFailed(Exception):
    """The SMSC refused a bind (``status``), or the bind got no answer (None)."""

    def __init__(self, status: int | None, message: str) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message

    @property
    def is_auth_failure(self) -> bool:
        return self.status in AUTH_FAILURES

    def __str__(self) -> str:
        return self.message


class NotSent(Exception):
    """The request was never handed to an SMSC (the carrier is stopping).

    Not a delivery failure: the caller keeps the message and sends it later.
    """
