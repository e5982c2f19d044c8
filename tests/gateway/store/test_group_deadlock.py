"""A group commit that PostgreSQL picks as a deadlock victim runs again
whole, so no job of it fails for the deadlock.  Two real transactions on
PostgreSQL (the batch, and a partner on a thread) take row locks in an
order that deadlocks twice; the batch's session has the short
``deadlock_timeout``, so it is always the one PostgreSQL aborts.  Every wait
is on an event: a partner step, or a lock seen waiting in ``pg_locks``."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine

from gateway.store.group import commit_group
from tests.db_backends import PG_URL
from tests.pg_waits import WAIT, blocked


def update(conn, key: str) -> None:
    conn.exec_driver_sql(f"UPDATE deadlock_rows SET n = n + 1 WHERE k = '{key}'")


@pytest.fixture
def engine():
    if not PG_URL:
        pytest.skip("GATEWAY_TEST_DATABASE_URL is not set: deadlocks need PostgreSQL")
    from tests.db_backends import database_url

    with database_url("postgresql", None, prefix="gw_deadlock") as url:
        eng = create_engine(url)
        with eng.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE deadlock_rows (k text PRIMARY KEY, n int NOT NULL)")
            conn.exec_driver_sql("INSERT INTO deadlock_rows VALUES ('a', 0), ('c', 0), ('d', 0)")
        yield eng
        eng.dispose()


def test_a_deadlocked_batch_runs_again_whole_and_no_job_fails(engine):
    admin = create_engine(engine.url)
    batch = engine.connect()
    batch.exec_driver_sql("SET deadlock_timeout = '100ms'")  # the batch is the victim
    batch.commit()
    batch_pid = batch.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    batch.commit()
    partner_has_a, go, partner_pid, errors = threading.Event(), threading.Event(), [], []

    def partner():
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SET deadlock_timeout = '60s'")
                partner_pid.append(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
                update(conn, "a")
                partner_has_a.set()
                go.wait(WAIT)
                update(conn, "c")  # waits for the batch's first run, the deadlock victim
                blocked(admin, batch_pid)  # the batch runs again and waits for c
                update(conn, "d")  # deadlocks with that second run too
                conn.commit()
        except Exception as e:  # reported by the test body
            errors.append(e)

    runs = []

    def signal_once(conn):  # the first run only: let the partner go, wait until it waits
        runs.append(1)
        if len(runs) == 1:
            go.set()
            blocked(admin, partner_pid[0])

    thread = threading.Thread(target=partner)
    thread.start()
    try:
        assert partner_has_a.wait(WAIT)
        jobs = [(update, ("d",), {}), (update, ("c",), {}), (signal_once, (), {}), (update, ("a",), {})]
        outcomes, conn = commit_group(batch, jobs)
        thread.join(WAIT)
        assert not errors, errors
        assert [ok for ok, _ in outcomes] == [True, True, True, True], [v for ok, v in outcomes if not ok]
        with admin.connect() as check:
            counts = dict(check.exec_driver_sql("SELECT k, n FROM deadlock_rows").all())
        assert counts == {"a": 2, "c": 2, "d": 2}  # each job once, and the partner's three
    finally:
        go.set()
        thread.join(WAIT)
        batch.close()
        admin.dispose()
