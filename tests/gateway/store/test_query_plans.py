"""PostgreSQL: the writer's hot lookups are index-driven whatever the
statistics say (a new database, or ``autovacuum = off``: none at all).
Skipped on SQLite, which plans by its indexes alone."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from gateway.receipt_batch import _CANDIDATES
from gateway.store.engine import is_sqlite


def _plan(conn, statement, params) -> str:
    sql = str(statement.params(**params).compile(dialect=conn.dialect,
                                                 compile_kwargs={"literal_binds": True}))
    return "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + sql).all())


@pytest.fixture
def pg_conn(engine, db_url):
    if is_sqlite(db_url):
        pytest.skip("query plans are checked on PostgreSQL only "
                    "(set GATEWAY_TEST_DATABASE_URL to run this)")
    with engine.connect() as connection:
        with connection.begin():
            connection.execute(text("SELECT 1"))
            yield connection


def test_receipt_lookup_uses_the_key_index_and_no_hash_join(pg_conn):
    keys = [f"k{i}" for i in range(40)]
    plan = _plan(pg_conn, _CANDIDATES, {"keys": keys})
    assert "Seq Scan" not in plan and "Hash Join" not in plan, plan
    assert "ix_segment_ids_key" in plan, plan


def test_message_rows_by_sid_use_the_primary_key(pg_conn):
    plan = pg_conn.exec_driver_sql(
        "EXPLAIN SELECT * FROM messages WHERE sid = ANY(%(sids)s)",
        {"sids": [f"SM{i:032d}" for i in range(40)]}).all()
    text_plan = "\n".join(r[0] for r in plan)
    assert "Seq Scan" not in text_plan, text_plan


def test_an_upgrade_analyzes_the_gateway_tables(engine, db_url):
    if is_sqlite(db_url):
        pytest.skip("ANALYZE after migrations is for PostgreSQL only "
                    "(set GATEWAY_TEST_DATABASE_URL to run this)")
    with engine.connect() as connection:
        analyzed = dict(connection.execute(text(
            "SELECT relname, analyze_count + autoanalyze_count FROM pg_stat_user_tables "
            "WHERE schemaname = current_schema()")).all())
    assert analyzed["messages"] >= 1 and analyzed["segment_ids"] >= 1, analyzed
