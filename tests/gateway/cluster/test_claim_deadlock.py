"""Why a node's claim commits in a transaction of its own: real transactions
on PostgreSQL.

A ``FOR UPDATE SKIP LOCKED`` scan that meets a row whose newer version was
committed while the scan ran (node A's claim of it) locks that newer
version, re-checks it (no longer ``queued``), skips it, and keeps the lock
until its transaction ends.  Node B's claim inside a batch therefore held
A's message while the batch's next job waited for a row that A's batch
held, and A's batch waited to record that message as sent: a deadlock.
Here B's scan is made long (other nodes' in-flight rows, locked, sit ahead
of A's row in the queue), and A commits while it runs.  Every wait is on an
event, or on a state seen in ``pg_stat_activity``; the race that puts A's
commit inside B's scan is checked and run again if it was missed."""
from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError, OperationalError

from gateway.dispatch.claims import claim_queued
from gateway.messages.store import insert_message
from gateway.store import schema as s
from tests.gateway.store.factories import T0, message_row
from tests.pg_waits import WAIT, until

AHEAD = 10_000  # rows locked by other nodes ahead of A's: B's scan skips each
NOW = T0 + timedelta(seconds=1)
m = s.messages


def _fill(engine) -> tuple[str, str]:
    """AHEAD queued rows due first, then A's message, and a sent message y
    that both nodes' batches write (a receipt, say)."""
    mine, shared = message_row(next_attempt_at=T0), message_row(status="sent", next_attempt_at=None)
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE messages DISABLE TRIGGER USER")  # fast bulk rows
        conn.execute(text("""
            INSERT INTO messages (sid, account_sid, api, direction, channel, from_, "to", body,
                status, num_segments, num_media, media_list, attempts, next_attempt_at,
                date_created, date_updated, incomplete)
            SELECT 'SMahead' || g, 'AC1', 'messages', 'outbound-api', 'sms', '+1555', '+15550002222',
                'x', 'queued', 1, 0, '[]', 0, :t0 - interval '1 hour' + g * interval '1 microsecond',
                :t0, :t0, false FROM generate_series(1, :n) AS g"""), {"t0": T0, "n": AHEAD})
        conn.exec_driver_sql("ALTER TABLE messages ENABLE TRIGGER USER")
        insert_message(conn, mine)
        insert_message(conn, shared)
    return mine["sid"], shared["sid"]


def _pid(conn) -> int:
    return conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()


def _locked(engine, sid: str) -> bool:
    with engine.connect() as conn:
        try:
            conn.execute(m.select().where(m.c.sid == sid).with_for_update(nowait=True)).all()
        except OperationalError:
            return True
        conn.rollback()
        return False


def _round(engine, mine: str, shared: str, *, alone: bool) -> tuple[bool, str | None]:
    """One race; returns (B kept a lock on A's row, B's SQLSTATE if it failed)."""
    ahead = engine.connect()  # other nodes' claims, in flight
    ahead.execute(m.select().where(m.c.sid.like("SMahead%")).with_for_update()).all()
    a_claim = engine.connect()
    a_claim.execute(update(m).where(m.c.sid == mine).values(status="sending", claimed_by="a"))
    b, a = engine.connect(), engine.connect()
    b.exec_driver_sql("SET deadlock_timeout = '100ms'")  # B is the victim of a cycle
    a.exec_driver_sql("SET deadlock_timeout = '60s'")
    b.commit(), a.commit()
    b_pid, claimed, a_holds_y, outcome = _pid(b), threading.Event(), threading.Event(), {}
    b.commit()

    def node_b():
        trans = b.begin()
        try:
            assert claim_queued(b, NOW, 10, "b") == []
            if alone:  # the claim's transaction ends here
                trans.commit()
                trans = b.begin()
            claimed.set()
            a_holds_y.wait(WAIT)
            b.execute(update(m).where(m.c.sid == shared).values(carrier_stat="DELIVRD"))
            trans.commit()
        except DBAPIError as e:
            outcome["b"] = getattr(e.orig, "sqlstate", repr(e))
            trans.rollback()
            claimed.set()

    thread = threading.Thread(target=node_b)
    try:
        with engine.connect() as watch:
            thread.start()
            until(lambda: watch.execute(text(
                "SELECT state = 'active' AND position('due' in query) > 0 FROM pg_stat_activity "
                "WHERE pid = :pid"), {"pid": b_pid}).scalar() or claimed.is_set())
            a_claim.commit()  # A's claim of its row commits while B's scan runs
        claimed.wait(WAIT)
        kept = _locked(engine, mine)
        with a.begin():  # A's next batch: a job on y, then the outcome of its row
            a.execute(update(m).where(m.c.sid == shared).values(carrier_err="000"))
            a_holds_y.set()
            a.execute(update(m).where(m.c.sid == mine).values(status="sent"))
        thread.join(WAIT)
    finally:
        a_holds_y.set()
        thread.join(WAIT)
        for conn in (ahead, a_claim, b, a):
            conn.close()
    with engine.begin() as conn:  # A's row queued again for the next round
        conn.execute(update(m).where(m.c.sid == mine).values(status="queued", claimed_by=None))
    return kept, outcome.get("b")


def _race(engine, alone: bool) -> tuple[bool, str | None]:
    mine, shared = _fill(engine)
    for _ in range(5):
        kept, failed = _round(engine, mine, shared, alone=alone)
        if kept or alone:
            return kept, failed
    raise AssertionError("A's commit never landed inside B's scan")


def test_a_claim_inside_a_batch_keeps_a_skipped_row_locked_and_deadlocks(pg_engine):
    kept, failed = _race(pg_engine, alone=False)
    assert kept  # B holds A's row although it did not claim it
    assert failed == "40P01"  # deadlock_detected


def test_a_claim_that_commits_alone_deadlocks_nothing(pg_engine):
    kept, failed = _race(pg_engine, alone=True)
    assert not kept and failed is None
