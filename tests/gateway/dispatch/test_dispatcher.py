"""The dispatcher on a Clock, with a real SQLite store and scripted carriers."""
from __future__ import annotations

from datetime import timedelta

import pytest
import pytest_twisted
from sqlalchemy import select
from twisted.internet import defer
from twisted.internet.task import Clock

from gateway.carriers.smpp.testing import ScriptedCarrier
from gateway.config import model as config
from gateway.dispatch.dispatcher import Dispatcher
from gateway.messages.routing import Router
from gateway.sms.outbound.sender import SmsSender
from gateway.carriers.smpp.errors import SubmitFailed
from gateway.store import schema as s
from gateway.messages.store import get_message_row, insert_message
from gateway.sms.outbound.submit_sm import References

from tests.gateway.pipeline_helpers import BACKENDS, T0, database, message_row, open_store, settle

CONF = """
[[carriers]]
name = "a"
host = "h"
port = 1
system_id = "s"
routes = ["+1"]
fallback = "b"
registered_delivery = 1

[[carriers]]
name = "b"
host = "h"
port = 1
system_id = "s"
routes = ["+44"]
registered_delivery = 0
"""


class Rig:
    def __init__(self, store, carriers, conf=CONF, **pipeline):
        self.store = store
        self.clock = Clock()
        self.clock.advance(T0.timestamp() + 1)
        cfg = config.loads(conf)
        self.carriers = carriers
        senders = {c.name: SmsSender(c, carriers[c.name], self.clock, References(7))
                   for c in cfg.carriers if c.name in carriers}
        self.dispatcher = Dispatcher(store, senders, Router(cfg.carriers), self.clock,
                                     config.PipelineConfig(**pipeline))

    async def add(self, **overrides):
        row = message_row(**overrides)
        await self.store.write(insert_message, row)
        self.dispatcher.wake()
        return row["sid"]

    async def row(self, sid):
        return await self.store.read(get_message_row, sid)

    async def segments(self, sid):
        def q(conn):
            return conn.execute(select(s.segments).where(s.segments.c.message_sid == sid)
                                .order_by(s.segments.c.seqno)).mappings().all()
        return await self.store.read(q)

    async def start(self):
        self.dispatcher.startService()
        await settle(self.store, self.clock)


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    with database(request.param, tmp_path) as url:
        st = pytest_twisted.blockon(defer.ensureDeferred(open_store(url)))
        yield st
        pytest_twisted.blockon(st.stop())


@pytest_twisted.ensureDeferred
async def test_queued_message_is_sent_with_every_part_recorded(store):
    a = ScriptedCarrier("a")
    rig = Rig(store, {"a": a, "b": ScriptedCarrier("b")})
    await rig.start()
    sid = await rig.add(body="x" * 200)
    await settle(store, rig.clock)
    row = await rig.row(sid)
    assert row["status"] == "sent" and row["carrier"] == "a" and row["num_segments"] == 2
    parts = await rig.segments(sid)
    assert [(p["seqno"], p["total"], p["smsc_message_id"]) for p in parts] == [(1, 2, "a-1"), (2, 2, "a-2")]
    assert [p.esm_class for p in a.pdus] == [0x40, 0x40]
    assert {p.registered_delivery for p in a.pdus} == {1}
    assert a.pdus[0].destination_addr == "15550002222" and a.pdus[0].dest_addr_ton == 1
    assert a.pdus[0].validity_period.endswith("R")
    keys = await store.read(lambda conn: conn.execute(select(s.segment_ids.c.key)).scalars().all())
    assert "s:a-1" in keys
    rig.dispatcher.stopService()
    assert rig.clock.getDelayedCalls() == []


@pytest_twisted.ensureDeferred
async def test_submit_error_fails_with_mapped_code_after_fallback(store):
    error = SubmitFailed(30090, None, "No Response received for SMPP Request")
    a = ScriptedCarrier("a", script=[error])
    b = ScriptedCarrier("b", script=[SubmitFailed(30001, 0x14, "Queue overflow")])
    rig = Rig(store, {"a": a, "b": b})
    await rig.start()
    sid = await rig.add()
    await settle(store, rig.clock)
    row = await rig.row(sid)
    assert (row["status"], row["error_code"], row["carrier"]) == ("failed", 30001, "b")
    assert len(a.pdus) == 1 and len(b.pdus) == 1
    assert b.pdus[0].registered_delivery == 0  # b's own setting
    rig.dispatcher.stopService()


