"""Where the dispatcher sends a message, and what it does when it cannot:
the fallback carrier, carriers down, no route, expiry, a carrier stopping
(``dispatcher_rig.py``: the in-memory store on a Clock, scripted carriers)."""
from __future__ import annotations

from datetime import timedelta

from gateway.carriers.smpp.testing import ScriptedCarrier
from gateway.carriers.smpp.errors import SubmitFailed

from tests.gateway.dispatch.dispatcher_rig import CONF, Rig
from tests.gateway.pipeline_helpers import T0


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
