"""The CPaaS documents' config sections: ``[[applications]]`` and each
carrier's ``[carriers.prices]`` (checked like the other sections: unknown
keys, bad types and bad values name the key and the file).

``[carriers.prices]``::

    unit = "USD"                      # price_unit of the messages priced here
    prefixes = { "+1" = "0.0075", "+44" = "0.04", "+" = "0.05" }

A price is a decimal string (or a TOML integer); TOML floats are refused,
since ``0.1`` is not exact in binary and a price must be.  Prefixes are
``+digits`` as in ``routes`` (``"+"`` matches everything, short codes too).
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from gateway.config import model as c
from gateway.config.read import Table

_PREFIX = re.compile(r"^\+\d{0,15}$")
_PRICE = re.compile(r"^[0-9]{1,9}(\.[0-9]{1,8})?$")
_UNIT = re.compile(r"^[A-Z]{3}$")  # ISO 4217


def applications_section(top: Table, source: str, account_sids: set[str]
                         ) -> tuple[c.Application, ...]:
    out: list[c.Application] = []
    for i, raw in enumerate(top.tables("applications")):
        t = Table(raw, source, f"applications[{i}]")
        sid = t.string("sid", nonempty=True, max_len=64)
        t.prefix = f"applications[{i}] {sid!r}"
        account = t.account(account_sids)
        callback = t.url("status_callback", None)
        method = t.string("status_callback_method", "POST").upper()
        if method not in ("GET", "POST"):
            raise t.error("status_callback_method", f"must be GET or POST, got {method!r}")
        name = t.string("friendly_name", "")
        t.finish()
        if any(a.sid == sid for a in out):
            raise t.error("sid", "duplicate application sid")
        out.append(c.Application(sid=sid, account=account, status_callback=callback,
                                 status_callback_method=method, friendly_name=name))
    return tuple(out)


def prices_section(t: Table | None) -> c.PriceTable | None:
    if t is None:
        return None
    unit = t.string("unit", "USD")
    if not _UNIT.match(unit):
        raise t.error("unit", f"must be a three-letter currency code such as \"USD\", got {unit!r}")
    table = t.table("prefixes", optional=False)
    prices: list[tuple[str, Decimal]] = []
    for prefix, value in table.data.items():
        if not _PREFIX.match(prefix):
            raise table.error(prefix, 'each key is a "+digits" prefix ("+" matches all)')
        prices.append((prefix, _price(table, prefix, value)))
    t.finish()
    return c.PriceTable(unit=unit, prefixes=tuple(sorted(prices, key=lambda p: -len(p[0]))))


def _price(t: Table, key: str, value: object) -> Decimal:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return Decimal(value)
    if isinstance(value, str) and _PRICE.match(value):
        try:
            return Decimal(value)
        except InvalidOperation:  # pragma: no cover - the pattern lets only decimals through
            pass
    raise t.error(key, f"must be a price as a string such as \"0.0075\" (digits, at most 8 "
                       f"decimals; not a TOML float), got {value!r}")
