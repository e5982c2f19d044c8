"""Asking about silent parts, the store side: which parts are overdue, how
an answer settles them, and the missing-segment rule waiting for the asking
(SQLite, and PostgreSQL when GATEWAY_TEST_DATABASE_URL is set)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from gateway.sms.receipts.query import answer_receipt, query_pdu, receipt_timeouts
from gateway.sms.receipts.query_store import apply_answers, overdue_parts
from gateway.sms.receipts.store import apply_receipt, sweep_missing_segments
from gateway.sms.receipts.profiles import read as read_profiles
from protocols.smpp.pdu import QuerySmResp
from protocols.smpp.receipt import Receipt

from tests.gateway.receipts_fixtures import add_segment, at, db_url, message, migrated_engine, outbound, parts  # noqa: F401
from tests.gateway.sms.receipts.test_store import conn, delivered, multipart  # noqa: F401 (conn is a fixture)

HOUR = 3600.0
HORIZON = timedelta(days=2)


def single(conn, smsc_id="a1", carrier="a", sent=0.0):
    sid = outbound(conn)
    add_segment(conn, message_sid=sid, seqno=1, total=1, carrier=carrier, bind=None,
                smsc_message_id=smsc_id, now=at(sent))
    return sid


def overdue(conn, now, timeouts=None, limit=100):
    rows = overdue_parts(conn, now=at(now), timeouts=timeouts or {"a": HOUR}, horizon=HORIZON, limit=limit)
    return [(r["smsc_message_id"], r["carrier"]) for r in rows]


def answer(state, error_code=0, status=0):
    return QuerySmResp(message_id="x", message_state=state, error_code=error_code, command_status=status)


def test_overdue_parts_by_carrier_timeout_and_horizon(conn):
    single(conn, "a1")
    single(conn, "b1", carrier="b")
    single(conn, "c1", carrier="c")  # carrier c does not ask
    done = single(conn, "a2")
    apply_receipt(conn, delivered("a2"), carrier="a", now=at(5))
    assert overdue(conn, HOUR - 1, {"a": HOUR, "b": 2 * HOUR}) == []
    assert overdue(conn, HOUR, {"a": HOUR, "b": 2 * HOUR}) == [("a1", "a")]
    assert sorted(overdue(conn, 2 * HOUR, {"a": HOUR, "b": 2 * HOUR})) == [("a1", "a"), ("b1", "b")]
    assert overdue(conn, 3 * 86400) == []  # past the horizon: the missing-segment rule's
    assert message(conn, done)["status"] == "delivered"


def test_final_answer_settles_the_message_as_a_receipt_would(conn):
    sid = single(conn, "a1")
    (part,) = overdue_parts(conn, now=at(HOUR), timeouts={"a": HOUR}, horizon=HORIZON, limit=10)
    assert query_pdu(part).message_id == "a1" and query_pdu(part).source_addr == "15550001"
    receipt = answer_receipt("a1", answer(5, error_code=1))  # UNDELIVERABLE, cause 1
    counts = apply_answers(conn, [(part["id"], "a", receipt)], now=at(HOUR + 1),
                           profiles={"a": read_profiles()["default"]})
    assert counts == {"final": 1, "pending": 0}
    row = message(conn, sid)
    assert (row["status"], row["error_code"], row["carrier_stat"], row["carrier_err"]) == (
        "undelivered", 30005, "UNDELIV", "1")
    assert overdue(conn, 10 * HOUR) == []


def test_profile_reads_the_answer(conn):
    sid = single(conn, "a1")
    (part,) = overdue_parts(conn, now=at(HOUR), timeouts={"a": HOUR}, horizon=HORIZON, limit=10)
    receipt = answer_receipt("a1", answer(8))  # REJECTED, no error code
    apply_answers(conn, [(part["id"], "a", receipt)], now=at(HOUR), profiles={"a": read_profiles()["swapped"]})
    assert (message(conn, sid)["status"], message(conn, sid)["error_code"]) == ("undelivered", 30004)


@pytest.mark.parametrize("response", [answer(1), answer(6), answer(0, status=0x67), None])
def test_no_final_answer_waits_another_timeout(conn, response):
    sid = single(conn, "a1")
    (part,) = overdue_parts(conn, now=at(HOUR), timeouts={"a": HOUR}, horizon=HORIZON, limit=10)
    receipt = answer_receipt("a1", response)
    counts = apply_answers(conn, [(part["id"], "a", receipt)], now=at(HOUR), profiles={})
    assert counts == {"final": 0, "pending": 1} and message(conn, sid)["status"] == "sent"
    assert overdue(conn, 2 * HOUR - 1) == []
    assert overdue(conn, 2 * HOUR) == [("a1", "a")]


def test_a_receipt_that_came_meanwhile_wins(conn):
    sid = single(conn, "a1")
    (part,) = overdue_parts(conn, now=at(HOUR), timeouts={"a": HOUR}, horizon=HORIZON, limit=10)
    apply_receipt(conn, delivered("a1"), carrier="a", now=at(HOUR + 1))
    counts = apply_answers(conn, [(part["id"], "a", answer_receipt("a1", answer(5)))], now=at(HOUR + 2))
    assert counts == {"final": 0, "pending": 0} and message(conn, sid)["status"] == "delivered"


def test_missing_segment_waits_until_silent_parts_were_asked(conn):
    sid = multipart(conn)
    apply_receipt(conn, delivered(f"{sid[-6:]}1"), carrier="a", now=at(1))
    apply_receipt(conn, delivered(f"{sid[-6:]}2"), carrier="a", now=at(2))
    day = timedelta(days=1)
    assert sweep_missing_segments(conn, now=at(86400), timeout=day, asked_first={"a"}) == []
    (part,) = overdue_parts(conn, now=at(HOUR), timeouts={"a": HOUR}, horizon=HORIZON, limit=10)
    apply_answers(conn, [(part["id"], "a", None)], now=at(HOUR))  # asked, no answer
    assert sweep_missing_segments(conn, now=at(86400), timeout=day, asked_first={"a"}) == [sid]
    assert (message(conn, sid)["status"], message(conn, sid)["error_code"]) == ("undelivered", 30009)


def test_a_part_that_could_never_be_asked_holds_the_verdict_back_one_more_timeout(conn):
    sid = multipart(conn)
    apply_receipt(conn, delivered(f"{sid[-6:]}1"), carrier="a", now=at(1))
    day = timedelta(days=1)
    assert sweep_missing_segments(conn, now=at(2 * 86400 - 1), timeout=day, asked_first={"a"}) == []
    assert sweep_missing_segments(conn, now=at(2 * 86400), timeout=day, asked_first={"a"}) == [sid]


def test_receipt_timeouts_from_config():
    from gateway.config.model import loads

    config = loads("""
