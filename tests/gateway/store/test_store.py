"""The Store over the real reactor: group commit, savepoints, drain on stop."""
import os
import threading

import pytest
import pytest_twisted
from sqlalchemy import func, insert, select
from twisted.internet import defer, reactor
from twisted.logger import formatEvent, globalLogPublisher

from gateway.store import schema as s
from gateway.messages.store import get_message_row, insert_message
from gateway.store.faults import StoreClosed
from gateway.store.store import Store

from .factories import enqueue_status_callback, message_row


def count_messages(conn):
    return conn.execute(select(func.count()).select_from(s.messages)).scalar_one()


@pytest_twisted.inlineCallbacks
def test_concurrent_writes_are_group_committed(db_url):
    store = Store(db_url, reactor, migrate=True)
    yield store.start()
    try:
        rows = [message_row() for _ in range(300)]
        results = yield defer.gatherResults([store.write(insert_message, r) for r in rows])
        assert results == [None] * 300
        assert (yield store.read(count_messages)) == 300
        assert store.stats["jobs"] == 300
        assert store.stats["transactions"] < 100  # queued together, committed together
        assert store.queue_depth == 0
    finally:
        yield store.stop()


def failing_job(conn, row):
    insert_message(conn, row)  # rolled back with its savepoint
    raise ValueError("bad job")


@pytest_twisted.inlineCallbacks
def test_failing_job_fails_only_itself(db_url):
    store = Store(db_url, reactor, migrate=True)
    yield store.start()
    try:
        good1, bad, good2 = message_row(), message_row(), message_row()
        d1 = store.write(insert_message, good1)
        d2 = store.write(failing_job, bad)
        d3 = store.write(insert_message, good2)
        yield d1
        yield d3
        with pytest.raises(ValueError, match="bad job"):
            yield d2
        assert (yield store.read(get_message_row, good1["sid"])) is not None
        assert (yield store.read(get_message_row, good2["sid"])) is not None
        assert (yield store.read(get_message_row, bad["sid"])) is None
        assert store.stats["failed_jobs"] == 1
    finally:
        yield store.stop()


@pytest_twisted.inlineCallbacks
def test_duplicate_key_fails_only_its_job(db_url):
    store = Store(db_url, reactor, migrate=True)
    yield store.start()
    try:
        row = message_row()
        yield store.write(insert_message, row)
        results = yield defer.DeferredList([store.write(insert_message, row),
                                            store.write(insert_message, message_row())],
                                           consumeErrors=True)
        assert [ok for ok, _ in results] == [False, True]
    finally:
        yield store.stop()


@pytest_twisted.inlineCallbacks
def test_stop_drains_queued_writes_then_refuses(db_url):
    store = Store(db_url, reactor, migrate=True)
    yield store.start()
    pending = [store.write(insert_message, message_row()) for _ in range(50)]
    yield store.stop()
    assert all(d.called for d in pending)
    with pytest.raises(StoreClosed):
        yield store.write(insert_message, message_row())
    again = Store(db_url, reactor)
    yield again.start()
    try:
        assert (yield again.read(count_messages)) == 50
    finally:
        yield again.stop()


def add_segment(conn, sid):
    return conn.execute(insert(s.segments).values(message_sid=sid, seqno=1, total=1)
                        ).inserted_primary_key[0]


@pytest_twisted.inlineCallbacks
def test_write_results_come_back(db_url):
    store = Store(db_url, reactor, migrate=True)
    yield store.start()
    try:
        row = message_row()
        yield store.write(insert_message, row)
        seg_id = yield store.write(add_segment, row["sid"])
        assert isinstance(seg_id, int)
    finally:
        yield store.stop()


@pytest_twisted.inlineCallbacks
def test_start_refuses_an_unmigrated_database(db_url):
    from gateway.store.migrate import SchemaNotCurrent
    store = Store(db_url, reactor, migrate=False)
    with pytest.raises(SchemaNotCurrent, match="db upgrade"):
        yield store.start()
    with pytest.raises(StoreClosed):
        yield store.write(insert_message, message_row())


@pytest_twisted.inlineCallbacks
def test_checkpoint_copies_the_wal_into_the_database(db_url):
    if not db_url.startswith("sqlite"):
        pytest.skip("WAL checkpoints are SQLite's")
    store = Store(db_url, reactor, migrate=True, checkpoint_interval=3600)
    yield store.start()
    try:
        assert store._checkpoints is not None and store._checkpoints.running
        yield defer.gatherResults([store.write(insert_message, message_row()) for _ in range(50)])
        busy, frames, copied = yield store.checkpoint()
        assert busy == 0 and frames > 0 and copied == frames
    finally:
        yield store.stop()
    assert store._checkpoints is not None and not store._checkpoints.running
    with pytest.raises(StoreClosed):
        yield store.checkpoint()


