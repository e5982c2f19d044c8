"""End to end over loopback: API -> store -> SMPP simulator -> receipts ->
API and callbacks; restart and no-bind behaviour."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest_twisted
import treq
from twisted.internet import protocol, reactor

from .harness import ACCOUNT, OTHER, OTHER_TOKEN, TOKEN, Gateway, Smsc, eventually, free_port, gateway_config


@pytest_twisted.ensureDeferred
async def test_create_to_delivered_with_callbacks_in_order(tmp_path, web):
    recorder, url = web
    smsc = Smsc(receipt_delay=0.05).start()
    gw = await Gateway(gateway_config(tmp_path / "gw.db", smsc.port)).start()
    try:
        message = await gw.send(body="x" * 200, status_callback=url + "/status",
                                status_callback_method="POST")
        assert message["status"] == "queued"
        done = await gw.wait_status(message["sid"], {"delivered"})
        assert done["num_segments"] in (2, "2") and done["date_sent"]
        code, sms = await gw.post("/SMS/Messages.json", {"From": "+15005550006", "To": "+15551230002",
                                                         "Body": "hi", "StatusCallback": url + "/sms"})
        assert code == 201
        await gw.wait_status(sms["sid"], {"delivered"})
        await eventually(lambda: recorder.requests, lambda r: len(r) >= 5)
        assert recorder.statuses(message["sid"]) == ["sending", "sent", "delivered"]
        assert recorder.statuses(sms["sid"]) == ["sent", "delivered"]
        first = recorder.requests[0]
        assert first["method"] == "POST" and first["args"]["AccountSid"] == [ACCOUNT]
        assert first["args"]["To"] == ["sms:+15551230001"]
    finally:
        await gw.stop()
        await smsc.stop()


@pytest_twisted.ensureDeferred
async def test_callback_retried_after_500_keeps_order(tmp_path, web):
    recorder, url = web
    recorder.script = [(500, b"not now"), (503, b"")]
    smsc = Smsc().start()
    gw = await Gateway(gateway_config(tmp_path / "gw.db", smsc.port)).start()
    try:
        message = await gw.send(status_callback=url + "/cb")  # GET by default
        await gw.wait_status(message["sid"], {"delivered"})
        await eventually(lambda: recorder.statuses(), lambda s: s[-1:] == ["delivered"])
        assert recorder.statuses() == ["sending", "sending", "sending", "sent", "delivered"]
        assert {r["method"] for r in recorder.requests} == {"GET"}
    finally:
        await gw.stop()
        await smsc.stop()


@pytest_twisted.ensureDeferred
async def test_paging_filters_and_isolation(tmp_path):
    smsc = Smsc().start()
    gw = await Gateway(gateway_config(tmp_path / "gw.db", smsc.port)).start()
    try:
        sids = [(await gw.send(to=f"+1555123000{i}", body=f"note {i}"))["sid"] for i in range(5)]
        other = await gw.send(to="+447700900123")
        assert other["sid"] not in sids
        code, page = await gw.get("/Messages.json", params={"PageSize": "2", "Page": "1"})
        assert code == 200 and page["page"] == 1 and page["page_size"] == 2
        assert len(page["messages"]) == 2 and page["next_page_uri"] and page["previous_page_uri"]
        code, filtered = await gw.get("/Messages.json", params={"To": "sms:+1555%"})
        assert code == 200 and len(filtered["messages"]) == 5
        code, _ = await gw.get("/Messages.json", params={"Page": "99", "PageSize": "2"})
        assert code == 400
        # Isolation: the other account sees none of it, and cannot read it by path.
        code, theirs = await gw.get("/Messages.json", auth=(OTHER, OTHER_TOKEN))
        assert code == 200 and theirs["messages"] == []
        code, _ = await gw.get(f"/Messages/{sids[0]}.json", auth=(OTHER, OTHER_TOKEN))
        assert code == 404
        code, _ = await gw.get("/Messages.json", auth=(OTHER, OTHER_TOKEN), account=ACCOUNT)
        assert code in (403, 404)
        code, _ = await gw.get("/Messages.json", auth=(ACCOUNT, "wrong"))
        assert code == 401
        await gw.wait_status(sids[-1], {"delivered"})
    finally:
        await gw.stop()
        await smsc.stop()


@pytest_twisted.ensureDeferred
async def test_no_bind_queued_then_sent_and_queue_survives_restart(tmp_path):
    port = free_port()
    db = tmp_path / "gw.db"
    gw = await Gateway(gateway_config(db, port)).start()
    sids = [(await gw.send(to=f"+1555123100{i}"))["sid"] for i in range(3)]
    response = await treq.get(gw.base + "/health")  # unauthenticated
    health = json.loads(await response.content())
    assert response.code == 503 and health["status"] == "down"
    assert health["carriers"]["sim"]["up"] is False and health["carriers"]["sim"]["binds_up"] == 0
    for sid in sids:
        assert (await gw.status(sid))["status"] == "queued"
    await gw.stop()
    # A new service tree on the same database file: the queue is still there.
    smsc = Smsc(port=port)
    gw = await Gateway(gateway_config(db, port)).start()
    try:
        for sid in sids:
            assert (await gw.status(sid))["status"] == "queued"
        smsc.start()  # the SMSC comes up: the binds connect, the queue drains
        for sid in sids:
            await gw.wait_status(sid, {"delivered"})
        assert smsc.sim.stats["submits"] == 3
        await gw.tree.parts.monitor.refresh()
        response = await treq.get(gw.base + "/health")
        health = json.loads(await response.content())
        assert response.code == 200 and health["carriers"]["sim"]["binds_up"] == 1
        assert health["queue_depth"] == 0
        metrics = (await (await treq.get(gw.base + "/metrics")).text())
        from prometheus_client.parser import text_string_to_metric_families

        node = gw.tree.parts.cluster.node_id
        values = {(s.name, tuple(sorted(s.labels.items()))): s.value
                  for family in text_string_to_metric_families(metrics) for s in family.samples}
        assert values[("carrier_gateway_messages", (("node", node), ("status", "delivered")))] == 3
        assert values[("carrier_gateway_bind_up", (("bind", "sim-1"), ("carrier", "sim"), ("node", node)))] == 1
    finally:
        await gw.stop()
        await smsc.stop()


class BlackHole(protocol.Protocol):
    """Accepts the callback request and never answers it."""

    def connectionMade(self):
        self.factory.opened += 1

    def connectionLost(self, reason=None):
        self.factory.closed += 1


@pytest_twisted.ensureDeferred
async def test_dead_callback_endpoint_never_holds_up_sending(tmp_path):
    hole = protocol.Factory.forProtocol(BlackHole)
    hole.opened = hole.closed = 0
    listening = reactor.listenTCP(0, hole, interface="127.0.0.1")
    url = f"http://127.0.0.1:{listening.getHost().port}/status"
    smsc = Smsc().start()
    cfg = gateway_config(tmp_path / "gw.db", smsc.port)
    # Two requests in flight at most, each waiting a minute: the callback
    # sender is stuck for the whole test.
    cfg = replace(cfg, callbacks=replace(cfg.callbacks, concurrency=2, timeout=60))
    gw = await Gateway(cfg).start()
    try:
        sids = [(await gw.send(to=f"+1555123200{i}", status_callback=url))["sid"] for i in range(10)]
        for sid in sids:
            await gw.wait_status(sid, {"delivered"})
        assert smsc.sim.stats["submits"] == 10
        assert (hole.opened, hole.closed) == (2, 0)  # still waiting on the first two
    finally:
        await gw.stop()
        await smsc.stop()
        await listening.stopListening()