[[carriers]]
name = "asks"
protocol = "smpp"
host = "127.0.0.1"
port = 2775
system_id = "x"
password = "y"
[carriers.receipts]
profile = "smppsim"
receipt_timeout = 600
[[carriers]]
name = "quiet"
protocol = "smpp"
host = "127.0.0.1"
port = 2775
system_id = "x"
password = "y"
""")
    assert receipt_timeouts(config.carriers) == {"asks": 600.0}
    with pytest.raises(Exception, match="receipt_timeout"):
        loads('[[carriers]]\nname = "n"\nprotocol = "smpp"\nhost = "h"\nport = 1\nsystem_id = "x"\n'
              'password = "y"\n[carriers.receipts]\nreceipt_timeout = -1\n')


def test_answer_receipt_is_a_receipt():
    assert answer_receipt("9", answer(2)) == Receipt(message_id="9", stat="DELIVRD", message_state=2)
    assert answer_receipt("9", answer(3, 27)).err == "27"


def test_a_timeout_past_the_horizon_is_reported_at_start():
    from twisted.internet.task import Clock
    from twisted.logger import LogLevel, capturedLogs, formatEvent

    from gateway.sms.receipts.query import ReceiptQuery

    clock = Clock()
    query = ReceiptQuery(None, {"a": object(), "b": object()}, {"a": 600.0, "b": 7200.0}, clock,
                         horizon=3600.0)
    with capturedLogs() as events:
        query.start()
    warnings = [formatEvent(e) for e in events if e.get("log_level") is LogLevel.warn]
    assert len(warnings) == 1 and "carrier b" in warnings[0] and "never" in warnings[0]
    assert len(clock.getDelayedCalls()) == 1
    assert query.stop() is None
    assert clock.getDelayedCalls() == []
