"""Periodic sweeps that run once per round across the cluster.

``once(conn, name, fn, ...)`` is a store job wrapper: on PostgreSQL it
takes the transaction-scoped advisory lock ``(SWEEP_LOCK_SPACE,
crc32(name))`` with ``pg_try_advisory_xact_lock``; when another node's
sweep of the same name is running in a transaction not yet committed, this
round is skipped (returns ``skipped``), so no item is swept by two nodes at
once.  The lock ends with the transaction.  On SQLite (one node) it runs
``fn`` directly.
"""
from __future__ import annotations

import zlib
from typing import Any, Callable

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

SWEEP_LOCK_SPACE = 0x5357  # "SW": apart from the bind-slot locks' carrier keys


def sweep_key(name: str) -> int:
    return zlib.crc32(f"carrier-gateway:sweep:{name}".encode()) & 0x7FFFFFFF


def once(conn: Connection, name: str, fn: Callable[..., Any], *args: Any, skipped: Any = None,
         **kwargs: Any) -> Any:
    if conn.dialect.name == "postgresql":
        got = conn.execute(select(func.pg_try_advisory_xact_lock(SWEEP_LOCK_SPACE, sweep_key(name)))).scalar_one()
        if not got:
            return skipped
    return fn(conn, *args, **kwargs)
