"""The store's writer process: what is particular to running SQL in another
process (the rules shared with the writer thread are tested in
test_store.py under both).  Real processes, real databases; waits are on
process exit (pidfd) or on the writes' own Deferreds, never sleeps."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest
import pytest_twisted
from sqlalchemy import func, select
from twisted.internet import defer, reactor

from gateway.store import schema as s
from gateway.messages.store import get_message_row, insert_message
from gateway.store.store import Store
from gateway.store.writerproc import RemoteJobError, WriterLost, WriterProcess

from tests.pids import wait_exit

from .factories import message_row


def writer_pid(conn):
    return os.getpid()


def count_messages(conn):
    return conn.execute(select(func.count()).select_from(s.messages)).scalar_one()


class Unpicklable:
    def __reduce__(self):
        raise TypeError("this value stays where it is")


def insert_then_return_unpicklable(conn, row):
    insert_message(conn, row)
    return Unpicklable()


class LocalError(Exception):
    def __init__(self, code, text):
        super().__init__(text)
        self.code = code

    def __reduce__(self):  # two arguments: the default reduce would lose one
        return LocalError, (self.code, str(self))


def raise_local_error(conn):
    raise LocalError(7, "carrier said no")


class Opaque(Exception):
    def __init__(self):
        super().__init__("opaque")
        self.handle = Unpicklable()


def raise_opaque(conn):
    raise Opaque()


@pytest.fixture
def process_store(db_url):
    store = Store(db_url, reactor, migrate=True, writer="process")
    yield store
    if store._open:
        pytest_twisted.blockon(store.stop())


@pytest_twisted.inlineCallbacks
def test_jobs_run_in_another_process_that_migrated_the_schema(process_store):
    yield process_store.start()
    pid = yield process_store.write(writer_pid)
    assert pid == process_store.writer_pid and pid != os.getpid()
    row = message_row()
    yield process_store.write(insert_message, row)
    assert (yield process_store.read(get_message_row, row["sid"]))["sid"] == row["sid"]


@pytest_twisted.inlineCallbacks
def test_a_job_that_cannot_travel_fails_alone(process_store):
    yield process_store.start()
    good = message_row()
    results = yield defer.DeferredList([
        process_store.write(lambda conn: 1),
        process_store.write(insert_message, good),
    ], consumeErrors=True)
    (ok_lambda, failure), (ok_good, _) = results
    assert not ok_lambda and ok_good
    assert failure.check(TypeError)
    assert "cannot be sent to the writer process" in str(failure.value)
    assert (yield process_store.read(get_message_row, good["sid"])) is not None


@pytest_twisted.inlineCallbacks
def test_a_result_that_cannot_travel_back_rolls_its_job_back(process_store):
    yield process_store.start()
    lost, kept = message_row(), message_row()
    results = yield defer.DeferredList([
        process_store.write(insert_then_return_unpicklable, lost),
        process_store.write(insert_message, kept),
    ], consumeErrors=True)
    assert [ok for ok, _ in results] == [False, True]
    assert "stays where it is" in str(results[0][1].value)
    # Not committed and then lost: the failed job's insert was rolled back.
    assert (yield process_store.read(get_message_row, lost["sid"])) is None
    assert (yield process_store.read(get_message_row, kept["sid"])) is not None


@pytest_twisted.inlineCallbacks
def test_exceptions_come_back_as_themselves_or_as_text(process_store):
    yield process_store.start()
    with pytest.raises(LocalError, match="carrier said no") as caught:
        yield process_store.write(raise_local_error)
    assert caught.value.code == 7
    assert any("in the store's writer process" in note for note in caught.value.__notes__)
    with pytest.raises(RemoteJobError, match=r"Opaque: opaque"):
        yield process_store.write(raise_opaque)


@pytest_twisted.inlineCallbacks
def test_many_writes_are_group_committed_and_answered_in_order(process_store):
    yield process_store.start()
    rows = [message_row() for _ in range(500)]
    results = yield defer.gatherResults(
        [process_store.write(insert_message, r) for r in rows] + [process_store.write(count_messages)])
    assert results[-1] == 500  # queued after every insert: it sees all of them
    assert process_store.stats["transactions"] < 250


@pytest_twisted.inlineCallbacks
def test_a_killed_writer_fails_its_batch_and_is_replaced(process_store):
    yield process_store.start()
    first = process_store.writer_pid
    os.kill(first, signal.SIGKILL)
    assert wait_exit(first)
    with pytest.raises(WriterLost, match="went away"):
        yield process_store.write(insert_message, message_row())
    row = message_row()
    yield process_store.write(insert_message, row)  # a new writer took over
    assert process_store.writer_pid not in (None, first)
    assert (yield process_store.read(get_message_row, row["sid"])) is not None


@pytest_twisted.inlineCallbacks
def test_the_writer_ignores_interrupts_and_exits_when_the_store_stops(process_store):
    yield process_store.start()
    pid = process_store.writer_pid
    # Ctrl-C or systemd's SIGTERM reach the whole group; the daemon drains first.
    os.kill(pid, signal.SIGINT)
    os.kill(pid, signal.SIGTERM)
    row = message_row()
    yield process_store.write(insert_message, row)
    assert (yield process_store.write(writer_pid)) == pid
    yield process_store.stop()
    assert wait_exit(pid, timeout=0)  # stop() reaped it


@pytest_twisted.inlineCallbacks
def test_start_fails_clearly_on_an_unmigrated_database(db_url):
    from gateway.store.migrate import SchemaNotCurrent

    store = Store(db_url, reactor, migrate=False, writer="process")
    with pytest.raises(SchemaNotCurrent, match="db upgrade"):
        yield store.start()
    assert store.writer_pid is None or wait_exit(store.writer_pid, timeout=0)


def test_the_writer_exits_when_the_daemon_is_killed(tmp_path):
    """kill -9 of the daemon: the writer sees EOF on its socket and exits."""
    script = textwrap.dedent(f"""
        import sys
        sys.path[:0] = {sys.path!r}
        from gateway.store.writerproc import WriterProcess
        writer = WriterProcess("sqlite:///{tmp_path}/kill.db")
        writer.start()
        print(writer.pid, flush=True)
        sys.stdin.read()
    """)
    daemon = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        child = int(daemon.stdout.readline())
        daemon.kill()
        daemon.wait()
        assert wait_exit(child)
    finally:
        daemon.kill()
        daemon.wait()


def test_in_memory_sqlite_keeps_the_writer_in_process():
    assert Store("sqlite://", reactor, writer="process")._process is False
    assert Store("sqlite:///x.db", reactor, writer="process")._process is True
    with pytest.raises(ValueError, match="writer must be one of"):
        Store("sqlite:///x.db", reactor, writer="fork")


def test_blocking_client_runs_a_batch(tmp_path):
    writer = WriterProcess(f"sqlite:///{tmp_path}/direct.db")
    writer.start()
    try:
        outcomes = writer.run([(writer_pid, (), {}), (insert_message, (message_row(),), {}),
                               (count_messages, (), {})])
        assert [ok for ok, _ in outcomes] == [True, True, True]
        assert outcomes[0][1] == writer.pid and outcomes[2][1] == 1
    finally:
        pid = writer.pid
        writer.close()
    assert wait_exit(pid, timeout=0)


def writer_memory(conn):
    return tuple(conn.exec_driver_sql(f"PRAGMA {name}").scalar() for name in ("cache_size", "mmap_size"))


@pytest.mark.parametrize("keys, expected", [
    ("", (-32 * 1024, 64 << 20)),  # the documented defaults
    ("cache_mb = 8\nmmap_mb = 0\n", (-8 * 1024, 0)),
])
@pytest_twisted.inlineCallbacks
def test_the_writer_connection_holds_what_store_cache_and_mmap_allow(tmp_path, keys, expected):
    from gateway.daemon.parts import make_store
    from gateway.config.model import loads

    cfg = loads(f'[store]\nurl = "sqlite:///{tmp_path}/gw.db"\nwriter = "process"\n{keys}')
    store = make_store(cfg, reactor)
    yield store.start()
    try:
        pid = yield store.write(writer_pid)
        memory = yield store.write(writer_memory)
    finally:
        yield store.stop()
    assert pid != os.getpid() and memory == expected