@pytest_twisted.ensureDeferred
async def test_fallback_takes_what_the_primary_refused(store):
    a = ScriptedCarrier("a", script=[SubmitFailed(30008, 0x45, "rejected")])
    rig = Rig(store, {"a": a, "b": ScriptedCarrier("b")})
    await rig.start()
    sid = await rig.add()
    await settle(store, rig.clock)
    row = await rig.row(sid)
    assert (row["status"], row["carrier"], row["error_code"]) == ("sent", "b", None)
    rig.dispatcher.stopService()


@pytest_twisted.ensureDeferred
async def test_failed_when_fallback_down(store):
    a = ScriptedCarrier("a", script=[SubmitFailed(30008, 0x45, "rejected")])
    rig = Rig(store, {"a": a, "b": ScriptedCarrier("b", up=False)})
    await rig.start()
    sid = await rig.add()
    await settle(store, rig.clock)
    assert (await rig.row(sid))["error_code"] == 30008
    rig.dispatcher.stopService()


@pytest_twisted.ensureDeferred
async def test_no_bind_up_stays_queued_then_goes(store):
    a, b = ScriptedCarrier("a", up=False), ScriptedCarrier("b", up=False)
    rig = Rig(store, {"a": a, "b": b})
    await rig.start()
    sid = await rig.add()
    await settle(store, rig.clock)
    rig.clock.advance(60)
    await settle(store, rig.clock)
    row = await rig.row(sid)
    assert row["status"] == "queued" and row["attempts"] == 0
    a.is_up = True
    rig.clock.advance(1)  # the poll
    await settle(store, rig.clock)
    assert (await rig.row(sid))["status"] == "sent"
    rig.dispatcher.stopService()


@pytest_twisted.ensureDeferred
async def test_route_down_requeues_while_other_carrier_up(store):
    a, b = ScriptedCarrier("a", up=False), ScriptedCarrier("b", up=False)
    rig = Rig(store, {"a": a, "b": b}, conf=CONF.replace('fallback = "b"\n', ""))
    await rig.start()
    b.is_up = True
    sid = await rig.add()
    await settle(store, rig.clock)
    row = await rig.row(sid)
    assert row["status"] == "queued" and row["attempts"] == 1
    a.is_up = True
    rig.clock.advance(5)
    await settle(store, rig.clock)
    assert (await rig.row(sid))["status"] == "sent"
    rig.dispatcher.stopService()


@pytest_twisted.ensureDeferred
async def test_primary_down_uses_fallback_at_once(store):
    rig = Rig(store, {"a": ScriptedCarrier("a", up=False), "b": ScriptedCarrier("b")})
    await rig.start()
    sid = await rig.add()
    await settle(store, rig.clock)
    assert (await rig.row(sid))["carrier"] == "b"
    rig.dispatcher.stopService()


@pytest_twisted.ensureDeferred
async def test_no_route_fails_21612(store):
    rig = Rig(store, {"a": ScriptedCarrier("a"), "b": ScriptedCarrier("b")})
    await rig.start()
    sid = await rig.add(to="+33612345678")
    await settle(store, rig.clock)
    row = await rig.row(sid)
    assert (row["status"], row["error_code"]) == ("failed", 21612)
    rig.dispatcher.stopService()


@pytest_twisted.ensureDeferred
async def test_expired_message_fails_30001_and_is_never_submitted(store):
    a = ScriptedCarrier("a", up=False)
    rig = Rig(store, {"a": a, "b": ScriptedCarrier("b", up=False)})
    await rig.start()
    sid = await rig.add(expires_at=T0 + timedelta(seconds=30))
    rig.clock.advance(31)
    a.is_up = True
    await settle(store, rig.clock)
    row = await rig.row(sid)
    assert (row["status"], row["error_code"]) == ("failed", 30001)
    assert a.pdus == []
    rig.dispatcher.stopService()


