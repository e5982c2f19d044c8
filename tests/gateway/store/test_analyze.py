"""PostgreSQL: the planner gets statistics after migrations even where
``autovacuum = off``.  Skipped on SQLite."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from gateway.store.engine import is_sqlite


def test_an_upgrade_analyzes_the_gateway_tables(engine, db_url):
    if is_sqlite(db_url):
        pytest.skip("ANALYZE after migrations is for PostgreSQL only "
                    "(set GATEWAY_TEST_DATABASE_URL to run this)")
    with engine.connect() as connection:
        analyzed = dict(connection.execute(text(
            "SELECT relname, analyze_count + autoanalyze_count FROM pg_stat_user_tables "
            "WHERE schemaname = current_schema()")).all())
    assert analyzed["messages"] >= 1 and analyzed["segment_ids"] >= 1, analyzed
