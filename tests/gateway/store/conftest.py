"""Store test fixtures: every store test runs on SQLite, and on PostgreSQL too
when GATEWAY_TEST_DATABASE_URL is set (each test gets its own schema)."""
from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from gateway.store import migrate
from gateway.store.engine import make_engine

PG_URL = os.environ.get("GATEWAY_TEST_DATABASE_URL")
BACKENDS = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.skipif(
        not PG_URL, reason="GATEWAY_TEST_DATABASE_URL is not set: PostgreSQL store tests skipped")),
]


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/store.db"
        return
    schema = f"gw_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def engine(db_url):
    migrate.upgrade(db_url)
    eng = make_engine(db_url, writer=True)
    yield eng
    eng.dispose()


@pytest.fixture
def conn(engine):
    """A connection inside a transaction (as Store.write gives a job)."""
    with engine.connect() as connection:
        with connection.begin():
            yield connection
