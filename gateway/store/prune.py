"""Retention: deleting final messages older than ``[store] retention_days``.

Rules:

* A message is pruned when its status is final (delivered, undelivered,
  failed, received), it was created before the cutoff, and no callback of
  it is still pending.  With it go its segments, their match keys
  (``segment_ids``), its status events, its callback rows and its media.
  Nothing else is touched: a message still queued, sending or sent is kept
  whatever its age.
* :func:`prune_batch` is one store write job that deletes at most ``limit``
  messages (and their rows) and returns where it stopped, so the caller
  runs many small transactions, each a few milliseconds on the store's
  single writer, and intake's writes take turns with them instead of
  waiting behind one long delete.
* The walk is a keyset scan of ``ix_messages_account_created`` (account,
  date_created, sid), account by account from the counts
  (``gateway.store.counts``): each row is read once over a whole run, so
  no index is added for retention and intake pays nothing for it.  Match keys are deleted by key (their only
  index), recomputed from each part's SMSC id.
* Receipts done with (``applied``, or given up as ``unmatched``) that
  arrived before the cutoff go too, oldest first, at most ``limit`` per
  batch: each state's range of ix_pending_receipts_state is walked in id
  order (ids rise with arrival) up to the first newer receipt.  Waiting
  receipts are kept whatever their age: the sweep decides those.
* Every statement finds its rows through an index keyed by the batch's
  sids (or segment ids, or the walk's keys), also on a store without
  statistics: SQLite's planner then prefers any index with an equality on
  a constant (hence the callback state is checked in Python), PostgreSQL's
  a sequential scan for a long ``IN`` list (hence ``enable_seqscan`` is off
  for the job).  A test EXPLAINs each one.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import takewhile
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, select, tuple_
from sqlalchemy.engine import Connection

from gateway.sms.receipts import correlation

from . import schema as s
from .counts import accounts_from as counted_accounts
from .timeutil import utc

BATCH = 500  # messages per transaction
# Index entries a batch reads at most, per message it may delete (non-final
# ones are skipped): each costs a read of its row for the status, so a small
# batch must not read as many as a large one.
SCAN_PER_MESSAGE = 4
# The receipts' states once done with (gateway.sms.receipts.store's APPLIED and
# UNMATCHED; a test holds the two together).
RECEIPTS_DONE = ("applied", "unmatched")
_m = s.messages


@dataclass(frozen=True)
class Cursor:
    """Where a run stopped: the account, and the last (date_created, sid) read in it."""

    account: str = ""
    date_created: datetime | None = None
    sid: str = ""


def cutoff(now: datetime, retention_days: float) -> datetime:
    return utc(now) - timedelta(days=retention_days)


def prune_batch(conn: Connection, before: datetime, cursor: Cursor | None = None,
                limit: int = BATCH) -> dict[str, Any]:
    """Delete up to ``limit`` prunable messages created before ``before``,
    going on from ``cursor``, and up to ``limit`` receipts done with.
    Returns ``{"messages", "receipts", "rows", "cursor", "done", "seconds"}``
    (``rows``: every row deleted, the messages' and receipts' included;
    ``seconds``: how long the job itself took, on the writer)."""
    started = time.perf_counter()
    result = _prune_batch(conn, utc(before), cursor, limit)
    result["seconds"] = time.perf_counter() - started
    return result


def _prune_batch(conn: Connection, before: datetime, cursor: Cursor | None, limit: int) -> dict[str, Any]:
    if conn.dialect.name != "postgresql":
        return _walk(conn, before, cursor, limit)
    # Without statistics PostgreSQL takes ``column IN (500 keys)`` for most of
    # the table and reads it whole; within this job only, it must use the
    # index.  A failed job's setting goes with its rollback.
    previous = conn.exec_driver_sql("SELECT current_setting('enable_seqscan')").scalar()
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    result = _walk(conn, before, cursor, limit)
    conn.exec_driver_sql("SELECT set_config('enable_seqscan', %(v)s, true)", {"v": previous})
    return result


def _walk(conn: Connection, before: datetime, cursor: Cursor | None, limit: int) -> dict[str, Any]:
    result = _walk_messages(conn, before, cursor, limit)
    receipts, receipts_done = prune_receipts(conn, before, limit)
    result["rows"] += receipts
    result["receipts"] = receipts
    result["done"] = result["done"] and receipts_done
    return result


def prune_receipts(conn: Connection, before: datetime, limit: int) -> tuple[int, bool]:
    """Delete up to ``limit`` receipts done with that arrived before
    ``before``; (deleted, True once none is left to delete)."""
    pr = s.pending_receipts
    ids: list[int] = []
    done = True
    for state in RECEIPTS_DONE:
        room = limit - len(ids)
        if room <= 0:
            return _delete_receipts(conn, ids), False
        rows = conn.execute(select(pr.c.id, pr.c.received_at).where(pr.c.state == state)
                            .order_by(pr.c.id).limit(room)).all()
        old = list(takewhile(lambda row: utc(row.received_at) < before, rows))
        ids += [row.id for row in old]
        if len(old) == room:
            done = False  # more of them may be old
    return _delete_receipts(conn, ids), done


def _delete_receipts(conn: Connection, ids: list[int]) -> int:
    if not ids:
        return 0
    pr = s.pending_receipts
    return conn.execute(delete(pr).where(pr.c.id.in_(ids))).rowcount


def _walk_messages(conn: Connection, before: datetime, cursor: Cursor | None, limit: int) -> dict[str, Any]:
    cursor = cursor or Cursor()
    scan = SCAN_PER_MESSAGE * limit
    accounts = counted_accounts(conn, cursor.account)
    found: list[str] = []
    scanned = 0
    for account in accounts:
        where = [_m.c.account_sid == account, _m.c.date_created < before]
        if account == cursor.account and cursor.date_created is not None:
            where.append(tuple_(_m.c.date_created, _m.c.sid) > tuple_(
                bindparam("c_date", cursor.date_created, type_=_m.c.date_created.type),
                bindparam("c_sid", cursor.sid)))
        rows = conn.execute(select(_m.c.sid, _m.c.status, _m.c.date_created).where(*where)
                            .order_by(_m.c.date_created, _m.c.sid).limit(scan - scanned)).all()
        scanned += len(rows)
        for row in rows:
            if row.status in s.FINAL_STATUSES:
                found.append(row.sid)
                cursor = Cursor(account, row.date_created, row.sid)
                if len(found) == limit:
                    return _finish(conn, found, cursor, done=False)
        if rows:
            cursor = Cursor(account, rows[-1].date_created, rows[-1].sid)
        if scanned >= scan:
            return _finish(conn, found, cursor, done=False)
        cursor = Cursor(_next(account))
    return _finish(conn, found, cursor, done=True)


def _next(account: str) -> str:
    return account + "\0"  # the smallest string after it


def _finish(conn: Connection, sids: list[str], cursor: Cursor, *, done: bool) -> dict[str, Any]:
    messages, rows = delete_messages(conn, sids)
    return {"messages": messages, "rows": rows, "cursor": cursor, "done": done}


def delete_messages(conn: Connection, sids: list[str]) -> tuple[int, int]:
    """Delete these messages and their rows, but not one with a callback
    still pending.  Returns (messages deleted, rows deleted)."""
    if not sids:
        return 0, 0
    out = s.callback_outbox
    # By message only, the state checked here: with ``state = 'pending'`` in
    # the query, a planner without statistics reads the state index, i.e.
    # every pending callback of every message, once per batch.
    busy = {row.message_sid for row in conn.execute(select(out.c.message_sid, out.c.state).where(
        out.c.message_sid.in_(sids))) if row.state == "pending"}
    sids = [sid for sid in sids if sid not in busy]
    if not sids:
        return 0, 0
    seg = s.segments
    parts = conn.execute(select(seg.c.id, seg.c.smsc_message_id)
                         .where(seg.c.message_sid.in_(sids))).all()
    rows = 0
    if parts:
        keys = sorted(set().union(*(correlation.match_keys(p.smsc_message_id or "") for p in parts)))
        ids = [p.id for p in parts]
        if keys:
            rows += conn.execute(delete(s.segment_ids).where(and_(
                s.segment_ids.c.key.in_(keys), s.segment_ids.c.segment_id.in_(ids)))).rowcount
        rows += conn.execute(delete(seg).where(seg.c.message_sid.in_(sids))).rowcount
    for table in (s.status_events, s.callback_outbox, s.media):
        rows += conn.execute(delete(table).where(table.c.message_sid.in_(sids))).rowcount
    messages = conn.execute(delete(_m).where(_m.c.sid.in_(sids))).rowcount
    return messages, rows + messages
