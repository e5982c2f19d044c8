"""The dispatcher against scripted senders (no carrier behind them): what it
records for each outcome a sender may come to, and for a sender that crashes."""
from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet import defer
from twisted.internet.task import Clock

from gateway.config import model as config
from gateway.dispatch.dispatcher import Dispatcher
from gateway.dispatch.outcomes import Failed, Sent
from gateway.dispatch.testing import ScriptedSender
from gateway.messages.routing import Router
from gateway.messages.store import get_message_row, insert_message

from tests.gateway.dispatch.dispatcher_rig import CONF  # carriers a (+1, falls back to b) and b (+44)
from tests.gateway.pipeline_helpers import T0, message_row, open_store, settle


@pytest.fixture
def store(tmp_path):
    st = pytest_twisted.blockon(defer.ensureDeferred(open_store(tmp_path / "gw.db")))
    yield st
    pytest_twisted.blockon(st.stop())


async def run(store, senders) -> tuple[Dispatcher, Clock, str]:
    """Start a dispatcher on *senders*, queue one message and let it go."""
    clock = Clock()
    clock.advance(T0.timestamp() + 1)
    dispatcher = Dispatcher(store, senders, Router(config.loads(CONF).carriers), clock)
    dispatcher.startService()
    row = message_row()
    await store.write(insert_message, row)
    dispatcher.wake()
    await settle(store, clock)
    return dispatcher, clock, row["sid"]


@pytest_twisted.ensureDeferred
async def test_a_sender_that_crashes_fails_the_message_30008_without_fallback(store):
    a = ScriptedSender("a", script=[RuntimeError("boom")])
    b = ScriptedSender("b")
    dispatcher, clock, sid = await run(store, {"a": a, "b": b})
    row = await store.read(get_message_row, sid)
    assert (row["status"], row["error_code"], row["carrier"]) == ("failed", 30008, "a")
    assert row["error_message"] == "internal error while sending"
    assert a.sids == [sid] and b.sids == []
    assert dispatcher.in_flight == 0
    await dispatcher.stopService()
    assert clock.getDelayedCalls() == []


@pytest_twisted.ensureDeferred
async def test_what_a_sent_outcome_carries_is_recorded_with_the_message(store):
    a = ScriptedSender("a", script=[Sent((), extra={"mm7_message_id": "mmsc-7"})])
    dispatcher, _clock, sid = await run(store, {"a": a})
    row = await store.read(get_message_row, sid)
    assert (row["status"], row["carrier"], row["mm7_message_id"]) == ("sent", "a", "mmsc-7")
    await dispatcher.stopService()


@pytest_twisted.ensureDeferred
async def test_a_failure_the_sender_marks_final_skips_the_fallback(store):
    a = ScriptedSender("a", script=[Failed(30019, "too big", try_next=False)])
    b = ScriptedSender("b")
    dispatcher, _clock, sid = await run(store, {"a": a, "b": b})
    row = await store.read(get_message_row, sid)
    assert (row["status"], row["error_code"], row["carrier"]) == ("failed", 30019, "a")
    assert b.sids == []
    await dispatcher.stopService()


@pytest_twisted.ensureDeferred
async def test_an_outcome_that_breaks_its_recording_fails_the_message_30008(store):
    # Parts that are not a sequence break the pricing of the sent outcome:
    # the message still ends in one outcome (30008), never stuck in sending.
    a = ScriptedSender("a", script=[Sent(parts=None)])
    dispatcher, clock, sid = await run(store, {"a": a})
    row = await store.read(get_message_row, sid)
    assert (row["status"], row["error_code"], row["carrier"]) == ("failed", 30008, "a")
    assert dispatcher.in_flight == 0
    await dispatcher.stopService()
    assert clock.getDelayedCalls() == []
