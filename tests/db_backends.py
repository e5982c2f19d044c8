"""The databases the store-touching tests run on: a SQLite file always, and
PostgreSQL too when GATEWAY_TEST_DATABASE_URL is set (each test in a fresh
schema of its own, dropped afterwards)."""
from __future__ import annotations

import contextlib
import os
import uuid
from typing import Iterator

import pytest

PG_URL = os.environ.get("GATEWAY_TEST_DATABASE_URL")
BACKENDS = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.skipif(
        not PG_URL, reason="GATEWAY_TEST_DATABASE_URL is not set: PostgreSQL runs skipped")),
]


@contextlib.contextmanager
def database_url(backend: str, sqlite_path, *, prefix: str = "gw_test") -> Iterator[str]:
    """A URL: ``sqlite:///<sqlite_path>``, or a new PostgreSQL schema."""
    if backend == "sqlite":
        yield f"sqlite:///{sqlite_path}"
        return
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    schema = f"{prefix}_{uuid.uuid4().hex[:16]}"
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
