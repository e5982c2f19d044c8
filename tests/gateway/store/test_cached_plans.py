"""PostgreSQL: a statement the writer runs over and over keeps finding its
rows through the indexes after the tables have grown (when
GATEWAY_TEST_DATABASE_URL is set; nothing to check on SQLite, which plans
each statement as it runs it).

The server caches plans: psycopg prepares a statement after a few
executions, PL/pgSQL prepares each statement of a trigger function, and
each foreign-key check is a prepared statement too.  After five executions
the server may settle on one generic plan and keep it for the life of the
connection.  Made while a table was small (just after ``db upgrade``), that
plan scans the table, and every later execution scans it again as it
grows: CPU per message that grows with the messages stored.
"""
from __future__ import annotations

from datetime import timedelta

from gateway.messages.store import insert_message, transition
from gateway.store import schema as s

from .factories import T0, message_row

GROWN = 2000  # messages stored after the plans were made


def _seq_scans(conn) -> dict[str, int]:
    rows = conn.exec_driver_sql(
        "SELECT relname, seq_scan FROM pg_stat_xact_user_tables "
        "WHERE relname IN ('messages', 'segments', 'callback_outbox')").all()
    return dict(rows)


def _send(conn, count: int) -> list[str]:
    """``count`` messages queued, sent and delivered, one at a time as the
    writer moves them: status UPDATEs, their status callbacks (the outbox's
    head triggers) and one part each (its foreign-key check on messages)."""
    sids = []
    for i in range(count):
        row = message_row(date_created=T0 + timedelta(milliseconds=i))
        insert_message(conn, row)
        now = row["date_created"]
        assert transition(conn, row["sid"], s.SENDING, now=now)
        assert transition(conn, row["sid"], s.SENT, now=now, carrier="sim")
        conn.execute(s.segments.insert().values(message_sid=row["sid"], seqno=1, total=1,
                                                carrier="sim", smsc_message_id=f"id{i}"))
        assert transition(conn, row["sid"], s.DELIVERED, now=now)
        conn.execute(s.callback_outbox.update().where(s.callback_outbox.c.message_sid == row["sid"])
                     .values(state="done"))
        sids.append(row["sid"])
    return sids


def test_plans_made_while_the_tables_were_small_do_not_scan_them_once_grown(engine):
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as conn:  # one connection: one server session and its plan cache
        with conn.begin():
            _send(conn, 20)  # prepared, and past the server's five custom plans
        with conn.begin():
            old = T0 - timedelta(days=1)
            stored = [message_row(status="delivered", date_created=old, date_updated=old)
                      for _ in range(GROWN)]
            conn.execute(s.messages.insert(), stored)
            conn.execute(s.segments.insert(), [{"message_sid": r["sid"], "seqno": 1, "total": 1}
                                              for r in stored])
            conn.execute(s.callback_outbox.insert(), [
                {"message_sid": r["sid"], "kind": "status", "url": "http://127.0.0.1:9/cb",
                 "method": "POST", "params": [], "state": "done", "next_attempt_at": T0,
                 "created_at": T0} for r in stored])
        with conn.begin():
            before = _seq_scans(conn)
            _send(conn, 3)
            after = _seq_scans(conn)
    scanned = {name: after.get(name, 0) - before.get(name, 0) for name in after}
    assert scanned == {"messages": 0, "segments": 0, "callback_outbox": 0}, scanned


def _state_index_scans(conn) -> int:
    return conn.exec_driver_sql(
        "SELECT pg_stat_get_xact_numscans('ix_callback_outbox_state_next'::regclass)").scalar_one()


def test_the_outbox_head_triggers_find_a_messages_rows_without_the_state_index(engine):
    """The triggers look for a message's pending rows.  The ``state`` index's
    ``pending`` range holds every row still pending and, until VACUUM, an
    entry for every row that has ever been pending: a look-up through it
    costs in proportion to the callbacks ever written."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as conn:
        with conn.begin():
            _send(conn, GROWN)
        with conn.begin():
            before = _state_index_scans(conn)
            _send(conn, 3)
            assert _state_index_scans(conn) == before
