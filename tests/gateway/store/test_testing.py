"""The in-memory store fake: the real store's interface, its ordering and
failure rules, faults on the clock; no reactor, no thread."""
from __future__ import annotations

import inspect

import pytest
from sqlalchemy import func, select, text
from twisted.internet.task import Clock

from gateway.store import interface, migrate
from gateway.store import schema as s
from gateway.store.faults import is_fault
from gateway.store.faults import StoreClosed
from gateway.store.store import Store
from gateway.store.testing import MemoryStore
from gateway.messages.store import insert_message

from tests.gateway.pipeline_helpers import message_row
from tests.gateway.store.factories import enqueue_status_callback


def _public(cls) -> dict[str, object]:
    return {name: member for name, member in inspect.getmembers(cls)
            if not name.startswith("_") and (callable(member) or isinstance(member, property))}


def _shape(member):
    if isinstance(member, property):
        return "property"
    return [(p.name, p.kind, p.default) for p in inspect.signature(member).parameters.values()]


@pytest.mark.parametrize("cls", [Store, MemoryStore])
def test_both_stores_keep_the_interface(cls):
    protocol = {name: member for name, member in vars(interface.Store).items()
                if not name.startswith("_") and (callable(member) or isinstance(member, property))}
    assert set(protocol) == {"is_open", "queue_depth", "start", "stop", "write", "read",
                             "side_write", "checkpoint"}
    for name, member in protocol.items():
        assert _shape(getattr(cls, name)) == _shape(member), name
    annotated = set(interface.Store.__annotations__)
    store = cls(Clock()) if cls is MemoryStore else cls("sqlite://", Clock())
    assert {name for name in annotated if hasattr(store, name)} == annotated


def test_the_fake_has_every_public_method_of_the_store_with_its_signature():
    real, fake = _public(Store), _public(MemoryStore)
    missing = set(real) - set(fake)
    assert missing == set(), f"MemoryStore lacks {missing}"
    for name, member in real.items():
        assert _shape(fake[name]) == _shape(member), name


def started(**kw) -> tuple[MemoryStore, Clock]:
    clock = Clock()
    store = MemoryStore(clock, **kw)
    store.start()
    return store, clock


def outcome(d):
    box = []
    d.addBoth(box.append)
    return box


def count_messages(conn):
    return conn.execute(select(func.count()).select_from(s.messages)).scalar_one()


def fail_after_insert(conn, row):
    insert_message(conn, row)
    raise ValueError("the job's own error")


def test_jobs_run_in_order_when_the_clock_turns():
    store, clock = started()
    before = outcome(store.read(count_messages))
    written = outcome(store.write(insert_message, message_row()))
    after = outcome(store.read(count_messages))
    assert before == written == after == []  # nothing fires before the clock turns
    clock.advance(0)
    assert before == [0] and after == [1] and len(written) == 1
    assert store.stats == {"transactions": 1, "jobs": 1, "failed_jobs": 0, "queued": 0}
    assert clock.getDelayedCalls() == []


def test_a_failing_job_rolls_back_alone_and_fails_only_its_deferred():
    store, clock = started()
    good = outcome(store.write(insert_message, message_row()))
    bad = outcome(store.write(fail_after_insert, message_row()))
    assert store.queue_depth == 2
    clock.advance(0)
    assert len(good) == 1 and not hasattr(good[0], "check")
    assert bad[0].check(ValueError) and not is_fault(bad[0].value)
    assert outcome(store.read(count_messages)) == [] and store.queue_depth == 0
    counted = outcome(store.read(count_messages))
    clock.advance(0)
    assert counted == [1]  # the failing job's row was rolled back
    assert store.stats["failed_jobs"] == 1 and store.stats["transactions"] == 1


def test_every_store_starts_empty_at_the_head_revision():
    first, clock = started()
    first.write(insert_message, message_row())
    clock.advance(0)
    second, clock2 = started()
    version = outcome(second.read(lambda conn: conn.execute(text("SELECT version_num FROM alembic_version"))
                                  .scalar_one()))
    rows = outcome(second.read(count_messages))
    clock2.advance(0)
    assert version == [migrate.head()] and rows == [0]


def test_an_injected_fault_fails_writes_starts_an_episode_and_the_probe_ends_it():
    store, clock = started()
    store.inject_fault()
    failed = outcome(store.write(insert_message, message_row()))
    read = outcome(store.read(count_messages))
    clock.advance(0)
    assert is_fault(failed[0].value) and read == [0]  # reads still work: the disk is full
    assert store.faults.snapshot()["status"] == "failing"
    clock.advance(5)  # probes fail while the fault lasts
    assert store.faults.failing and store.faults.count == 1
    store.heal()
    clock.advance(1)
    assert not store.faults.failing and store.watch.truncations == 1
    assert outcome(store.watch.when_writing()) == [None]
    store.stop()
    clock.advance(0)
    assert clock.getDelayedCalls() == []


def test_a_fault_on_reads_fails_reads_and_checkpoints():
    store, clock = started()
    store.inject_fault(OSError("connection gone"), reads=True)
    read = outcome(store.read(count_messages))
    checkpoint = outcome(store.checkpoint("TRUNCATE"))
    clock.advance(0)
    assert read[0].check(OSError) and checkpoint[0].check(OSError)
    store.heal()
    assert outcome(store.checkpoint()) == [] and clock.advance(0) is None
    with pytest.raises(ValueError):
        store.checkpoint("FULL")


def test_stop_runs_what_is_queued_then_refuses():
    store, clock = started()
    queued = outcome(store.write(insert_message, message_row()))
    stopped = outcome(store.stop())
    late = outcome(store.write(insert_message, message_row()))
    assert late[0].check(StoreClosed) and stopped == [] and not store.is_open
    clock.advance(0)
    assert len(queued) == 1 and not hasattr(queued[0], "check") and stopped == [None]
    assert outcome(store.read(count_messages))[0].check(StoreClosed)
    assert outcome(store.stop()) == [None]
    assert clock.getDelayedCalls() == []


def test_a_paused_store_holds_its_queue_until_resumed():
    store, clock = started()
    store.pause()
    written = outcome(store.write(insert_message, message_row()))
    clock.advance(10)
    assert written == [] and store.queue_depth == 1 and clock.getDelayedCalls() == []
    store.resume()
    counted = outcome(store.read(count_messages))
    clock.advance(0)
    assert len(written) == 1 and counted == [1]


def test_only_a_commit_that_wrote_the_outbox_calls_the_outbox_hooks():
    store, clock = started()
    calls: list[str] = []
    store.on_outbox.append(lambda: calls.append("hook"))
    row = message_row()
    store.write(insert_message, row).addCallback(lambda _: calls.append("message"))
    clock.advance(0)
    assert calls == ["message"]
    store.write(enqueue_status_callback, row["sid"]).addCallback(lambda _: calls.append("callback"))
    clock.advance(0)
    assert calls == ["message", "callback", "hook"]  # after the commit's Deferreds
    store.inject_fault()  # nothing is written: no hook
    failed = outcome(store.write(enqueue_status_callback, row["sid"]))
    clock.advance(0)
    assert is_fault(failed[0].value) and calls == ["message", "callback", "hook"]
