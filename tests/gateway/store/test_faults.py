"""The store on a real volume that fills up: writes fail as store faults,
the store says so, logs one line per episode, probes until it can write
again by itself, truncates the WAL, and loses nothing it committed."""
from __future__ import annotations

import os

import pytest
import pytest_twisted
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from twisted.internet import defer, reactor
from twisted.logger import globalLogPublisher

from gateway.store import schema as s
from gateway.store.faults import backoff, is_fault
from gateway.messages.store import insert_message
from gateway.store.faults import StoreClosed
from gateway.store.store import Store

from .factories import message_row
from .volume import tiny_volume


@pytest.fixture
def volume():
    with tiny_volume("4m") as v:
        yield v


@pytest.fixture
def log_events():
    events = []
    globalLogPublisher.addObserver(events.append)
    yield events
    globalLogPublisher.removeObserver(events.append)


def count_messages(conn):
    return conn.execute(select(func.count()).select_from(s.messages)).scalar_one()


async def fill_until_failing(store, volume, accepted):
    """Write until the store fails; returns the first failure's exception."""
    await store.checkpoint("TRUNCATE")  # an empty WAL: the next write must grow it
    volume.fill()
    for _ in range(50):
        row = message_row(body="x" * 1000)
        try:
            await store.write(insert_message, row)
        except Exception as e:
            return e
        accepted.append(row["sid"])
    raise AssertionError("the full volume never refused a write")


@pytest_twisted.ensureDeferred
async def test_disk_full_is_an_episode_that_ends_by_itself(volume, log_events):
    store = Store(f"sqlite:///{volume.path}/gw.db", reactor, migrate=True)
    store.watch.probe_interval = 0.05
    await store.start()
    try:
        accepted = [message_row() for _ in range(20)]
        await defer.gatherResults([store.write(insert_message, r) for r in accepted])
        accepted = [r["sid"] for r in accepted]
        error = await fill_until_failing(store, volume, accepted)
        assert is_fault(error), repr(error)
        snapshot = store.faults.snapshot()
        assert snapshot["status"] == "failing" and "full" in snapshot["error"]
        # More writes fail alike and are counted in the same episode.
        for _ in range(3):
            with pytest.raises(Exception) as caught:
                await store.write(insert_message, message_row())
            assert is_fault(caught.value)
        assert store.faults.count == 1 and store.faults.snapshot()["failed_writes"] >= 4
        volume.free()
        await store.watch.when_writing()  # the probe found out, no write of ours
        assert store.faults.snapshot() == {"status": "ok", "episodes": 1}
        assert store.watch.truncations == 1
        assert os.path.getsize(f"{volume.path}/gw.db-wal") == 0  # the space is given back
        row = message_row()
        await store.write(insert_message, row)
        accepted.append(row["sid"])
        stored = await store.read(lambda conn: set(conn.execute(select(s.messages.c.sid)).scalars()))
        assert set(accepted) <= stored
    finally:
        await store.stop()
    store_lines = [e for e in log_events if "store:" in (e.get("log_format") or "")]
    assert not [e for e in store_lines if e["log_level"].name in ("critical", "error")]
    starts = [e for e in store_lines if "cannot write" in e["log_format"]]
    ends = [e for e in store_lines if "writing again" in e["log_format"]]
    assert len(starts) == 1 and len(ends) == 1
    assert ends[0]["failed"] >= 4


@pytest_twisted.ensureDeferred
async def test_a_jobs_own_error_is_not_a_fault(tmp_path):
    store = Store(f"sqlite:///{tmp_path}/gw.db", reactor, migrate=True)
    await store.start()
    try:
        row = message_row()
        await store.write(insert_message, row)
        with pytest.raises(IntegrityError) as caught:
            await store.write(insert_message, row)
        assert not is_fault(caught.value)
        assert not store.faults.failing
    finally:
        await store.stop()
    assert is_fault(StoreClosed("x"))


def test_backoff_grows_to_a_cap():
    assert [backoff(n) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]
    assert backoff(100) == 10.0


def test_a_postgresql_server_that_cannot_be_reached_is_a_fault():
    from gateway.store.engine import make_engine

    engine = make_engine("postgresql+psycopg://gw@127.0.0.1:1/gw")  # nothing listens on port 1
    try:
        with pytest.raises(Exception) as caught:
            engine.connect()
    finally:
        engine.dispose()
    assert is_fault(caught.value), repr(caught.value)


def test_a_sqlite_file_that_cannot_be_opened_is_a_fault(tmp_path):
    import sqlite3

    with pytest.raises(sqlite3.OperationalError) as caught:
        sqlite3.connect(f"file:{tmp_path}/missing.db?mode=ro", uri=True)
    assert is_fault(caught.value)


@pytest_twisted.ensureDeferred
async def test_the_wal_is_truncated_at_start(tmp_path):
    import sqlite3

    from gateway.store import migrate

    path = tmp_path / "gw.db"
    migrate.upgrade(f"sqlite:///{path}")
    other = sqlite3.connect(path)  # another process's connection keeps the WAL on disk
    other.execute("PRAGMA wal_autocheckpoint=0")
    other.execute("CREATE TABLE scratch (x)")
    other.executemany("INSERT INTO scratch VALUES (?)", [("x" * 500,)] * 2000)
    other.commit()
    assert os.path.getsize(f"{path}-wal") > 1_000_000  # what a failing episode leaves behind
    store = Store(f"sqlite:///{path}", reactor)
    await store.start()
    try:
        assert os.path.getsize(f"{path}-wal") == 0
    finally:
        await store.stop()
        other.close()
