"""Status transitions for many messages in a few statements.

The same rules as ``gateway.store.messages.transition`` (its transition
table, its ``date_sent`` rule, its status callbacks via
``wants_callback``/``status_callback_params``), but done as: one SELECT of
the rows, one executemany UPDATE per shape of change, one executemany INSERT
of ``status_events`` and one of ``callback_outbox``.  At thousands of
messages per second the per-statement overhead of the one-message function,
not SQLite, is the limit; this is what the pipeline and the batched receipt
path use.  The UPDATE still checks the old status, so a row that moved in
between is never moved backwards.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Mapping

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection

from gateway.store import schema as s
from gateway.store.messages import can_transition, status_callback_params, wants_callback
from gateway.store.timeutil import utc

CHUNK = 500  # rows per IN (...) query
_SENT_LIKE = (s.SENT, s.DELIVERED, s.UNDELIVERED)


# What a transition needs to decide; the full row only when a callback is due.
_BRIEF = ("sid", "status", "date_sent", "status_callback", "api", "direction", "num_segments")


def load_rows(conn: Connection, sids: Iterable[str], *, brief: bool = False) -> dict[str, Mapping[str, Any]]:
    sids = list(dict.fromkeys(sids))
    out: dict[str, Mapping[str, Any]] = {}
    columns = [s.messages.c[name] for name in _BRIEF] if brief else [s.messages]
    for start in range(0, len(sids), CHUNK):
        chunk = sids[start:start + CHUNK]
        for row in conn.execute(select(*columns).where(s.messages.c.sid.in_(chunk))).mappings():
            out[row["sid"]] = row
    return out


def transition_many(conn: Connection, changes: list[Mapping[str, Any]], *, now: datetime,
                    rows: Mapping[str, Mapping[str, Any]] | None = None) -> list[str]:
    """Apply ``changes`` ({"sid", "status", "error_code"?, "error_message"?,
    **message fields}); return the sids that moved (the others were refused)."""
    if not changes:
        return []
    now = utc(now)
    rows = dict(rows) if rows is not None else load_rows(conn, (c["sid"] for c in changes), brief=True)
    shapes: dict[tuple[str, ...], list[dict]] = {}
    events, callbacks, moved = [], [], []
    for change in changes:
        row = rows.get(change["sid"])
        if row is None or not can_transition(row["status"], change["status"]):
            continue
        values = {k: v for k, v in change.items() if k != "sid"}
        values["date_updated"] = now
        if "error_code" in values or "error_message" in values:
            values.setdefault("error_code", None)
            values.setdefault("error_message", None)
        if change["status"] in _SENT_LIKE and row["date_sent"] is None and "date_sent" not in values:
            values["date_sent"] = now
        shape = tuple(sorted(values))
        shapes.setdefault(shape, []).append(dict(values, b_sid=change["sid"], b_old=row["status"]))
        new_row = dict(row, **values)
        rows[change["sid"]] = new_row
        moved.append(change["sid"])
        events.append({"message_sid": change["sid"], "status": change["status"],
                       "error_code": values.get("error_code"), "detail": values.get("error_message"),
                       "created_at": now})
        if wants_callback(new_row, change["status"]):
            callbacks.append((change["sid"], values))
    m = s.messages
    for shape, params in shapes.items():
        stmt = (update(m).where(m.c.sid == bindparam("b_sid"), m.c.status == bindparam("b_old"))
                .values({name: bindparam(name) for name in shape}))
        conn.execute(stmt, params)
    if events:
        conn.execute(insert(s.status_events), events)
    if callbacks:
        full = load_rows(conn, (sid for sid, _ in callbacks))  # after the UPDATEs: current rows
        conn.execute(insert(s.callback_outbox), [_callback_row(full[sid], now) for sid, _ in callbacks])
    return moved


def _callback_row(row: Mapping[str, Any], now: datetime) -> dict:
    return {"message_sid": row["sid"], "kind": "status", "url": row["status_callback"],
            "method": (row["status_callback_method"] or "POST").upper(),
            "params": [list(pair) for pair in status_callback_params(row)], "state": "pending",
            "attempts": 0, "next_attempt_at": now, "created_at": now}
