"""The dispatcher's claims (``gateway.dispatch.claims``) on both backends."""
from datetime import timedelta

from sqlalchemy import insert, select

from gateway.store import schema as s
from gateway.messages.store import get_message_row, insert_message, transition
from gateway.dispatch.claims import claim_queued, expire_unsent, requeue, requeue_stuck

from tests.gateway.store.factories import T0, message_row
from tests.gateway.store.plans import statement_plans


def cb_statuses(conn, sid):
    rows = conn.execute(select(s.callback_outbox).where(s.callback_outbox.c.message_sid == sid)
                        .order_by(s.callback_outbox.c.id)).mappings().all()
    return [dict(map(tuple, r["params"]))["MessageStatus"] for r in rows]


def test_claim_queued_oldest_first_limit_and_due_time(conn):
    rows = [message_row(date_created=T0 + timedelta(seconds=i)) for i in range(5)]
    for row in rows:
        insert_message(conn, row)
    later = message_row(date_created=T0, next_attempt_at=T0 + timedelta(minutes=5))
    insert_message(conn, later)
    claimed = claim_queued(conn, T0 + timedelta(seconds=10), 3)
    assert [r["sid"] for r in claimed] == [r["sid"] for r in rows[:3]]
    assert all(r["status"] == "sending" and r["attempts"] == 1 for r in claimed)
    rest = claim_queued(conn, T0 + timedelta(seconds=10), 10)
    assert [r["sid"] for r in rest] == [r["sid"] for r in rows[3:]]
    assert claim_queued(conn, T0 + timedelta(seconds=10), 10) == []
    assert [r["sid"] for r in claim_queued(conn, T0 + timedelta(minutes=5), 10)] == [later["sid"]]


def test_claimed_rows_carry_media_lists_as_stored(conn):
    media = [{"url": "https://example.com/a.png", "content_type": "image/png"}]
    sms = message_row(date_created=T0)
    mms = message_row(date_created=T0 + timedelta(seconds=1), channel="mms", media_list=media)
    insert_message(conn, sms)
    insert_message(conn, mms)
    claimed = claim_queued(conn, T0 + timedelta(seconds=10), 10)
    assert [(r["sid"], r["media_list"]) for r in claimed] == [(sms["sid"], []), (mms["sid"], media)]
    assert claimed[0]["media_list"] is not claimed[1]["media_list"]


def test_claim_skips_expired_and_expire_unsent_fails_them(conn):
    row = message_row(expires_at=T0 + timedelta(seconds=60))
    insert_message(conn, row)
    assert claim_queued(conn, T0 + timedelta(seconds=61), 10) == []
    assert expire_unsent(conn, T0 + timedelta(seconds=30)) == []
    assert expire_unsent(conn, T0 + timedelta(seconds=61)) == [row["sid"]]
    stored = get_message_row(conn, row["sid"])
    assert (stored["status"], stored["error_code"]) == ("failed", 30001)
    assert cb_statuses(conn, row["sid"]) == ["failed"]


def test_requeue_then_reclaim_sends_sending_callback_once(conn):
    row = message_row()
    insert_message(conn, row)
    (claimed,) = claim_queued(conn, T0, 10)
    assert requeue(conn, row["sid"], now=T0, next_attempt_at=T0 + timedelta(seconds=30))
    assert not requeue(conn, row["sid"], now=T0, next_attempt_at=T0)  # not sending any more
    assert claim_queued(conn, T0 + timedelta(seconds=29), 10) == []
    (again,) = claim_queued(conn, T0 + timedelta(seconds=30), 10)
    assert again["attempts"] == 2
    assert cb_statuses(conn, row["sid"]) == ["sending"]


def _add_segment(conn, sid):
    seg = conn.execute(insert(s.segments).values(message_sid=sid, seqno=1, total=1,
                                                 smsc_message_id="abc")).inserted_primary_key[0]
    conn.execute(insert(s.segment_ids).values(key="abc", segment_id=seg, account_sid="AC"))


