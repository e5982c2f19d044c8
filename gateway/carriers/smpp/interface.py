"""What a sender needs of an SMPP carrier: is it up, and submit one PDU.

``SmppCarrier`` (``gateway.carriers.smpp.carrier``) is the real one and
``ScriptedCarrier`` (``gateway.carriers.smpp.testing``) the fake tests use;
both are checked against :class:`Carrier`.  ``submit`` fires with the
SubmitSmResp, or fails with ``errors.SubmitFailed`` (the SMSC refused it or
never answered) or ``errors.NotSent`` (nothing went: the carrier is stopping).
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

from twisted.internet.defer import Deferred

from protocols.smpp.pdu import SubmitSm, SubmitSmResp


@runtime_checkable
class Carrier(Protocol):
    """N binds to one SMSC behind one queue of submits."""

    @property
    def is_up(self) -> bool:
        """True while at least one bind that can send is bound."""

    def submit(self, pdu: SubmitSm) -> Deferred[SubmitSmResp]:
        """Send *pdu*; fires with its SubmitSmResp (the part's message id)."""
