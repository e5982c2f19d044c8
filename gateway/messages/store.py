"""Message lifecycle: insert, status transitions, status callbacks.

Which moves are allowed is the status table of ``gateway.messages.lifecycle``
(forward only, final is final).  Every accepted transition updates the row,
appends a ``status_events`` row and, when the message asked for status
callbacks, appends the callback to ``callback_outbox`` in the SAME
transaction, so callbacks are exactly as durable as the status itself.

Which statuses are reported (``CALLBACK_STATUSES``):
* Messages API (``api='messages'``): sending, then sent | failed, then
  delivered | undelivered | failed.
* SMS API (``api='sms'``): sent | failed, then the delivery status.

One implementation of these rules: ``transition_many`` (a few statements
for a whole batch; the pipeline, the batched receipts, expiry and recovery
use it) and ``transition``, which is ``transition_many`` with one change.

All functions take a SQLAlchemy ``Connection`` and run inside the caller's
transaction (``Store.write``); none of them commits.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Mapping

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection

from gateway.messages.lifecycle import TRANSITIONS, can_transition  # noqa: F401  (re-exported)

from gateway.store import schema as s
from gateway.store.group import coalesced
from gateway.store.prepared import Prepared
from gateway.store.signals import outbox_written
from gateway.store.timeutil import utc

CALLBACK_STATUSES = {
    "messages": frozenset({s.SENDING, s.SENT, s.FAILED, s.DELIVERED, s.UNDELIVERED}),
    "sms": frozenset({s.SENT, s.FAILED, s.DELIVERED, s.UNDELIVERED}),
}

_COLUMNS = frozenset(s.messages.c.keys())
_GUARDED = frozenset({"sid", "status", "date_updated", "error_code", "error_message"})


_INSERT_MESSAGE = insert(s.messages)


def _insert_values(row: Mapping[str, Any]) -> dict:
    values = dict(row)
    created = utc(values["date_created"])
    values["date_created"] = created
    values.setdefault("date_updated", created)
    values.setdefault("next_attempt_at", created)
    values.setdefault("media_list", [])
    values.setdefault("num_media", len(values["media_list"]))
    return values


def _insert_many(conn: Connection, calls) -> list[None]:
    """``insert_message`` for each call: one executemany per set of given columns."""
    by_columns: dict[frozenset, list[dict]] = {}
    for args, kwargs in calls:
        values = _insert_values(args[0] if args else kwargs["row"])
        by_columns.setdefault(frozenset(values), []).append(values)
    for values in by_columns.values():
        conn.execute(_INSERT_MESSAGE, values)
    return [None] * len(calls)


@coalesced(_insert_many)  # the API's POSTs of one group commit: one executemany
def insert_message(conn: Connection, row: dict) -> None:
    """Insert a new message.  Its first status is on the row (``status``,
    ``date_created``); ``status_events`` records the transitions after it."""
    conn.execute(_INSERT_MESSAGE, _insert_values(row))


def get_message_row(conn: Connection, sid: str) -> Mapping[str, Any] | None:
    return conn.execute(_ROW_BY_SID, {"sid": sid}).mappings().first()


def transition(conn: Connection, sid: str, status: str, *, now: datetime,
               error_code: int | None = None, error_message: str | None = None,
               **fields: Any) -> bool:
    """Move message ``sid`` to ``status``; False when the table refuses.

    ``transition_many`` with one change: one implementation of the rules."""
    change: dict[str, Any] = dict(fields, sid=sid, status=status)
    if error_code is not None or error_message is not None:
        change["error_code"] = error_code
        change["error_message"] = error_message
    return bool(transition_many(conn, [change], now=now))


# -- the lifecycle, batched --------------------------------------------------
# One SELECT of what the rules need, one executemany UPDATE per shape of
# change (the UPDATE still checks the old status, so a row that moved in
# between is never moved backwards), one executemany INSERT of
# ``status_events`` and one of ``callback_outbox``.  The statements are built
# once (``IN`` lists as expanding parameters), so a batch pays SQLAlchemy's
# compile cache lookup, not a rebuild.
CHUNK = 500  # rows per IN (...) query
_SENT_LIKE = frozenset({s.SENT, s.DELIVERED, s.UNDELIVERED})
_CHANGE_KEYS = (_COLUMNS - _GUARDED) | {"sid", "status", "error_code", "error_message"}
# What a transition needs to decide; the full row only when a callback is due.
_BRIEF = ("sid", "status", "date_sent", "status_callback", "api", "direction", "num_segments")
BRIEF_COLUMNS = _BRIEF
_ROW_BY_SID = select(s.messages).where(s.messages.c.sid == bindparam("sid"))
_ROWS_BY_SID = select(s.messages).where(s.messages.c.sid.in_(bindparam("sids", expanding=True)))
_BRIEF_BY_SID = (select(*[s.messages.c[name] for name in _BRIEF])
                 .where(s.messages.c.sid.in_(bindparam("sids", expanding=True))))
_EVENT_KEYS = ("message_sid", "status", "error_code", "detail", "created_at")
INSERT_EVENTS = Prepared(insert(s.status_events), _EVENT_KEYS)
_INSERT_CALLBACKS = insert(s.callback_outbox)
_UPDATES: dict[tuple[str, ...], Any] = {}


def load_rows(conn: Connection, sids: Iterable[str], *,
              brief: bool = False) -> dict[str, Mapping[str, Any]]:
    """Message rows by sid (``brief``: only what ``transition_many`` needs)."""
    sids = list(dict.fromkeys(sids))
    statement = _BRIEF_BY_SID if brief else _ROWS_BY_SID
    out: dict[str, Mapping[str, Any]] = {}
    for start in range(0, len(sids), CHUNK):
        for row in conn.execute(statement, {"sids": sids[start:start + CHUNK]}).mappings():
            out[row["sid"]] = row
    return out


def _update_for(shape: tuple[str, ...]) -> Prepared:
    statement = _UPDATES.get(shape)
    if statement is None:
        m = s.messages
        statement = Prepared(
            update(m).where(m.c.sid == bindparam("b_sid"), m.c.status == bindparam("b_old"))
            .values({name: bindparam(name, type_=m.c[name].type) for name in shape}),
            shape + ("b_sid", "b_old"))
        _UPDATES[shape] = statement
    return statement


# A change's keys in the order given -> the columns its UPDATE sets (sorted,
# without "sid"): a batch's changes mostly share one spelling.
_SHAPES: dict[tuple[str, ...], tuple[str, ...]] = {}


def _values(params: Mapping[str, Any]) -> dict:
    """The new column values of a change's parameters (no sid, no WHERE values)."""
    return {k: v for k, v in params.items() if k not in ("sid", "b_sid", "b_old")}


