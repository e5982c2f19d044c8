"""Message lifecycle: insert, status transitions, status callbacks.

Rules (one table, ``_RANK``): a status only moves forward,
queued < sending < sent < delivered | undelivered | failed, and a final
status (delivered, undelivered, failed, received) never changes again.
``failed`` may be reached from any non-final status (validation after
intake, expiry, a submit error).  Every accepted transition updates the row,
appends a ``status_events`` row and, when the message asked for status
callbacks, appends the callback to ``callback_outbox`` in the SAME
transaction, so callbacks are exactly as durable as the status itself.

Which statuses are reported (``CALLBACK_STATUSES``):
* Messages API (``api='messages'``): sending, then sent | failed, then
  delivered | undelivered | failed.
* SMS API (``api='sms'``): sent | failed, then the delivery status.

All functions take a SQLAlchemy ``Connection`` and run inside the caller's
transaction (``Store.write``); none of them commits.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from . import schema as s
from .timeutil import utc

_RANK = {s.QUEUED: 0, s.SENDING: 1, s.SENT: 2, s.DELIVERED: 3, s.UNDELIVERED: 3,
         s.FAILED: 3, s.RECEIVED: 3}

CALLBACK_STATUSES = {
    "messages": frozenset({s.SENDING, s.SENT, s.FAILED, s.DELIVERED, s.UNDELIVERED}),
    "sms": frozenset({s.SENT, s.FAILED, s.DELIVERED, s.UNDELIVERED}),
}

_COLUMNS = frozenset(s.messages.c.keys())
_GUARDED = frozenset({"sid", "status", "date_updated", "error_code", "error_message"})


def can_transition(old: str, new: str) -> bool:
    """The transition table: forward only, final is final."""
    if old in s.FINAL_STATUSES or new not in _RANK or old not in _RANK:
        return False
    return _RANK[new] > _RANK[old]


def _sources(new: str) -> list[str]:
    return [old for old in _RANK if can_transition(old, new)]


_INSERT_MESSAGE = insert(s.messages)


def insert_message(conn: Connection, row: dict) -> None:
    """Insert a new message.  Its first status is on the row (``status``,
    ``date_created``); ``status_events`` records the transitions after it."""
    values = dict(row)
    created = utc(values["date_created"])
    values["date_created"] = created
    values.setdefault("date_updated", created)
    values.setdefault("next_attempt_at", created)
    values.setdefault("media_list", [])
    values.setdefault("num_media", len(values["media_list"]))
    conn.execute(_INSERT_MESSAGE, values)


def get_message_row(conn: Connection, sid: str) -> Mapping[str, Any] | None:
    return conn.execute(select(s.messages).where(s.messages.c.sid == sid)).mappings().first()


def transition(conn: Connection, sid: str, status: str, *, now: datetime,
               error_code: int | None = None, error_message: str | None = None,
               **fields: Any) -> bool:
    """Move message ``sid`` to ``status``; False when the table refuses."""
    unknown = set(fields) - (_COLUMNS - _GUARDED)
    if unknown:
        raise ValueError(f"transition: unknown message fields {sorted(unknown)}")
    now = utc(now)
    values: dict[str, Any] = dict(fields, status=status, date_updated=now)
    if error_code is not None or error_message is not None:
        values["error_code"] = error_code
        values["error_message"] = error_message
    if status in (s.SENT, s.DELIVERED, s.UNDELIVERED) and "date_sent" not in fields:
        row = get_message_row(conn, sid)
        if row is not None and row["date_sent"] is None:
            values["date_sent"] = now
    result = conn.execute(
        update(s.messages)
        .where(s.messages.c.sid == sid, s.messages.c.status.in_(_sources(status)))
        .values(**values))
    if result.rowcount != 1:
        return False
    conn.execute(insert(s.status_events), {
        "message_sid": sid, "status": status, "error_code": error_code,
        "detail": error_message, "created_at": now})
    row = get_message_row(conn, sid)
    maybe_enqueue_status_callback(conn, row, now=now)
    return True


def wants_callback(row: Mapping[str, Any], status: str) -> bool:
    return (bool(row["status_callback"]) and row["direction"] != "inbound"
            and status in CALLBACK_STATUSES.get(row["api"], frozenset()))


def maybe_enqueue_status_callback(conn: Connection, row: Mapping[str, Any], *,
                                  now: datetime) -> bool:
    if not wants_callback(row, row["status"]):
        return False
    enqueue_callback(conn, message_sid=row["sid"], kind="status", url=row["status_callback"],
                     method=row["status_callback_method"] or "POST",
                     params=status_callback_params(row), now=now)
    return True


def address(row: Mapping[str, Any], value: str) -> str:
    """An address as the message's API shows it: ``sms:+1…`` for the Messages
    API, the bare number for the SMS API."""
    if row["api"] == "messages":
        return f"{row['channel']}:{value}"
    return value


def status_callback_params(row: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The status callback's form parameters (names may repeat)."""
    media = row.get("media_list") or []
    params = [
        ("MessageSid", row["sid"]),
        ("SmsSid", row["sid"]),
        ("AccountSid", row["account_sid"]),
        ("From", address(row, row["from_"])),
        ("To", address(row, row["to"])),
        ("Body", row["body"] or ""),
        ("MessageStatus", row["status"]),
        ("SmsStatus", row["status"]),
        ("ApiVersion", "2012-04-24"),
        ("NumSegments", str(row.get("num_segments") or 1)),
        ("NumMedia", str(len(media))),
    ]
    if row.get("error_code") is not None:
        params.append(("ErrorCode", str(row["error_code"])))
        if row.get("error_message"):
            params.append(("ErrorMessage", row["error_message"]))
    for item in media:
        params.append(("MediaUrl", item.get("url") or ""))
        params.append(("MediaType", item.get("content_type") or ""))
    return params


def enqueue_callback(conn: Connection, *, message_sid: str, kind: str, url: str,
                     method: str, params, now: datetime) -> None:
    """Append a callback to the durable outbox (sent in id order per message)."""
    now = utc(now)
    conn.execute(insert(s.callback_outbox), {
        "message_sid": message_sid, "kind": kind, "url": url, "method": method.upper(),
        "params": [list(pair) for pair in params], "state": "pending", "attempts": 0,
        "next_attempt_at": now, "created_at": now})


# The pipeline's and the callback sender's helpers (gateway.store.queue and
# gateway.store.outbox) are importable from here too, so the whole lifecycle
# API lives under one name.
_QUEUE = frozenset({"claim_queued", "requeue", "requeue_stuck", "expire_unsent", "queue_depth"})
_OUTBOX = frozenset({"due_callbacks", "callback_done", "callback_retry", "callback_dead",
                     "pending_callbacks"})


def __getattr__(name: str):
    if name in _QUEUE:
        from . import queue
        return getattr(queue, name)
    if name in _OUTBOX:
        from . import outbox
        return getattr(outbox, name)
    raise AttributeError(name)
