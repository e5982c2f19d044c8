"""Messages per (account, channel): the counts an unfiltered list's total
and the retention walk read, and the fold that keeps their deltas few.

Rules (the triggers are in ``gateway.store.triggers``):

* A count is its ``message_counts`` row plus the sum of its
  ``message_count_deltas`` rows, read in ONE statement: PostgreSQL reads
  both tables in one snapshot, so a fold that commits meanwhile is seen
  whole or not at all and the sum is exact either way.  On SQLite the
  triggers update ``message_counts`` directly and the deltas stay empty.
* :func:`fold` is one store write job: ONE statement deletes the oldest
  ``limit`` visible deltas and adds their sums into ``message_counts``.  A
  delta whose transaction has not committed is not visible, so it is left
  for a later fold, never lost or counted twice.  It runs under the
  transaction-scoped advisory lock ``(COUNTS_LOCK_SPACE, 0)`` taken with
  ``pg_try_advisory_xact_lock``: while another node's fold is uncommitted,
  this one does nothing (returns None), so only one writer ever locks
  counts rows, and it never waits on another for them.
"""
from __future__ import annotations

from sqlalchemy import any_, func, select, text, union, union_all
from sqlalchemy.engine import Connection

from . import schema as s

COUNTS_LOCK_SPACE = 0x4D43  # "MC": apart from the bind-slot, sweep and MO-parts locks
FOLD = 10_000  # deltas per fold at most: 22–28 ms for 10,000 over 50 accounts (load about 1.5)
_mc, _d = s.message_counts, s.message_count_deltas

_FOLD = text("""
WITH folded AS (
    DELETE FROM message_count_deltas WHERE id IN (
        SELECT id FROM message_count_deltas ORDER BY id LIMIT :limit)
    RETURNING account_sid, channel, n),
added AS (
    INSERT INTO message_counts (account_sid, channel, n)
    SELECT account_sid, channel, sum(n) FROM folded
    GROUP BY account_sid, channel ORDER BY account_sid, channel
    ON CONFLICT (account_sid, channel) DO UPDATE SET n = message_counts.n + EXCLUDED.n)
SELECT count(*) FROM folded""")


def total(conn: Connection, account_sid: str, channel: str | None = None) -> int:
    """The account's messages (of one channel, if given)."""
    parts = []
    for table in (_mc, _d):
        where = [table.c.account_sid == account_sid]
        if channel is not None:
            where.append(table.c.channel == channel)
        parts.append(select(func.coalesce(func.sum(table.c.n), 0)).where(*where).scalar_subquery())
    return int(conn.execute(select(parts[0] + parts[1])).scalar_one())


def of_every_account(column, dialect_name: str):
    """``column`` (an account_sid) is the account of some message: a
    condition that a status test beside it turns into probes of an
    (account_sid, status, ...) index, account by account.

    * SQLite: ``IN (subquery)`` of the counts' accounts.
    * PostgreSQL: ``= ANY(ARRAY(subquery))``.  With ``IN (subquery)`` its
      planner guessed 200 accounts and read the whole table instead.

    A subquery, not a list of values: tens of thousands of accounts would
    pass the databases' limits on bound parameters."""
    if dialect_name == "postgresql":
        return column == any_(func.array(union(*_accounts()).scalar_subquery()))
    return column.in_(union_all(*_accounts()))


def accounts_from(conn: Connection, first: str) -> list[str]:
    """Every account that has (or had) messages, from ``first`` on, sorted."""
    query = union_all(*_accounts(first))
    return sorted(set(conn.execute(query).scalars()))  # not UNION: no temporary B-tree


def _accounts(first: str | None = None) -> list:
    """The accounts of the counts and of their deltas (from ``first`` on), one SELECT each."""
    return [select(table.c.account_sid).where(table.c.account_sid >= first) if first is not None
            else select(table.c.account_sid) for table in (_mc, _d)]


def fold(conn: Connection, limit: int = FOLD) -> int | None:
    """Fold up to ``limit`` deltas into ``message_counts``; how many it
    folded, or None when another fold holds the lock (or on SQLite, whose
    triggers leave no deltas)."""
    if conn.dialect.name != "postgresql":
        return None
    if not conn.execute(select(func.pg_try_advisory_xact_lock(COUNTS_LOCK_SPACE, 0))).scalar_one():
        return None
    return int(conn.execute(_FOLD, {"limit": limit}).scalar_one())