class StaleRows(RuntimeError):
    """The rows given to ``transition_many`` were not the current ones (an
    UPDATE guarded by the old status matched fewer rows than it moved)."""


def transition_many(conn: Connection, changes: Iterable[Mapping[str, Any]], *, now: datetime,
                    rows: Mapping[str, Mapping[str, Any]] | None = None) -> list[str]:
    """Apply ``changes`` ({"sid", "status", "error_code"?, "error_message"?,
    **message fields}) in order; return the sids that moved (the table
    refused the others).

    ``rows``: the brief rows (``load_rows(..., brief=True)``) the caller
    already has.  Every UPDATE still checks the old status; if one matches
    fewer rows than it should, the rows were stale and ``StaleRows`` is
    raised (roll back and retry without ``rows``).  A message changed twice
    in one call is moved in rounds, each change seeing the one before."""
    changes = list(changes)
    if not changes:
        return []
    now = utc(now)
    rows = rows if rows is not None else load_rows(conn, (c["sid"] for c in changes), brief=True)
    this_round: list[Mapping[str, Any]] = []
    later: list[Mapping[str, Any]] = []
    seen: set[str] = set()
    for change in changes:
        if not _CHANGE_KEYS.issuperset(change):
            raise ValueError(f"transition: unknown message fields {sorted(set(change) - _CHANGE_KEYS)}")
        if later or change["sid"] in seen:
            later.append(change)  # keeps the order: everything after a repeat waits
        else:
            seen.add(change["sid"])
            this_round.append(change)
    moved = _transition_round(conn, this_round, rows, now)
    if later:
        moved += transition_many(conn, later, now=now)
    return moved


