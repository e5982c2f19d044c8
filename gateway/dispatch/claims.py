"""The outbound queue as the dispatcher sees it.

* ``claim_queued`` moves due ``queued`` messages to ``sending`` in one
  statement batch inside the writer's transaction, so two claims never get
  the same message.  On PostgreSQL the due rows are selected ``FOR UPDATE
  SKIP LOCKED``: two nodes claiming at once each take rows the other does
  not hold, instead of waiting on them.  A claim records the claiming
  node in ``claimed_by``.  There a node claims only the messages it can
  send (``gateway.dispatch.reach``): a route whose carriers have no bind
  up on it is left to the nodes that hold one.  The first claim of a Messages API message enqueues its
  ``sending`` callback; a re-claim after ``requeue`` does not repeat it.
* ``requeue`` puts a claimed message back (no bind up, retry later).  It is
  the one backwards move (``lifecycle.REQUEUE``), and it is not a status change the customer sees.
* ``requeue_stuck`` is the restart policy for messages caught in
  ``sending`` by a crash.  Given a node id it resolves only that node's
  messages (and those claimed before clustering, with no node): at start
  a node's own, and at a takeover a dead node's (``claimed_by`` lists
  them).  Default ``at-least-once``: they go back to
  ``queued`` (their half-written segment rows are dropped) and are sent
  again; a message whose submit_sm reached the SMSC just before the crash may
  be delivered twice.  ``at-most-once`` fails them with 30008 instead.
* ``expire_unsent`` fails messages still queued when their validity period
  ends (error 30001, the status callback fires as for any failure).
"""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any, Mapping

from sqlalchemy import JSON, bindparam, delete, insert, literal_column, or_, select, type_coerce, update
from sqlalchemy.types import TypeDecorator
from sqlalchemy.engine import Connection

from gateway.dispatch.reach import Reach, condition
from gateway.messages.lifecycle import REQUEUE

from gateway.store import schema as s
from gateway.store.counts import of_every_account
from gateway.messages.store import INSERT_EVENTS, callback_row, insert_callbacks, transition_many, wants_callback
from gateway.store.timeutil import utc

EXPIRED_CODE = 30001
EXPIRED_MESSAGE = "validity period ended before the message could be sent"
INTERRUPTED_CODE = 30008
INTERRUPTED_MESSAGE = "sending was interrupted by a restart (at-most-once policy)"

m = s.messages
_REQUEUE_FROM, _REQUEUE_TO = REQUEUE  # the one backwards move

_QUEUED = s.QUEUED_LITERAL  # the queue's partial index: see the schema


def _due(routes: Reach | None):
    due = select(m.c.sid).where(m.c.status == _QUEUED, m.c.next_attempt_at <= bindparam("now"),
                                or_(m.c.expires_at.is_(None), m.c.expires_at > bindparam("now")))
    if routes is not None:
        due = due.where(condition(m, routes))
    return (due.order_by(m.c.next_attempt_at).limit(bindparam("limit"))
            .with_for_update(skip_locked=True))  # PostgreSQL; SQLite has one writer


class _Media(TypeDecorator):
    """``media_list`` as JSON, with the no-media case (``"[]"``, nearly every
    SMS) answered without the JSON decoder: a claim returns a thousand rows."""

    impl = JSON
    cache_ok = True

    def result_processor(self, dialect, coltype):
        decode = self.impl_instance.dialect_impl(dialect).result_processor(dialect, coltype)
        if decode is None:  # the driver decodes JSON itself (psycopg)
            return None

        def process(value):
            return [] if value == "[]" else decode(value)
        return process


_CLAIMED = [type_coerce(c, _Media()).label(c.name) if c.name == "media_list" else c for c in m.c]


# SQLite's unary "+": the status test filters the claimed rows but cannot
# choose the index.  Without it SQLite's planner, which keeps no statistics
# here, took ``status = ?`` for the UPDATE's driving index and walked the
# whole queued range of ix_messages_status_next, testing each row's sid
# against the due list: every claim read the whole queue.
_STATUS_FILTER = literal_column(f"+{m.name}.{m.c.status.name}", m.c.status.type)


@lru_cache(maxsize=64)  # one per set of reachable routes seen: a few
def _claim(routes: Reach | None, sqlite: bool = False):
    # A materialized CTE: PostgreSQL runs the locking LIMIT query once.  As a
    # plain ``IN (subquery)`` it may rescan it (a nested-loop semi-join) and,
    # skipping the rows it has just locked itself, claim more than ``limit``.
    due = _due(routes).cte("due").prefix_with("MATERIALIZED", dialect="postgresql")
    status = _STATUS_FILTER if sqlite else m.c.status
    return (update(m).where(m.c.sid.in_(select(due.c.sid)), status == s.QUEUED)
            .values(status=s.SENDING, date_updated=bindparam("now"), attempts=m.c.attempts + 1,
                    claimed_by=bindparam("node"))
            .returning(*_CLAIMED))


def _oldest_first(row: Mapping[str, Any]):
    return row["next_attempt_at"], row["date_created"], row["sid"]


