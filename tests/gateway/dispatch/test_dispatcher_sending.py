"""How the dispatcher sends: every part recorded with its keys, one PDU in
payload mode, the in-flight cap, a wake kept while a claim is under way,
and the service's start and stop (``dispatcher_rig.py``: the in-memory
store on a Clock, scripted carriers)."""
from __future__ import annotations

from sqlalchemy import select

from gateway.carriers.smpp.testing import ScriptedCarrier
from gateway.store import schema as s
from gateway.messages.store import insert_message

from tests.gateway.dispatch.dispatcher_rig import CONF, Rig
from tests.gateway.pipeline_helpers import message_row


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
