"""Outcomes and receipts that meet a failing store are held and written once
it is back, without a restart.  A real SQLite store on a real tmpfs that
fills up; the dispatcher and the receipts batcher on a Clock."""
from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet.task import Clock

from gateway.carriers.smpp.testing import ScriptedCarrier
from gateway.config import model as config
from gateway.sms.deliver_sm import DeliverHandler
from gateway.dispatch.dispatcher import Dispatcher
from gateway.sms.receipts.batch import BatchingDeliverHandler
from gateway.messages.routing import Router
from gateway.sms.outbound.sender import SmsSender
from gateway.store.faults import backoff
from gateway.messages.store import get_message_row, insert_message
from gateway.sms.outbound.submit_sm import References
from protocols.smpp.pdu import DeliverSm, SubmitSmResp

from tests.gateway.pipeline_helpers import T0, message_row, open_store

from .volume import tiny_volume

CONF = """
[[carriers]]
name = "a"
host = "h"
port = 1
system_id = "s"
routes = ["+1"]
registered_delivery = 1
"""


async def settle(store, clock, rounds: int = 8) -> None:
    """Let Clock-scheduled work and the store's writes run to quiescence
    (a round's no-op write shares its batch, so it fails with it)."""
    for _ in range(rounds):
        clock.advance(0)
        try:
            await store.write(lambda conn: None)
        except Exception:
            pass


@pytest.fixture
def volume():
    with tiny_volume("4m") as v:
        yield v


class Rig:
    def __init__(self, store, carrier):
        self.store = store
        self.clock = Clock()
        self.clock.advance(T0.timestamp() + 1)
        cfg = config.loads(CONF)
        sender = SmsSender(cfg.carriers[0], carrier, self.clock, References(7))
        self.dispatcher = Dispatcher(store, {"a": sender}, Router(cfg.carriers), self.clock,
                                     config.PipelineConfig())
        self.deliver = BatchingDeliverHandler(DeliverHandler(store, {}, self.clock), store, self.clock)

    async def add(self):
        row = message_row()
        await self.store.write(insert_message, row)
        self.dispatcher.wake()
        return row["sid"]

    async def status(self, sid):
        return (await self.store.read(get_message_row, sid))["status"]

    async def stop(self):
        self.deliver.stop()
        stopped = self.dispatcher.stopService()
        self.clock.advance(self.dispatcher.stop_timeout)  # whatever is left in flight
        await stopped
        await self.store.stop()

    async def retry(self, attempt):
        """Advance the clock to the held work's retry, and let it be written."""
        self.clock.advance(backoff(attempt))
        await settle(self.store, self.clock)


async def full(store, volume):
    await store.checkpoint("TRUNCATE")  # an empty WAL: the next write must grow it
    volume.fill()


@pytest_twisted.ensureDeferred
async def test_outcomes_are_recorded_once_the_store_is_back(volume):
    store = await open_store(f"{volume.path}/gw.db")
    carrier = ScriptedCarrier("a", script=["hold", "hold"])
    rig = Rig(store, carrier)
    try:
        rig.dispatcher.startService()
        await settle(store, rig.clock)
        sids = [await rig.add(), await rig.add()]
        await settle(store, rig.clock)
        assert len(carrier.held) == 2 and [await rig.status(s) for s in sids] == ["sending"] * 2
        await full(store, volume)
        for i, d in enumerate(carrier.held):
            d.callback(SubmitSmResp(message_id=f"id-{i}"))
        await settle(store, rig.clock)
        assert [await rig.status(s) for s in sids] == ["sending"] * 2  # the write failed
        await rig.retry(1)  # still full: held again
        volume.free()
        await rig.retry(2)
        assert [await rig.status(s) for s in sids] == ["sent"] * 2  # no restart
        assert rig.dispatcher.in_flight == 0 and rig.dispatcher.stats["sent"] == 2
        assert len(rig.dispatcher.recorder.held) == 0
    finally:
        await rig.stop()
    assert rig.clock.getDelayedCalls() == []


def receipt_pdu(message_id):
    text = (f"id:{message_id} sub:001 dlvrd:001 submit date:2611271200 done date:2611271201 "
            "stat:DELIVRD err:000 text:hello").encode()
    return DeliverSm(source_addr="15550002222", destination_addr="15550001111", esm_class=0x04,
                     short_message=text)


@pytest_twisted.ensureDeferred
async def test_receipts_refused_while_failing_are_applied_once_it_is_back(volume):
    store = await open_store(f"{volume.path}/gw.db")
    rig = Rig(store, ScriptedCarrier("a"))
    try:
        rig.dispatcher.startService()
        await settle(store, rig.clock)
        sid = await rig.add()
        await settle(store, rig.clock)
        assert await rig.status(sid) == "sent"
        await full(store, volume)
        answer = rig.deliver("a", "a-1", receipt_pdu("a-1"))
        await settle(store, rig.clock)
        with pytest.raises(Exception):  # a temporary error goes to the SMSC
            await answer
        assert await rig.status(sid) == "sent"
        volume.free()  # the SMSC gave up redelivering; the held receipt is applied
        await rig.retry(1)
        assert await rig.status(sid) == "delivered"
        assert len(rig.deliver.held) == 0
    finally:
        await rig.stop()
    assert rig.clock.getDelayedCalls() == []


@pytest_twisted.ensureDeferred
async def test_the_recovery_at_start_is_retried_until_the_store_takes_it(volume):
    from gateway.dispatch.claims import claim_queued

    store = await open_store(f"{volume.path}/gw.db")
    carrier = ScriptedCarrier("a")
    rig = Rig(store, carrier)
    try:
        row = message_row()
        await store.write(insert_message, row)
        await store.write(claim_queued, T0, 10)  # caught in `sending` by a crash
        assert await rig.status(row["sid"]) == "sending"
        await full(store, volume)
        rig.dispatcher.startService()  # its mid-send recovery fails: the disk is full
        await settle(store, rig.clock)
        assert await rig.status(row["sid"]) == "sending" and carrier.pdus == []
        volume.free()
        await rig.retry(1)
        assert await rig.status(row["sid"]) == "sent"  # requeued, claimed and sent
    finally:
        await rig.stop()
    assert rig.clock.getDelayedCalls() == []