def claim_queued(conn: Connection, now: datetime, limit: int, node_id: str | None = None,
                 routes: Reach | None = None) -> list[Mapping[str, Any]]:
    """Claim up to ``limit`` due queued messages (oldest due first) for sending.

    One UPDATE ... RETURNING: the due rows are taken in ``(status,
    next_attempt_at)`` index order, so no sort of the whole queue runs per
    claim (that made each claim O(queue) at a million queued rows); only
    the claimed rows are sorted, oldest due first.  ``routes``
    (``gateway.dispatch.reach``): on PostgreSQL, where other nodes may
    send what this one cannot, only the messages this node can reach are
    claimed.  SQLite has one node, which claims every message as before.
    """
    if limit <= 0:
        return []
    now = utc(now)
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        routes = None
    rows = conn.execute(_claim(routes, sqlite), {"now": now, "limit": limit, "node": node_id}).mappings().all()
    rows = sorted(rows, key=_oldest_first)
    if not rows:
        return []
    INSERT_EVENTS.run(conn, [
        {"message_sid": row["sid"], "status": s.SENDING, "error_code": None, "detail": None,
         "created_at": now} for row in rows])
    callbacks = [callback_row(row, now) for row in rows
                 if row["attempts"] == 1 and wants_callback(row, s.SENDING)]
    if callbacks:
        insert_callbacks(conn, callbacks)
    return rows


def requeue(conn: Connection, sid: str, *, now: datetime, next_attempt_at: datetime,
            detail: str | None = None) -> bool:
    """Put a ``sending`` message back in the queue, due at ``next_attempt_at``."""
    now = utc(now)
    result = conn.execute(
        update(m).where(m.c.sid == sid, m.c.status == _REQUEUE_FROM)
        .values(status=_REQUEUE_TO, date_updated=now, next_attempt_at=utc(next_attempt_at)))
    if result.rowcount != 1:
        return False
    conn.execute(insert(s.status_events), {
        "message_sid": sid, "status": s.QUEUED, "error_code": None,
        "detail": detail or "requeued", "created_at": now})
    return True


def _drop_segments(conn: Connection, sids: list[str]) -> None:
    segment_ids = select(s.segments.c.id).where(s.segments.c.message_sid.in_(sids))
    conn.execute(delete(s.segment_ids).where(s.segment_ids.c.segment_id.in_(segment_ids)))
    conn.execute(delete(s.segments).where(s.segments.c.message_sid.in_(sids)))


def requeue_stuck(conn: Connection, now: datetime, *, policy: str = "at-least-once",
                  node_id: str | None = None, claimed_by: list[str] | None = None) -> list[str]:
    """Resolve messages left in ``sending`` by a crash; returns their sids.

    Without ``node_id``: every such message.  With it: those claimed by
    ``node_id`` or by no node, or (``claimed_by``) by those nodes, which
    this node takes over: the rows move to ``node_id`` under row locks, so
    of two nodes taking over the same dead node's messages each message is
    resolved by one."""
    if policy not in ("at-least-once", "at-most-once"):
        raise ValueError(f"unknown mid-send policy {policy!r}")
    now = utc(now)
    # By account: ix_messages_account_status then reads only the messages
    # in ``sending``.  A status test alone has no index to use, so every
    # start and every takeover read the whole table.  Every account that
    # has a message is in the message counts (the insert trigger puts it there).
    sending = [of_every_account(m.c.account_sid, conn.dialect.name), m.c.status == s.SENDING]
    if node_id is None:
        sids = list(conn.execute(select(m.c.sid).where(*sending)).scalars())
    else:
        owners = m.c.claimed_by.in_(claimed_by) if claimed_by is not None else \
            or_(m.c.claimed_by == node_id, m.c.claimed_by.is_(None))
        sids = list(conn.execute(update(m).where(*sending, owners)
                                 .values(claimed_by=node_id).returning(m.c.sid)).scalars())
    if not sids:
        return []
    if policy == "at-most-once":
        transition_many(conn, [{"sid": sid, "status": s.FAILED, "error_code": INTERRUPTED_CODE,
                                "error_message": INTERRUPTED_MESSAGE} for sid in sids], now=now)
        return sids
    _drop_segments(conn, sids)
    conn.execute(update(m).where(m.c.sid.in_(sids), m.c.status == _REQUEUE_FROM)
                 .values(status=_REQUEUE_TO, date_updated=now, next_attempt_at=now))
    conn.execute(insert(s.status_events), [
        {"message_sid": sid, "status": s.QUEUED, "error_code": None,
         "detail": "requeued after restart (at-least-once)", "created_at": now}
        for sid in sids])
    return sids


def expire_unsent(conn: Connection, now: datetime) -> list[str]:
    """Fail queued messages whose validity period has ended; returns sids."""
    now = utc(now)
    sids = list(conn.execute(
        select(m.c.sid).where(m.c.status == _QUEUED, m.c.expires_at.is_not(None),
                              m.c.expires_at <= now)
        .with_for_update(skip_locked=True)).scalars())  # once per message across nodes
    return transition_many(conn, [{"sid": sid, "status": s.FAILED, "error_code": EXPIRED_CODE,
                                   "error_message": EXPIRED_MESSAGE} for sid in sids], now=now)


def queue_depth(conn: Connection) -> int:
    """Messages waiting to be sent (queued + sending)."""
    from sqlalchemy import func
    return conn.execute(select(func.count()).select_from(m)
                        .where(m.c.status.in_([s.QUEUED, s.SENDING]))).scalar_one()
