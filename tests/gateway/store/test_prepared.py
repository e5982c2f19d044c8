"""Prepared driver executemany stores exactly what the Core statement would."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import bindparam, insert, select, update

from gateway.store import schema as s
from gateway.messages.store import insert_message
from gateway.store.prepared import Prepared

from .factories import T0, message_row

EVENT_KEYS = ("message_sid", "status", "error_code", "detail", "created_at")


def _events(conn):
    return [tuple(r) for r in conn.execute(
        select(s.status_events.c.message_sid, s.status_events.c.status, s.status_events.c.error_code,
               s.status_events.c.detail, s.status_events.c.created_at)
        .order_by(s.status_events.c.id))]


def test_insert_matches_core(conn):
    sids = [insert_message(conn, row) or row["sid"] for row in (message_row(), message_row())]
    later = T0 + timedelta(microseconds=123456)
    rows = [{"message_sid": sids[0], "status": "sent", "error_code": None, "detail": None, "created_at": T0},
            {"message_sid": sids[1], "status": "failed", "error_code": 30008, "detail": "x", "created_at": later},
            {"message_sid": sids[0], "status": "delivered", "error_code": None, "detail": None, "created_at": T0}]
    conn.execute(insert(s.status_events), rows)
    core = _events(conn)
    conn.execute(s.status_events.delete())
    assert Prepared(insert(s.status_events), EVENT_KEYS).run(conn, rows) == 3
    assert _events(conn) == core
    # the stored text is the same too (SQLite keeps datetimes as strings)
    raw = conn.exec_driver_sql("SELECT created_at FROM status_events ORDER BY id").scalars().all()
    assert len(set(map(str, raw))) == 2


def test_update_by_bind_parameters_and_single_row(conn):
    row = message_row()
    insert_message(conn, row)
    m = s.messages
    statement = Prepared(update(m).where(m.c.sid == bindparam("b_sid"))
                         .values(carrier=bindparam("carrier", type_=m.c.carrier.type),
                                 date_updated=bindparam("date_updated", type_=m.c.date_updated.type)),
                         ("b_sid", "carrier", "date_updated"))
    when = T0 + timedelta(seconds=5)
    assert statement.run(conn, [{"b_sid": row["sid"], "carrier": "a", "date_updated": when}]) == 1
    assert statement.run(conn, [{"b_sid": "SMnone", "carrier": "b", "date_updated": when}]) == 0
    assert statement.run(conn, []) == 0
    stored = conn.execute(select(m.c.carrier, m.c.date_updated).where(m.c.sid == row["sid"])).one()
    assert stored.carrier == "a"
    assert stored.date_updated.replace(tzinfo=None) == when.replace(tzinfo=None)


def test_names_must_cover_the_statement(conn):
    m = s.messages
    statement = update(m).where(m.c.sid == bindparam("b_sid")).values(carrier=bindparam("carrier"))
    with pytest.raises(ValueError, match="b_sid"):
        Prepared(statement, ("carrier",)).run(conn, [{"carrier": "a"}])