def writer_place(conn):
    """Where a write job runs, and what the writer's connection may hold."""
    memory = tuple(conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                   for name in ("cache_size", "mmap_size", "temp_store"))
    return os.getpid(), threading.current_thread().name, memory


@pytest.mark.parametrize("keys, memory", [
    # the documented defaults; statement journals in memory (temp_store 2)
    ("", (-32 * 1024, 64 << 20, 2)),
    ("cache_mb = 8\nmmap_mb = 0\n", (-8 * 1024, 0, 2)),
    # Written when the writer process was the default: still read, as the thread.
    ('writer = "process"\n', (-32 * 1024, 64 << 20, 2)),
])
@pytest_twisted.inlineCallbacks
def test_the_daemons_store_writes_on_its_thread_with_the_configured_memory(tmp_path, keys, memory):
    from gateway.config.model import loads
    from gateway.daemon.parts import make_store

    events: list = []
    globalLogPublisher.addObserver(events.append)
    try:
        store = make_store(loads(f'[store]\nurl = "sqlite:///{tmp_path}/gw.db"\n{keys}'), reactor)
    finally:
        globalLogPublisher.removeObserver(events.append)
    yield store.start()
    try:
        assert (yield store.write(writer_place)) == (os.getpid(), "store-writer", memory)
        assert (yield store.write(lambda conn: "any callable")) == "any callable"
    finally:
        yield store.stop()
    notices = [formatEvent(e) for e in events if "is read as" in e.get("log_format", "")]
    assert len(notices) == ("process" in keys)
    assert all('writer = "process" is read as "thread"' in n for n in notices)


@pytest_twisted.inlineCallbacks
def test_a_store_never_stopped_does_not_keep_the_process_alive(db_url):
    """A store left running (a test that failed before stop, a reactor that
    died) must not hang the interpreter at exit: its writer and its reader
    threads are daemon threads."""
    from gateway.store.migrate import upgrade

    upgrade(db_url)  # PostgreSQL is not migrated by Store.start()
    store = Store(db_url, reactor)
    yield store.start()
    try:
        yield store.read(lambda conn: conn.execute(select(func.count()).select_from(s.messages)).scalar())
        threads = [t for t in threading.enumerate() if t.name.startswith(("store-writer", "PoolThread-store-reader"))]
        assert threads and all(t.daemon for t in threads), [(t.name, t.daemon) for t in threads]
    finally:
        yield store.stop()


def test_a_writer_connection_that_fails_to_open_goes_back_to_the_pool(tmp_path, monkeypatch):
    """The writer's engine has one connection.  When opening it failed (here
    its first transaction: another process held the database's write lock
    past the busy timeout), the connection stayed checked out, and every
    later open waited 30 s for the pool and failed with the pool's timeout
    instead of trying the database again."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from gateway.store import engine as engine_module
    from gateway.store.engine import connect_writer, make_engine
    from gateway.store.migrate import upgrade

    url = f"sqlite:///{tmp_path}/gw.db"
    upgrade(url)
    monkeypatch.setattr(engine_module, "BUSY_TIMEOUT_MS", 100)
    engine = make_engine(url, writer=True)
    other = sqlite3.connect(tmp_path / "gw.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process writes
        with pytest.raises(OperationalError, match="database is locked"):
            connect_writer(engine, url)
        assert engine.pool.checkedout() == 0
        other.execute("ROLLBACK")
        conn = connect_writer(engine, url)  # the lock is gone: it opens
        conn.close()
    finally:
        other.close()
        engine.dispose()


@pytest_twisted.inlineCallbacks
def test_only_a_commit_that_wrote_the_outbox_calls_the_outbox_hooks(db_url):
    store = Store(db_url, reactor, migrate=True)
    yield store.start()
    calls, hooked = [], defer.Deferred()
    store.on_outbox.append(lambda: (calls.append("hook"), hooked.callback(None)))
    try:
        row = message_row()
        yield store.write(insert_message, row).addCallback(lambda _: calls.append("message"))
        d = store.write(enqueue_status_callback, row["sid"])
        d.addCallback(lambda _: calls.append("callback"))
        yield hooked
        assert calls == ["message", "callback", "hook"]  # after the commit's Deferreds
    finally:
        yield store.stop()
