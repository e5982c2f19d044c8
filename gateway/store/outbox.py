"""The durable callback outbox, as the callback sender sees it.

Rows are sent in id order per message: a row is due only when it is the
lowest *pending* row of its message and its ``next_attempt_at`` has come, so
a callback waiting for a retry holds back the later ones of the same message
(never those of other messages).  ``done`` and ``dead`` rows no longer hold
anything back.  With ``lease`` the returned rows' ``next_attempt_at`` moves to
``now + lease`` (call it through ``Store.write``), so a second poll does not
pick a row whose request is still in flight.  On PostgreSQL the due rows
are read ``FOR UPDATE SKIP LOCKED``, so of nodes polling at once each
leases rows no other node holds: each request is made by one node at a time.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Mapping

from sqlalchemy import and_, exists, select, update
from sqlalchemy.engine import Connection

from . import schema as s
from .timeutil import utc

o = s.callback_outbox


def due_callbacks(conn: Connection, now: datetime, limit: int, *,
                  lease: timedelta | None = None) -> list[Mapping[str, Any]]:
    now = utc(now)
    earlier = o.alias("earlier")
    held_back = exists().where(and_(earlier.c.message_sid == o.c.message_sid,
                                    earlier.c.state == "pending", earlier.c.id < o.c.id))
    rows = conn.execute(
        select(o).where(o.c.state == "pending", o.c.next_attempt_at <= now, ~held_back)
        .order_by(o.c.id).limit(limit).with_for_update(skip_locked=True, of=o)).mappings().all()
    if lease is not None and rows:
        conn.execute(update(o).where(o.c.id.in_([r["id"] for r in rows]))
                     .values(next_attempt_at=now + lease))
    return list(rows)


def callback_done(conn: Connection, callback_id: int) -> None:
    conn.execute(update(o).where(o.c.id == callback_id)
                 .values(state="done", attempts=o.c.attempts + 1, last_error=None))


def callback_retry(conn: Connection, callback_id: int, *, next_attempt_at: datetime,
                   error: str) -> None:
    conn.execute(update(o).where(o.c.id == callback_id)
                 .values(attempts=o.c.attempts + 1, next_attempt_at=utc(next_attempt_at),
                         last_error=error[:2000]))


def callback_dead(conn: Connection, callback_id: int, *, error: str) -> None:
    conn.execute(update(o).where(o.c.id == callback_id)
                 .values(state="dead", attempts=o.c.attempts + 1, last_error=error[:2000]))


def pending_callbacks(conn: Connection) -> int:
    from sqlalchemy import func
    return conn.execute(select(func.count()).select_from(o)
                        .where(o.c.state == "pending")).scalar_one()
