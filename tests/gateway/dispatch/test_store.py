"""Recording parts: each part's match keys point at that part's own row, on
SQLite (ids taken from the rowid growth) and PostgreSQL (RETURNING)."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, insert, select

from gateway.sms.receipts.correlation import stored_keys
from gateway.dispatch.store import _insert_segments
from gateway.store import migrate
from gateway.store import schema as s
from gateway.store.engine import make_engine
from gateway.messages.store import insert_message
from tests.db_backends import BACKENDS, database_url

from tests.gateway.pipeline_helpers import T0, message_row


@pytest.fixture(params=BACKENDS)
def conn(request, tmp_path):
    with database_url(request.param, tmp_path / "parts.db", prefix="gw_parts") as url:
        migrate.upgrade(url)
        engine = make_engine(url, writer=True)
        try:
            with engine.connect() as connection:
                with connection.begin():
                    yield connection
        finally:
            engine.dispose()


def _outcome(row, ids):
    parts = tuple((i, len(ids), "b1", smsc_id) for i, smsc_id in enumerate(ids, 1))
    return {"sid": row["sid"], "carrier": "c1", "account_sid": row["account_sid"], "parts": parts}


def _keys_by_part(conn):
    seg, ids = s.segments, s.segment_ids
    found = {}
    for key, sid, seqno, smsc_id in conn.execute(
            select(ids.c.key, seg.c.message_sid, seg.c.seqno, seg.c.smsc_message_id)
            .join(seg, seg.c.id == ids.c.segment_id)):
        found.setdefault((sid, seqno, smsc_id), set()).add(key)
    return found


def test_each_part_gets_its_own_id_and_keys(conn):
    rows = [message_row() for _ in range(3)]
    for row in rows:
        insert_message(conn, row)
    # An older part with a high id, and one deleted below it: new ids follow the largest.
    insert_message(conn, old := message_row())
    conn.execute(insert(s.segments).values(id=500, message_sid=old["sid"], seqno=1, total=1))
    conn.execute(insert(s.segments).values(id=7, message_sid=old["sid"], seqno=2, total=2))
    conn.execute(delete(s.segments).where(s.segments.c.id == 7))
    outcomes = [_outcome(rows[0], ["1f"]), _outcome(rows[1], ["0000000031", "abc-2"]),
                _outcome(rows[2], ["ZZ9"])]
    recorded = _insert_segments(conn, outcomes, T0)
    assert [(r["message_sid"], r["seqno"]) for r in recorded] == [
        (rows[0]["sid"], 1), (rows[1]["sid"], 1), (rows[1]["sid"], 2), (rows[2]["sid"], 1)]
    stored = {(sid, seqno): segment_id for segment_id, sid, seqno in conn.execute(
        select(s.segments.c.id, s.segments.c.message_sid, s.segments.c.seqno))}
    assert [r["id"] for r in recorded] == [stored[(r["message_sid"], r["seqno"])] for r in recorded]
    if conn.dialect.name == "sqlite":  # rowids follow the largest id (PostgreSQL: its sequence)
        assert [r["id"] for r in recorded] == [501, 502, 503, 504]
    by_part = _keys_by_part(conn)
    for outcome in outcomes:
        for seqno, _total, _bind, smsc_id in outcome["parts"]:
            assert by_part[(outcome["sid"], seqno, smsc_id)] == set(stored_keys(smsc_id))
    assert by_part[(rows[0]["sid"], 1, "1f")] == {"s:1f"}  # its hex reading is its spelling
