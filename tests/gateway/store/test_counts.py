"""Messages per account: the unfiltered list total stays exact across
inserts, deletes (prune), folds and a downgrade, on SQLite and PostgreSQL;
and on PostgreSQL, folds beside other transactions (real ones) neither wait
nor count anything twice."""
from __future__ import annotations

from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import func, select

from gateway.messages.queries import ListQuery, count_messages
from gateway.messages.store import insert_message
from gateway.store import counts, migrate
from gateway.store import schema as s
from gateway.store.engine import make_engine
from gateway.store.prune import cutoff, prune_batch
from tests.db_backends import PG_URL, database_url

from .factories import T0, message_row
from .test_prune import add

A, B = "AC" + "a" * 32, "AC" + "b" * 32
OLD = T0 - timedelta(days=40)


def totals(conn) -> list[int]:
    return [count_messages(conn, A, ListQuery()), count_messages(conn, A, ListQuery(channel="mms")),
            count_messages(conn, B, ListQuery())]


def deltas(conn) -> int:
    return conn.execute(select(func.count()).select_from(s.message_count_deltas)).scalar_one()


def test_totals_stay_exact_across_inserts_prunes_and_folds(engine):
    with engine.begin() as conn:
        for channel in ("sms", "sms", "mms"):
            insert_message(conn, message_row(account_sid=A, channel=channel))
        for i in range(4):
            add(conn, created=OLD + timedelta(seconds=i), status="delivered", account=B)
        assert totals(conn) == [3, 1, 4]
    with engine.begin() as conn:
        assert counts.fold(conn, limit=2) == (2 if conn.dialect.name == "postgresql" else None)
        assert totals(conn) == [3, 1, 4]
        assert prune_batch(conn, cutoff(T0, 30), None, limit=3)["messages"] == 3
        assert totals(conn) == [3, 1, 1]
    with engine.begin() as conn:
        while counts.fold(conn, limit=2):
            pass
        assert totals(conn) == [3, 1, 1] and deltas(conn) == 0
        assert counts.accounts_from(conn, "") == [A, B] and counts.accounts_from(conn, B) == [B]
        insert_message(conn, message_row(account_sid=B))
        assert totals(conn) == [3, 1, 2]


def test_a_downgrade_folds_the_deltas_and_an_upgrade_counts_on(db_url):
    migrate.upgrade(db_url)
    engine = make_engine(db_url, writer=True)
    try:
        with engine.begin() as conn:
            for _ in range(3):
                insert_message(conn, message_row(account_sid=A))
        with engine.begin() as conn:
            command.downgrade(migrate.alembic_config(conn), "0012")
        with engine.begin() as conn:
            insert_message(conn, message_row(account_sid=A))  # counted by 0002's trigger
            assert conn.execute(select(s.message_counts.c.n)).scalars().all() == [4]
        migrate.upgrade(db_url)
        with engine.begin() as conn:
            insert_message(conn, message_row(account_sid=A))
            assert totals(conn) == [5, 0, 0]
    finally:
        engine.dispose()


@pytest.fixture
def pg():
    if not PG_URL:
        pytest.skip("GATEWAY_TEST_DATABASE_URL is not set: concurrent folds need PostgreSQL")
    with database_url("postgresql", None, prefix="gw_counts") as url:
        migrate.upgrade(url)
        engine = make_engine(url, pool_size=4)
        yield engine
        engine.dispose()


def _seed(engine) -> None:
    with engine.begin() as conn:
        for account in (A, A, B):
            insert_message(conn, message_row(account_sid=account))


def test_two_folds_at_once_fold_each_delta_once_and_the_second_does_not_wait(pg):
    _seed(pg)
    with pg.connect() as first, pg.connect() as second:
        with first.begin():
            assert counts.fold(first) == 3
            with second.begin():
                assert counts.fold(second) is None  # the lock is held: skipped, at once
                assert totals(second) == [2, 0, 1]  # the first fold is not committed yet: exact
        with second.begin():
            assert counts.fold(second) == 0 and totals(second) == [2, 0, 1]
    with pg.connect() as conn:
        assert dict(conn.execute(select(s.message_counts.c.account_sid, s.message_counts.c.n)).all()) \
            == {A: 2, B: 1}


def test_a_fold_leaves_an_uncommitted_delta_for_the_next(pg):
    _seed(pg)
    with pg.connect() as writer, pg.connect() as folder:
        with writer.begin():
            insert_message(writer, message_row(account_sid=B))
            with folder.begin():
                assert counts.fold(folder) == 3  # the writer's delta is not visible: left
        with folder.begin():
            assert totals(folder) == [2, 0, 2] and deltas(folder) == 1
            assert counts.fold(folder) == 1
            assert totals(folder) == [2, 0, 2] and deltas(folder) == 0