def test_requeue_stuck_at_least_once(conn):
    stuck, done = message_row(), message_row()
    insert_message(conn, stuck)
    insert_message(conn, done)
    claim_queued(conn, T0, 10)
    _add_segment(conn, stuck["sid"])
    assert transition(conn, done["sid"], "sent", now=T0)
    assert requeue_stuck(conn, T0 + timedelta(seconds=1)) == [stuck["sid"]]
    assert get_message_row(conn, stuck["sid"])["status"] == "queued"
    assert conn.execute(select(s.segments)).first() is None
    assert conn.execute(select(s.segment_ids)).first() is None
    assert [r["sid"] for r in claim_queued(conn, T0 + timedelta(seconds=1), 10)] == [stuck["sid"]]


def test_requeue_stuck_at_most_once(conn):
    row = message_row()
    insert_message(conn, row)
    claim_queued(conn, T0, 10)
    assert requeue_stuck(conn, T0, policy="at-most-once") == [row["sid"]]
    stored = get_message_row(conn, row["sid"])
    assert (stored["status"], stored["error_code"]) == ("failed", 30008)
    assert cb_statuses(conn, row["sid"]) == ["sending", "failed"]


def test_a_claim_reads_the_due_messages_not_the_whole_queue(conn):
    """SQLite: the claim's UPDATE finds each due message by its sid.  Its
    planner, with no statistics, took the status test for the driving index
    and walked every queued message, testing each sid against the due list:
    a claim of 1,000 cost 36 ms at 20,000 queued and 76 ms at 200,000
    (``claim_queued`` at ``limit=1000``)."""
    if conn.dialect.name != "sqlite":
        return  # PostgreSQL plans from its statistics (test_claim_reach, the cluster's claims)
    queued = [message_row(date_created=T0 + timedelta(milliseconds=i)) for i in range(2000)]
    for row in queued:
        row["date_updated"] = row["next_attempt_at"] = row["date_created"]
    conn.execute(insert(s.messages), queued)
    now = T0 + timedelta(seconds=10)
    plans = statement_plans(conn, lambda: claim_queued(conn, now, 100))
    claim = [plan for statement, plan in plans if statement.lstrip().startswith("WITH due")]
    assert len(claim) == 1, plans
    outer = claim[0].split(" | ")[0]
    assert outer.startswith("SEARCH messages USING") and "(sid=?)" in outer, claim[0]
    assert [r["sid"] for r in claim_queued(conn, now, 100)] == [r["sid"] for r in queued[100:200]]


def test_the_restart_sweep_reads_the_sending_messages_not_the_whole_table(conn):
    """``requeue_stuck`` runs at every start (and, in a cluster, at every
    takeover): it finds the messages in ``sending`` through the (account,
    status) index, account by account, instead of reading every message."""
    if conn.dialect.name != "sqlite":
        return  # PostgreSQL plans from its statistics
    rows = [message_row(date_created=T0 + timedelta(milliseconds=i), status="delivered") for i in range(500)]
    rows[7]["status"] = rows[9]["status"] = "sending"
    other = message_row(account_sid="AC" + "2" * 32, status="sending")
    for row in rows + [other]:
        row["date_updated"] = row["date_created"]
        insert_message(conn, row)
    for node_id in (None, "node-1"):
        plans = statement_plans(conn, lambda: requeue_stuck(conn, T0, node_id=node_id, policy="at-most-once"))
        reads = [plan for statement, plan in plans if "messages.status" in statement and "IN (" in statement]
        assert reads and all("SCAN messages" not in plan for plan in reads), plans
    stuck = {rows[7]["sid"], rows[9]["sid"], other["sid"]}
    assert {r["sid"] for r in conn.execute(select(s.messages.c.sid).where(s.messages.c.status == "failed")).mappings()} == stuck
