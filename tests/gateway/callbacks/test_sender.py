"""The callback sender on one Clock with no reactor: the in-memory store, and
the real agent and HTTP client over an in-memory network to a real
twisted.web site (``MemoryRig``).  The sender against real sockets, the SSRF
guard and a real store: ``test_sender_faults.py``."""
from __future__ import annotations

from sqlalchemy import select

from gateway.callbacks.request import with_query
from gateway.callbacks.results import backoff
from gateway.config.model import CallbacksConfig
from gateway.store import schema as s
from gateway.messages.store import enqueue_callback, insert_message

from tests.gateway.callback_rig import MemoryRig
from tests.gateway.pipeline_helpers import message_row


def test_backoff_doubles_up_to_the_cap():
    conf = CallbacksConfig(initial_backoff=2, max_backoff=10)
    assert [backoff(n, conf) for n in (1, 2, 3, 4, 5)] == [2, 4, 8, 10, 10]


def test_get_parameters_join_an_existing_query():
    assert with_query("http://h/cb?x=1", [("A", "b c")]) == "http://h/cb?x=1&A=b+c"
    assert with_query("http://h/cb", [("To", "+1")]) == "http://h/cb?To=%2B1"


def test_post_and_get_in_order_per_message():
    rig = MemoryRig()
    recorder, url = rig.recorder, rig.url
    rig.sender.startService()
    for status in ("sending", "sent", "delivered"):
        rig.enqueue("SM1", url + "/post", status)
    rig.enqueue("SM2", url + "/get?token=1", "sent", method="GET")
    rig.turn()
    assert len(recorder.requests) == 4
    assert recorder.statuses("SM1") == ["sending", "sent", "delivered"]
    get = [r for r in recorder.requests if r["method"] == "GET"][0]
    assert get["args"]["MessageStatus"] == ["sent"] and get["args"]["token"] == ["1"]
    assert [r["state"] for r in rig.rows()] == ["done"] * 4
    rig.stop()


def test_5xx_is_retried_with_backoff_and_holds_back_the_next():
    rig = MemoryRig(initial_backoff=30)
    recorder, url = rig.recorder, rig.url
    recorder.script = [(500, b"busy")]
    rig.sender.startService()
    rig.enqueue("SM1", url, "sent")
    rig.enqueue("SM1", url, "delivered")
    rig.turn()
    assert len(recorder.requests) == 1
    rig.enqueue("SM2", url, "sent")
    rig.turn()
    assert sorted(recorder.statuses()) == ["sent", "sent"]  # SM1 sent (500) and SM2 sent
    rows = rig.rows()
    assert rows[0]["attempts"] == 1 and rows[0]["last_error"] == "HTTP 500" and rows[0]["state"] == "pending"
    assert [r["http_status"] for r in rows] == [500, None, 200]
    assert rows[1]["state"] == "pending" and rows[2]["state"] == "done"
    rig.clock.advance(29)
    rig.turn()
    assert len(recorder.requests) == 2
    rig.clock.advance(1)
    rig.turn()
    assert len(recorder.requests) == 4
    assert recorder.statuses("SM1") == ["sent", "sent", "delivered"]
    assert [(r["state"], r["http_status"]) for r in rig.rows()] == [("done", 200)] * 3
    rig.stop()


def test_each_answers_exact_status_is_kept():
    """Delivered rows keep their answer's exact 2xx status (batched writes
    group the rows by status)."""
    rig = MemoryRig()
    recorder, url = rig.recorder, rig.url
    recorder.script = [(201, b""), (204, b""), (202, b"")]
    rig.sender.startService()
    rig.store.pause()  # the three go out before any result is written: one batch
    for sid in ("SM1", "SM2", "SM3"):
        rig.store.write(enqueue_row, sid, url, rig.now())
    rig.store.resume()
    rig.sender.wake()
    rig.turn()
    assert len(recorder.requests) == 3 and rig.settled == ["done"] * 3
    statuses = {r["message_sid"]: (r["state"], r["http_status"]) for r in rig.rows()}
    answered = {r["args"]["MessageSid"][0]: code for r, code in zip(recorder.requests, (201, 204, 202))}
    assert statuses == {sid: ("done", code) for sid, code in answered.items()}
    rig.stop()


