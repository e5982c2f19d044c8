"""The durable callback outbox, as the callback sender sees it.

Rows are sent in id order per message: a row may go only while it is the
lowest *pending* row of its message (``head = 1``, kept by the triggers in
``gateway.store.outbox_triggers``) and its ``next_attempt_at`` has come, so a
callback waiting for a retry holds back the later ones of the same message
(never those of other messages).  ``done`` and ``dead`` rows hold nothing
back.

The due query is a range scan of the partial index ``ix_callback_outbox_due``
(heads only, in due order): its cost follows the rows it returns, not the
backlog, and it does not depend on the planner's statistics.  Reading due
rows is a plain read (no lease written): the sender passes the ids it holds
in memory as ``exclude``.  Results are written in batches (``callbacks_done``);
each result write records the HTTP status of the attempt's answer
(``http_status``) in the same UPDATE.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

from sqlalchemy import bindparam, func, literal_column, select, update
from sqlalchemy.engine import Connection

from gateway.store import schema as s
from gateway.store.timeutil import utc

o = s.callback_outbox
CHUNK = 500  # ids per IN (...) list
# Heads are pending rows (the triggers drop the mark when a row leaves
# ``pending``): asking for ``state`` too would let a planner pick the state
# index, whose pending range includes every row held back.
# ``head = 1`` as a literal: a partial index is usable only when the query
# repeats its condition (a bound parameter does not).
_HEAD = o.c.head == literal_column("1")
_DUE = (select(o).where(_HEAD, o.c.next_attempt_at <= bindparam("now"))
        .order_by(o.c.next_attempt_at, o.c.id).limit(bindparam("limit")))
_DUE_EXCLUDING = (select(o).where(_HEAD, o.c.next_attempt_at <= bindparam("now"),
                                  o.c.id.not_in(bindparam("exclude", expanding=True)))
                  .order_by(o.c.next_attempt_at, o.c.id).limit(bindparam("limit")))


def due_callbacks(conn: Connection, now: datetime, limit: int, *, exclude: Iterable[int] = (),
                  lease: timedelta | None = None) -> list[Mapping[str, Any]]:
    """Up to ``limit`` due rows, oldest due first, none of ``exclude``.  With
    ``lease`` (through ``Store.write``) their ``next_attempt_at`` moves to
    ``now + lease``, so another reader does not pick them meanwhile."""
    now = utc(now)
    exclude = list(exclude)
    if exclude:
        result = conn.execute(_DUE_EXCLUDING, {"now": now, "limit": limit, "exclude": exclude})
    else:
        result = conn.execute(_DUE, {"now": now, "limit": limit})
    rows = [dict(row) for row in result.mappings()]
    if lease is not None and rows:
        conn.execute(update(o).where(o.c.id.in_([r["id"] for r in rows]))
                     .values(next_attempt_at=now + lease))
    return rows


def callbacks_done(conn: Connection, ids: Iterable[int],
                   http_statuses: Mapping[int, int] | None = None) -> None:
    """Mark rows delivered, with the HTTP status of their answer
    (``http_statuses``: id -> status, 200 when not given): one UPDATE per
    status and chunk of ids, by primary key only (a ``state`` condition
    would let SQLite walk the pending rows' index)."""
    by_status: dict[int, list[int]] = {}
    for row_id in ids:
        by_status.setdefault((http_statuses or {}).get(row_id, 200), []).append(row_id)
    for status, group in sorted(by_status.items()):
        for start in range(0, len(group), CHUNK):
            conn.execute(update(o).where(o.c.id.in_(group[start:start + CHUNK]))
                         .values(state="done", attempts=o.c.attempts + 1, last_error=None,
                                 http_status=status))


def callback_done(conn: Connection, callback_id: int, http_status: int = 200) -> None:
    callbacks_done(conn, [callback_id], {callback_id: http_status})


def callback_retry(conn: Connection, callback_id: int, *, next_attempt_at: datetime,
                   error: str, http_status: int | None = None) -> None:
    """Another attempt later; ``http_status``: this attempt's answer (None: no answer)."""
    conn.execute(update(o).where(o.c.id == callback_id)
                 .values(attempts=o.c.attempts + 1, next_attempt_at=utc(next_attempt_at),
                         last_error=error[:2000], http_status=http_status))


def callback_dead(conn: Connection, callback_id: int, *, error: str,
                  http_status: int | None = None) -> None:
    conn.execute(update(o).where(o.c.id == callback_id, o.c.state == "pending")
                 .values(state="dead", attempts=o.c.attempts + 1, last_error=error[:2000],
                         http_status=http_status))


def callbacks_deferred(conn: Connection, ids: Iterable[int], *, until: datetime) -> None:
    """Move rows whose host is busy behind the others (not an attempt)."""
    ids = list(ids)
    for start in range(0, len(ids), CHUNK):
        conn.execute(update(o).where(o.c.id.in_(ids[start:start + CHUNK]))
                     .values(next_attempt_at=utc(until)))


def _unmarked_heads(since: datetime | None):
    earlier = o.alias("earlier")
    held_back = (select(literal_column("1")).select_from(earlier)
                 .where(earlier.c.message_sid == o.c.message_sid, earlier.c.state == "pending",
                        earlier.c.id < o.c.id))
    where = [o.c.state == "pending", o.c.head == 0, ~held_back.exists()]
    if since is not None:
        where.append(o.c.next_attempt_at >= utc(since))
    return where


def unmarked_heads(conn: Connection, since: datetime | None = None, limit: int = CHUNK) -> list[int]:
    """Pending rows that should be heads but are not marked (a read).

    Under READ COMMITTED each head trigger sees only committed rows: when
    one transaction inserts a message's next row while another moves its
    head out of ``pending``, the insert sees the old head still pending (no
    mark) and the move sees no later row to promote: the new row would wait
    forever.  Such a row is pending, unmarked and has no earlier pending
    row; its ``next_attempt_at`` is its insert time, never moved while it is
    unmarked, so ``since`` bounds the scan to the recent end of the state
    index.  A row whose racing move is not yet committed is not listed: that
    move's trigger promotes it, or the next look finds it.
    """
    return list(conn.execute(select(o.c.id).where(*_unmarked_heads(since)).order_by(o.c.id)
                             .limit(limit)).scalars())


def repair_heads(conn: Connection, ids: Iterable[int]) -> list[str]:
    """Mark those of ``ids`` that are still unmarked heads; returns their
    messages' sids (the test is made again under the rows' locks)."""
    ids = list(ids)
    if not ids:
        return []
    result = conn.execute(update(o).where(o.c.id.in_(ids), *_unmarked_heads(None))
                          .values(head=1).returning(o.c.message_sid))
    return sorted(set(result.scalars()))


def pending_callbacks(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(o)
                        .where(o.c.state == "pending")).scalar_one()
