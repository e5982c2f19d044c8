"""A fake sender for tests, shipped as Twisted ships ``Clock``.

:class:`ScriptedSender` is a ``gateway.dispatch.outcomes.Sender`` that
answers each ``send`` as its script says, in order, with no carrier behind
it: the dispatcher's routing, fallback and outcome writes can be tested
without SMPP or MM7.  Once the script is used up every send is ``Sent`` as
one part, ``(1, 1, None, "<name>-<n>")`` with n counting sends from 1.
The actions:

* an outcome value (``Sent``, ``Failed``, ``NotSent``): fires with it;
* an exception: fails with it (a sender that crashed);
* ``"hold"``: a Deferred the test fires itself, kept in ``held``.

The sid of every message sent is kept in ``sids``, in order.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Mapping, Union

from twisted.internet.defer import Deferred, fail, succeed

from gateway.dispatch.outcomes import Failed, NotSent, Outcome, Sent

Action = Union[Sent, Failed, NotSent, BaseException, str]


class ScriptedSender:
    def __init__(self, name: str, up: bool = True, script: Iterable[Action] | None = None) -> None:
        self.name = name
        self.is_up = up
        self.script: list[Action] = list(script or [])
        for action in self.script:
            _check(action)
        self.sids: list[str] = []
        self.held: list[Deferred[Outcome]] = []

    def send(self, row: Mapping[str, Any], now: datetime) -> Deferred[Outcome]:
        self.sids.append(row["sid"])
        action = self.script.pop(0) if self.script else None
        if action is None:
            return succeed(Sent(((1, 1, None, f"{self.name}-{len(self.sids)}"),)))
        if isinstance(action, BaseException):
            return fail(action)
        if action == "hold":
            d: Deferred[Outcome] = Deferred()
            self.held.append(d)
            return d
        return succeed(action)


def _check(action: Action) -> None:
    if not isinstance(action, (Sent, Failed, NotSent, BaseException)) and action != "hold":
        raise ValueError(f"unknown script action {action!r}: an outcome, an exception or 'hold'")
