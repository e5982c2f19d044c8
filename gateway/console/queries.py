"""The console's reads of the store: summary counts, recent failures, search
and one message's full history.

Each function takes a SQLAlchemy connection (run on the store's reader via
``store.read``, or on a plain engine by ``carrier-gateway messages show``).
Search looks for an exact sid, an exact To/From number, or an SMSC message
id through ``segment_ids`` (every spelling of the id, as receipts match).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import and_, func, or_, select, text, union

from gateway.store import schema as s
from gateway.store.counts import of_every_account

RECENT_FAILURES = 50
SEARCH_LIMIT = 50


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.isoformat()
    return value


def _row(row) -> dict:
    return {k: _iso(v) for k, v in row._mapping.items()}


def store_summary(conn, now: datetime) -> dict:
    m, cb = s.messages, s.callback_outbox
    oldest = conn.execute(select(func.min(m.c.date_created)).where(m.c.status == s.QUEUED)).scalar()
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=timezone.utc)
    # The states asked for by name: "!= 'done'" read the state index whole,
    # every callback ever sent, at every refresh.
    states = dict(conn.execute(select(cb.c.state, func.count()).where(cb.c.state.in_(["pending", "dead"]))
                               .group_by(cb.c.state)).all())
    failing = conn.execute(
        select(cb.c.url, func.count().label("n"), func.max(cb.c.last_error).label("last_error"))
        .where(or_(cb.c.state == "dead", and_(cb.c.state == "pending", cb.c.attempts > 0)))
        .group_by(cb.c.url).order_by(func.count().desc()).limit(5)).all()
    pr = s.pending_receipts
    receipts = dict(conn.execute(select(pr.c.state, func.count()).where(pr.c.state.in_(["waiting", "unmatched"]))
                                 .group_by(pr.c.state)).all())
    return {
        "oldest_queued_age": None if oldest is None else max(0.0, (now - oldest).total_seconds()),
        "callback_backlog": states.get("pending", 0), "callbacks_dead": states.get("dead", 0),
        "failing_endpoints": [{"url": u, "count": n, "last_error": e} for u, n, e in failing],
        "receipts_waiting": receipts.get("waiting", 0),
        "receipts_unmatched": receipts.get("unmatched", 0),
        "slot_owners": slot_owners(conn),
    }


def slot_owners(conn) -> dict[str, dict[int, str]] | None:
    """carrier -> bind slot -> the live node holding it, as of the nodes'
    last heartbeats; None when no live node shares binds by slots (SQLite)."""
    n = s.nodes
    rows = conn.execute(select(n.c.node_id, n.c.slots)
                        .where(n.c.state == "live", n.c.slots.is_not(None))
                        .order_by(n.c.node_id)).all()
    if not rows:
        return None
    owners: dict[str, dict[int, str]] = {}
    for node_id, slots in rows:
        for carrier, held in (slots or {}).items():
            for slot in held:
                owners.setdefault(carrier, {}).setdefault(int(slot), node_id)
    return owners


_LIST_COLUMNS = (s.messages.c.sid, s.messages.c.account_sid, s.messages.c.direction,
                 s.messages.c.channel, s.messages.c.from_, s.messages.c.to, s.messages.c.status,
                 s.messages.c.error_code, s.messages.c.error_message, s.messages.c.carrier,
                 s.messages.c.carrier_stat, s.messages.c.carrier_err, s.messages.c.date_created,
                 s.messages.c.date_updated)


def recent_failures(conn, limit: int = RECENT_FAILURES) -> list[dict]:
    """The newest failed and undelivered messages (by when they changed),
    read backwards along ix_messages_failed_updated: the status test is
    spelled as that partial index's condition, so the planner uses it."""
    m = s.messages
    rows = conn.execute(select(*_LIST_COLUMNS).where(text(s.FAILED_WHERE))
                        .order_by(m.c.date_updated.desc(), m.c.sid.desc()).limit(limit))
    return [_row(r) for r in rows]


