"""Inbound SMS and RCML replies in a real store (SQLite file, reopened)."""
from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select
from twisted.logger import capturedLogs, formatEvent

from gateway.sms.inbound.store import (
    MAX_ACTIONS, InboundSms, NumberRoute, apply_rcml_reply, receive, sweep_reassembly,
)
from gateway.sms.inbound.rcml import RcmlError
from gateway.store.schema import messages, status_events

from tests.gateway.receipts_fixtures import (  # noqa: F401 (db_url is a fixture)
    db_url, at, callbacks, message, migrated_engine, waiting_parts)

NUMBER = NumberRoute("+15550100", "AC1", "http://app.example/sms", "GET", "messages")
SMS_NUMBER = NumberRoute("+15550200", "AC2", "http://app.example/legacy", "POST", "sms")


@pytest.fixture
def engine(db_url):
    engine = migrated_engine(db_url)
    yield engine
    engine.dispose()


def write(engine, fn, *args, **kw):
    with engine.begin() as conn:
        return fn(conn, *args, **kw)


def sids():
    counter = itertools.count(1)
    return lambda now: f"SM{next(counter):032x}"


def part(seqno, text, total=3, ref=7, bits=8, source="+447700900001", bind=None):
    return InboundSms("a", source, NUMBER.number, text, (ref, total, seqno, bits), bind)


def test_single_part_is_stored_and_callback_enqueued(engine):
    new = sids()
    with engine.begin() as conn:
        result = receive(conn, InboundSms("a", "+447700900001", NUMBER.number, "hello"),
                         number=NUMBER, now=at(0), new_sid=new)
        assert result.state == "stored"
        row = message(conn, result.sid)
        assert (row["direction"], row["status"], row["body"], row["incomplete"]) == \
            ("inbound", "received", "hello", False)
        (cb,) = callbacks(conn, result.sid)
    assert (cb["kind"], cb["url"], cb["method"]) == ("inbound", NUMBER.sms_url, "GET")
    assert [tuple(p) for p in cb["params"]] == [
        ("MessageSid", result.sid), ("AccountSid", "AC1"), ("From", "sms:+447700900001"),
        ("To", "sms:+15550100"), ("Body", "hello")]


def test_sms_api_number_gets_bare_addresses(engine):
    with engine.begin() as conn:
        result = receive(conn, InboundSms("a", "+447700900001", SMS_NUMBER.number, "hi"),
                         number=SMS_NUMBER, now=at(0))
        params = dict(tuple(p) for p in callbacks(conn, result.sid)[0]["params"])
    assert (params["From"], params["To"]) == ("+447700900001", "+15550200")


@pytest.mark.parametrize("order", [(3, 1, 2), (2, 3, 1), (1, 2, 3)])
@pytest.mark.parametrize("bits", [8, 16])
def test_out_of_order_parts_across_binds_and_restarts(db_url, order, bits):
    url = db_url
    texts = {1: "Hello ", 2: "brave new ", 3: "world"}
    states = []
    for n, seqno in enumerate(order):
        engine = migrated_engine(url)  # a fresh process each time: restart-safe
        with engine.begin() as conn:
            states.append(receive(conn, part(seqno, texts[seqno], bits=bits, bind=f"bind-{n}"),
                                  number=NUMBER, now=at(n)))
        engine.dispose()
    assert [s.state for s in states] == ["waiting", "waiting", "stored"]
    engine = migrated_engine(url)
    with engine.begin() as conn:
        row = message(conn, states[-1].sid)
        assert waiting_parts(conn) == 0
    engine.dispose()
    assert (row["body"], row["num_segments"], row["incomplete"]) == ("Hello brave new world", 3, False)


def test_repeated_part_is_ignored(engine):
    assert write(engine, receive, part(1, "a", total=2), number=NUMBER, now=at(0)).state == "waiting"
    assert write(engine, receive, part(1, "a", total=2), number=NUMBER, now=at(1)).state == "duplicate"
    done = write(engine, receive, part(2, "b", total=2), number=NUMBER, now=at(2))
    with engine.begin() as conn:
        assert message(conn, done.sid)["body"] == "ab"


def test_different_references_do_not_mix(engine):
    write(engine, receive, part(1, "x", total=2, ref=1), number=NUMBER, now=at(0))
    write(engine, receive, part(2, "Y", total=2, ref=2), number=NUMBER, now=at(0))
    write(engine, receive, part(1, "y", total=2, ref=1, source="+447700900002"), number=NUMBER, now=at(0))
    with engine.begin() as conn:
        assert waiting_parts(conn) == 3


