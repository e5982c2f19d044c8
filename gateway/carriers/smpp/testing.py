"""A fake SMPP carrier for tests, shipped as Twisted ships ``Clock``.

:class:`ScriptedCarrier` is a ``gateway.carriers.smpp.interface.Carrier``
that answers each ``submit`` as its script says, in order, with no network
and no clock.  Once the script is used up every submit is accepted.  The
actions:

* ``"ok"``: accepted; the SubmitSmResp's ``message_id`` is
  ``"<name>-<n>"`` with n counting accepted submits in hex from 1;
* ``"notsent"``: fails with ``errors.NotSent`` (the carrier is stopping);
* ``"hold"``: a Deferred the test fires itself, kept in ``held``;
* an ``errors.SubmitFailed``: fails with it (the SMSC refused, or no answer).

Every PDU submitted is kept in ``pdus``, in order.
"""
from __future__ import annotations

from typing import Iterable, Union

from twisted.internet.defer import Deferred, fail, succeed

from gateway.carriers.smpp.errors import NotSent, SubmitFailed
from protocols.smpp.pdu import SubmitSm, SubmitSmResp

Action = Union[str, SubmitFailed]
ACTIONS = ("ok", "notsent", "hold")


class ScriptedCarrier:
    def __init__(self, name: str, up: bool = True, script: Iterable[Action] | None = None) -> None:
        self.name = name
        self.is_up = up
        self.script: list[Action] = list(script or [])
        for action in self.script:
            _check(action)
        self.pdus: list[SubmitSm] = []
        self.held: list[Deferred[SubmitSmResp]] = []
        self._ids = 0

    def submit(self, pdu: SubmitSm) -> Deferred[SubmitSmResp]:
        self.pdus.append(pdu)
        action = self.script.pop(0) if self.script else "ok"
        if action == "ok":
            self._ids += 1
            return succeed(SubmitSmResp(message_id=f"{self.name}-{self._ids:x}"))
        if action == "notsent":
            return fail(NotSent("stopping"))
        if action == "hold":
            d: Deferred[SubmitSmResp] = Deferred()
            self.held.append(d)
            return d
        return fail(action)


def _check(action: Action) -> None:
    if not isinstance(action, SubmitFailed) and action not in ACTIONS:
        raise ValueError(f"unknown script action {action!r}: one of {ACTIONS} or a SubmitFailed")