def search(conn, query: str, limit: int = SEARCH_LIMIT) -> list[dict]:
    """Messages whose sid, To or From is *query*, or whose part has SMSC id *query*."""
    from gateway.sms.receipts.correlation import lookup_keys, match_keys

    query = query.strip()
    if not query:
        return []
    m, seg, ids = s.messages, s.segments, s.segment_ids
    keys = sorted(lookup_keys(match_keys(query))) or [query]
    by_smsc = select(seg.c.message_sid.label("sid")).join(ids, ids.c.segment_id == seg.c.id) \
        .where(ids.c.key.in_(keys))
    # Each way of matching is a lookup of its own, through an index (To and
    # From account by account), and the matches are their union: as one OR,
    # with To and From alone, SQLite read every message for each search,
    # and PostgreSQL still did with the accounts beside them.
    accounts = of_every_account(m.c.account_sid, conn.dialect.name)
    matches = union(select(m.c.sid).where(m.c.sid == query),
                    select(m.c.sid).where(accounts, m.c.to == query),
                    select(m.c.sid).where(accounts, m.c.from_ == query),
                    select(m.c.sid).where(m.c.mm7_message_id == query), by_smsc).subquery()
    rows = [_row(r) for r in conn.execute(select(*_LIST_COLUMNS).where(m.c.sid.in_(select(matches.c.sid)))
                                          .order_by(m.c.date_created.desc(), m.c.sid).limit(limit))]
    return _with_callback_answers(conn, rows)


def _with_callback_answers(conn, rows: list[dict]) -> list[dict]:
    """Each row gets ``callback_http``: its callbacks' HTTP answers in order
    (a status code, or None for a callback not answered yet)."""
    cb = s.callback_outbox
    answers: dict[str, list] = {row["sid"]: [] for row in rows}
    if answers:
        for sid, status in conn.execute(select(cb.c.message_sid, cb.c.http_status)
                                        .where(cb.c.message_sid.in_(list(answers)))
                                        .order_by(cb.c.message_sid, cb.c.id)):
            answers[sid].append(status)
    for row in rows:
        row["callback_http"] = answers[row["sid"]]
    return rows


def _callback(row: dict) -> dict:
    """The answer to the latest attempt: its exact HTTP status (``http_status``)
    when it was answered, else the error that ended it (a timeout, a refused
    connection); "2xx" for a row delivered before statuses were kept."""
    if row["http_status"] is not None:
        row["answer"] = f"HTTP {row['http_status']}"
    else:
        row["answer"] = "2xx" if row["state"] == "done" else row["last_error"]
    return row


def history(conn, sid: str) -> dict | None:
    """The message, its status events, its parts and its callbacks; None when unknown."""
    m = s.messages
    message = conn.execute(select(m).where(m.c.sid == sid)).first()
    if message is None:
        return None
    out = {k: v for k, v in _row(message).items() if k not in ("media_list",)}
    ev, seg, cb = s.status_events, s.segments, s.callback_outbox
    out["events"] = [_row(r) for r in conn.execute(
        select(ev.c.status, ev.c.error_code, ev.c.detail, ev.c.created_at)
        .where(ev.c.message_sid == sid).order_by(ev.c.id))]
    out["parts"] = [_row(r) for r in conn.execute(
        select(seg.c.seqno, seg.c.total, seg.c.carrier, seg.c.bind, seg.c.smsc_message_id,
               seg.c.status, seg.c.error_code, seg.c.stat, seg.c.err, seg.c.submitted_at,
               seg.c.receipt_at).where(seg.c.message_sid == sid).order_by(seg.c.seqno, seg.c.id))]
    out["callbacks"] = [_callback(_row(r)) for r in conn.execute(
        select(cb.c.id, cb.c.kind, cb.c.url, cb.c.method, cb.c.params, cb.c.state, cb.c.attempts,
               cb.c.created_at, cb.c.next_attempt_at, cb.c.last_error, cb.c.http_status)
        .where(cb.c.message_sid == sid).order_by(cb.c.id))]
    return out
