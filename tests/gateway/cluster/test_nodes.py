"""The lease rules: who may start, who is alive, who is reaped (once)."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from gateway.cluster import nodes
from gateway.cluster.nodes import NodeInfo

T0 = datetime(2026, 12, 3, 8, 0, 0, tzinfo=timezone.utc)


def node(node_id="a", *, host="h1", pid=100, state="live", age=0.0) -> NodeInfo:
    return NodeInfo(node_id=node_id, host=host, pid=pid, state=state, started_at=T0,
                    last_heartbeat=T0 - timedelta(seconds=age), binds=0)


def refusal(listed, node_id="a", host="h1", sqlite=False, running=lambda pid: True):
    return nodes.start_refusal(listed, node_id=node_id, host=host, now=T0, lease_timeout=10,
                               sqlite=sqlite, pid_running=running)


def test_alive_means_live_and_a_heartbeat_younger_than_the_lease():
    assert node(age=9.9).alive(T0, 10)
    assert not node(age=10).alive(T0, 10)
    assert not node(state="left").alive(T0, 10)


def test_a_live_node_with_our_id_refuses_the_start():
    reason = refusal([node(host="h2")])
    assert "node id 'a' is already live" in reason and "[cluster] node_id" in reason


def test_our_own_crashed_run_on_this_host_does_not_refuse():
    assert refusal([node(pid=100)], running=lambda pid: pid != 100) is None
    assert refusal([node(pid=100)], running=lambda pid: True) is not None


def test_dead_or_departed_nodes_with_our_id_do_not_refuse():
    assert refusal([node(age=11), node(state="left")]) is None


def test_sqlite_allows_one_live_node():
    assert refusal([node("b")], sqlite=False) is None
    reason = refusal([node("b")], sqlite=True)
    assert "SQLite allows one live node" in reason
    assert refusal([node("b", age=30)], sqlite=True) is None


def test_register_beat_leave_and_reap(pg_engine):
    with pg_engine.begin() as conn:
        nodes.register(conn, "a", "h1", 1, T0)
        nodes.register(conn, "b", "h2", 2, T0)
        nodes.register(conn, "c", "h3", 3, T0)
    later = T0 + timedelta(seconds=11)
    with pg_engine.begin() as conn:
        assert nodes.beat(conn, "a", later, binds=2)
        nodes.leave(conn, "c", later)
        assert sorted(nodes.reap(conn, "a", later, 10)) == ["b", "c"]
    with pg_engine.begin() as conn:
        listed = {n.node_id: n for n in nodes.list_nodes(conn)}
        assert listed["a"].binds == 2 and listed["a"].alive(later, 10)
        assert listed["b"].state == "gone" and listed["c"].state == "gone"
        assert not nodes.beat(conn, "b", later)  # b must register again
        assert nodes.reap(conn, "a", later, 10) == []


def test_two_nodes_reaping_at_once_reap_each_dead_node_once(pg_engine):
    with pg_engine.begin() as conn:
        for i in range(20):
            nodes.register(conn, f"dead{i}", "h", i, T0)
    later = T0 + timedelta(seconds=60)
    results: dict[str, list[str]] = {}
    barrier = threading.Barrier(2)

    def reaper(me):
        barrier.wait()
        with pg_engine.begin() as conn:
            results[me] = nodes.reap(conn, me, later, 10)

    threads = [threading.Thread(target=reaper, args=(me,)) for me in ("x", "y")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    reaped = results["x"] + results["y"]
    assert sorted(reaped) == sorted(f"dead{i}" for i in range(20))


def test_the_heartbeat_writes_the_slots_held_and_the_console_reads_their_owners(pg_engine):
    from gateway.cluster.heartbeat import beat_and_take_over
    from gateway.console.queries import slot_owners

    with pg_engine.begin() as conn:
        assert slot_owners(conn) is None  # no node shares binds by slots
        for node_id in ("a", "b", "c"):
            nodes.register(conn, node_id, "h", 1, T0)
        beat_and_take_over(conn, "a", "h", 1, T0, 10, "at-least-once", 2, {"acme": {2, 1}, "mmsc": set()})
        beat_and_take_over(conn, "b", "h", 1, T0, 10, "at-least-once", 1, {"acme": [3]})
        beat_and_take_over(conn, "c", "h", 1, T0, 10, "at-least-once", 0)  # no slot keeper
        assert slot_owners(conn) == {"acme": {1: "a", 2: "a", 3: "b"}}
        assert {n.node_id: n.slots for n in nodes.list_nodes(conn)} == {
            "a": {"acme": [1, 2], "mmsc": []}, "b": {"acme": [3]}, "c": None}
        nodes.leave(conn, "b", T0)  # a node that left holds nothing
        assert slot_owners(conn) == {"acme": {1: "a", 2: "a"}}
        later = T0 + timedelta(seconds=11)
        assert sorted(nodes.reap(conn, "c", later, 10)) == ["a", "b"]
        assert slot_owners(conn) is None
