from datetime import timedelta

import pytest
from sqlalchemy import select

from gateway.store import schema as s
from gateway.messages.store import (can_transition, enqueue_callback, get_message_row,
                                    insert_message, status_callback_params, transition)

from tests.gateway.store.factories import T0, message_row

STATUSES = ["queued", "sending", "sent", "delivered", "undelivered", "failed", "received"]


def events(conn, sid):
    return [r.status for r in conn.execute(
        select(s.status_events).where(s.status_events.c.message_sid == sid)
        .order_by(s.status_events.c.id))]


def callbacks(conn, sid=None):
    q = select(s.callback_outbox).order_by(s.callback_outbox.c.id)
    if sid:
        q = q.where(s.callback_outbox.c.message_sid == sid)
    return conn.execute(q).mappings().all()


def statuses_called(conn, sid):
    return [dict(map(tuple, cb["params"]))["MessageStatus"] for cb in callbacks(conn, sid)]


@pytest.mark.parametrize("old", STATUSES)
@pytest.mark.parametrize("new", STATUSES)
def test_transition_table(old, new):
    order = {"queued": 0, "sending": 1, "sent": 2}
    expected = (old in order and new not in ("queued", "received")
                and order.get(new, 3) > order[old])
    assert can_transition(old, new) is expected


def test_insert_message(conn):
    row = message_row()
    insert_message(conn, row)
    stored = get_message_row(conn, row["sid"])
    assert stored["status"] == "queued" and stored["num_media"] == 0
    assert stored["next_attempt_at"] is not None
    assert events(conn, row["sid"]) == []  # events record the transitions after it
    assert callbacks(conn) == []


def test_messages_api_full_lifecycle_callbacks(conn):
    row = message_row()
    insert_message(conn, row)
    sid = row["sid"]
    assert transition(conn, sid, "sending", now=T0)
    assert transition(conn, sid, "sent", now=T0 + timedelta(seconds=1), carrier="c1")
    assert transition(conn, sid, "delivered", now=T0 + timedelta(seconds=2))
    assert events(conn, sid) == ["sending", "sent", "delivered"]
    assert statuses_called(conn, sid) == ["sending", "sent", "delivered"]
    stored = get_message_row(conn, sid)
    assert stored["carrier"] == "c1"
    assert stored["date_sent"] is not None
    params = callbacks(conn, sid)[0]["params"]
    assert ["From", "sms:+15550001111"] in params and ["To", "sms:+15550002222"] in params
    assert callbacks(conn, sid)[0]["method"] == "POST"


def test_sms_api_skips_sending_callback(conn):
    row = message_row(api="sms", status_callback_method="GET")
    insert_message(conn, row)
    sid = row["sid"]
    for status in ("sending", "sent", "undelivered"):
        assert transition(conn, sid, status, now=T0, error_code=30003 if status == "undelivered" else None)
    assert statuses_called(conn, sid) == ["sent", "undelivered"]
    params = dict(map(tuple, callbacks(conn, sid)[-1]["params"]))
    assert params["ErrorCode"] == "30003" and params["From"] == "+15550001111"


def test_no_callback_without_status_callback(conn):
    row = message_row(status_callback=None)
    insert_message(conn, row)
    assert transition(conn, row["sid"], "sending", now=T0)
    assert transition(conn, row["sid"], "failed", now=T0, error_code=30008)
    assert callbacks(conn) == []


def test_never_backwards_and_final_is_final(conn):
    row = message_row()
    insert_message(conn, row)
    sid = row["sid"]
    assert transition(conn, sid, "sent", now=T0)
    assert not transition(conn, sid, "sending", now=T0)
    assert not transition(conn, sid, "queued", now=T0)
    assert not transition(conn, sid, "sent", now=T0)
    assert transition(conn, sid, "failed", now=T0, error_code=30008, error_message="x")
    assert not transition(conn, sid, "delivered", now=T0)
    stored = get_message_row(conn, sid)
    assert (stored["status"], stored["error_code"], stored["error_message"]) == ("failed", 30008, "x")
    assert events(conn, sid) == ["sent", "failed"]
    assert statuses_called(conn, sid) == ["sent", "failed"]


def test_transition_unknown_message_or_field(conn):
    assert not transition(conn, "SM" + "0" * 32, "sent", now=T0)
    row = message_row()
    insert_message(conn, row)
    with pytest.raises(ValueError):
        transition(conn, row["sid"], "sent", now=T0, no_such_column=1)


def test_status_callback_params_media_and_error():
    row = message_row(channel="mms", status="failed", error_code=30019, error_message="too big",
                      num_media=2, media_list=[{"url": "http://a/1.jpg", "content_type": "image/jpeg"},
                                               {"url": "http://a/2.png", "content_type": "image/png"}])
    params = status_callback_params(row)
    assert ("ErrorCode", "30019") in params
    assert [v for k, v in params if k == "MediaUrl"] == ["http://a/1.jpg", "http://a/2.png"]
    assert [v for k, v in params if k == "MediaType"] == ["image/jpeg", "image/png"]
    assert ("From", "mms:+15550001111") in params
    no_error = status_callback_params(message_row())
    assert "ErrorCode" not in dict(no_error)


def test_enqueue_callback_keeps_repeated_params(conn):
    enqueue_callback(conn, message_sid="SMx", kind="inbound", url="http://h/sms", method="get",
                     params=[("MediaUrl", "a"), ("MediaUrl", "b")], now=T0)
    (cb,) = callbacks(conn)
    assert cb["method"] == "GET" and cb["state"] == "pending"
    assert cb["params"] == [["MediaUrl", "a"], ["MediaUrl", "b"]]


def test_transition_many_same_message_twice_in_one_batch(conn):
    from gateway.messages.store import transition_many

    row = message_row(status="sending")
    insert_message(conn, row)
    moved = transition_many(conn, [{"sid": row["sid"], "status": "sent", "carrier": "a"},
                                   {"sid": row["sid"], "status": "delivered"},
                                   {"sid": row["sid"], "status": "sent"}], now=T0)
    assert moved == [row["sid"], row["sid"]]
    stored = get_message_row(conn, row["sid"])
    assert (stored["status"], stored["carrier"]) == ("delivered", "a")
    assert stored["date_sent"].replace(tzinfo=None) == T0.replace(tzinfo=None)
    events = conn.execute(select(s.status_events.c.status).where(s.status_events.c.message_sid == row["sid"])
                          .order_by(s.status_events.c.id)).scalars().all()
    assert events == ["sent", "delivered"]
    statuses = [dict(map(tuple, r))["MessageStatus"] for r in conn.execute(
        select(s.callback_outbox.c.params).where(s.callback_outbox.c.message_sid == row["sid"])
        .order_by(s.callback_outbox.c.id)).scalars()]
    assert statuses == ["sent", "delivered"]
