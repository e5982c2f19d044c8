"""One node sends callbacks at a time: the callback sender is a one-slot role
held by an advisory lock (gateway.cluster.roles).  Two nodes' real callback
senders and slot keepers on one PostgreSQL, toward a real HTTP server that
holds its answers until the test lets them go."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

import pytest
import pytest_twisted
from sqlalchemy import select, text
from twisted.internet import defer, reactor
from twisted.web import resource, server

from gateway.callbacks.request import callback_pool, make_callback_agent
from gateway.callbacks.sender import CallbackSender
from gateway.cluster import nodes
from gateway.cluster.roles import OneNodeRole
from gateway.cluster.slots import SlotKeeper
from gateway.config.model import CallbacksConfig
from gateway.store import schema as s
from gateway.store.engine import make_engine
from gateway.messages.store import enqueue_callback
from gateway.store.store import Store


class Holding(resource.Resource):
    """Records each request, answers 204 once released (``hold`` False: at once)."""

    isLeaf = True

    def __init__(self):
        super().__init__()
        self.requests: list[tuple[str, str]] = []
        self.hold = True
        self.held: list = []
        self._waiters: list[tuple[int, defer.Deferred]] = []

    def render(self, request):
        self.requests.append((request.args[b"MessageSid"][0].decode(), request.args[b"MessageStatus"][0].decode()))
        for n, d in list(self._waiters):
            if len(self.requests) >= n:
                self._waiters.remove((n, d))
                d.callback(None)
        if not self.hold:
            request.setResponseCode(204)
            return b""
        self.held.append(request)
        request.notifyFinish().addErrback(lambda _: request in self.held and self.held.remove(request))
        return server.NOT_DONE_YET

    def release(self):
        held, self.held = self.held, []
        for request in held:
            request.setResponseCode(204)
            request.finish()

    def wait(self, count: int) -> defer.Deferred:
        if len(self.requests) >= count:
            return defer.succeed(None)
        d = defer.Deferred()
        self._waiters.append((count, d))
        return d.addTimeout(10, reactor)


class Node:
    def __init__(self, url: str, name: str):
        self.name = name
        self.store = Store(url, reactor)
        config = CallbacksConfig(timeout=5, poll_interval=0.05, allow_hosts=("127.0.0.1",))
        pool = callback_pool(reactor, config)
        self.sender = CallbackSender(self.store, make_callback_agent(reactor, config, pool=pool), reactor,
                                     config, pool=pool)
        self.keeper = SlotKeeper(make_engine(url, pool_size=1), reactor,
                                 {"role:callbacks": OneNodeRole(self.sender)}, interval=3600,
                                 lease_timeout=10)

    async def start(self):
        await self.store.start()
        await self.store.write(nodes.register, self.name, "h", 1, datetime.now(timezone.utc))
        self.sender.startService()
        self.keeper.startService()
        await self.keeper.round()

    async def stop(self):
        if self.keeper.running:
            await self.keeper.stopService()
        if self.sender.running:
            await self.sender.stopService()
        await self.store.stop()


@pytest.fixture
def web():
    holding = Holding()
    port = reactor.listenTCP(0, server.Site(holding), interface="127.0.0.1")
    yield holding, f"http://127.0.0.1:{port.getHost().port}/cb"
    holding.release()
    pytest_twisted.blockon(defer.maybeDeferred(port.stopListening))


async def _enqueue(store, url: str, sids: list[str]) -> None:
    now = datetime.now(timezone.utc)
    for sid in sids:
        await store.write(enqueue_callback, message_sid=sid, kind="status", url=url, method="POST",
                          params=[("MessageSid", sid), ("MessageStatus", "sent")], now=now)


async def _states(store) -> list[tuple[str, int]]:
    o = s.callback_outbox
    return await store.read(lambda conn: [tuple(r) for r in conn.execute(
        select(o.c.state, o.c.attempts).order_by(o.c.id)).all()])


async def _nodes(pg_url):
    a, b = Node(pg_url, "a"), Node(pg_url, "b")
    assert not a.sender.enabled and not b.sender.enabled  # nothing is sent before the role is held
    await a.start()
    await b.start()
    assert a.sender.enabled and not b.sender.enabled  # a took the role first
    return a, b


@pytest_twisted.ensureDeferred
async def test_a_stopping_holder_records_its_answers_before_the_role_moves(pg_url, web):
    holding, url = web
    a, b = await _nodes(pg_url)
    try:
        first = [f"SM{i:032x}" for i in range(4)]
        await _enqueue(a.store, url, first)
        a.sender.wake()
        await holding.wait(4)  # a's four requests are in flight, their answers held
        stopping = a.keeper.stopService()  # SIGTERM on the role's node
        await b.keeper.round()
        assert not stopping.called and not b.sender.enabled  # a still holds the role
        holding.hold = False
        holding.release()
        await stopping  # a recorded the answers, then let the role go
        assert await _states(a.store) == [("done", 1)] * 4
        await b.keeper.round()
        assert b.sender.enabled
        await _enqueue(b.store, url, ["SM" + "f" * 32])
        b.sender.wake()
        await holding.wait(5)
        assert Counter(sid for sid, _ in holding.requests) == Counter(first + ["SM" + "f" * 32])
    finally:
        await a.stop()
        await b.stop()


@pytest_twisted.ensureDeferred
async def test_rows_of_a_holder_that_died_are_sent_by_the_next_holder_at_its_next_round(pg_url, pg_engine, web):
    holding, url = web
    a, b = await _nodes(pg_url)
    try:
        sids = [f"SM{i:032x}" for i in range(3)]
        await _enqueue(a.store, url, sids)
        a.sender.wake()
        await holding.wait(3)  # in flight on a, never answered: a dies with them
        pid = await a.keeper._blocking(lambda: a.keeper._connection().execute(
            text("SELECT pg_backend_pid()")).scalar_one())
        with pg_engine.connect() as conn:  # a's lock session ends as with a kill -9
            assert conn.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid}).scalar_one()
        a.sender.enabled = False  # a dead node sends nothing more (its process is gone)
        holding.hold = False
        await b.keeper.round()  # the next round of a survivor (heartbeat seconds)
        assert b.sender.enabled
        await holding.wait(6)  # b's first read finds every row a had taken: due, none leased
        assert Counter(sid for sid, _ in holding.requests) == Counter(sids * 2)
    finally:
        holding.release()
        await b.stop()
        await a.stop()


@pytest_twisted.ensureDeferred
async def test_two_nodes_racing_on_one_outbox_send_each_row_once_in_order(pg_url, pg_engine, web):
    holding, url = web
    holding.hold = False
    sids = [f"SM{i:032x}" for i in range(150)]
    for status in ("sending", "sent"):  # two rows per message: "sent" waits for "sending"
        with pg_engine.begin() as conn:
            _enqueue_all(conn, url, sids, status, datetime.now(timezone.utc))
    a, b = Node(pg_url, "a"), Node(pg_url, "b")
    try:
        await defer.DeferredList([defer.ensureDeferred(a.start()), defer.ensureDeferred(b.start())])
        assert [a.sender.enabled, b.sender.enabled].count(True) == 1
        holder, other = (a, b) if a.sender.enabled else (b, a)
        await holding.wait(100)
        await holder.keeper.stopService()  # the holder leaves half-way
        await other.keeper.round()
        assert other.sender.enabled
        await holding.wait(300)
        assert Counter(holding.requests) == Counter((sid, st) for sid in sids for st in ("sending", "sent"))
        for sid in sids:
            assert [st for s_, st in holding.requests if s_ == sid] == ["sending", "sent"]
        await other.keeper.stopService()
        assert await _states(other.store) == [("done", 1)] * 300
    finally:
        await a.stop()
        await b.stop()


def _enqueue_all(conn, url, sids, status, now):
    for sid in sids:
        enqueue_callback(conn, message_sid=sid, kind="status", url=url, method="POST",
                         params=[("MessageSid", sid), ("MessageStatus", status)], now=now)
