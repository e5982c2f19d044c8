"""Retention: prune_batch deletes final messages older than the cutoff with
their parts, match keys, events, callbacks and media, in small batches, and
keeps everything else.  SQLite, and PostgreSQL when configured."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, func, insert, select, update

from gateway.sms.receipts import correlation
from gateway.store import counts
from gateway.store import schema as s
from gateway.messages.store import insert_message, transition
from gateway.store.prune import Cursor, cutoff, prune_batch
from gateway.store.timeutil import utc

from .factories import T0, message_row
from .plans import statement_plans

OLD = T0 - timedelta(days=40)
PATHS = {"sent": ["sending", "sent"], "failed": ["sending", "failed"],
         "delivered": ["sending", "sent", "delivered"], "undelivered": ["sending", "sent", "undelivered"]}


def add(conn, *, created, status, account="AC" + "1" * 32, callback_state="done", parts=1):
    row = message_row(date_created=created, account_sid=account)
    insert_message(conn, row)
    sid = row["sid"]
    for step in PATHS[status]:
        assert transition(conn, sid, step, now=created)
    conn.execute(update(s.callback_outbox).where(s.callback_outbox.c.message_sid == sid)
                 .values(state=callback_state))
    for seqno in range(1, parts + 1):
        message_id = f"{sid[-8:]}{seqno:02x}"
        segment_id = conn.execute(insert(s.segments).values(
            message_sid=sid, seqno=seqno, total=parts, carrier="a", smsc_message_id=message_id)
            .returning(s.segments.c.id)).scalar_one()
        for key in correlation.match_keys(message_id):
            conn.execute(insert(s.segment_ids).values(key=key, segment_id=segment_id, account_sid=account))
    conn.execute(insert(s.media).values(sid="ME" + sid[2:], message_sid=sid, account_sid=account,
                                        content_type="image/png", data=b"x", created_at=created))
    return sid


def count(conn, table, sids=None):
    q = select(func.count()).select_from(table)
    if sids is not None:
        column = table.c.sid if table is s.messages else table.c.message_sid
        q = q.where(column.in_(sids))
    return conn.execute(q).scalar_one()


def prune_all(conn, before, limit):
    cursor, runs, total = None, 0, 0
    while True:
        result = prune_batch(conn, before, cursor, limit)
        runs += 1
        total += result["messages"]
        assert result["messages"] <= limit
        cursor = result["cursor"]
        if result["done"]:
            return total, runs


def test_prunes_old_final_messages_with_all_their_rows(conn):
    accounts = ["AC" + c * 32 for c in "123"]
    old = [add(conn, created=OLD + timedelta(seconds=i), status=st, account=accounts[i % 3], parts=1 + i % 2)
           for i, st in enumerate(["delivered", "undelivered", "failed"] * 4)]
    kept = [add(conn, created=OLD, status="sent"),  # not final, however old
            add(conn, created=OLD, status="delivered", callback_state="pending"),  # a callback to send
            add(conn, created=T0, status="delivered")]  # young
    segments = select(s.segments.c.id).where(s.segments.c.message_sid.in_(old)).scalar_subquery()
    assert conn.execute(select(func.count()).select_from(s.segment_ids)
                        .where(s.segment_ids.c.segment_id.in_(segments))).scalar_one() > 0
    total, runs = prune_all(conn, cutoff(T0, 30), limit=5)
    assert total == len(old) and runs >= 3
    for table in (s.messages, s.segments, s.status_events, s.callback_outbox, s.media):
        assert count(conn, table, old) == 0, table.name
        assert count(conn, table, kept) > 0, table.name
    remaining = {seg for seg in conn.execute(select(s.segment_ids.c.segment_id)).scalars()}
    assert remaining == set(conn.execute(select(s.segments.c.id)).scalars())
    assert [counts.total(conn, account) for account in accounts] == [len(kept), 0, 0]
    counts.fold(conn)  # the same after the deltas' fold (PostgreSQL)
    assert [counts.total(conn, account) for account in accounts] == [len(kept), 0, 0]
    assert sum(conn.execute(select(s.message_counts.c.n)).scalars()) == len(kept)
    assert prune_all(conn, cutoff(T0, 30), limit=5)[0] == 0  # nothing left to prune


def test_a_batch_scans_a_bounded_number_of_rows(conn):
    """At most 4 index entries per message a batch may delete (each costs a
    read of its row): a batch of 5 stops after 20 non-final messages, and the
    next goes on from there."""
    for i in range(30):
        add(conn, created=OLD + timedelta(seconds=i), status="sent")
    old = add(conn, created=OLD + timedelta(seconds=99), status="delivered")
    first = prune_batch(conn, cutoff(T0, 30), None, limit=5)
    assert first["messages"] == 0 and not first["done"]
    assert isinstance(first["cursor"], Cursor)
    assert utc(first["cursor"].date_created) == OLD + timedelta(seconds=19)
    result = prune_batch(conn, cutoff(T0, 30), first["cursor"], limit=5)
    assert result["messages"] == 1 and count(conn, s.messages, [old]) == 0


def test_a_small_batch_reads_few_rows(conn):
    """The walk's LIMIT follows the batch size: a batch of 10 must not read
    2,000 rows (at millions of messages that read alone took the 50 ms a
    batch may hold the writer, and the Pruner's batches shrank to 10)."""
    for i in range(60):
        add(conn, created=OLD + timedelta(seconds=i), status="delivered")
    limits = []

    def record(_conn, _cursor, statement, parameters, _context, _many):
        if "FROM messages" in statement and "LIMIT" in statement:
            limits.append(parameters[-2] if isinstance(parameters, tuple) else parameters["param_1"])

    event.listen(conn.engine, "before_cursor_execute", record)
    try:
        result = prune_batch(conn, cutoff(T0, 30), None, limit=10)
    finally:
        event.remove(conn.engine, "before_cursor_execute", record)
    assert result["messages"] == 10 and limits and max(limits) <= 40, limits


def _plans(conn, job) -> list[tuple[str, str]]:
    """(statement, plan) of every statement ``job`` runs, planned as the database plans it."""
    return statement_plans(conn, job)


# What a prune statement may look its rows up by: the batch's keys, or the walk's.
# The lines of a UNION ALL's plan that read nothing themselves.
COMPOUND = ("COMPOUND QUERY", "LEFT-MOST SUBQUERY", "UNION ALL")
# Receipts: a walk of one state's range of the state index, then their ids.
KEYED = ("(sid=?", "(message_sid=?", "(segment_id=?", "(key=?", "(account_sid=?", "(account_sid>?",
         "(state=?", "(rowid=?")


def test_every_prune_statement_is_index_driven_without_statistics(conn):
    """No statement of a batch reads a table whole, or the pending callbacks of
    other messages (a backlog of them): each looks its rows up by the batch's
    keys, on a store of 3,000 young messages that has never been analyzed
    (SQLite) or was analyzed empty (PostgreSQL after ``db upgrade``).  The
    job leaves PostgreSQL's planner settings as it found them."""
    young = [message_row(sid=f"SM{i:032x}", status="sent", date_created=T0) for i in range(3000)]
    conn.execute(insert(s.messages), [{**row, "date_updated": T0} for row in young])
    conn.execute(insert(s.segments), [{"id": 10**6 + i, "message_sid": row["sid"], "seqno": 1, "total": 1,
                                       "smsc_message_id": f"{i:x}"} for i, row in enumerate(young)])
    conn.execute(insert(s.segment_ids), [{"key": f"s:{i:x}", "segment_id": 10**6 + i, "account_sid": "AC"}
                                         for i in range(3000)])
    for table, state in ((s.status_events, {"status": "sent"}), (s.callback_outbox, {
            "kind": "status", "url": "http://h/", "method": "POST", "params": [["n", "0"]],
            "state": "pending", "attempts": 0, "next_attempt_at": T0})):  # a backlog of callbacks
        conn.execute(insert(table), [{"message_sid": row["sid"], "created_at": T0, **state} for row in young])
    old = [add(conn, created=OLD + timedelta(seconds=i), status="delivered", parts=2) for i in range(5)]
    plans = _plans(conn, lambda: prune_batch(conn, cutoff(T0, 30), None, limit=10))
    assert count(conn, s.messages, old) == 0 and len(plans) >= 8
    if conn.dialect.name == "postgresql":
        assert conn.exec_driver_sql("SHOW enable_seqscan").scalar() == "on"
    for statement, plan in plans:
        if conn.dialect.name == "sqlite":
            steps = [step for step in plan.split(" | ") if step not in COMPOUND]
            assert all(step.startswith("SEARCH") and any(k in step for k in KEYED) for step in steps), \
                (statement, plan)
        elif "FROM message_counts" not in statement:  # a row per account: read whole, rightly
            assert "Seq Scan" not in plan and "state_next" not in plan, (statement, plan)


def _receipt(state: str, received_at) -> dict:
    return {"carrier": "a", "message_id": "1", "keys": ["s:1"], "receipt": {"message_id": "1"},
            "received_at": received_at, "state": state}


def test_receipts_done_with_go_after_the_retention_period_waiting_ones_stay(conn):
    pr = s.pending_receipts
    rows = ([_receipt("applied", OLD + timedelta(seconds=i)) for i in range(7)]
            + [_receipt("unmatched", OLD + timedelta(seconds=i)) for i in range(4)]
            + [_receipt("waiting", OLD)]  # the sweep decides those, whatever their age
            + [_receipt("applied", T0), _receipt("unmatched", T0)])  # younger than the cutoff
    conn.execute(insert(pr), rows)
    total, runs = prune_all(conn, cutoff(T0, 30), limit=3)
    assert runs >= 4  # at most 3 receipts per batch
    left = sorted((row.state, utc(row.received_at)) for row in conn.execute(select(pr.c.state, pr.c.received_at)))
    assert left == [("applied", T0), ("unmatched", T0), ("waiting", OLD)]
    result = prune_batch(conn, cutoff(T0, 30), None, limit=3)
    assert result["done"] and result["receipts"] == 0


def test_the_receipt_states_pruned_are_the_receipts_own():
    from gateway.sms.receipts import store as receipts_store
    from gateway.store.prune import RECEIPTS_DONE

    assert set(RECEIPTS_DONE) == {receipts_store.APPLIED, receipts_store.UNMATCHED}
    assert receipts_store.WAITING not in RECEIPTS_DONE
