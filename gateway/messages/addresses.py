"""Addresses and channel URIs of the Messages API (pure).

* Messages API: ``sms:+14155550100`` / ``mms:+14155550100``; a sender may be
  alphanumeric (``sms:My Shop``: 1–11 of ``[A-Za-z0-9 ]``, not all blank; a
  short code is such a sender too).
* SMS API: a plain E.164 number (a channel URI is accepted as well).
* ``client:`` addresses (SIP clients) are refused with a clear message.

Digits without a ``+`` follow one rule, in ``From`` and ``To`` alike
(``gateway.messages.numbering``): a configured number, or the one form (short
code, international, national) a carrier's routes take; never an
alphanumeric sender.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.messages.errors import ApiError, bad_request
from gateway.messages.numbering import OPEN_PLAN, NumberPlan, resolve

CHANNELS = ("sms", "mms")
E164 = re.compile(r"^\+[1-9][0-9]{3,14}$")
ALPHANUMERIC = re.compile(r"^(?=.*[A-Za-z0-9])[A-Za-z0-9 ]{1,11}$")
SHORT_CODE = re.compile(r"^[0-9]{3,8}$")  # as [[numbers]] in the config
CLIENT_MESSAGE = ("{field}: 'client:' addresses are SIP clients, which this gateway does not "
                  "serve; send to a phone number (sms:+E164 or mms:+E164)")


def _code(field: str) -> int:
    return 21211 if field.lower() == "to" else 21212


def split_channel(value: str, field: str, *, required: bool) -> tuple[str | None, str]:
    """``"sms:+1…"`` → ("sms", "+1…"); no scheme → (None, value) unless required."""
    scheme, sep, rest = value.partition(":")
    if sep and scheme.lower() == "client":
        raise bad_request(_code(field), CLIENT_MESSAGE.format(field=field))
    if sep and not rest.startswith("//"):
        if scheme.lower() not in CHANNELS:
            raise bad_request(_code(field), f"{field}: unknown channel '{scheme}:'; "
                                            "use sms: or mms:")
        return scheme.lower(), rest
    if required:
        raise bad_request(_code(field), f"{field}: expected a channel URI such as "
                                        f"sms:+14155550100 or mms:+14155550100, got {value!r}")
    return None, value


_PLUS_HINT = " (a '+' in a form body must be sent as %2B)"


def _hint(value: str) -> str:
    return _PLUS_HINT if value[:1] == " " and value[1:].isdigit() else ""


def check_recipient(number: str, field: str = "To") -> str:
    if SHORT_CODE.match(number):
        return number
    if not E164.match(number):
        if _hint(number):
            raise bad_request(21211, f"{field}: {number!r} is not a valid E.164 number"
                                     + _hint(number))
        raise bad_request(21211, f"{field}: {number!r} is not a valid E.164 number "
                                 "(+, country code, up to 15 digits)")
    return number


def check_sender(sender: str, channel: str, field: str = "From") -> str:
    if E164.match(sender) or SHORT_CODE.match(sender):
        return sender
    if sender.startswith("+") or _hint(sender):
        raise bad_request(21212, f"{field}: {sender!r} is not a valid E.164 number"
                                 + _hint(sender))
    if not ALPHANUMERIC.match(sender):
        raise bad_request(21212, f"{field}: {sender!r} is neither an E.164 number nor an "
                                 "alphanumeric sender (1-11 of A-Z a-z 0-9 and space)")
    if channel == "mms":
        raise bad_request(21212, f"{field}: MMS cannot be sent from an alphanumeric sender")
    return sender


@dataclass(frozen=True)
class Pair:
    """From and To as written, their channel scheme removed; ``channel`` is
    the scheme they name (None: neither names one)."""
    channel: str | None
    sender: str
    recipient: str
    from_field: str
    to_field: str


def split_pair(from_value: str, to_value: str, *, uris: bool) -> Pair:
    """Split the channel off From/To.  ``uris``: Messages API (``sms:``/``mms:`` required)."""
    to_field, from_field = ("to", "from") if uris else ("To", "From")
    to_channel, to_number = split_channel(to_value, to_field, required=uris)
    from_channel, sender = split_channel(from_value, from_field, required=uris)
    if from_channel and to_channel and from_channel != to_channel:
        raise bad_request(21212, f"from and to use different channels "
                                 f"({from_channel}: and {to_channel}:)")
    return Pair(to_channel or from_channel, sender, to_number, from_field, to_field)


def resolve_pair(pair: Pair, channel: str, plan: NumberPlan = OPEN_PLAN) -> tuple[str, str]:
    """(from, to) of a message on ``channel``: digits resolved by the one
    rule, then checked."""
    recipient = check_recipient(resolve(pair.recipient, pair.to_field, channel, plan), pair.to_field)
    sender = check_sender(resolve(pair.sender, pair.from_field, channel, plan), channel,
                          pair.from_field)
    return sender, recipient


def parse_pair(from_value: str, to_value: str, *, uris: bool,
               plan: NumberPlan = OPEN_PLAN) -> tuple[str, str, str]:
    """Validate From/To; returns (channel, from, to).  ``uris``: Messages API."""
    pair = split_pair(from_value, to_value, uris=uris)
    channel = pair.channel or "sms"
    return (channel, *resolve_pair(pair, channel, plan))


__all__ = ["ApiError", "NumberPlan", "OPEN_PLAN", "Pair", "parse_pair", "split_pair", "resolve_pair",
           "split_channel", "check_recipient", "check_sender"]