def _transition_round(conn: Connection, changes: list[Mapping[str, Any]],
                      rows: Mapping[str, Mapping[str, Any]], now: datetime) -> list[str]:
    """``transition_many`` for changes of distinct messages."""
    shapes: dict[tuple[str, ...], list[dict]] = {}
    events, callbacks, moved = [], [], []
    for change in changes:
        sid, status = change["sid"], change["status"]
        row = rows.get(sid)
        if row is None or (row["status"], status) not in TRANSITIONS:
            continue
        # One dict per change: the new values, plus the WHERE's b_sid and
        # b_old (and the change's own "sid", which no statement reads).
        params = dict(change)
        params["date_updated"] = now
        if "error_code" in params or "error_message" in params:
            params.setdefault("error_code", None)
            params.setdefault("error_message", None)
        if status in _SENT_LIKE and "date_sent" not in params and row["date_sent"] is None:
            params["date_sent"] = now
        spelled = tuple(params)
        shape = _SHAPES.get(spelled)
        if shape is None:
            shape = _SHAPES[spelled] = tuple(sorted(k for k in spelled if k != "sid"))
        params["b_sid"], params["b_old"] = sid, row["status"]
        if shape in shapes:
            shapes[shape].append(params)
        else:
            shapes[shape] = [params]
        moved.append(sid)
        events.append({"message_sid": sid, "status": status, "error_code": params.get("error_code"),
                       "detail": params.get("error_message"), "created_at": now})
        if row["status_callback"] or "status_callback" in params:
            values = _values(params)
            if wants_callback(dict(row, **values), status):
                callbacks.append((sid, values))
    updated = sum(_update_for(shape).run(conn, params) for shape, params in shapes.items())
    if updated != len(moved):
        raise StaleRows(f"transition: {len(moved)} rows to move, {updated} matched their old status")
    INSERT_EVENTS.run(conn, events)
    if callbacks:
        full = load_rows(conn, [sid for sid, _ in callbacks])  # after the UPDATEs: the current rows
        insert_callbacks(conn, [callback_row(full[sid], now) for sid, _ in callbacks])
    return moved


def callback_row(row: Mapping[str, Any], now: datetime) -> dict:
    """The ``callback_outbox`` row of a status callback for ``row`` as it is."""
    return {"message_sid": row["sid"], "kind": "status", "url": row["status_callback"],
            "method": (row["status_callback_method"] or "POST").upper(),
            "params": [list(pair) for pair in status_callback_params(row)], "state": "pending",
            "attempts": 0, "next_attempt_at": now, "created_at": now}


def wants_callback(row: Mapping[str, Any], status: str) -> bool:
    return (bool(row["status_callback"]) and row["direction"] != "inbound"
            and status in CALLBACK_STATUSES.get(row["api"], frozenset()))


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
    insert_callbacks(conn, [{
        "message_sid": message_sid, "kind": kind, "url": url, "method": method.upper(),
        "params": [list(pair) for pair in params], "state": "pending", "attempts": 0,
        "next_attempt_at": now, "created_at": now}])


def insert_callbacks(conn: Connection, rows: list[dict]) -> None:
    """Put ``rows`` in the outbox: the one place callbacks are written, so the
    store wakes the sender once they commit (``gateway.store.signals``)."""
    conn.execute(_INSERT_CALLBACKS, rows)
    outbox_written(conn)
