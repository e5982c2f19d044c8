"""Bind slots as a cluster-wide budget: the balance rule (pure), and two
nodes' slot keepers on one PostgreSQL and one SMSC simulator over TCP."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest_twisted
from twisted.internet import reactor
from twisted.internet.defer import Deferred

from gateway.cluster import nodes
from gateway.cluster.slots import SlotKeeper, plan
from gateway.console.binds import carrier_rows
from gateway.console.queries import slot_owners
from gateway.carriers.smpp.carrier import SmppCarrier
from gateway.carriers.smpp.endpoints import endpoint_factory
from gateway.carriers.smpp.settings import BindSettings
from gateway.simulators.smsc.config import SimConfig
from gateway.simulators.smsc.smsc import SmscSimulator
from gateway.store.engine import make_engine


def test_plan_keeps_each_node_at_its_fair_share():
    assert plan(set(), 3, 1) == ([], [1, 2, 3], 3)
    assert plan({1, 2, 3}, 3, 2) == ([3], [], 0)  # ceil(3/2) = 2: the highest goes
    assert plan({1, 2}, 3, 2) == ([], [], 0)
    assert plan(set(), 3, 2) == ([], [1, 2, 3], 2)  # the lowest free ones, up to its share
    assert plan({2}, 3, 3) == ([], [], 0)
    assert plan(set(), 2, 5) == ([], [1, 2], 1)  # more nodes than binds: one each at most
    assert plan({1}, 4, 0) == ([], [2, 3, 4], 3)


def settings(port: int) -> BindSettings:
    return BindSettings(host="127.0.0.1", port=port, system_id="acme", password="pw", window=20,
                        response_timeout=5.0, reconnect_initial=0.2, reconnect_max=1.0, binds=3)


class Watched(SmppCarrier):
    """A gated carrier whose bind changes fire waiters (no polling)."""

    def __init__(self, *a: Any, **kw: Any):
        super().__init__(*a, gated=True, **kw)
        self.waiters: list = []

    def bind_up(self, bind):
        super().bind_up(bind)
        self._check()

    def _check(self):
        for waiter in list(self.waiters):
            predicate, d = waiter
            if predicate():
                self.waiters.remove(waiter)
                d.callback(None)

    def until(self, predicate) -> Deferred:
        d: Deferred = Deferred()
        self.waiters.append((predicate, d))
        self._check()
        return d.addTimeout(15, reactor)


def _register(engine, node_id: str) -> None:
    with engine.begin() as conn:
        nodes.register(conn, node_id, "h", 1, datetime.fromtimestamp(reactor.seconds(), timezone.utc))


@pytest_twisted.ensureDeferred
async def test_two_nodes_share_the_binds_and_a_leaver_hands_its_slots_over(pg_url, pg_engine):
    sim = SmscSimulator(SimConfig(credentials={"acme": "pw"}), clock=reactor)
    port = sim.listen(reactor, 0)
    factory = endpoint_factory(reactor)
    a = Watched("acme", settings(port.getHost().port), reactor, factory)
    b = Watched("acme", settings(port.getHost().port), reactor, factory)
    keeper_a = SlotKeeper(make_engine(pg_url, pool_size=1), reactor, {"acme": a}, interval=3600,
                          lease_timeout=10)
    keeper_b = SlotKeeper(make_engine(pg_url, pool_size=1), reactor, {"acme": b}, interval=3600,
                          lease_timeout=10)
    try:
        a.startService()
        b.startService()
        assert a.bound_count == 0  # gated: no bind before a slot
        _register(pg_engine, "a")
        keeper_a.startService()
        await a.until(lambda: a.bound_count == 3)
        assert keeper_a.held == {"acme": {1, 2, 3}} and keeper_a.count == 3

        _register(pg_engine, "b")
        keeper_b.startService()  # a holds all three: b gets none yet
        await keeper_b.round()
        assert keeper_b.count == 0
        await keeper_a.round()  # two live nodes: a keeps ceil(3/2) = 2
        await keeper_b.round()
        await b.until(lambda: b.bound_count == 1)
        assert keeper_a.held == {"acme": {1, 2}} and keeper_b.held == {"acme": {3}}
        assert a.bound_count + b.bound_count == 3 == len(sim.connections)
        # Node b's console shows who holds each slot, from the store.
        now = datetime.fromtimestamp(reactor.seconds(), timezone.utc)
        with pg_engine.begin() as conn:
            nodes.beat(conn, "a", now, keeper_a.count, keeper_a.held)
            nodes.beat(conn, "b", now, keeper_b.count, keeper_b.held)
            owners = slot_owners(conn)
        (row,) = carrier_rows({"acme": (b, "smpp")}, reactor.seconds(), "b", owners)
        assert [(x["name"], x["slot"], x["node"], x["state"]) for x in row["binds"]] == [
            ("acme-1", 1, "a", "down"), ("acme-2", 2, "a", "down"), ("acme-3", 3, "b", "up")]

        await keeper_a.stopService()  # SIGTERM: unbind, release
        assert a.bound_count == 0
        with pg_engine.begin() as conn:
            nodes.leave(conn, "a", datetime.fromtimestamp(reactor.seconds(), timezone.utc))
        await keeper_b.round()
        await b.until(lambda: b.bound_count == 3)
        assert keeper_b.held == {"acme": {1, 2, 3}}
    finally:
        if keeper_a.running:
            await keeper_a.stopService()
        if keeper_b.running:
            await keeper_b.stopService()
        await a.stopService()
        await b.stopService()
        sim.stop()
        await port.stopListening()
