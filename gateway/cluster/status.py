"""What ``carrier-gateway cluster status`` shows: each node with whether it
is alive, its last heartbeat, the bind slots it holds and its messages in
flight (``sending`` rows it claimed).  A store read; pure rendering."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from gateway.cluster.nodes import as_json, list_nodes
from gateway.store import schema as s
from gateway.store.counts import of_every_account


def in_flight_by_node(conn: Connection) -> dict[str | None, int]:
    m = s.messages
    # By account and status (ix_messages_account_status): the sending rows
    # only, not every message.
    rows = conn.execute(select(m.c.claimed_by, func.count())
                        .where(of_every_account(m.c.account_sid, conn.dialect.name), m.c.status == s.SENDING)
                        .group_by(m.c.claimed_by)).all()
    return {node: count for node, count in rows}


def cluster_status(conn: Connection, now: datetime, lease_timeout: float) -> dict[str, Any]:
    """``{"nodes": [{"node_id", "alive", "last_heartbeat", "binds", "in_flight"}]}``."""
    flying = in_flight_by_node(conn)
    return {"nodes": [dict(as_json(node, now, lease_timeout, flying.get(node.node_id, 0)))
                      for node in list_nodes(conn)]}


def render_text(status: Mapping[str, Any]) -> str:
    header = ("NODE", "ALIVE", "LAST HEARTBEAT", "BINDS", "IN FLIGHT")
    rows = [(n["node_id"], "yes" if n["alive"] else "no", n["last_heartbeat"], str(n["binds"]),
             str(n["in_flight"])) for n in status["nodes"]]
    if not rows:
        return "no nodes have registered in this store\n"
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return "".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() + "\n"
                   for r in [header, *rows])
