"""The ``nodes`` table and the lease rules of the cluster.

Rules:

* A node is *alive* while its row's state is ``live`` and its heartbeat is
  younger than ``lease_timeout``.  A clean stop writes ``left``.  When
  another node has taken over what a dead or departed node held, the row
  becomes ``gone`` (one node does that: the UPDATE that moves a row to
  ``gone`` locks it, so a second reaper's UPDATE finds nothing to move).
* At start (``start_refusal``): another *live* row with our node id is a
  start-up error, unless it is a previous run of this very daemon on this
  host whose process no longer exists (a crash and a quick restart).  On
  SQLite any other live node is refused: SQLite allows one live node.
* ``register`` writes this node's row as ``live`` with a fresh start and
  heartbeat; ``beat`` refreshes the heartbeat (and the bind slots held).

The functions taking a ``Connection`` are store jobs (``Store.write`` /
``Store.read``): module-level, plain-data arguments.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Mapping

from sqlalchemy import and_, delete, insert, null, or_, select, update
from sqlalchemy.engine import Connection

from gateway.store import schema as s
from gateway.store.timeutil import utc

n = s.nodes
LIVE, LEFT, GONE = "live", "left", "gone"


class NodeRefused(RuntimeError):
    """This node may not start: the message says why and what to do."""


@dataclass(frozen=True)
class NodeInfo:
    node_id: str
    host: str
    pid: int
    state: str
    started_at: datetime
    last_heartbeat: datetime
    binds: int
    slots: Mapping[str, list[int]] | None = None  # carrier -> bind slots held

    def alive(self, now: datetime, lease_timeout: float) -> bool:
        return self.state == LIVE and utc(self.last_heartbeat) > utc(now) - timedelta(seconds=lease_timeout)


def list_nodes(conn: Connection) -> list[NodeInfo]:
    rows = conn.execute(select(n).order_by(n.c.node_id)).mappings().all()
    return [NodeInfo(**dict(row)) for row in rows]


def start_refusal(nodes: Iterable[NodeInfo], *, node_id: str, host: str, now: datetime,
                  lease_timeout: float, sqlite: bool,
                  pid_running: Callable[[int], bool]) -> str | None:
    """Why this node may not start (None: it may)."""
    for node in nodes:
        if not node.alive(now, lease_timeout):
            continue
        if node.node_id == node_id:
            if node.host == host and not pid_running(node.pid):
                continue  # our own previous run, which died: we take its place
            return (f"node id {node_id!r} is already live (host {node.host}, pid {node.pid}, "
                    f"last heartbeat {utc(node.last_heartbeat).isoformat()}): give each node its "
                    f"own [cluster] node_id, or wait {lease_timeout:g}s after that node stopped")
        if sqlite:
            return (f"node {node.node_id!r} (host {node.host}, pid {node.pid}) is live on this "
                    f"SQLite store: SQLite allows one live node; run a cluster on PostgreSQL")
    return None


def register(conn: Connection, node_id: str, host: str, pid: int, now: datetime) -> None:
    now = utc(now)
    conn.execute(delete(n).where(n.c.node_id == node_id))
    conn.execute(insert(n), {"node_id": node_id, "host": host, "pid": pid, "state": LIVE,
                             "started_at": now, "last_heartbeat": now, "binds": 0})


def beat(conn: Connection, node_id: str, now: datetime, binds: int | None = None,
         slots: Mapping[str, list[int]] | None = None) -> bool:
    """Refresh this node's heartbeat (and the bind slots held, in the same
    UPDATE); False when its row is not ours any more (another node reaped
    it, or it was deleted): the caller re-registers."""
    values: dict[str, Any] = {"last_heartbeat": utc(now)}
    if binds is not None:
        values["binds"] = binds
    if slots is not None:
        values["slots"] = {carrier: sorted(held) for carrier, held in slots.items()}
    result = conn.execute(update(n).where(n.c.node_id == node_id, n.c.state == LIVE).values(**values))
    return result.rowcount == 1


def leave(conn: Connection, node_id: str, now: datetime) -> None:
    """A clean stop: what is still in ``sending`` is taken over by a live node."""
    conn.execute(update(n).where(n.c.node_id == node_id)
                 .values(state=LEFT, binds=0, slots=null(), last_heartbeat=utc(now)))


def reap(conn: Connection, node_id: str, now: datetime, lease_timeout: float) -> list[str]:
    """Mark the dead and departed nodes (other than ``node_id``) ``gone``;
    returns their ids, whose messages the caller now takes over."""
    cutoff = utc(now) - timedelta(seconds=lease_timeout)
    stale = or_(n.c.state == LEFT, and_(n.c.state == LIVE, n.c.last_heartbeat <= cutoff))
    return list(conn.execute(update(n).where(n.c.node_id != node_id, stale)
                             .values(state=GONE, binds=0, slots=null()).returning(n.c.node_id)).scalars())


def as_json(node: NodeInfo, now: datetime, lease_timeout: float, in_flight: int) -> Mapping[str, Any]:
    return {"node_id": node.node_id, "alive": node.alive(now, lease_timeout),
            "last_heartbeat": utc(node.last_heartbeat).isoformat(), "binds": node.binds,
            "in_flight": in_flight}
