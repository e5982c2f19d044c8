"""The dispatcher's store jobs: one write records a whole batch of outcomes.

Each outcome is a plain dict built on the reactor thread:

* ``{"kind": "sent", "sid", "carrier", "parts": [(seqno, total, bind, message_id)]}``
  -> ``sent`` with one ``segments`` row per part and one ``segment_ids`` row
  per stored match key (``gateway.sms.receipts.correlation.stored_keys``), so a receipt finds the
  part whatever spelling of the id it carries.  Then the receipts hook runs
  in the same transaction, so a receipt that raced its submit_sm_resp is
  applied now.
* ``{"kind": "failed", "sid", "error_code", "error_message", "carrier", "parts"}``
  -> ``failed`` (parts the SMSC did accept are still recorded, for support).
* ``{"kind": "requeue", "sid", "next_attempt_at", "detail"}`` -> back to queued.

A sent/failed outcome may carry ``"row"``: the message as claimed (at least
its ``messages.BRIEF_COLUMNS``).

Every outcome runs inside its own SAVEPOINT, so one bad row cannot fail the
others of the batch.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Iterable, Mapping

from sqlalchemy import bindparam, func, insert, select
from twisted.logger import Logger
from sqlalchemy.engine import Connection

from gateway.sms.receipts.correlation import stored_keys
from gateway.store import schema as s
from gateway.messages.store import CHUNK, transition, transition_many
from gateway.store.prepared import Prepared
from gateway.dispatch.claims import requeue

log = Logger()


AfterSent = Callable[[Connection, list[Mapping[str, Any]], datetime], Any]


def record_outcomes(conn: Connection, outcomes: Iterable[Mapping[str, Any]], now: datetime,
                    after_sent: AfterSent | None = None) -> dict[str, int]:
    """Record a batch: a few executemany statements; on any error, one by one."""
    outcomes = list(outcomes)
    savepoint = conn.begin_nested()
    try:
        counts, recorded = _record_batch(conn, outcomes, now)
    except Exception:
        savepoint.rollback()
        counts, recorded = _record_each(conn, outcomes, now)
    else:
        savepoint.commit()
    if after_sent is not None and recorded:
        hook = conn.begin_nested()
        try:
            after_sent(conn, recorded, now)
        except Exception:  # the parts are recorded; waiting receipts get swept later
            hook.rollback()
            log.failure("pipeline: applying early receipts failed")
        else:
            hook.commit()
    return counts


def _counts() -> dict[str, int]:
    return {"sent": 0, "failed": 0, "requeue": 0, "refused": 0, "error": 0}


def _change(outcome: Mapping[str, Any]) -> dict[str, Any]:
    parts = outcome.get("parts") or ()
    if outcome["kind"] == "sent":
        return dict(outcome.get("extra") or {}, sid=outcome["sid"], status=s.SENT,
                    carrier=outcome["carrier"], num_segments=outcome.get("num_segments", len(parts)) or 1)
    if outcome["kind"] == "failed":
        change = {"sid": outcome["sid"], "status": s.FAILED, "error_code": outcome["error_code"],
                  "error_message": outcome["error_message"]}
        if outcome.get("carrier"):
            change["carrier"] = outcome["carrier"]
        return change
    raise ValueError(f"unknown outcome kind {outcome['kind']!r}")


def _record_batch(conn: Connection, outcomes: list[Mapping[str, Any]], now: datetime):
    counts = _counts()
    final = [o for o in outcomes if o["kind"] != "requeue"]
    for outcome in outcomes:
        if outcome["kind"] == "requeue":
            ok = requeue(conn, outcome["sid"], now=now, next_attempt_at=outcome["next_attempt_at"],
                         detail=outcome.get("detail"))
            counts["requeue" if ok else "refused"] += 1
    # The rows as claimed (status `sending`) spare a read; if one moved since,
    # transition_many raises StaleRows and the batch is recorded one by one.
    claimed = {o["sid"]: o["row"] for o in final if o.get("row") is not None}
    rows = claimed if len(claimed) == len(final) else None
    moved = set(transition_many(conn, [_change(o) for o in final], now=now, rows=rows))
    with_parts = []
    for outcome in final:
        if outcome["sid"] in moved:
            counts[outcome["kind"]] += 1
            if outcome.get("parts"):
                with_parts.append(outcome)
        else:
            counts["refused"] += 1
    return counts, _insert_segments(conn, with_parts, now)


def _record_each(conn: Connection, outcomes: list[Mapping[str, Any]], now: datetime):
    counts, recorded = _counts(), []
    for outcome in outcomes:
        savepoint = conn.begin_nested()
        try:
            ok = _record_one(conn, outcome, now, recorded)
        except Exception:
            savepoint.rollback()
            counts["error"] += 1
            continue
        savepoint.commit()
        counts[outcome["kind"] if ok else "refused"] += 1
    return counts, recorded


def _record_one(conn: Connection, outcome: Mapping[str, Any], now: datetime,
                recorded: list[Mapping[str, Any]]) -> bool:
    if outcome["kind"] == "requeue":
        return requeue(conn, outcome["sid"], now=now, next_attempt_at=outcome["next_attempt_at"],
                       detail=outcome.get("detail"))
    change = _change(outcome)
    sid, status = change.pop("sid"), change.pop("status")
    ok = transition(conn, sid, status, now=now, **change)
    if ok and outcome.get("parts"):
        recorded.extend(_insert_segments(conn, [outcome], now))
    return ok


_INSERT_SEGMENTS = Prepared(insert(s.segments), ("message_sid", "seqno", "total", "carrier", "bind",
                                                "smsc_message_id", "submitted_at"))
_INSERT_SEGMENTS_RETURNING = insert(s.segments).returning(s.segments.c.id, sort_by_parameter_order=True)
_INSERT_KEYS = Prepared(insert(s.segment_ids), ("key", "segment_id", "account_sid"))
_SEGMENT_IDS = (select(s.segments.c.id, s.segments.c.message_sid, s.segments.c.seqno)
                .where(s.segments.c.message_sid.in_(bindparam("sids", expanding=True))))


_MAX_SEGMENT_ID = select(func.max(s.segments.c.id))


def _insert_returning_ids(conn: Connection, rows: list[dict]) -> list[int]:
    """Insert the parts; their ids in the rows' order."""
    if conn.dialect.name != "sqlite":
        # PostgreSQL: multi-row INSERT ... RETURNING in parameter order (a
        # few statements per batch), no read-back whose plan depends on
        # how fresh the table's statistics are.
        return list(conn.execute(_INSERT_SEGMENTS_RETURNING, rows).scalars())
    # SQLite: executemany (an INSERT ... RETURNING with the rows' order kept
    # runs row by row there).  A rowid table gives each new row max(id) + 1,
    # so when the largest id grew by exactly len(rows) inside this
    # transaction (the writer holds the lock) the rows took before+1 ..
    # before+len(rows) in order: two O(log n) probes instead of a read-back.
    # Anything else (a gap) falls back to reading the ids.
    before = conn.execute(_MAX_SEGMENT_ID).scalar() or 0
    _INSERT_SEGMENTS.run(conn, rows)
    after = conn.execute(_MAX_SEGMENT_ID).scalar() or 0
    if after - before == len(rows):
        return list(range(before + 1, after + 1))
    found: dict[tuple[str, int], int] = {}
    sids = list(dict.fromkeys(row["message_sid"] for row in rows))
    for start in range(0, len(sids), CHUNK):
        for segment_id, sid, seqno in conn.execute(_SEGMENT_IDS, {"sids": sids[start:start + CHUNK]}):
            found[(sid, seqno)] = max(segment_id, found.get((sid, seqno), 0))  # the newest
    return [found[(row["message_sid"], row["seqno"])] for row in rows]


def _insert_segments(conn: Connection, outcomes: list[Mapping[str, Any]], now: datetime):
    rows, accounts = [], []
    for outcome in outcomes:
        for seqno, total, bind, message_id in outcome["parts"]:
            rows.append({"message_sid": outcome["sid"], "seqno": seqno, "total": total,
                         "carrier": outcome["carrier"], "bind": bind, "smsc_message_id": message_id,
                         "submitted_at": now})
            accounts.append(outcome["account_sid"])
    if not rows:
        return []
    ids = _insert_returning_ids(conn, rows)
    keys = [{"key": key, "segment_id": segment_id, "account_sid": account}
            for segment_id, row, account in zip(ids, rows, accounts)
            for key in sorted(stored_keys(row["smsc_message_id"] or ""))]
    _INSERT_KEYS.run(conn, keys)
    return [dict(row, id=segment_id, account_sid=account)
            for segment_id, row, account in zip(ids, rows, accounts)]
