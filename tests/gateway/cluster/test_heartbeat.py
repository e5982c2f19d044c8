"""The node service on a real store and a Clock: registration refusals,
the heartbeat, and the takeover of a dead node's messages within the lease."""
from __future__ import annotations

from datetime import timedelta

import pytest
import pytest_twisted
from sqlalchemy import select
from twisted.internet.task import Clock

from gateway.cluster.heartbeat import ClusterNode
from gateway.cluster.nodes import NodeRefused, list_nodes
from gateway.config.model import ClusterConfig
from gateway.store import schema as s
from gateway.messages.store import insert_message
from gateway.dispatch.claims import claim_queued
from tests.gateway.pipeline_helpers import T0, message_row, open_store, settle

CONFIG = ClusterConfig(node_id="a", heartbeat=2.0, lease_timeout=10.0)


def _node(store, clock, node_id="a", *, sqlite=False, host="h1", pid=1, **kw):
    return ClusterNode(store, clock, ClusterConfig(node_id=node_id, heartbeat=2.0, lease_timeout=10.0),
                       sqlite=sqlite, host=host, pid=pid, is_running=lambda pid: True, **kw)


async def _step(node, store, clock) -> None:
    """Two seconds on: the beat that falls due, its side write (beside the
    writer's queue, so ``settle`` does not wait for it) and its takeover job.
    Waiting for the side write matters: a beat still under way when the clock
    moves on makes the loop skip the next one, as it should in production."""
    clock.advance(2.0)
    await node._after_beat()
    await settle(store, clock)


def _clock() -> Clock:
    clock = Clock()
    clock.advance(T0.timestamp())
    return clock


@pytest_twisted.ensureDeferred
async def test_a_second_live_node_on_sqlite_is_refused(tmp_path):
    store = await open_store(tmp_path / "one.db")
    clock = _clock()
    first = _node(store, clock, "a", sqlite=True)
    await first.startService()
    with pytest.raises(NodeRefused, match="SQLite allows one live node"):
        await _node(store, clock, "b", sqlite=True, host="h2").startService()
    await first.stopService()
    second = _node(store, clock, "b", sqlite=True, host="h2")
    await second.startService()  # the first left cleanly
    await second.stopService()
    assert clock.getDelayedCalls() == []
    await store.stop()


@pytest_twisted.ensureDeferred
async def test_two_live_nodes_with_one_id_is_a_start_error(pg_url):
    store = await open_store(pg_url)
    clock = _clock()
    first = _node(store, clock, "a", host="h1", pid=10)
    await first.startService()
    with pytest.raises(NodeRefused, match="node id 'a' is already live"):
        await _node(store, clock, "a", host="h2", pid=20).startService()
    await first.stopService()
    await store.stop()


@pytest_twisted.ensureDeferred
async def test_a_dead_nodes_messages_are_taken_over_within_the_lease(pg_url):
    store = await open_store(pg_url)
    clock = _clock()
    dead = _node(store, clock, "dead", host="h1")
    await dead.startService()
    for _ in range(5):
        await store.write(insert_message, message_row(next_attempt_at=T0))
    claimed = await store.write(claim_queued, T0, 5, "dead")
    dead._beats.stop()  # it stops beating: kill -9
    woken = []
    live = _node(store, clock, "live", host="h2", on_takeover=lambda: woken.append(1))
    await live.startService()
    for _ in range(4):  # 8 s: the lease (10 s) has not run out
        await _step(live, store, clock)
    assert live.stats["taken_over"] == 0
    for _ in range(2):  # 12 s after the last beat
        await _step(live, store, clock)
    assert live.stats["taken_over"] == len(claimed) == 5 and woken == [1]

    def rows(conn):
        return conn.execute(select(s.messages.c.status, s.messages.c.claimed_by)).all()
    assert set(await store.read(rows)) == {("queued", "live")}
    listed = {n.node_id: n.state for n in await store.read(list_nodes)}
    assert listed == {"dead": "gone", "live": "live"}
    await live.stopService()
    assert clock.getDelayedCalls() == []
    await store.stop()


@pytest_twisted.ensureDeferred
async def test_the_heartbeat_is_written_while_the_writer_is_busy(pg_url):
    """A backlog of writes must not make a node's heartbeat late (it would be
    taken for dead and its messages in flight taken over)."""
    import threading

    from twisted.internet import reactor

    store = await open_store(pg_url)
    clock = _clock()
    node = _node(store, clock, "busy")
    await node.startService()
    release = threading.Event()
    blocked = store.write(lambda conn: release.wait(30))  # the writer is stuck behind this job
    try:
        clock.advance(1.0)  # not yet the loop's beat: this one is called directly
        beat = node.beat()
        beat.addTimeout(10, reactor)
        await beat  # written beside the writer: fires while the writer is still blocked
        assert not blocked.called
        (row,) = [n for n in await store.read(list_nodes) if n.node_id == "busy"]
        assert row.last_heartbeat.replace(tzinfo=None) >= (T0 + timedelta(seconds=1)).replace(tzinfo=None)
    finally:
        release.set()
        await blocked
    await node.stopService()
    assert (await store.read(list_nodes))[0].state == "left"
    assert clock.getDelayedCalls() == []
    await store.stop()
