"""Two nodes on one PostgreSQL, bind slots shared out: a node with no bind
for a route leaves its messages to the node that has one.  Each node is a
dispatcher with a store of its own and scripted carriers, on a Clock."""
from __future__ import annotations

import pytest
import pytest_twisted
from sqlalchemy import select
from twisted.internet.defer import ensureDeferred
from twisted.internet.task import Clock

from gateway.config import model as config
from gateway.dispatch.dispatcher import Dispatcher
from gateway.messages.pricing import PriceBook
from gateway.messages.routing import Router
from gateway.messages.store import insert_message
from gateway.sms.outbound.sender import SmsSender
from gateway.sms.outbound.submit_sm import References
from gateway.store import schema as s
from gateway.carriers.smpp.testing import ScriptedCarrier
from tests.gateway.pipeline_helpers import T0, message_row, open_store, settle

CONF = """
[[carriers]]
name = "x"
host = "h"
port = 1
system_id = "s"
routes = ["+1"]
fallback = "z"
[carriers.prices]
prefixes = { "+1" = "0.0100" }

[[carriers]]
name = "y"
host = "h"
port = 1
system_id = "s"
routes = ["+44"]

[[carriers]]
name = "z"
host = "h"
port = 1
system_id = "s"
routes = ["+999"]
[carriers.prices]
prefixes = { "+1" = "0.0050" }
"""


class Node:
    def __init__(self, store, clock, node_id: str, up: set[str]):
        self.store, self.clock = store, clock
        cfg = config.loads(CONF)
        self.carriers = {c.name: ScriptedCarrier(c.name, up=c.name in up) for c in cfg.carriers}
        senders = {c.name: SmsSender(c, self.carriers[c.name], clock, References(7)) for c in cfg.carriers}
        self.dispatcher = Dispatcher(store, senders, Router(cfg.carriers), clock, node_id=node_id,
                                     prices=PriceBook(cfg.carriers))

    async def start(self):
        self.dispatcher.startService()
        await self.settle()

    async def settle(self):
        """The Clock's work and the store's writes, and the claim, which
        commits beside the writer (Store.side_write), to quiescence."""
        for _ in range(8):
            await settle(self.store, self.clock, rounds=1)
            await self.dispatcher.after_claim()


async def _queue(store, destinations, **overrides) -> list[str]:
    rows = [message_row(to=to, next_attempt_at=T0, **overrides) for to in destinations]
    for row in rows:
        await store.write(insert_message, row)
    return [row["sid"] for row in rows]


async def _rows(store) -> dict[str, dict]:
    m = s.messages

    def read(conn):
        return {r["sid"]: dict(r) for r in conn.execute(
            select(m.c.sid, m.c.to, m.c.status, m.c.attempts, m.c.claimed_by, m.c.carrier,
                   m.c.error_code, m.c.price)).mappings()}
    return await store.read(read)


@pytest.fixture
def clock():
    clock = Clock()
    clock.advance(T0.timestamp() + 1)
    return clock


@pytest.fixture
def stores(pg_url):
    """Two stores (two writers) on the cluster's database; stopped at the end."""
    opened = [pytest_twisted.blockon(ensureDeferred(open_store(pg_url))) for _ in range(2)]
    yield opened
    for store in opened:
        pytest_twisted.blockon(store.stop())


async def _stop(clock, *nodes):
    for node in nodes:
        await node.dispatcher.stopService()
    assert clock.getDelayedCalls() == []


@pytest_twisted.ensureDeferred
async def test_the_node_without_a_bind_for_the_route_leaves_its_messages_alone(clock, stores):
    a, b = Node(stores[0], clock, "a", {"x"}), Node(stores[1], clock, "b", {"y"})
    routed = await _queue(stores[0], ["+1555000%04d" % i for i in range(30)])
    other = await _queue(stores[0], ["+447700900000"] * 3)
    unroutable = await _queue(stores[0], ["+33612345678"])
    await b.start()  # b first: it holds a bind of y only
    for _ in range(3):
        clock.advance(1)  # polls
        await b.settle()
    rows = await _rows(stores[0])
    assert all((rows[sid]["status"], rows[sid]["attempts"]) == ("queued", 0) for sid in routed)
    assert all((rows[sid]["status"], rows[sid]["claimed_by"]) == ("sent", "b") for sid in other)
    # No route at all: any node fails it at once, it does not wait.
    assert (rows[unroutable[0]]["status"], rows[unroutable[0]]["error_code"]) == ("failed", 21612)
    await a.start()
    await a.settle()
    rows = await _rows(stores[0])
    assert {(rows[sid]["status"], rows[sid]["claimed_by"], rows[sid]["carrier"], rows[sid]["attempts"])
            for sid in routed} == {("sent", "a", "x", 1)}
    assert b.dispatcher.stats["claimed"] == 4 and b.dispatcher.stats["requeued"] == 0
    assert len(b.carriers["y"].pdus) == 3 and b.carriers["x"].pdus == []
    await _stop(clock, a, b)


@pytest_twisted.ensureDeferred
async def test_max_price_is_checked_by_the_node_that_holds_the_cheaper_fallback(clock, stores):
    # x (0.0100) is up on a only, its fallback z (0.0050) on b only.
    a, b = Node(stores[0], clock, "a", {"x"}), Node(stores[1], clock, "b", {"z"})
    cheap_only = await _queue(stores[0], ["+15550002222"], max_price="0.0060")
    await b.start()
    await b.settle()
    rows = await _rows(stores[0])
    assert (rows[cheap_only[0]]["status"], rows[cheap_only[0]]["claimed_by"],
            rows[cheap_only[0]]["carrier"]) == ("sent", "b", "z")
    # On the node with x alone, no carrier up there fits: 30010, as documented.
    too_dear = await _queue(stores[0], ["+15550002222"], max_price="0.0040")
    await a.start()
    await a.settle()
    await b.settle()
    rows = await _rows(stores[0])
    assert rows[too_dear[0]]["error_code"] == 30010
    await _stop(clock, a, b)
