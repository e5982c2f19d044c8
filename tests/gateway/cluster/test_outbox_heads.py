"""Two writers racing on one message's callbacks (PostgreSQL): the node
recording a status inserts the next callback row while the callback role's
node marks the head done.  Each head trigger sees only committed rows, so
the new row misses its head mark; the role holder's repair (gateway.callbacks.heads)
marks it again and the row is sent."""
from __future__ import annotations

from datetime import timedelta

import pytest_twisted
from sqlalchemy import select
from twisted.internet import reactor
from twisted.internet.task import Clock

from gateway.callbacks.heads import HeadRepair
from gateway.store import schema as s
from gateway.messages.store import enqueue_callback
from gateway.callbacks.outbox import callbacks_done, due_callbacks
from gateway.store.store import Store
from tests.gateway.store.factories import T0

NOW = T0 + timedelta(seconds=1)
o = s.callback_outbox


def _enqueue(conn, sid: str, status: str, now=T0) -> int:
    enqueue_callback(conn, message_sid=sid, kind="status", url="http://127.0.0.1:9/cb", method="POST",
                     params=[("MessageSid", sid), ("MessageStatus", status)], now=now)
    return conn.execute(select(o.c.id).where(o.c.message_sid == sid).order_by(o.c.id.desc())).scalar()


def _race(engine, sid: str) -> int:
    """The head ``sending`` leaves ``pending`` in one transaction while
    another inserts ``sent``; returns the new row's id."""
    with engine.begin() as conn:
        first = _enqueue(conn, sid, "sending")
    role = engine.connect()
    try:
        with role.begin():
            callbacks_done(role, [first])  # its trigger finds no later row yet
            with engine.begin() as other:  # not blocked: the insert's trigger only reads
                second = _enqueue(other, sid, "sent")
    finally:
        role.close()
    return second


def _due(engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [(r["message_sid"], dict(r["params"])["MessageStatus"])
                for r in due_callbacks(conn, NOW + timedelta(seconds=60), 100)]


@pytest_twisted.ensureDeferred
async def test_a_callback_row_inserted_while_its_head_leaves_is_repaired_and_sent(pg_url, pg_engine):
    second = _race(pg_engine, "SM" + "a" * 32)
    with pg_engine.connect() as conn:
        assert conn.execute(select(o.c.state, o.c.head).where(o.c.id == second)).one() == ("pending", 0)
    assert _due(pg_engine) == []  # the race's outcome: without a repair it would wait forever

    store = Store(pg_url, reactor)
    await store.start()
    clock = Clock()
    clock.advance(NOW.timestamp())
    woken, holding = [], [False]
    repair = HeadRepair(store, clock, interval=2.0, active=lambda: holding[0],
                        on_repaired=lambda: woken.append(1))
    try:
        repair.startService()
        clock.advance(2.0)
        await repair.repair()  # not the role's node: it does not look
        assert _due(pg_engine) == [] and woken == []
        holding[0] = True
        await repair.repair()
        assert _due(pg_engine) == [("SM" + "a" * 32, "sent")] and woken == [1]
        await repair.repair()  # nothing more to mark
        assert woken == [1] and repair.repaired == 1
    finally:
        repair.stopService()
        await store.stop()
    assert clock.getDelayedCalls() == []


def test_the_window_look_skips_old_rows_and_the_full_look_finds_them(pg_engine):
    from gateway.callbacks.outbox import repair_heads, unmarked_heads

    old, recent = _race(pg_engine, "SM" + "b" * 32), None
    with pg_engine.begin() as conn:  # an old row left unmarked: moved into the past
        conn.execute(o.update().where(o.c.id == old).values(next_attempt_at=T0 - timedelta(hours=1)))
    recent = _race(pg_engine, "SM" + "c" * 32)
    with pg_engine.begin() as conn:
        assert unmarked_heads(conn, T0 - timedelta(minutes=5)) == [recent]
        assert unmarked_heads(conn, None) == [old, recent]
        assert repair_heads(conn, [old, recent]) == ["SM" + "b" * 32, "SM" + "c" * 32]
        assert unmarked_heads(conn, None) == [] and repair_heads(conn, [old]) == []
    assert sorted(_due(pg_engine)) == [("SM" + "b" * 32, "sent"), ("SM" + "c" * 32, "sent")]
