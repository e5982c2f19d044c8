"""What the dispatcher sends through, and what a send may come to.

A :class:`Sender` is one carrier as the dispatcher sees it (SMPP:
``gateway.sms.outbound.sender.SmsSender``; MM7:
``gateway.mms.sender.MmsSender``).  ``send(row, now)`` fires with one of
the three outcome values below; expected results are values, never
errbacks (an errback is a crash, and the message fails 30008):

* :class:`Sent`: every part went; the parts and what to record with them.
* :class:`Failed`: the carrier refused it (an error code for the customer);
  ``try_next`` lets a fallback carrier take it when nothing was accepted.
* :class:`NotSent`: nothing reached the carrier (no bind, stopping): the
  message stays queued.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Protocol, Union, runtime_checkable

from twisted.internet.defer import Deferred


@dataclass(frozen=True)
class Sent:
    parts: tuple  # ((seqno, total, bind, message_id), ...)
    extra: Mapping[str, Any] | None = None  # message fields to record (e.g. mm7_message_id)
    num_segments: int | None = None  # billed segments (payload mode sends them in one PDU)


@dataclass(frozen=True)
class Failed:
    error_code: int
    error_message: str
    parts: tuple = ()  # parts the carrier did accept before the failure
    try_next: bool = True  # another carrier may take it


@dataclass(frozen=True)
class NotSent:
    """Nothing reached the carrier (no bind, stopping): keep it queued."""

    reason: str


Outcome = Union[Sent, Failed, NotSent]


@runtime_checkable
class Sender(Protocol):
    """One carrier, as the dispatcher sends through it."""

    name: str

    @property
    def is_up(self) -> bool:
        """True while a send may reach the carrier (else messages wait queued)."""

    def send(self, row: Mapping[str, Any], now: datetime) -> Deferred[Outcome]:
        """Send the claimed message *row* at *now*; fires with an :data:`Outcome`."""
