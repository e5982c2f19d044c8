"""The callback sender against a real local HTTP server, with a real SQLite
store; backoff runs on a Clock."""
from __future__ import annotations

import pytest_twisted
from sqlalchemy import select
from twisted.internet import reactor

from gateway.callbacks.sender import backoff, with_query
from gateway.config.model import CallbacksConfig
from gateway.store import schema as s
from gateway.messages.store import insert_message

from tests.gateway.callback_rig import Rig, store, web  # noqa: F401 (fixtures)
from tests.gateway.http_helpers import Recorder
from tests.gateway.pipeline_helpers import message_row, settle


def test_backoff_doubles_up_to_the_cap():
    conf = CallbacksConfig(initial_backoff=2, max_backoff=10)
    assert [backoff(n, conf) for n in (1, 2, 3, 4, 5)] == [2, 4, 8, 10, 10]


def test_get_parameters_join_an_existing_query():
    assert with_query("http://h/cb?x=1", [("A", "b c")]) == "http://h/cb?x=1&A=b+c"
    assert with_query("http://h/cb", [("To", "+1")]) == "http://h/cb?To=%2B1"


@pytest_twisted.ensureDeferred
async def test_post_and_get_in_order_per_message(store, web):
    recorder, url = web
    rig = Rig(store)
    rig.sender.startService()
    for status in ("sending", "sent", "delivered"):
        await rig.enqueue("SM1", url + "/post", status)
    await rig.enqueue("SM2", url + "/get?token=1", "sent", method="GET")
    for expected in (2, 3, 4):
        await rig.turn(recorder, expected)
    assert recorder.statuses("SM1") == ["sending", "sent", "delivered"]
    get = [r for r in recorder.requests if r["method"] == "GET"][0]
    assert get["args"]["MessageStatus"] == ["sent"] and get["args"]["token"] == ["1"]
    assert [r["state"] for r in await rig.rows()] == ["done"] * 4
    await rig.stop()


@pytest_twisted.ensureDeferred
async def test_5xx_is_retried_with_backoff_and_holds_back_the_next(store, web):
    recorder, url = web
    recorder.script = [(500, b"busy")]
    rig = Rig(store, initial_backoff=30)
    rig.sender.startService()
    await rig.enqueue("SM1", url, "sent")
    await rig.enqueue("SM1", url, "delivered")
    await rig.turn(recorder, 1)
    await rig.enqueue("SM2", url, "sent")
    await rig.turn(recorder, 2)
    assert sorted(recorder.statuses()) == ["sent", "sent"]  # SM1 sent (500) and SM2 sent
    rows = await rig.rows()
    assert rows[0]["attempts"] == 1 and rows[0]["last_error"] == "HTTP 500" and rows[0]["state"] == "pending"
    assert [r["http_status"] for r in rows] == [500, None, 200]
    assert rows[1]["state"] == "pending" and rows[2]["state"] == "done"
    rig.clock.advance(29)
    await rig.turn()
    assert len(recorder.requests) == 2
    rig.clock.advance(1)
    await rig.turn(recorder, 3)
    await rig.turn(recorder, 4)
    assert recorder.statuses("SM1") == ["sent", "sent", "delivered"]
    assert [(r["state"], r["http_status"]) for r in await rig.rows()] == [("done", 200)] * 3
    await rig.stop()


@pytest_twisted.ensureDeferred
async def test_each_answers_exact_status_is_kept(store, web):
    """Delivered rows keep their answer's exact 2xx status (batched writes
    group the rows by status)."""
    recorder, url = web
    recorder.script = [(201, b""), (204, b""), (202, b"")]
    rig = Rig(store)
    rig.sender.startService()
    for sid in ("SM1", "SM2", "SM3"):
        await rig.enqueue(sid, url, "sent")
    await rig.turn(recorder, 3)
    await rig.results(3)
    statuses = {r["message_sid"]: (r["state"], r["http_status"]) for r in await rig.rows()}
    answered = {r["args"]["MessageSid"][0]: code for r, code in zip(recorder.requests, (201, 204, 202))}
    assert statuses == {sid: ("done", code) for sid, code in answered.items()}
    await rig.stop()


@pytest_twisted.ensureDeferred
async def test_4xx_is_dead_at_once(store, web):
    recorder, url = web
    recorder.script = [(404, b"")]
    rig = Rig(store)
    rig.sender.startService()
    await rig.enqueue("SM1", url, "sent")
    await rig.turn(recorder, 1)
    row = (await rig.rows())[0]
    assert (row["state"], row["last_error"], row["http_status"]) == ("dead", "HTTP 404", 404)
    await rig.stop()


@pytest_twisted.ensureDeferred
async def test_connection_refused_retries_until_retry_for_then_dead(store):
    closed = reactor.listenTCP(0, __import__("twisted.web.server", fromlist=["Site"]).Site(Recorder()),
                               interface="127.0.0.1")
    url = f"http://127.0.0.1:{closed.getHost().port}/cb"
    await closed.stopListening()
    rig = Rig(store, initial_backoff=10, retry_for=25)
    rig.sender.startService()
    await rig.enqueue("SM1", url, "sent")
    await rig.results(1)
    row = (await rig.rows())[0]
    assert row["state"] == "pending" and row["attempts"] == 1
    rig.clock.advance(9)
    await settle(store, rig.clock)
    assert len(rig.settled) == 1
    rig.clock.advance(1)
    await rig.results(2)  # the next wait (20 s) would end after retry_for (25 s): dead
    row = (await rig.rows())[0]
    assert row["state"] == "dead" and row["attempts"] == 2
    assert "refused" in row["last_error"].lower() and row["http_status"] is None  # no answer
    await rig.stop()


@pytest_twisted.ensureDeferred
async def test_inbound_answer_with_rcml_queues_a_reply(store, web):
    recorder, url = web
    recorder.script = [(200, b"<Response><Message>thanks!</Message></Response>")]
    rig = Rig(store)
    inbound = message_row(direction="inbound", status="received", from_="+15557654321",
                          to="+15550001111", expires_at=None)
    await store.write(insert_message, inbound)
    rig.sender.startService()
    await rig.enqueue(inbound["sid"], url, "received", kind="inbound")
    await rig.turn(recorder, 1)
    await rig.turn()
    assert len(rig.new) == 1
    reply = await store.read(lambda conn: conn.execute(
        select(s.messages).where(s.messages.c.sid == rig.new[0])).mappings().one())
    assert (reply["to"], reply["from_"], reply["body"], reply["status"]) == (
        "+15557654321", "+15550001111", "thanks!", "queued")
    await rig.stop()


@pytest_twisted.ensureDeferred
async def test_malformed_rcml_is_ignored_and_the_callback_done(store, web):
    recorder, url = web
    recorder.script = [(200, b"<Response><Message>oops</Response>")]
    rig = Rig(store)
    inbound = message_row(direction="inbound", status="received", expires_at=None)
    await store.write(insert_message, inbound)
    rig.sender.startService()
    await rig.enqueue(inbound["sid"], url, "received", kind="inbound")
    await rig.turn(recorder, 1)
    await rig.turn()
    assert rig.new == [] and (await rig.rows())[0]["state"] == "done"
    await rig.stop()