def test_timeout_delivers_what_arrived_marked_incomplete(engine):
    write(engine, receive, part(3, "end"), number=NUMBER, now=at(0))
    write(engine, receive, part(1, "start "), number=NUMBER, now=at(10))
    lookup = {NUMBER.number: NUMBER}.get
    assert write(engine, sweep_reassembly, now=at(59), timeout=timedelta(seconds=60), lookup=lookup) == []
    (sid,) = write(engine, sweep_reassembly, now=at(60), timeout=timedelta(seconds=60), lookup=lookup)
    with engine.begin() as conn:
        row = message(conn, sid)
        assert (row["body"], row["incomplete"], row["status"]) == ("start end", True, "received")
        assert waiting_parts(conn) == 0
        assert callbacks(conn, sid)[0]["kind"] == "inbound"


def test_undecoded_part_is_stored_alone_with_empty_body_and_its_octets_for_support(engine):
    detail = "undecoded: binary data (data_coding 0x04) is not text; data_coding=0x04 octets=050003070301c0"
    write(engine, receive, part(1, "text part "), number=NUMBER, now=at(0))
    sms = InboundSms("a", "+447700900001", NUMBER.number, "", (7, 3, 3, 8), "bind-2", undecoded=detail)
    result = write(engine, receive, sms, number=NUMBER, now=at(1), new_sid=sids())
    assert result.state == "stored"
    with engine.begin() as conn:
        row = message(conn, result.sid)
        assert (row["body"], row["status"], row["direction"], row["num_segments"]) == ("", "received", "inbound", 1)
        assert row["error_message"] is None
        events = conn.execute(select(status_events.c.status, status_events.c.detail)
                              .where(status_events.c.message_sid == result.sid)).all()
        assert [tuple(e) for e in events] == [("received", detail)]
        (cb,) = callbacks(conn, result.sid)
        assert waiting_parts(conn) == 1  # the text part still waits for its group
    assert dict(tuple(p) for p in cb["params"])["Body"] == ""


def test_text_message_gets_no_support_event(engine):
    result = write(engine, receive, InboundSms("a", "+447700900001", NUMBER.number, "hi"), number=NUMBER, now=at(0))
    with engine.begin() as conn:
        assert conn.execute(select(status_events).where(status_events.c.message_sid == result.sid)).all() == []


def test_unknown_number_is_kept_without_callback(engine):
    result = write(engine, receive, InboundSms("a", "+1", "+19990000", "stray"), number=None, now=at(0))
    with engine.begin() as conn:
        assert message(conn, result.sid)["account_sid"] == ""
        assert callbacks(conn, result.sid) == []


RCML = b"""<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Message statusCallback="http://app.example/status" statusCallbackMethod="GET"><Body>Thanks!</Body></Message>
  <Message to="+15557777"><Body>pic</Body><Media contentType="image/png">http://m.example/a.png</Media></Message>
</Response>"""


def test_rcml_reply_becomes_queued_outbound_messages(engine):
    inbound = write(engine, receive, InboundSms("a", "+447700900001", NUMBER.number, "hi"),
                    number=NUMBER, now=at(0))
    new = write(engine, apply_rcml_reply, inbound.sid, RCML, now=at(5))
    assert len(new) == 2
    with engine.begin() as conn:
        first, second = (message(conn, sid) for sid in new)
    assert (first["to"], first["from_"], first["body"], first["status"], first["direction"]) == \
        ("+447700900001", "+15550100", "Thanks!", "queued", "outbound-reply")
    assert (first["status_callback"], first["status_callback_method"], first["account_sid"]) == \
        ("http://app.example/status", "GET", "AC1")
    assert (second["to"], second["channel"], second["num_media"]) == ("+15557777", "mms", 1)
    assert second["media_list"] == [{"url": "http://m.example/a.png", "content_type": "image/png"}]


def test_rcml_reply_with_an_address_the_api_refuses_is_skipped(engine):
    inbound = write(engine, receive, InboundSms("a", "+447700900001", NUMBER.number, "hi"),
                    number=NUMBER, now=at(0))
    doc = (b'<Response><Message to="not a number">a</Message><Message from="+0">b</Message>'
           b'<Message from="Shop"><Body>d</Body><Media>http://m.example/a.png</Media></Message>'
           b'<Message to="sms:+15557777" from="Shop">c</Message></Response>')
    with capturedLogs() as events:
        new = write(engine, apply_rcml_reply, inbound.sid, doc, now=at(5))
    (sid,) = new
    with engine.begin() as conn:
        row = message(conn, sid)
    assert (row["to"], row["from_"], row["body"]) == ("+15557777", "Shop", "c")
    skipped = [formatEvent(e) for e in events if "skipped" in formatEvent(e)]
    assert len(skipped) == 3 and "'not a number'" in skipped[0] and "'+0'" in skipped[1]
    assert "MMS cannot be sent from an alphanumeric sender" in skipped[2]


