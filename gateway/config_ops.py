"""[ops]: who may read the operations endpoints (``/metrics``, ``/health``'s details).

Both are open by default (as before).  ``metrics_auth = true`` or
``health_details_auth = true`` needs ``username`` and ``password``; the
password never appears in a ``repr`` or a log line.
"""
from __future__ import annotations

from gateway import config as c
from gateway.config_read import Table


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
