"""A node's claim commits in a transaction of its own, never inside the
store writer's batch (gateway.dispatch.dispatcher): here the writer is held
up by a job that waits, and the claim still goes through and commits."""
from __future__ import annotations

import threading

import pytest_twisted
from sqlalchemy import select
from twisted.internet import reactor
from twisted.internet.task import Clock

from gateway.config import model as config
from gateway.dispatch.dispatcher import Dispatcher
from gateway.messages.routing import Router
from gateway.messages.store import insert_message
from gateway.sms.outbound.sender import SmsSender
from gateway.sms.outbound.submit_sm import References
from gateway.store import schema as s
from tests.gateway.cluster.test_claim_reach import CONF, stores  # noqa: F401 (fixture)
from gateway.carriers.smpp.testing import ScriptedCarrier
from tests.gateway.pipeline_helpers import T0, message_row, settle

WAIT = 5.0  # for the claim; the writer's job waits six times longer


async def _claimed_by(store, sids) -> set:
    def read(conn):
        return set(conn.execute(select(s.messages.c.status, s.messages.c.claimed_by)
                                .where(s.messages.c.sid.in_(sids))).all())
    return await store.read(read)


@pytest_twisted.ensureDeferred
async def test_the_claim_commits_while_the_writer_is_busy(stores):  # noqa: F811
    store = stores[0]
    clock = Clock()
    clock.advance(T0.timestamp() + 1)
    cfg = config.loads(CONF)
    senders = {c.name: SmsSender(c, ScriptedCarrier(c.name), clock, References(7)) for c in cfg.carriers}
    dispatcher = Dispatcher(store, senders, Router(cfg.carriers), clock, node_id="a")
    dispatcher.startService()
    await settle(store, clock)
    rows = [message_row(to="+15550002222", next_attempt_at=T0) for _ in range(3)]
    for row in rows:
        await store.write(insert_message, row)
    sids = [row["sid"] for row in rows]
    release = threading.Event()
    busy = store.write(lambda conn: release.wait(6 * WAIT))  # the writer waits in a batch
    try:
        dispatcher.wake()
        found = set()
        for _ in range(8):  # each pump's claim, to the last one
            clock.advance(0)  # a pump: its claim goes out
            claimed = dispatcher.after_claim()
            claimed.addTimeout(WAIT, reactor)  # a claim queued behind the busy writer fails here
            await claimed
            found = await _claimed_by(store, sids)
            if found == {("sending", "a")}:
                break
        assert found == {("sending", "a")}  # committed, with the writer still busy
    finally:
        release.set()
        await busy
    await settle(store, clock)
    assert await _claimed_by(store, sids) == {("sent", "a")}
    await dispatcher.stopService()
    assert clock.getDelayedCalls() == []
