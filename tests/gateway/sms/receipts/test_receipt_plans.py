"""The receipt batch finds its candidate parts through the indexes, also on
a PostgreSQL database whose tables have no statistics (autovacuum off: only
the ANALYZE after ``db upgrade``, of empty tables).  SQLite, and PostgreSQL
when GATEWAY_TEST_DATABASE_URL is set."""
from datetime import timedelta

from sqlalchemy import select

from gateway.sms.receipts.batch import _candidates
from gateway.sms.receipts.store import EarlyReceipts, sweep_missing_segments, sweep_pending
from gateway.store import schema as s

from tests.gateway.store.factories import T0, message_row
from tests.gateway.store.plans import statement_plans

STORED = 3000


def _store_parts(conn, count: int = STORED) -> list[str]:
    """``count`` sent one-part messages with two match keys each; their keys."""
    messages = [message_row(status="sent") for _ in range(count)]
    for m in messages:
        m["date_updated"] = m["date_created"]
    conn.execute(s.messages.insert(), messages)
    conn.execute(s.segments.insert(), [{"message_sid": m["sid"], "seqno": 1, "total": 1,
                                        "carrier": "sim"} for m in messages])
    sids = {m["sid"] for m in messages}
    ids = [(seg_id, sid) for seg_id, sid in
           conn.execute(select(s.segments.c.id, s.segments.c.message_sid)).all() if sid in sids]
    conn.execute(s.segment_ids.insert(), [
        {"key": f"{prefix}{seg_id}", "segment_id": seg_id, "account_sid": "AC" + "1" * 32}
        for seg_id, _sid in ids for prefix in ("a", "b")])
    return [f"a{seg_id}" for seg_id, _sid in ids]


def _plan(conn, query) -> str:
    """The plan of the candidates statement that *query* runs."""
    return [plan for st, plan in statement_plans(conn, query, sep=" ") if "segment_ids" in st][-1]


def test_the_candidates_are_read_key_by_key_through_the_indexes(conn):
    keys = _store_parts(conn)
    wanted = set(keys[:100]) | {"unknown"}
    found = _candidates(conn, wanted)
    assert set(found) == set(keys[:100])
    assert all(len(rows) == 1 and rows[0]["m_status"] == "sent" for rows in found.values())
    plan = _plan(conn, lambda: _candidates(conn, wanted))
    assert "ix_segment_ids_key" in plan, plan
    # Never a scan of a whole table: the cost of a receipt must not grow
    # with the messages stored.
    assert "Seq Scan" not in plan and "SCAN " not in plan, plan


def test_a_plan_made_while_the_tables_were_small_does_not_scan_them_later(conn):
    """PostgreSQL: psycopg prepares a statement after a few executions and
    the server may then keep one generic plan for it, made while the tables
    were small (where a scan is cheapest), for as long as they grow."""
    if conn.dialect.name != "postgresql":
        return
    few = _store_parts(conn, 5)
    for _ in range(20):  # prepared by psycopg, and past the server's five custom plans
        assert set(_candidates(conn, set(few))) == set(few)
    keys = _store_parts(conn)

    def scans() -> int:
        return conn.exec_driver_sql(
            "SELECT coalesce(sum(seq_scan), 0) FROM pg_stat_xact_user_tables "
            "WHERE relname IN ('segment_ids', 'segments', 'messages')").scalar_one()

    before = scans()
    assert set(_candidates(conn, set(keys[:100]))) == set(keys[:100])
    assert scans() == before


def test_the_waiting_receipts_are_found_without_reading_those_done_with(conn):
    """Applied and unmatched receipts stay in ``pending_receipts``; the probe
    that every batch of sent outcomes makes (``EarlyReceipts``) and the
    retries' read of the waiting rows use the state index, not the whole
    table (SQLite; PostgreSQL plans from its statistics)."""
    if conn.dialect.name != "sqlite":
        return
    pr = s.pending_receipts
    conn.execute(pr.insert(), [
        {"carrier": "sim", "message_id": str(i), "keys": [str(i)], "receipt": {"message_id": str(i)},
         "received_at": T0, "state": "applied" if i % 2 else "unmatched"} for i in range(500)])
    conn.execute(pr.insert(), {"carrier": "sim", "message_id": "w", "keys": ["w"],
                               "receipt": {"message_id": "w"}, "received_at": T0, "state": "waiting"})
    plans = statement_plans(conn, lambda: (
        EarlyReceipts()(conn, [{"smsc_message_id": "x"}], T0),
        sweep_pending(conn, now=T0, window=timedelta(seconds=60))))
    reads = [plan for statement, plan in plans if statement.startswith("SELECT") and "pending_receipts" in statement]
    assert len(reads) >= 3, plans  # the probe, the waiting rows, the sweep's old rows
    for plan in reads:
        assert "ix_pending_receipts_state" in plan and "SCAN" not in plan, plan


def test_the_missing_segment_sweep_reads_the_sent_messages_not_every_part(conn):
    """The sweep (every 30 s) starts from the messages in ``sent``, by
    account and status, and reads each one's parts through its index; it
    used to read every part ever stored (SQLite's plans)."""
    if conn.dialect.name != "sqlite":
        return
    _store_parts(conn, 500)  # sent one-part messages
    conn.execute(s.segments.update().values(status="delivered"))
    plans = statement_plans(conn, lambda: sweep_missing_segments(
        conn, now=T0 + timedelta(hours=1), timeout=timedelta(seconds=60), asked_first=["sim"]))
    sweep = [plan for statement, plan in plans if "FROM messages" in statement and "segments" in statement]
    assert len(sweep) == 1 and _no_scan_of_big_tables(sweep[0]), plans
    assert "ix_messages_account_status" in sweep[0] and "ix_segments_message" in sweep[0], sweep[0]


def test_the_overdue_parts_are_found_from_the_sent_messages(conn):
    """query_sm's sweep reads the messages in ``sent`` and their parts through
    their indexes, not every part ever stored (SQLite's plans)."""
    if conn.dialect.name != "sqlite":
        return
    from gateway.sms.receipts.query_store import overdue_parts

    _store_parts(conn, 500)
    plans = statement_plans(conn, lambda: overdue_parts(
        conn, now=T0 + timedelta(hours=1), timeouts={"sim": 60}, horizon=timedelta(days=1), limit=100))
    sweep = [plan for statement, plan in plans if "FROM messages" in statement and "segments" in statement]
    assert len(sweep) == 1 and _no_scan_of_big_tables(sweep[0]), plans


def _no_scan_of_big_tables(plan: str) -> bool:
    """No scan of the messages or their parts (the message counts, a row per
    account, are read whole to list the accounts)."""
    return "SCAN messages" not in plan and "SCAN segments" not in plan
