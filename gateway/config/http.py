"""The HTTP side's sections: [api], [ops] and [console].

* [api]: where the Messages API listens, and its guards against slow and
  greedy clients (``gateway.api.connections``) and against guessed
  credentials (``gateway.api.auth_guard``).
* [ops]: who may read ``/metrics`` and ``/health``'s details.  Both are open
  by default; ``metrics_auth`` or ``health_details_auth`` needs ``username``
  and ``password``.
* [console]: operator name -> password hash (``carrier-gateway console
  hash-password``); a plain password is refused, and so is a name with ':'
  (HTTP Basic).  Without ``users`` the console is off.

Secrets never appear in a ``repr``, so never in a log line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

from gateway.config import fields
from gateway.config.fields import setting
from gateway.config.read import Table, parse_listen

_COUNTRY_CODE = re.compile(r"^[1-9][0-9]{0,2}\Z")


@dataclass(frozen=True)
class ApiConfig:
    host: str = setting("127.0.0.1", kind="custom", name="listen", shown=lambda cls: cls().listen,
                        doc='where the API, /health and /metrics listen: "host:port" ("[::1]:8080")')
    port: int = 8080  # read with host, from listen
    max_body_bytes: int = setting(64 * 1024, lo=1024, hi=64 << 20, doc="largest request body (bytes); more: 413")
    public_url: str | None = setting(None, kind="url",
                                     doc="how carriers and customers reach us (media, MM7); default http://<listen>")
    header_timeout: float = setting(10.0, positive=True, doc="seconds for a request's head, from its first byte")
    body_timeout: float = setting(60.0, positive=True, doc="seconds for a request's body, after its head")
    max_connections_per_ip: int = setting(256, lo=1, doc="open connections per client address")
    max_connections: int | None = setting(None, lo=1, shown="3/4 of the open-file limit, at most 4096",
                                          doc="open connections in all")
    auth_max_failures_per_ip: int = setting(20, lo=1, doc="wrong credentials per client address, per window")
    auth_max_failures_per_account: int = setting(100, lo=1, doc="wrong credentials per account, per window")
    auth_failure_window: float = setting(60.0, positive=True, doc="seconds over which the failure budgets refill")
    default_country_code: str | None = setting(
        None, kind="custom", doc='country calling code of national numbers (a trunk 0) in From/To ("44")')

    @property
    def listen(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class OpsConfig:
    """[ops]: Basic credentials for the operations endpoints, and which
    of them need them (both open by default)."""
    username: str = setting("", doc="HTTP Basic user of the operations endpoints")
    password: str = setting("", secret=True, doc="... and its password")
    metrics_auth: bool = setting(False, doc="GET /metrics needs the credentials")
    health_details_auth: bool = setting(False, doc="GET /health shows only its status without them")


@dataclass(frozen=True)
class ConsoleConfig:
    """[console]: operators of the console (gateway.console); off when empty."""
    users: Mapping[str, str] = setting(
        factory=lambda: MappingProxyType({}), secret=True, kind="custom", shown="no users: the console is off",
        doc="[console.users]: operator name = password hash (carrier-gateway console hash-password)")
    refresh: float = setting(5.0, positive=True, doc="seconds between the console's store summaries")

    @property
    def enabled(self) -> bool:
        return bool(self.users)


def api_section(t: Table) -> ApiConfig:
    d = ApiConfig()
    host, port = parse_listen(t, "listen", d.listen)
    country = t.string("default_country_code", None)
    if country is not None and not _COUNTRY_CODE.match(country):
        raise t.error("default_country_code", f"must be a country calling code of 1-3 digits "
                                              f"without '+' (\"44\"), got {country!r}")
    return ApiConfig(host=host, port=port, default_country_code=country, **fields.read(t, ApiConfig))


def ops_section(t: Table) -> OpsConfig:
    out = OpsConfig(**fields.read(t, OpsConfig))
    if (out.metrics_auth or out.health_details_auth) and not (out.username and out.password):
        raise t.error("username" if not out.username else "password",
                      "is required when metrics_auth or health_details_auth is true")
    if ":" in out.username:
        raise t.error("username", "must not contain ':' (HTTP Basic)")
    return out


def console_section(t: Table) -> ConsoleConfig:
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
    return ConsoleConfig(users=MappingProxyType(found), **fields.read(t, ConsoleConfig))
