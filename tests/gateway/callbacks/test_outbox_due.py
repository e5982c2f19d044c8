"""The outbox's head marks and due-row index (SQLite, and PostgreSQL when
GATEWAY_TEST_DATABASE_URL is set)."""
from datetime import timedelta

from sqlalchemy import select

from gateway.store import schema as s
from gateway.callbacks.outbox import (callback_dead, callback_retry, callbacks_deferred, callbacks_done,
                                  due_callbacks)
from gateway.messages.store import enqueue_callback, insert_message, transition

from tests.gateway.store.factories import T0, message_row
from tests.gateway.store.plans import statement_plans

o = s.callback_outbox


def _cb(conn, sid, n, when=T0):
    enqueue_callback(conn, message_sid=sid, kind="status", url="http://h/", method="POST",
                     params=[("n", str(n))], now=when)


def _heads(conn):
    rows = conn.execute(select(o.c.message_sid, o.c.params).where(o.c.head == 1)
                        .order_by(o.c.id)).all()
    return [(sid, params[0][1]) for sid, params in rows]


def test_the_lowest_pending_row_of_each_message_is_its_head(conn):
    for sid, n in (("A", 1), ("B", 1), ("A", 2), ("A", 3), ("B", 2)):
        _cb(conn, sid, n)
    assert _heads(conn) == [("A", "1"), ("B", "1")]
    a1, b1 = due_callbacks(conn, T0, 10)
    callbacks_done(conn, [a1["id"]])
    callback_dead(conn, b1["id"], error="HTTP 404")
    assert _heads(conn) == [("A", "2"), ("B", "2")]
    a2, b2 = due_callbacks(conn, T0, 10)
    callback_retry(conn, a2["id"], next_attempt_at=T0 + timedelta(seconds=5), error="HTTP 503")
    assert _heads(conn) == [("A", "2"), ("B", "2")]  # a retry keeps its place
    callbacks_done(conn, [a2["id"], b2["id"]])
    assert _heads(conn) == [("A", "3")]
    _cb(conn, "B", 3)  # B had nothing pending: its new row is the head at once
    assert _heads(conn) == [("A", "3"), ("B", "3")]


def test_rows_inserted_by_a_transition_get_their_head_marks(conn):
    row = message_row(status_callback="http://h/cb", status="sending", attempts=1)
    insert_message(conn, row)
    transition(conn, row["sid"], "sent", now=T0)
    transition(conn, row["sid"], "delivered", now=T0)
    statuses = [dict(map(tuple, r["params"]))["MessageStatus"]
                for r in due_callbacks(conn, T0, 10)]
    assert statuses == ["sent"]


def test_exclude_and_defer(conn):
    for sid in "ABC":
        _cb(conn, sid, 1)
    a, b, c = due_callbacks(conn, T0, 10)
    assert [r["id"] for r in due_callbacks(conn, T0, 10, exclude=[a["id"], c["id"]])] == [b["id"]]
    callbacks_deferred(conn, [a["id"]], until=T0 + timedelta(seconds=5))
    assert [r["id"] for r in due_callbacks(conn, T0, 10)] == [b["id"], c["id"]]
    assert [r["id"] for r in due_callbacks(conn, T0 + timedelta(seconds=5), 10)] == [
        b["id"], c["id"], a["id"]]
    row = conn.execute(select(o).where(o.c.id == a["id"])).mappings().one()
    assert row["attempts"] == 0  # moving behind others is not an attempt


def _plan(conn, query) -> str:
    """The plan of the statement *query* runs, as the database makes it."""
    return statement_plans(conn, query, sep=" ")[-1][1]


def test_the_due_query_uses_the_due_index_without_statistics(conn):
    rows = [{"message_sid": f"S{i}", "kind": "status", "url": "http://h/", "method": "POST",
             "params": [["n", str(n)]], "state": "pending", "attempts": 0,
             "next_attempt_at": T0, "created_at": T0} for n in range(3) for i in range(2000)]
    conn.execute(o.insert(), rows)
    plan = _plan(conn, lambda: due_callbacks(conn, T0, 10, exclude=[1, 2]))
    plan += _plan(conn, lambda: due_callbacks(conn, T0, 10))
    assert plan.count("ix_callback_outbox_due") == 2, plan
    # Only due heads are read: never a scan of the table or of the pending rows
    # (PostgreSQL without statistics may sort the due heads it reads).
    assert "Seq Scan" not in plan and "state_next" not in plan, plan


def test_batched_updates_find_their_rows_by_primary_key(conn):
    rows = [{"message_sid": f"S{i}", "kind": "status", "url": "http://h/", "method": "POST",
             "params": [["n", "0"]], "state": "pending", "attempts": 0,
             "next_attempt_at": T0, "created_at": T0} for i in range(3000)]
    conn.execute(o.insert(), rows)
    for update in (lambda: callbacks_done(conn, [1, 2, 3]),
                   lambda: callbacks_deferred(conn, [4, 5], until=T0 + timedelta(seconds=5))):
        plan = _plan(conn, update)
        assert "state_next" not in plan and ("PRIMARY KEY" in plan or "pk_callback_outbox" in plan), plan


def test_a_batch_of_done_rows_keeps_each_rows_http_status(conn):
    rows = [{"message_sid": f"S{i}", "kind": "status", "url": "http://h/", "method": "POST",
             "params": [], "state": "pending", "attempts": 0, "next_attempt_at": T0,
             "created_at": T0} for i in range(4)]
    conn.execute(o.insert(), rows)
    callbacks_done(conn, [1, 2, 3], {1: 204, 3: 201})
    callback_retry(conn, 4, next_attempt_at=T0, error="HTTP 503", http_status=503)
    got = conn.execute(select(o.c.id, o.c.state, o.c.http_status).order_by(o.c.id)).all()
    assert [tuple(r) for r in got] == [(1, "done", 204), (2, "done", 200), (3, "done", 201),
                                       (4, "pending", 503)]
    callback_retry(conn, 4, next_attempt_at=T0, error="timed out")  # no answer this time
    callback_dead(conn, 4, error="HTTP 410", http_status=410)
    assert conn.execute(select(o.c.http_status).where(o.c.id == 4)).scalar_one() == 410
