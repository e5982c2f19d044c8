"""The dispatcher on the real Store (its writer thread, a SQLite file or
PostgreSQL): the claim, the parts and their keys, a failure after the
fallback, and the recovery at start, in the database the daemon runs.
(The other cases run on the in-memory store: ``test_dispatcher_routing.py``
and ``test_dispatcher_sending.py``.)"""
from __future__ import annotations

import pytest
import pytest_twisted
from sqlalchemy import select
from twisted.internet import defer

from gateway.carriers.smpp.errors import SubmitFailed
from gateway.messages.store import get_message_row, insert_message
from gateway.store import schema as s

from tests.gateway.dispatch.dispatcher_rig import Rig
from gateway.carriers.smpp.testing import ScriptedCarrier

from tests.gateway.pipeline_helpers import BACKENDS, database, message_row, open_store, settle


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    with database(request.param, tmp_path) as url:
        st = pytest_twisted.blockon(defer.ensureDeferred(open_store(url)))
        yield st
        pytest_twisted.blockon(st.stop())


def rig_on(store, carriers) -> Rig:
    return Rig(carriers, store=store)


async def send_one(store, rig, **overrides):
    rig.dispatcher.startService()
    row = message_row(**overrides)
    await store.write(insert_message, row)
    rig.dispatcher.wake()
    await settle(store, rig.clock)
    return await store.read(get_message_row, row["sid"])


@pytest_twisted.ensureDeferred
async def test_parts_and_their_keys_are_recorded(store):
    a = ScriptedCarrier("a")
    rig = rig_on(store, {"a": a, "b": ScriptedCarrier("b")})
    row = await send_one(store, rig, body="x" * 200)
    assert (row["status"], row["carrier"], row["num_segments"]) == ("sent", "a", 2)
    parts = await store.read(lambda conn: conn.execute(
        select(s.segments.c.seqno, s.segments.c.smsc_message_id)
        .where(s.segments.c.message_sid == row["sid"]).order_by(s.segments.c.seqno)).all())
    assert [tuple(p) for p in parts] == [(1, "a-1"), (2, "a-2")]
    keys = await store.read(lambda conn: conn.execute(select(s.segment_ids.c.key)).scalars().all())
    assert "s:a-1" in keys
    rig.dispatcher.stopService()
    assert rig.clock.getDelayedCalls() == []


@pytest_twisted.ensureDeferred
async def test_a_failure_after_the_fallback_is_recorded(store):
    a = ScriptedCarrier("a", script=[SubmitFailed(30090, None, "No Response received for SMPP Request")])
    b = ScriptedCarrier("b", script=[SubmitFailed(30001, 0x14, "Queue overflow")])
    rig = rig_on(store, {"a": a, "b": b})
    row = await send_one(store, rig)
    assert (row["status"], row["error_code"], row["carrier"]) == ("failed", 30001, "b")
    rig.dispatcher.stopService()


@pytest_twisted.ensureDeferred
async def test_stuck_in_sending_is_sent_again_at_start(store):
    rig = rig_on(store, {"a": ScriptedCarrier("a"), "b": ScriptedCarrier("b")})
    row = message_row(status="sending")
    await store.write(insert_message, row)
    rig.dispatcher.startService()
    await settle(store, rig.clock)
    assert (await store.read(get_message_row, row["sid"]))["status"] == "sent"
    rig.dispatcher.stopService()
