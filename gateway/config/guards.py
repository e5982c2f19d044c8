"""The config keys of the daemon's guards against abuse.

* [api] ``header_timeout``, ``body_timeout``, ``max_connections_per_ip``,
  ``max_connections`` (``gateway.api.connections``) and the authentication
  failure budgets ``auth_max_failures_per_ip``,
  ``auth_max_failures_per_account``, ``auth_failure_window``
  (``gateway.api.auth_guard``).
* [ops]: who may read the operations endpoints (``/metrics``, ``/health``'s
  details).  Both are open by default (as before).  ``metrics_auth = true``
  or ``health_details_auth = true`` needs ``username`` and ``password``; the
  password never appears in a ``repr`` or a log line.
"""
from __future__ import annotations

from typing import Any

from gateway.config import model as c
from gateway.config.read import Table


def ops_section(t: Table | None) -> c.OpsConfig:
    if t is None:
        return c.OpsConfig()
    out = c.OpsConfig(username=t.string("username", ""), password=t.string("password", ""),
                      metrics_auth=t.boolean("metrics_auth", False),
                      health_details_auth=t.boolean("health_details_auth", False))
    if (out.metrics_auth or out.health_details_auth) and not (out.username and out.password):
        raise t.error("username" if not out.username else "password",
                      "is required when metrics_auth or health_details_auth is true")
    if ":" in out.username:
        raise t.error("username", "must not contain ':' (HTTP Basic)")
    t.finish()
    return out


def api_limits(t: Table) -> dict[str, Any]:
    """The [api] guard keys, as ApiConfig keyword arguments."""
    d = c.ApiConfig
    return dict(
        header_timeout=t.number("header_timeout", d.header_timeout, positive=True),
        body_timeout=t.number("body_timeout", d.body_timeout, positive=True),
        max_connections_per_ip=t.integer("max_connections_per_ip", d.max_connections_per_ip, lo=1),
        max_connections=t.integer("max_connections", d.max_connections, lo=1),
        auth_max_failures_per_ip=t.integer("auth_max_failures_per_ip", d.auth_max_failures_per_ip, lo=1),
        auth_max_failures_per_account=t.integer("auth_max_failures_per_account",
                                                d.auth_max_failures_per_account, lo=1),
        auth_failure_window=t.number("auth_failure_window", d.auth_failure_window, positive=True),
    )
