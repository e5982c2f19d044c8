"""Two nodes' writers inserting messages never wait on each other for the
per-account counts: real transactions on PostgreSQL.

Each node's store writer commits a batch of intakes in one transaction.
When a counts row per (account, channel) was updated by every insert, two
batches that insert for accounts X and Y in opposite orders locked the two
rows in opposite orders: a deadlock, broken after ``deadlock_timeout`` and
a re-run of a batch; deletes (retention) likewise.  Here A inserts (or
deletes) for X, B for Y, then A for Y (on a thread) and B for X.  A has the short ``deadlock_timeout``, so if A waits
on B it is the victim.  Every wait is bounded: A's insert either returns or
is seen waiting in ``pg_locks``."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete
from sqlalchemy.exc import DBAPIError

from gateway.messages.queries import ListQuery, count_messages
from gateway.messages.store import insert_message
from gateway.store import schema as s
from tests.gateway.pipeline_helpers import message_row
from tests.pg_waits import WAIT, until, waits

X, Y = "AC" + "x" * 32, "AC" + "y" * 32


def _pid(conn) -> int:
    pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    conn.commit()
    return pid


def _seed(engine) -> dict[str, list[str]]:
    """Two committed messages of each account."""
    rows = {acc: [message_row(account_sid=acc) for _ in range(2)] for acc in (X, Y)}
    with engine.begin() as conn:
        for row in rows[X] + rows[Y]:
            insert_message(conn, row)
    return {acc: [row["sid"] for row in rows[acc]] for acc in rows}


@pytest.mark.parametrize("act", ["insert", "delete"])
def test_two_writers_writing_for_two_accounts_in_opposite_orders_never_wait(pg_engine, act):
    sids = _seed(pg_engine)

    def write(conn, account):
        if act == "insert":
            insert_message(conn, message_row(account_sid=account))
        else:
            conn.execute(delete(s.messages).where(s.messages.c.sid == sids[account].pop()))

    a, b = pg_engine.connect(), pg_engine.connect()
    a.exec_driver_sql("SET deadlock_timeout = '100ms'")  # A is the victim of a cycle
    b.exec_driver_sql("SET deadlock_timeout = '60s'")
    a_pid, _ = _pid(a), _pid(b)
    done, outcome = threading.Event(), {}

    def a_second():
        try:
            write(a, Y)
        except DBAPIError as e:
            outcome["a"] = getattr(e.orig, "sqlstate", repr(e))
        done.set()

    thread = threading.Thread(target=a_second)
    a_tx, b_tx = a.begin(), b.begin()
    try:
        write(a, X)
        write(b, Y)
        thread.start()
        until(lambda: done.is_set() or waits(pg_engine, a_pid))
        waited = not done.is_set()  # A waits on B's counts row
        write(b, X)  # a cycle if A waits
        assert done.wait(WAIT)
        b_tx.commit()
        if "a" in outcome:
            a_tx.rollback()
        else:
            a_tx.commit()
    finally:
        done.wait(WAIT)
        thread.join(WAIT)
        a.close(), b.close()
    assert (waited, outcome.get("a")) == (False, None)  # before: (True, "40P01"), a deadlock
    with pg_engine.connect() as conn:
        expected = 4 if act == "insert" else 0
        assert [count_messages(conn, acc, ListQuery()) for acc in (X, Y)] == [expected, expected]
