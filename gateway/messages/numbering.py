"""Digits without a ``+``: which number they name (pure).

One rule, for ``From`` and ``To`` alike, in every API surface (the Messages
API, the SMS API, the Twilio-compatible base) and in RCML replies.  A value
that is not all ASCII digits is returned unchanged (``+E164``, an
alphanumeric sender); all-digit text is never an alphanumeric sender.

The forms digits can take, each well-formed or not at all:

* a **short code**: 3-8 digits, kept as written (``[[numbers]]`` takes
  short codes of that length);
* an **international** number written without its ``+``: 9-15 digits not
  starting with 0 (``19876543212`` is ``+19876543212``);
* a **national** number, only with ``[api] default_country_code``: a trunk
  ``0``, then a digit 1-9; the ``0`` gives way to ``+`` and the country code
  (``07700900123`` with ``44`` is ``+447700900123``), 9-15 digits in all.

Which form is meant:

1. a form that is a configured number (``[[numbers]]``) wins: the digits
   name that number;
2. otherwise the one form a carrier's routes take for the message's channel
   (``gateway.messages.routing.Router``: a short code goes to a carrier with the
   catch-all route ``"+"``, an E.164 number to the longest ``+digits``
   prefix that matches it);
3. no form at all, no form routed, or two forms that both qualify: **400**
   (21211 for ``To``, 21212 for ``From``) naming the field and the rule.

Without a plan built from a config (``NumberPlan()``), every form routes,
as if one carrier had the catch-all route.  The resolver's output resolves
to itself, and it raises nothing but :class:`ApiError`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.messages.routing import Router

from gateway.messages.errors import bad_request

DIGITS = re.compile(r"[0-9]+")
SHORT_CODE = re.compile(r"[0-9]{3,8}")  # as [[numbers]] in the config
INTERNATIONAL = re.compile(r"[1-9][0-9]{8,14}")  # E.164 without its '+'
NATIONAL = re.compile(r"0[1-9][0-9]*")  # a trunk 0, then the national number
COUNTRY_CODE = re.compile(r"[1-9][0-9]{0,2}")  # ITU-T E.164: 1-3 digits
RULE = ("rule: digits without '+' name a configured number, else the one form a carrier's "
        "routes take: a short code of 3-8 digits, an international number of 9-15 digits")


@dataclass(frozen=True)
class NumberPlan:
    """What the rule consults: the configured numbers, the carriers' routes
    (None: every form routes) and the country of national numbers."""
    numbers: frozenset[str] = frozenset()
    router: Router | None = None
    country_code: str | None = None

    @classmethod
    def from_config(cls, config) -> "NumberPlan":
        return cls(numbers=frozenset(n.number for n in config.numbers),
                   router=Router(config.carriers),
                   country_code=config.api.default_country_code)

    def routed(self, channel: str, address: str) -> bool:
        return self.router is None or self.router.primary(channel, address) is not None


OPEN_PLAN = NumberPlan()


def forms(digits: str, country_code: str | None) -> list[tuple[str, str]]:
    """(kind, address) for each form ``digits`` can take."""
    out = []
    if SHORT_CODE.fullmatch(digits):
        out.append(("short code", digits))
    if INTERNATIONAL.fullmatch(digits):
        out.append(("international number", "+" + digits))
    if country_code and NATIONAL.fullmatch(digits):
        number = country_code + digits[1:]
        if INTERNATIONAL.fullmatch(number):
            out.append(("national number", "+" + number))
    return out


def _code(field: str) -> int:
    return 21211 if field.lower() == "to" else 21212


def _rule(plan: NumberPlan) -> str:
    if plan.country_code:
        return RULE + f", a national number of country {plan.country_code} (0 then the number)"
    return RULE


def resolve(value: str, field: str, channel: str, plan: NumberPlan = OPEN_PLAN) -> str:
    """The address ``value`` names in ``field`` (``From``/``To``) for a
    message on ``channel``; a 400 when the rule gives no single answer."""
    if not DIGITS.fullmatch(value):
        return value
    found = forms(value, plan.country_code)
    configured = [address for _kind, address in found if address in plan.numbers]
    if len(configured) == 1:
        return configured[0]
    routed = [(kind, address) for kind, address in found if plan.routed(channel, address)]
    if len(configured) > 1:
        routed = [(kind, address) for kind, address in found if address in configured]
    if len(routed) == 1:
        return routed[0][1]
    shown = value if len(value) <= 20 else value[:20] + "..."
    if not found:
        problem = "has no such form"
    elif not routed:
        named = " or ".join(f"the {kind} {address}" for kind, address in found)
        problem = f"would be {named}, which no carrier's routes take for {channel}"
    else:
        named = " or ".join(f"the {kind} {address}" for kind, address in routed)
        problem = f"is ambiguous: it could be {named}"
    raise bad_request(_code(field), f"{field}: {shown!r} {problem} ({_rule(plan)}); "
                                    "write it as E.164 (+, country code, number)")
