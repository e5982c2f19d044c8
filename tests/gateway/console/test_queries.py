"""The console's store reads on SQLite and, with GATEWAY_TEST_DATABASE_URL,
PostgreSQL: summary counts, the recent failures, search by sid, number or
SMSC id (any spelling), and a message's full history."""
from __future__ import annotations

from datetime import timedelta

import pytest
import pytest_twisted
from sqlalchemy import insert

from gateway.console import queries
from gateway.sms.receipts.correlation import match_keys
from gateway.store import schema as s
from gateway.messages.store import insert_message
from tests.db_backends import BACKENDS
from tests.gateway.pipeline_helpers import T0, database, message_row, open_store
from tests.gateway.store.plans import statement_plans


def _fixture_rows(conn, sid: str) -> None:
    seg_id = conn.execute(insert(s.segments).values(
        message_sid=sid, seqno=1, total=1, carrier="sim", bind="sim-1", smsc_message_id="0000ABCD",
        status="undelivered", error_code=30003, stat="UNDELIV", err="001", submitted_at=T0,
        receipt_at=T0 + timedelta(seconds=2))).inserted_primary_key[0]
    conn.execute(insert(s.segment_ids), [{"key": k, "segment_id": seg_id, "account_sid": "AC" + "1" * 32}
                                         for k in match_keys("0000ABCD")])
    conn.execute(insert(s.status_events), [
        {"message_sid": sid, "status": status, "error_code": code, "detail": None,
         "created_at": T0 + timedelta(seconds=n)} for n, (status, code) in
        enumerate((("sending", None), ("sent", None), ("undelivered", 30003)))])
    conn.execute(insert(s.callback_outbox), [
        {"message_sid": sid, "kind": "status", "url": "http://cb.example/x", "method": "POST", "params": [],
         "state": state, "attempts": attempts, "next_attempt_at": T0, "created_at": T0, "last_error": error,
         "http_status": status}
        for state, attempts, error, status in (
            ("done", 1, None, None),  # delivered before statuses were kept
            ("done", 1, None, 204), ("dead", 3, "HTTP 404", 404),
            ("pending", 2, "Connection refused", None), ("pending", 1, "HTTP 503", 503))])
    conn.execute(insert(s.pending_receipts).values(
        account_sid=None, carrier="sim", message_id="zz", keys=[], receipt={}, received_at=T0, state="unmatched"))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest_twisted.ensureDeferred
async def test_console_queries(backend, tmp_path):
    with database(backend, tmp_path) as where:
        store = await open_store(where)
        try:
            failed = message_row(status="undelivered", to="+15557654321", error_code=30003,
                                 carrier_stat="UNDELIV", carrier_err="001")
            queued = message_row(status="queued", date_created=T0 - timedelta(seconds=30))
            for row in (failed, queued, message_row(status="delivered")):
                await store.write(insert_message, row)
            await store.write(_fixture_rows, failed["sid"])

            summary = await store.read(queries.store_summary, T0)
            assert summary["oldest_queued_age"] == pytest.approx(30.0)
            assert (summary["callback_backlog"], summary["callbacks_dead"]) == (2, 1)
            assert summary["failing_endpoints"][0]["url"] == "http://cb.example/x"
            assert summary["failing_endpoints"][0]["count"] == 3
            assert (summary["receipts_unmatched"], summary["receipts_waiting"]) == (1, 0)

            recent = await store.read(queries.recent_failures)
            assert [(m["sid"], m["carrier_stat"], m["error_code"]) for m in recent] == \
                [(failed["sid"], "UNDELIV", 30003)]
            for q in (failed["sid"], "+15557654321", "0000ABCD", "abcd", "43981"):  # hex id, also as decimal
                found = await store.read(queries.search, q)
                assert [m["sid"] for m in found] == [failed["sid"]], q
            assert await store.read(queries.search, "  ") == []

            history = await store.read(queries.history, failed["sid"])
            assert [e["status"] for e in history["events"]] == ["sending", "sent", "undelivered"]
            assert history["parts"][0]["smsc_message_id"] == "0000ABCD" and history["parts"][0]["stat"] == "UNDELIV"
            assert [(c["http_status"], c["answer"]) for c in history["callbacks"]] == [
                (None, "2xx"), (204, "HTTP 204"), (404, "HTTP 404"), (None, "Connection refused"),
                (503, "HTTP 503")]
            (found,) = await store.read(queries.search, failed["sid"])
            assert found["callback_http"] == [None, 204, 404, None, 503]
            assert await store.read(queries.history, "SMmissing") is None
        finally:
            await store.stop()


def test_the_summary_counts_read_only_the_states_it_shows(conn):
    """The console's summary (every 5 s in the daemon) counts pending and dead
    callbacks and waiting and unmatched receipts through their state
    indexes, never every callback or receipt that was ever done with
    (SQLite's plans: no scan of either table)."""
    if conn.dialect.name != "sqlite":
        return  # PostgreSQL plans from its statistics
    conn.execute(insert(s.callback_outbox), [
        {"message_sid": f"SM{i:032x}", "kind": "status", "url": "http://cb.example/x", "method": "POST",
         "params": [], "state": "done", "attempts": 1, "next_attempt_at": T0, "created_at": T0}
        for i in range(300)])
    plans = statement_plans(conn, lambda: queries.store_summary(conn, T0))
    counts = [(st, plan) for st, plan in plans
              if "count(*)" in st and ("FROM callback_outbox" in st or "FROM pending_receipts" in st)]
    assert len(counts) == 3, plans
    for statement, plan in counts:
        assert "SCAN" not in plan, (statement, plan)


def test_the_recent_failures_are_read_from_the_failed_messages_index(conn):
    """The console asks for them every 3 s: the newest failures come from the
    partial index of failed and undelivered messages (migration 0015), in
    its order, not from a scan and sort of every message (SQLite's plan)."""
    if conn.dialect.name != "sqlite":
        return  # PostgreSQL plans from its statistics
    rows = [message_row(status="delivered" if i % 10 else "failed", date_created=T0 + timedelta(seconds=i))
            for i in range(300)]
    conn.execute(insert(s.messages), [dict(row, date_updated=row["date_created"]) for row in rows])
    plans = statement_plans(conn, lambda: queries.recent_failures(conn, limit=5))
    newest = queries.recent_failures(conn, limit=5)
    (plan,) = [plan for statement, plan in plans if "FROM messages" in statement]
    assert "ix_messages_failed_updated" in plan and "TEMP B-TREE" not in plan, plan
    assert [m["sid"] for m in newest] == [r["sid"] for r in rows if r["status"] == "failed"][::-1][:5]


def test_a_search_reads_the_matching_messages_only(conn):
    """Every way a search may match (sid, To, From, MMSC id, SMSC id) goes
    through an index, To and From account by account (SQLite's plan)."""
    if conn.dialect.name != "sqlite":
        return  # PostgreSQL plans from its statistics
    rows = [message_row(status="delivered", to=f"+1555{i:07d}") for i in range(300)]
    for row in rows:
        insert_message(conn, dict(row, date_updated=row["date_created"]))
    plans = statement_plans(conn, lambda: queries.search(conn, "+15550000007"))
    found = queries.search(conn, "+15550000007")
    (plan,) = [plan for statement, plan in plans if "FROM messages" in statement and "callback_outbox" not in statement]
    assert "SCAN messages" not in plan and "ix_messages_account_to" in plan, plan
    assert [m["sid"] for m in found] == [rows[7]["sid"]]
