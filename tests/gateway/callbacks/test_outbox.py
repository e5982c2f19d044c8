"""The callback outbox's due rows and their settling (``gateway.callbacks.outbox``)."""
from datetime import timedelta

from sqlalchemy import select

from gateway.store import schema as s
from gateway.messages.store import enqueue_callback
from gateway.callbacks.outbox import callback_dead, callback_done, callback_retry, due_callbacks

from tests.gateway.store.factories import T0


def cb_statuses(conn, sid):
    rows = conn.execute(select(s.callback_outbox).where(s.callback_outbox.c.message_sid == sid)
                        .order_by(s.callback_outbox.c.id)).mappings().all()
    return [dict(map(tuple, r["params"]))["MessageStatus"] for r in rows]


def _cb(conn, sid, n, when=T0):
    enqueue_callback(conn, message_sid=sid, kind="status", url="http://h/", method="POST",
                     params=[("n", str(n))], now=when)


def _ns(rows):
    return [(r["message_sid"], r["params"][0][1]) for r in rows]


def test_due_callbacks_in_order_per_message(conn):
    _cb(conn, "A", 1)
    _cb(conn, "B", 1)
    _cb(conn, "A", 2)
    _cb(conn, "B", 2)
    first = due_callbacks(conn, T0, 10)
    assert _ns(first) == [("A", "1"), ("B", "1")]
    a1, b1 = first
    callback_retry(conn, a1["id"], next_attempt_at=T0 + timedelta(seconds=10), error="503")
    callback_done(conn, b1["id"])
    # A's first callback waits for its retry and holds A's second back.
    assert _ns(due_callbacks(conn, T0 + timedelta(seconds=1), 10)) == [("B", "2")]
    # Oldest due first: B's second has been due since T0, A's first since T0 + 10 s.
    assert _ns(due_callbacks(conn, T0 + timedelta(seconds=10), 10)) == [("B", "2"), ("A", "1")]
    callback_dead(conn, a1["id"], error="gave up")
    assert _ns(due_callbacks(conn, T0 + timedelta(seconds=10), 10)) == [("A", "2"), ("B", "2")]
    assert _ns(due_callbacks(conn, T0 + timedelta(seconds=10), 1)) == [("A", "2")]
    row = conn.execute(select(s.callback_outbox).where(s.callback_outbox.c.id == a1["id"])).mappings().one()
    assert (row["state"], row["attempts"], row["last_error"]) == ("dead", 2, "gave up")


def test_due_callbacks_lease_hides_in_flight_rows(conn):
    _cb(conn, "A", 1)
    (row,) = due_callbacks(conn, T0, 10, lease=timedelta(seconds=30))
    assert due_callbacks(conn, T0 + timedelta(seconds=29), 10) == []
    assert _ns(due_callbacks(conn, T0 + timedelta(seconds=30), 10)) == [("A", "1")]