@pytest_twisted.ensureDeferred
async def test_carrier_stopping_requeues(store):
    a = ScriptedCarrier("a", script=["notsent"])
    rig = Rig(store, {"a": a, "b": ScriptedCarrier("b", up=False)})
    await rig.start()
    sid = await rig.add()
    await settle(store, rig.clock)
    row = await rig.row(sid)
    assert row["status"] == "queued"
    rig.clock.advance(5)
    await settle(store, rig.clock)
    assert (await rig.row(sid))["status"] == "sent"
    rig.dispatcher.stopService()


@pytest_twisted.ensureDeferred
async def test_stuck_in_sending_is_sent_again_at_start(store):
    rig = Rig(store, {"a": ScriptedCarrier("a"), "b": ScriptedCarrier("b")})
    row = message_row(status="sending")
    await store.write(insert_message, row)
    await rig.start()
    await settle(store, rig.clock)
    assert (await rig.row(row["sid"]))["status"] == "sent"
    rig.dispatcher.stopService()


@pytest_twisted.ensureDeferred
async def test_stop_waits_for_submits_in_flight(store):
    a = ScriptedCarrier("a", script=["hold"])
    rig = Rig(store, {"a": a, "b": ScriptedCarrier("b")})
    await rig.start()
    sid = await rig.add()
    await settle(store, rig.clock)
    stopped = rig.dispatcher.stopService()
    assert not stopped.called
    a.held[0].callback(__import__("protocols.smpp.pdu", fromlist=["x"]).SubmitSmResp(message_id="77"))
    await settle(store, rig.clock)
    assert stopped.called
    assert (await rig.row(sid))["status"] == "sent"
    assert rig.clock.getDelayedCalls() == []


@pytest_twisted.ensureDeferred
async def test_batches_respect_max_in_flight(store):
    a = ScriptedCarrier("a", script=["hold"] * 10)
    rig = Rig(store, {"a": a, "b": ScriptedCarrier("b")}, max_in_flight=3, batch_size=2)
    await rig.start()
    for _ in range(5):
        await rig.add()
    await settle(store, rig.clock)
    assert len(a.held) == 3 and rig.dispatcher.in_flight == 3
    for d in a.held[:3]:
        d.callback(__import__("protocols.smpp.pdu", fromlist=["x"]).SubmitSmResp(message_id="1"))
    await settle(store, rig.clock)
    assert len(a.held) == 5
    for d in a.held[3:]:
        d.callback(__import__("protocols.smpp.pdu", fromlist=["x"]).SubmitSmResp(message_id="2"))
    await settle(store, rig.clock)
    assert rig.dispatcher.stats["sent"] == 5
    rig.dispatcher.stopService()


@pytest_twisted.ensureDeferred
async def test_payload_mode_sends_one_pdu_and_records_billed_segments(store):
    a = ScriptedCarrier("a")
    rig = Rig(store, {"a": a, "b": ScriptedCarrier("b")},
              conf=CONF.replace("registered_delivery = 1\n", 'registered_delivery = 1\nsegment_mode = "payload"\n'))
    await rig.start()
    sid = await rig.add(body="y" * 300)
    await settle(store, rig.clock)
    row = await rig.row(sid)
    assert row["status"] == "sent" and row["num_segments"] == 2
    assert len(a.pdus) == 1 and a.pdus[0].short_message == b""
    assert len(a.pdus[0].tlv_raw(0x0424)) == 300
    rig.dispatcher.stopService()


@pytest_twisted.ensureDeferred
async def test_a_wake_during_a_claim_is_not_lost(store):
    # A NOTIFY from another node's intake can come while this node's claim
    # is under way, its query run before that message was committed.  The
    # clock never reaches the poll here: only the kept wake can send it.
    rig = Rig(store, {"a": ScriptedCarrier("a"), "b": ScriptedCarrier("b")})
    await rig.start()
    pumps = rig.dispatcher.stats["pumps"]
    rig.dispatcher.wake()
    rig.clock.advance(0)  # a claim is now in the store's queue
    assert rig.dispatcher.stats["pumps"] == pumps + 1
    row = message_row()
    committed = store.write(insert_message, row)  # after the claim (the writer is FIFO)
    rig.dispatcher.wake()
    rig.clock.advance(0)  # the wake meets the claim under way
    await committed
    await settle(store, rig.clock)
    assert (await rig.row(row["sid"]))["status"] == "sent"
    rig.dispatcher.stopService()
    assert rig.clock.getDelayedCalls() == []
