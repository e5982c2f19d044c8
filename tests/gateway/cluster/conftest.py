"""Cluster tests run on a PostgreSQL database of their own: CREATE DATABASE
cluster_<random> on the server of GATEWAY_TEST_DATABASE_URL (migrated to
the head), dropped afterwards.  Without that variable they are skipped."""
from __future__ import annotations

import uuid

import pytest

from tests.db_backends import PG_URL

needs_pg = pytest.mark.skipif(
    not PG_URL, reason="GATEWAY_TEST_DATABASE_URL is not set: the cluster tests need PostgreSQL")


@pytest.fixture
def pg_url():
    if not PG_URL:
        pytest.skip("GATEWAY_TEST_DATABASE_URL is not set: the cluster tests need PostgreSQL")
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from gateway.store import migrate

    name = f"cluster_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()


@pytest.fixture
def pg_engine(pg_url):
    from gateway.store.engine import make_engine

    engine = make_engine(pg_url, pool_size=8)
    yield engine
    engine.dispose()
