"""The [console] config section (``gateway.console``).

``users`` is a table of operator name -> password hash made by
``carrier-gateway console hash-password``; a plain password is refused (it
would sit in the file in clear), and so is a name with ':' (HTTP Basic).
Without ``users`` the console is off.  ``refresh`` is the seconds between
the console's store summaries (default 5).
"""
from __future__ import annotations

from types import MappingProxyType

from gateway.config import model as c
from gateway.config.read import Table


def console_section(t: Table | None) -> c.ConsoleConfig:
    if t is None:
        return c.ConsoleConfig()
    from gateway.console.passwords import check_hash_format

    users = t.table("users")
    found: dict[str, str] = {}
    if users is not None:
        for name in list(users.data):
            stored = users.string(name, nonempty=True)
            problem = check_hash_format(stored)
            if problem is not None:
                raise users.error(name, problem)
            if ":" in name or not name:
                raise users.error(name, "an operator name must be non-empty and have no ':'")
            found[name] = stored
        users.finish()
    refresh = t.number("refresh", c.ConsoleConfig.refresh, positive=True)
    t.finish()
    return c.ConsoleConfig(users=MappingProxyType(found), refresh=refresh)