@pytest.mark.parametrize("answer", [b"", b"OK", b"<Response/>", b"  <Response>\n</Response>"])
def test_no_reply(engine, answer):
    inbound = write(engine, receive, InboundSms("a", "+4477", NUMBER.number, "hi"), number=NUMBER, now=at(0))
    assert write(engine, apply_rcml_reply, inbound.sid, answer, now=at(1)) == []


def test_malformed_rcml_raises_and_stores_nothing(engine):
    inbound = write(engine, receive, InboundSms("a", "+4477", NUMBER.number, "hi"), number=NUMBER, now=at(0))
    with pytest.raises(RcmlError):
        write(engine, apply_rcml_reply, inbound.sid, b"<Response><Message>", now=at(1))
    with engine.begin() as conn:
        assert conn.execute(select(messages.c.sid)).scalars().all() == [inbound.sid]


def test_rcml_action_queues_an_action_request_under_the_inbound_message(engine):
    inbound = write(engine, receive, InboundSms("a", "+447700900001", NUMBER.number, "hi"),
                    number=NUMBER, now=at(0))
    doc = b'<Response><Message action="http://app.example/next" method="get">one</Message></Response>'
    (reply,) = write(engine, apply_rcml_reply, inbound.sid, doc, now=at(5))
    with engine.begin() as conn:
        sms_url, action = callbacks(conn, inbound.sid)
    assert (action["kind"], action["url"], action["method"]) == ("action", "http://app.example/next", "GET")
    assert [tuple(p) for p in action["params"]] == [
        ("MessageSid", reply), ("MessageStatus", "queued"), ("AccountSid", "AC1"),
        ("From", "sms:+15550100"), ("To", "sms:+447700900001")]


def test_rcml_actions_stop_after_max_actions_per_inbound_message(engine):
    inbound = write(engine, receive, InboundSms("a", "+447700900001", NUMBER.number, "hi"),
                    number=NUMBER, now=at(0))
    doc = b'<Message action="http://app.example/again">loop</Message>'
    with capturedLogs() as events:
        replies = [write(engine, apply_rcml_reply, inbound.sid, doc, now=at(i))
                   for i in range(MAX_ACTIONS + 2)]
    assert all(len(sids) == 1 for sids in replies)  # the replies are sent ...
    with engine.begin() as conn:
        actions = [cb for cb in callbacks(conn, inbound.sid) if cb["kind"] == "action"]
    assert len(actions) == MAX_ACTIONS  # ... the actions stop
    assert sum("not requested" in formatEvent(e) for e in events) == 2


def test_relative_action_and_status_callback_resolve_against_the_answering_url(engine):
    inbound = write(engine, receive, InboundSms("a", "+447700900001", NUMBER.number, "hi"),
                    number=NUMBER, now=at(0))
    doc = b'<Message action="next?step=2" statusCallback="/st">one</Message>'
    (reply,) = write(engine, apply_rcml_reply, inbound.sid, doc, now=at(5),
                     base_url="http://app.example/flow/sms")
    with engine.begin() as conn:
        action = callbacks(conn, inbound.sid)[-1]
        row = message(conn, reply)
    assert action["url"] == "http://app.example/flow/next?step=2"
    assert row["status_callback"] == "http://app.example/st"


def test_rcml_reply_digits_follow_the_apis_number_rule(engine):
    """A reply's digits without '+' resolve as the API's do: by the routes."""
    from gateway.messages.numbering import NumberPlan
    from gateway.config.model import CarrierConfig
    from gateway.messages.routing import Router

    plan = NumberPlan(router=Router([CarrierConfig("us", "smpp", routes=("+1",))]))
    inbound = write(engine, receive, InboundSms("a", "+447700900001", NUMBER.number, "hi"),
                    number=NUMBER, now=at(0))
    doc = b'<Response><Message to="14155550101">a</Message><Message to="72345">b</Message></Response>'
    with capturedLogs() as events:
        (sid,) = write(engine, apply_rcml_reply, inbound.sid, doc, now=at(5), plan=plan)
    with engine.begin() as conn:
        assert message(conn, sid)["to"] == "+14155550101"
    (skipped,) = [formatEvent(e) for e in events if "skipped" in formatEvent(e)]
    assert "'72345' would be the short code 72345, which no carrier's routes take" in skipped
