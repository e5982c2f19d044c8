"""The endpoint wired to a real Store through StoreHooks, over loopback: the
simulator's delivery report and inbound MMS land in SQLite before the MMSC
gets its 1000."""
from __future__ import annotations

import pytest_twisted
from sqlalchemy import select
from twisted.internet import reactor
from twisted.internet.task import Clock
from twisted.web.resource import Resource
from twisted.web.server import Site

from gateway.sms.inbound.store import NumberRoute
from gateway.mms.endpoint import Mm7Root
from gateway.mms.hooks import StoreHooks
from gateway.simulators.mmsc.config import MmscConfig
from gateway.simulators.mmsc.server import MmscSimulator, sample_png
from gateway.messages.store import insert_message
from gateway.store.schema import callback_outbox, media, messages
from gateway.store.store import Store
from protocols.mm7.messages import DeliveryReport

from tests.gateway.receipts_fixtures import T0
from tests.gateway.mms.loopback import http_client

NUMBER = NumberRoute("+15550100", "AC1", "http://app.example/sms", "POST", "messages")


def _seed(conn):
    insert_message(conn, {
        "sid": "SM" + "1" * 32, "account_sid": "AC1", "api": "messages", "direction": "outbound-api",
        "channel": "mms", "from_": "+15550100", "to": "+15552223333", "body": "hi", "status": "sent",
        "mm7_message_id": "mmsc-77", "carrier": "mmsc-a", "date_created": T0})


def _read(conn):
    rows = conn.execute(select(messages.c.sid, messages.c.status, messages.c.error_code,
                               messages.c.direction, messages.c.num_media)).all()
    return rows, conn.execute(select(media.c.content_type)).scalars().all(), \
        conn.execute(select(callback_outbox.c.kind)).scalars().all()


def nothing(conn):
    return None


@pytest_twisted.inlineCallbacks
def test_store_hooks_over_loopback(tmp_path):
    store = Store(f"sqlite:///{tmp_path}/gw.db", reactor)
    yield store.start()
    hooks = StoreHooks(store, reactor, numbers={NUMBER.number: NUMBER}.get, base_url="http://gw.test")
    top = Resource()
    top.putChild(b"mm7", Mm7Root(hooks.on_delivery_report, hooks.on_deliver, carriers={"mmsc-a"}))
    port = reactor.listenTCP(0, Site(top), interface="127.0.0.1")
    url = f"http://127.0.0.1:{port.getHost().port}/mm7/mmsc-a"
    sim = MmscSimulator(reactor, http_client(), MmscConfig(report_url=url, status_mix=(("Rejected", 1.0),)))
    try:
        yield store.write(_seed)
        from protocols.mm7.messages import SubmitRequestInfo

        info = SubmitRequestInfo("+15550100", ("+15552223333",), None, None, True, None, "t", "6.8.0")
        assert (yield sim.send_report("mmsc-77", info)) == 200
        assert (yield sim.send_deliver("+15557770000", "+15550100", "pic", [sample_png()])) == 200
        rows, types, kinds = yield store.read(_read)
        by_sid = {r.sid: r for r in rows}
        assert (by_sid["SM" + "1" * 32].status, by_sid["SM" + "1" * 32].error_code) == ("undelivered", 30007)
        (inbound,) = [r for r in rows if r.direction == "inbound"]
        assert inbound.status == "received" and inbound.num_media == 1
        assert types == ["image/png"] and kinds == ["inbound"]
        assert (yield hooks.sweep()) == 0
    finally:
        sim.stop()
        yield port.stopListening()
        yield store.stop()


@pytest_twisted.inlineCallbacks
def test_report_before_its_message_id_is_recorded_applies_soon(tmp_path):
    store = Store(f"sqlite:///{tmp_path}/gw.db", reactor)
    yield store.start()
    clock = Clock()
    hooks = StoreHooks(store, clock, numbers=lambda number: None, base_url="http://gw.test", early_retry=0.5)
    report = DeliveryReport("mmsc-77", "Retrieved", "+15552223333", "+15550100", None, None, None, "t", "6.8.0")
    status = lambda conn: conn.execute(select(messages.c.status)).scalar()  # noqa: E731
    try:
        assert (yield hooks.on_delivery_report("mmsc-a", report)) == "waiting"
        assert (yield hooks.on_delivery_report("mmsc-a", report)) == "waiting"
        assert len(clock.getDelayedCalls()) == 1  # one sweep scheduled, not one per report
        yield store.write(_seed)  # the SubmitRsp's MessageID is recorded
        clock.advance(0.5)
        yield store.write(nothing)  # the writer runs jobs in order: the sweep is done
        assert (yield store.read(status)) == "delivered"
        assert not clock.getDelayedCalls()
        assert (yield hooks.on_delivery_report("mmsc-a", report)) == "refused"
        hooks.stop()
    finally:
        yield store.stop()
