"""Receipts that never come, end to end over loopback TCP: the simulator
with its drop-receipts behaviour, a real SmppCarrier, the real store, and
the query sweep settling each message from the SMSC's query_sm answer."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest_twisted
from twisted.internet import reactor
from twisted.internet.defer import gatherResults
from twisted.internet.task import Clock

from gateway.sms.receipts.query import ReceiptQuery
from gateway.carriers.smpp.carrier import SmppCarrier
from gateway.carriers.smpp.endpoints import endpoint_factory
from gateway.simulators.smsc.behaviours import behaviour
from gateway.simulators.smsc.smsc import SmscSimulator
from gateway.store.migrate import upgrade
from gateway.store.store import Store
from gateway.sms.receipts.profiles import read as read_profiles
from protocols.smpp.pdu import SubmitSm

from tests.gateway.receipts_fixtures import add_segment, message, outbound
from tests.gateway.carriers.smpp.test_loopback import settings, within

TIMEOUT = 600.0


@pytest_twisted.inlineCallbacks
def test_dropped_receipts_are_settled_by_query_sm(tmp_path):
    url = f"sqlite:///{tmp_path}/gateway.db"
    upgrade(url)
    store = Store(url, reactor)
    yield store.start()
    sim = SmscSimulator(behaviour("drop-receipts").config(
        credentials={"acme": "pw"}, outcomes={"DELIVRD": 1, "UNDELIV": 1}, seed=3), clock=reactor)
    port = sim.listen(reactor, 0)
    carrier = SmppCarrier("acme", settings(port.getHost().port), reactor, endpoint_factory(reactor))
    carrier.startService()
    clock = Clock()
    clock.advance(datetime.now(timezone.utc).timestamp())
    query = ReceiptQuery(store, {"acme": carrier}, {"acme": TIMEOUT}, clock,
                         profiles={"acme": read_profiles()["default"]})
    try:
        pdu = SubmitSm(source_addr="15550001", destination_addr="15550002", registered_delivery=1,
                       short_message=b"where is my receipt")
        responses = yield within(gatherResults([carrier.submit(pdu) for _ in range(6)]))
        sids = []
        for response in responses:
            sid = yield store.write(outbound)
            yield store.write(add_segment, message_sid=sid, seqno=1, total=1, carrier="acme", bind=None,
                              smsc_message_id=response.message_id,
                              now=datetime.fromtimestamp(clock.seconds(), timezone.utc))
            sids.append(sid)
        yield query.sweep()  # not overdue yet: nothing asked
        assert query.stats["queries"] == 0 and sim.stats["queries"] == 0
        clock.advance(TIMEOUT)
        yield within(query.sweep())
        assert (sim.stats["receipts_dropped"], sim.stats["receipts_sent"]) == (6, 0)
        assert (query.stats["queries"], sim.stats["queries"], query.stats["query_final"]) == (6, 6, 6)
        rows = []
        for sid in sids:
            rows.append((yield store.read(lambda conn, sid=sid: message(conn, sid))))
        statuses = sorted((r["status"], r["error_code"]) for r in rows)
        assert set(statuses) == {("delivered", None), ("undelivered", 30005)}  # MAP cause 1
        assert all(r["carrier_stat"] in ("DELIVRD", "UNDELIV") for r in rows)
        clock.advance(TIMEOUT)
        yield query.sweep()  # settled: never asked again
        assert sim.stats["queries"] == 6
    finally:
        query.stop()
        yield carrier.stopService()
        sim.stop()
        yield port.stopListening()
        yield store.stop()
    assert clock.getDelayedCalls() == []


@pytest_twisted.inlineCallbacks
def test_no_bind_up_means_not_asked_yet(tmp_path):
    url = f"sqlite:///{tmp_path}/gateway.db"
    upgrade(url)
    store = Store(url, reactor)
    yield store.start()
    carrier = SmppCarrier("acme", settings(1), reactor, endpoint_factory(reactor))  # never started
    clock = Clock()
    clock.advance(datetime.now(timezone.utc).timestamp())
    query = ReceiptQuery(store, {"acme": carrier}, {"acme": TIMEOUT}, clock)
    try:
        sid = yield store.write(outbound)
        yield store.write(add_segment, message_sid=sid, seqno=1, total=1, carrier="acme", bind=None,
                          smsc_message_id="1f", now=datetime.fromtimestamp(clock.seconds(), timezone.utc))
        clock.advance(TIMEOUT)
        for _ in range(2):  # each sweep finds it again: it was never asked
            yield query.sweep()
        assert (query.stats["query_unsent"], query.stats["queries"]) == (2, 0)
        row = yield store.read(lambda conn: message(conn, sid))
        assert row["status"] == "sent"
    finally:
        yield store.stop()
