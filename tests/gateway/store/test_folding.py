"""The daemon's fold of the message counts' deltas: a real store on
PostgreSQL, its rounds on a Clock; and on SQLite, where the triggers leave
no deltas, a round that has nothing to do."""
from __future__ import annotations

import pytest
import pytest_twisted
from sqlalchemy import func, select
from twisted.internet import reactor
from twisted.internet.task import Clock

from gateway.messages.queries import ListQuery, count_messages
from gateway.messages.store import insert_message
from gateway.store import counts, migrate
from gateway.store import schema as s
from gateway.store.engine import make_engine
from gateway.store.folding import CountFolder
from gateway.store.store import Store
from gateway.store.testing import MemoryStore, disk_full
from tests.db_backends import PG_URL, database_url
from tests.gateway.pipeline_helpers import result_of

from .factories import message_row

A = "AC" + "a" * 32


@pytest.fixture
def pg_url():
    if not PG_URL:
        pytest.skip("GATEWAY_TEST_DATABASE_URL is not set: the fold runs on PostgreSQL")
    with database_url("postgresql", None, prefix="gw_fold") as url:
        migrate.upgrade(url)
        yield url


def _insert(engine, n: int) -> None:
    for _ in range(n):
        with engine.begin() as conn:
            insert_message(conn, message_row(account_sid=A))


def _state(engine) -> tuple[int, int]:
    """(the account's total, deltas left)."""
    with engine.connect() as conn:
        return (count_messages(conn, A, ListQuery()),
                conn.execute(select(func.count()).select_from(s.message_count_deltas)).scalar_one())


@pytest_twisted.ensureDeferred
async def test_a_round_every_interval_drains_the_backlog_and_skips_while_another_folds(pg_url):
    engine = make_engine(pg_url)
    _insert(engine, 5)
    store = Store(pg_url, reactor)
    await store.start()
    clock = Clock()
    folder = CountFolder(store, clock, interval=2.0, limit=2)
    try:
        folder.startService()
        assert [call.getTime() for call in clock.getDelayedCalls()] == [2.0]
        clock.advance(2.0)  # the round starts: writes of 2, 2 and 1 deltas
        assert await folder.fold() == 5
        assert folder.stats == {"rounds": 1, "skipped": 0, "deltas": 5}
        assert _state(engine) == (5, 0)
        _insert(engine, 1)
        with engine.connect() as other, other.begin():
            assert counts.fold(other) == 1  # another node's fold, not committed yet
            clock.advance(2.0)
            assert await folder.fold() == 0  # skipped, without waiting for it
        assert folder.stats == {"rounds": 2, "skipped": 1, "deltas": 5}
        assert _state(engine) == (6, 0)
    finally:
        await folder.stopService()
        await store.stop()
        engine.dispose()
    assert clock.getDelayedCalls() == []


def _memory_folder():
    """A started CountFolder (every 2 s) on the in-memory store, on a Clock."""
    clock = Clock()
    store = MemoryStore(clock)
    result_of(clock, store.start())
    folder = CountFolder(store, clock, interval=2.0)
    folder.startService()
    return clock, store, folder


def _stop(clock, store, folder):
    result_of(clock, folder.stopService())
    result_of(clock, store.stop())
    assert clock.getDelayedCalls() == []


def test_on_sqlite_a_round_has_nothing_to_fold():
    clock, store, folder = _memory_folder()
    clock.advance(2.0)  # the round runs on the clock, at once
    assert folder.stats == {"rounds": 1, "skipped": 1, "deltas": 0}
    assert result_of(clock, folder.fold()) == 0
    assert folder.stats == {"rounds": 2, "skipped": 2, "deltas": 0}
    _stop(clock, store, folder)


def test_a_failed_round_leaves_the_rounds_running():
    clock, store, folder = _memory_folder()
    store.inject_fault(disk_full())
    clock.advance(2.0)  # the write fails: the round ends with nothing folded
    assert folder.stats == {"rounds": 1, "skipped": 0, "deltas": 0}
    store.heal()
    clock.advance(2.0)  # the next round runs
    assert folder.stats == {"rounds": 2, "skipped": 1, "deltas": 0}
    _stop(clock, store, folder)
