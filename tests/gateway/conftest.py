"""Store fixtures for every gateway test that asks for them: SQLite, and PostgreSQL too
when GATEWAY_TEST_DATABASE_URL is set (each test gets its own schema)."""
from __future__ import annotations

import pytest

from gateway.store import migrate
from gateway.store.engine import make_engine
from tests.db_backends import BACKENDS, database_url


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    with database_url(request.param, tmp_path / "store.db") as url:
        yield url


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
