"""One node sends callbacks at a time: the callback sender is a one-slot role
held by an advisory lock (gateway.cluster.roles), handed over when its node
leaves.  Two nodes' slot keepers on one PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest_twisted
from twisted.internet import reactor

from gateway.cluster import nodes
from gateway.cluster.roles import OneNodeRole
from gateway.cluster.slots import SlotKeeper
from gateway.store.engine import make_engine


class Sender:
    """What the role needs of the callback sender: an ``enabled`` flag and wake()."""

    def __init__(self) -> None:
        self.enabled = True
        self.woken = 0

    def wake(self) -> None:
        self.woken += 1


def _register(engine, node_id: str) -> None:
    with engine.begin() as conn:
        nodes.register(conn, node_id, "h", 1, datetime.fromtimestamp(reactor.seconds(), timezone.utc))


@pytest_twisted.ensureDeferred
async def test_one_node_holds_the_callback_role_and_hands_it_over(pg_url, pg_engine):
    a, b = Sender(), Sender()
    keepers = [SlotKeeper(make_engine(pg_url, pool_size=1), reactor,
                          {"role:callbacks": OneNodeRole(sender)}, interval=3600, lease_timeout=10)
               for sender in (a, b)]
    assert not a.enabled and not b.enabled  # nothing is sent before the role is held
    try:
        _register(pg_engine, "a")
        _register(pg_engine, "b")
        for keeper in keepers:
            keeper.startService()
        for keeper in keepers:
            await keeper.round()
        assert [a.enabled, b.enabled].count(True) == 1
        holder, other = (0, 1) if a.enabled else (1, 0)
        assert (a, b)[holder].woken == 1

        await keepers[holder].stopService()  # SIGTERM on the holder: it lets the role go
        assert not (a, b)[holder].enabled
        await keepers[other].round()
        assert (a, b)[other].enabled
    finally:
        for keeper in keepers:
            if keeper.running:
                await keeper.stopService()