def enqueue_row(conn, sid, url, now):
    return enqueue_callback(conn, message_sid=sid, kind="status", url=url, method="POST",
                            params=[("MessageSid", sid), ("MessageStatus", "sent")], now=now)


def test_4xx_is_dead_at_once():
    rig = MemoryRig()
    rig.recorder.script = [(404, b"")]
    rig.sender.startService()
    rig.enqueue("SM1", rig.url, "sent")
    rig.turn()
    assert len(rig.recorder.requests) == 1
    row = rig.rows()[0]
    assert (row["state"], row["last_error"], row["http_status"]) == ("dead", "HTTP 404", 404)
    rig.stop()


def test_connection_refused_retries_until_retry_for_then_dead():
    rig = MemoryRig(initial_backoff=10, retry_for=25)
    rig.sender.startService()
    rig.enqueue("SM1", "http://gone.example.com/cb", "sent")  # nobody serves it: refused
    rig.turn()
    assert rig.settled == ["retry"]
    row = rig.rows()[0]
    assert row["state"] == "pending" and row["attempts"] == 1
    rig.clock.advance(9)
    rig.turn()
    assert len(rig.settled) == 1
    rig.clock.advance(1)
    rig.turn()  # the next wait (20 s) would end after retry_for (25 s): dead
    assert rig.settled == ["retry", "dead"]
    row = rig.rows()[0]
    assert row["state"] == "dead" and row["attempts"] == 2
    assert "refused" in row["last_error"].lower() and row["http_status"] is None  # no answer
    rig.stop()


def test_inbound_answer_with_rcml_queues_a_reply():
    rig = MemoryRig()
    rig.recorder.script = [(200, b"<Response><Message>thanks!</Message></Response>")]
    inbound = message_row(direction="inbound", status="received", from_="+15557654321",
                          to="+15550001111", expires_at=None)
    rig.done(rig.store.write(insert_message, inbound))
    rig.sender.startService()
    rig.enqueue(inbound["sid"], rig.url, "received", kind="inbound")
    rig.turn()
    assert len(rig.recorder.requests) == 1 and len(rig.new) == 1
    reply = rig.done(rig.store.read(lambda conn: conn.execute(
        select(s.messages).where(s.messages.c.sid == rig.new[0])).mappings().one()))
    assert (reply["to"], reply["from_"], reply["body"], reply["status"]) == (
        "+15557654321", "+15550001111", "thanks!", "queued")
    rig.stop()


def test_malformed_rcml_is_ignored_and_the_callback_done():
    rig = MemoryRig()
    rig.recorder.script = [(200, b"<Response><Message>oops</Response>")]
    inbound = message_row(direction="inbound", status="received", expires_at=None)
    rig.done(rig.store.write(insert_message, inbound))
    rig.sender.startService()
    rig.enqueue(inbound["sid"], rig.url, "received", kind="inbound")
    rig.turn()
    assert len(rig.recorder.requests) == 1
    assert rig.new == [] and rig.rows()[0]["state"] == "done"
    rig.stop()


def test_a_reply_hook_set_after_construction_applies_the_rcml():
    """A config reload replaces the sender's reply hook (its number plan):
    the next RCML answer goes to the new hook."""
    rig = MemoryRig()
    rig.recorder.script = [(200, b"<Response><Message>thanks!</Message></Response>")]
    inbound = message_row(direction="inbound", status="received", expires_at=None)
    rig.done(rig.store.write(insert_message, inbound))
    applied = []

    def reloaded(conn, message_sid, body, **kwargs):
        applied.append((message_sid, body, kwargs["base_url"].rstrip("/")))
        return ["SMreplied"]

    rig.sender.reply_hook = reloaded
    rig.sender.startService()
    rig.enqueue(inbound["sid"], rig.url, "received", kind="inbound")
    rig.turn()
    assert applied == [(inbound["sid"], b"<Response><Message>thanks!</Message></Response>", rig.url)]
    assert rig.new == ["SMreplied"] and rig.rows()[0]["state"] == "done"
    rig.stop()
