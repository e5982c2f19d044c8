"""Who uses the API: [[accounts]], [[numbers]], [[messaging_services]] and
[[applications]].

Each entry is named in errors by its index and its id
(``numbers[0] '+15551234567'.sms_method``); ids are unique per table, and a
key ``account`` must name an ``[[accounts]]`` entry.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from gateway.config import fields
from gateway.config.fields import setting
from gateway.config.read import Table

E164 = re.compile(r"^\+[1-9]\d{1,14}$")
SHORT_CODE = re.compile(r"^\d{3,8}$")
_ACCOUNT_DOC = "the sid of the [[accounts]] entry it belongs to"


@dataclass(frozen=True)
class Account:
    """HTTP Basic credentials of the Messages API (AccountSid:AuthToken)."""
    sid: str = setting(nonempty=True, max_len=64, doc="the AccountSid")
    auth_token: str = setting(secret=True, nonempty=True, max_len=256, doc="the AuthToken (a secret)")
    friendly_name: str = setting("", doc="shown in the API's account resource")


@dataclass(frozen=True)
class Number:
    """Inbound SMS/MMS to ``number`` belong to ``account`` and go to ``sms_url``."""
    number: str = setting(kind="custom", doc="E.164 (+15551234567) or a short code")
    account: str = setting(kind="custom", doc=_ACCOUNT_DOC)
    sms_url: str | None = setting(None, kind="url", doc="where inbound messages are sent (an RCML answer replies)")
    sms_method: str = setting("POST", kind="method", doc="GET | POST")
    api: str = setting("messages", choices=("messages", "sms"),
                       doc='the app\'s API: From/To as "sms:+1..." (messages) or bare "+1..." (sms)')


@dataclass(frozen=True)
class MessagingService:
    """A pool of senders (``[[messaging_services]]``): ``MessagingServiceSid``
    picks ``From`` from ``numbers``, sticky per destination."""
    sid: str = setting(nonempty=True, max_len=34, doc="the MessagingServiceSid")
    account: str = setting(kind="custom", doc=_ACCOUNT_DOC)
    numbers: tuple[str, ...] = setting(kind="custom", doc="its senders: E.164 numbers or short codes")


@dataclass(frozen=True)
class Application:
    """An ``[[applications]]`` entry: ``ApplicationSid`` takes the status
    callback from it (an explicit ``StatusCallback`` wins)."""
    sid: str = setting(nonempty=True, max_len=64, doc="the ApplicationSid")
    account: str = setting(kind="custom", doc=_ACCOUNT_DOC)
    status_callback: str | None = setting(None, kind="url", doc="the status callback of its messages")
    status_callback_method: str = setting("POST", kind="method", doc="GET | POST")
    friendly_name: str = setting("", doc="shown in the API's application resource")


def accounts_section(top: Table) -> tuple[Account, ...]:
    return tuple(_entries(top, "accounts", Account, "sid", "account sid", set()))


def numbers_section(top: Table, account_sids: set[str]) -> tuple[Number, ...]:
    return tuple(_entries(top, "numbers", Number, "number", "number", account_sids, check=_number))


def messaging_services_section(top: Table, account_sids: set[str]) -> tuple[MessagingService, ...]:
    return tuple(_entries(top, "messaging_services", MessagingService, "sid", "messaging service sid",
                          account_sids, more=_service_numbers))


def applications_section(top: Table, account_sids: set[str]) -> tuple[Application, ...]:
    return tuple(_entries(top, "applications", Application, "sid", "application sid", account_sids))


def _entries(top: Table, name: str, cls: type, ident: str, what: str, account_sids: set[str], *,
             check: Callable[[Table], str] | None = None,
             more: Callable[[Table], dict[str, Any]] | None = None) -> list[Any]:
    """Each entry of the array of tables *name*, read into *cls*."""
    out: list[Any] = []
    seen: set[str] = set()
    for i, raw in enumerate(top.tables(name)):
        t = Table(raw, top.source, f"{name}[{i}]")
        key = check(t) if check else fields.read_one(t, cls, ident)
        t.prefix = f"{name}[{i}] {key!r}"
        values = fields.read(t, cls, skip=(ident,))
        if any(f.name == "account" for f, _ in fields.keys(cls)):
            values["account"] = t.account(account_sids)
        values.update(more(t) if more else {})
        t.finish()
        if key in seen:
            raise t.error(ident, f"duplicate {what}")
        seen.add(key)
        out.append(cls(**{ident: key}, **values))
    return out


def _number(t: Table) -> str:
    number = t.string("number", nonempty=True)
    if not (E164.match(number) or SHORT_CODE.match(number)):
        raise t.error("number", f"must be E.164 (+15551234567) or a short code, got {number!r}")
    return number


def _service_numbers(t: Table) -> dict[str, Any]:
    numbers = tuple(t.strings("numbers"))
    if not numbers:
        raise t.error("numbers", "needs at least one number")
    for number in numbers:
        if not (E164.match(number) or SHORT_CODE.match(number)):
            raise t.error("numbers", f"must be E.164 (+15551234567) or short codes, got {number!r}")
    return {"numbers": numbers}
