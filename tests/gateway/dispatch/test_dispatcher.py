"""The dispatcher on a Clock, with the in-memory store on the same Clock and
scripted carriers (no reactor, no thread).  ``test_dispatcher_store.py`` runs
it on the real Store, SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
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

from gateway.store.testing import MemoryStore

from tests.gateway.pipeline_helpers import T0, message_row, result_of

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
    """The dispatcher and the in-memory store on one Clock (or ``store``, a
    started real one)."""

    def __init__(self, carriers, conf=CONF, store=None, **pipeline):
        self.clock = Clock()
        self.clock.advance(T0.timestamp() + 1)
        if store is None:
            store = MemoryStore(self.clock)
            store.start()
        self.store = store
        cfg = config.loads(conf)
        self.carriers = carriers
        senders = {c.name: SmsSender(c, carriers[c.name], self.clock, References(7))
                   for c in cfg.carriers if c.name in carriers}
        self.dispatcher = Dispatcher(self.store, senders, Router(cfg.carriers), self.clock,
                                     config.PipelineConfig(**pipeline))

    def settle(self):
        self.clock.advance(0)  # the zero-delay calls and every store job they lead to

    def done(self, d):
        return result_of(self.clock, d)

    def add(self, **overrides):
        row = message_row(**overrides)
        self.done(self.store.write(insert_message, row))
        self.dispatcher.wake()
        return row["sid"]

    def row(self, sid):
        return self.done(self.store.read(get_message_row, sid))

    def segments(self, sid):
        def q(conn):
            return conn.execute(select(s.segments).where(s.segments.c.message_sid == sid)
                                .order_by(s.segments.c.seqno)).mappings().all()
        return self.done(self.store.read(q))

    def start(self):
        self.dispatcher.startService()
        self.settle()


def test_queued_message_is_sent_with_every_part_recorded():
    a = ScriptedCarrier("a")
    rig = Rig({"a": a, "b": ScriptedCarrier("b")})
    rig.start()
    sid = rig.add(body="x" * 200)
    rig.settle()
    row = rig.row(sid)
    assert row["status"] == "sent" and row["carrier"] == "a" and row["num_segments"] == 2
    parts = rig.segments(sid)
    assert [(p["seqno"], p["total"], p["smsc_message_id"]) for p in parts] == [(1, 2, "a-1"), (2, 2, "a-2")]
    assert [p.esm_class for p in a.pdus] == [0x40, 0x40]
    assert {p.registered_delivery for p in a.pdus} == {1}
    assert a.pdus[0].destination_addr == "15550002222" and a.pdus[0].dest_addr_ton == 1
    assert a.pdus[0].validity_period.endswith("R")
    keys = rig.done(rig.store.read(lambda conn: conn.execute(select(s.segment_ids.c.key)).scalars().all()))
    assert "s:a-1" in keys
    rig.dispatcher.stopService()
    assert rig.clock.getDelayedCalls() == []


def test_submit_error_fails_with_mapped_code_after_fallback():
    error = SubmitFailed(30090, None, "No Response received for SMPP Request")
    a = ScriptedCarrier("a", script=[error])
    b = ScriptedCarrier("b", script=[SubmitFailed(30001, 0x14, "Queue overflow")])
    rig = Rig({"a": a, "b": b})
    rig.start()
    sid = rig.add()
    rig.settle()
    row = rig.row(sid)
    assert (row["status"], row["error_code"], row["carrier"]) == ("failed", 30001, "b")
    assert len(a.pdus) == 1 and len(b.pdus) == 1
    assert b.pdus[0].registered_delivery == 0  # b's own setting
    rig.dispatcher.stopService()


def test_fallback_takes_what_the_primary_refused():
    a = ScriptedCarrier("a", script=[SubmitFailed(30008, 0x45, "rejected")])
    rig = Rig({"a": a, "b": ScriptedCarrier("b")})
    rig.start()
    sid = rig.add()
    rig.settle()
    row = rig.row(sid)
    assert (row["status"], row["carrier"], row["error_code"]) == ("sent", "b", None)
    rig.dispatcher.stopService()


def test_failed_when_fallback_down():
    a = ScriptedCarrier("a", script=[SubmitFailed(30008, 0x45, "rejected")])
    rig = Rig({"a": a, "b": ScriptedCarrier("b", up=False)})
    rig.start()
    sid = rig.add()
    rig.settle()
    assert (rig.row(sid))["error_code"] == 30008
    rig.dispatcher.stopService()


def test_no_bind_up_stays_queued_then_goes():
    a, b = ScriptedCarrier("a", up=False), ScriptedCarrier("b", up=False)
    rig = Rig({"a": a, "b": b})
    rig.start()
    sid = rig.add()
    rig.settle()
    rig.clock.advance(60)
    rig.settle()
    row = rig.row(sid)
    assert row["status"] == "queued" and row["attempts"] == 0
    a.is_up = True
    rig.clock.advance(1)  # the poll
    rig.settle()
    assert (rig.row(sid))["status"] == "sent"
    rig.dispatcher.stopService()


def test_route_down_requeues_while_other_carrier_up():
    a, b = ScriptedCarrier("a", up=False), ScriptedCarrier("b", up=False)
    rig = Rig({"a": a, "b": b}, conf=CONF.replace('fallback = "b"\n', ""))
    rig.start()
    b.is_up = True
    sid = rig.add()
    rig.settle()
    row = rig.row(sid)
    assert row["status"] == "queued" and row["attempts"] == 1
    a.is_up = True
    rig.clock.advance(5)
    rig.settle()
    assert (rig.row(sid))["status"] == "sent"
    rig.dispatcher.stopService()


def test_primary_down_uses_fallback_at_once():
    rig = Rig({"a": ScriptedCarrier("a", up=False), "b": ScriptedCarrier("b")})
    rig.start()
    sid = rig.add()
    rig.settle()
    assert (rig.row(sid))["carrier"] == "b"
    rig.dispatcher.stopService()


def test_no_route_fails_21612():
    rig = Rig({"a": ScriptedCarrier("a"), "b": ScriptedCarrier("b")})
    rig.start()
    sid = rig.add(to="+33612345678")
    rig.settle()
    row = rig.row(sid)
    assert (row["status"], row["error_code"]) == ("failed", 21612)
    rig.dispatcher.stopService()


def test_expired_message_fails_30001_and_is_never_submitted():
    a = ScriptedCarrier("a", up=False)
    rig = Rig({"a": a, "b": ScriptedCarrier("b", up=False)})
    rig.start()
    sid = rig.add(expires_at=T0 + timedelta(seconds=30))
    rig.clock.advance(31)
    a.is_up = True
    rig.settle()
    row = rig.row(sid)
    assert (row["status"], row["error_code"]) == ("failed", 30001)
    assert a.pdus == []
    rig.dispatcher.stopService()


def test_carrier_stopping_requeues():
    a = ScriptedCarrier("a", script=["notsent"])
    rig = Rig({"a": a, "b": ScriptedCarrier("b", up=False)})
    rig.start()
    sid = rig.add()
    rig.settle()
    row = rig.row(sid)
    assert row["status"] == "queued"
    rig.clock.advance(5)
    rig.settle()
    assert (rig.row(sid))["status"] == "sent"
    rig.dispatcher.stopService()


def test_stuck_in_sending_is_sent_again_at_start():
    rig = Rig({"a": ScriptedCarrier("a"), "b": ScriptedCarrier("b")})
    row = message_row(status="sending")
    rig.done(rig.store.write(insert_message, row))
    rig.start()
    rig.settle()
    assert (rig.row(row["sid"]))["status"] == "sent"
    rig.dispatcher.stopService()


def test_stop_waits_for_submits_in_flight():
    a = ScriptedCarrier("a", script=["hold"])
    rig = Rig({"a": a, "b": ScriptedCarrier("b")})
    rig.start()
    sid = rig.add()
    rig.settle()
    stopped = rig.dispatcher.stopService()
    assert not stopped.called
    a.held[0].callback(__import__("protocols.smpp.pdu", fromlist=["x"]).SubmitSmResp(message_id="77"))
    rig.settle()
    assert stopped.called
    assert (rig.row(sid))["status"] == "sent"
    assert rig.clock.getDelayedCalls() == []


def test_batches_respect_max_in_flight():
    a = ScriptedCarrier("a", script=["hold"] * 10)
    rig = Rig({"a": a, "b": ScriptedCarrier("b")}, max_in_flight=3, batch_size=2)
    rig.start()
    for _ in range(5):
        rig.add()
    rig.settle()
    assert len(a.held) == 3 and rig.dispatcher.in_flight == 3
    for d in a.held[:3]:
        d.callback(__import__("protocols.smpp.pdu", fromlist=["x"]).SubmitSmResp(message_id="1"))
    rig.settle()
    assert len(a.held) == 5
    for d in a.held[3:]:
        d.callback(__import__("protocols.smpp.pdu", fromlist=["x"]).SubmitSmResp(message_id="2"))
    rig.settle()
    assert rig.dispatcher.stats["sent"] == 5
    rig.dispatcher.stopService()


def test_payload_mode_sends_one_pdu_and_records_billed_segments():
    a = ScriptedCarrier("a")
    rig = Rig({"a": a, "b": ScriptedCarrier("b")},
              conf=CONF.replace("registered_delivery = 1\n", 'registered_delivery = 1\nsegment_mode = "payload"\n'))
    rig.start()
    sid = rig.add(body="y" * 300)
    rig.settle()
    row = rig.row(sid)
    assert row["status"] == "sent" and row["num_segments"] == 2
    assert len(a.pdus) == 1 and a.pdus[0].short_message == b""
    assert len(a.pdus[0].tlv_raw(0x0424)) == 300
    rig.dispatcher.stopService()


def test_a_wake_during_a_claim_is_not_lost():
    # A NOTIFY from another node's intake can come while this node's claim
    # is under way, its query run before that message was committed.  The
    # clock never reaches the poll here: only the kept wake can send it.
    rig = Rig({"a": ScriptedCarrier("a"), "b": ScriptedCarrier("b")})
    rig.start()
    pumps = rig.dispatcher.stats["pumps"]
    rig.store.pause()  # the writer is busy: what is queued waits
    rig.dispatcher.wake()
    rig.clock.advance(0)  # a claim is now in the store's queue
    assert rig.dispatcher.stats["pumps"] == pumps + 1
    row = message_row()
    committed = rig.store.write(insert_message, row)  # after the claim (the writer is FIFO)
    rig.dispatcher.wake()
    rig.clock.advance(0)  # the wake meets the claim under way
    assert not committed.called
    rig.store.resume()
    rig.done(committed)
    rig.settle()
    assert (rig.row(row["sid"]))["status"] == "sent"
    rig.dispatcher.stopService()
    assert rig.clock.getDelayedCalls() == []
