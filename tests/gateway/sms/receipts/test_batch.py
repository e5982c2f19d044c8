"""Batched receipts and transitions give the same results as the one-by-one
receipts store: fast path for single-part messages, fallback for the rest."""
from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings, strategies as st
from sqlalchemy import select

from gateway.messages.store import transition_many
from gateway.dispatch.store import record_outcomes
from gateway.sms.receipts.store import EarlyReceipts
from gateway.sms.receipts import batch
from gateway.sms.receipts.batch import _candidates, _lookup, apply_receipts
from gateway.sms.receipts.correlation import best_part, lookup_keys, match_keys, stored_keys
from gateway.store import migrate
from gateway.store import schema as s
from gateway.store.engine import make_engine
from gateway.messages.store import get_message_row, insert_message
from protocols.smpp.receipt import Receipt

from tests.gateway.pipeline_helpers import T0, message_row
from tests.gateway.receipts_fixtures import count_pending

NOW = T0 + timedelta(seconds=5)


@pytest.fixture
def conn(tmp_path):
    url = f"sqlite:///{tmp_path}/gw.db"
    migrate.upgrade(url)
    engine = make_engine(url, writer=True)
    with engine.connect() as connection:
        with connection.begin():
            yield connection
    engine.dispose()


def sent(conn, message_ids, **overrides):
    """A message claimed and recorded as sent with parts carrying *message_ids*."""
    row = message_row(status="sending", num_segments=len(message_ids), **overrides)
    insert_message(conn, row)
    total = len(message_ids)
    record_outcomes(conn, [{"kind": "sent", "sid": row["sid"], "account_sid": row["account_sid"],
                            "carrier": "a", "parts": [(i, total, None, mid) for i, mid in
                                                      enumerate(message_ids, 1)]}], NOW)
    return row["sid"]


def receipt(message_id, stat="DELIVRD", err="000"):
    return Receipt(message_id=message_id, stat=stat, err=err)


def callbacks(conn, sid):
    rows = conn.execute(select(s.callback_outbox).where(s.callback_outbox.c.message_sid == sid)
                        .order_by(s.callback_outbox.c.id)).mappings().all()
    return [dict(map(tuple, r["params"]))["MessageStatus"] for r in rows]


def test_single_part_receipts_in_one_batch(conn):
    ok = sent(conn, ["1a"], status_callback="http://cb")
    bad = sent(conn, ["1b"])
    states = apply_receipts(conn, [("a", "a-1", receipt("1A")), ("a", "a-1", receipt("1b", "UNDELIV", "001"))],
                            now=NOW)
    assert states == ["applied", "applied"]
    assert get_message_row(conn, ok)["status"] == "delivered"
    row = get_message_row(conn, bad)
    assert (row["status"], row["carrier_stat"], row["carrier_err"]) == ("undelivered", "UNDELIV", "001")
    assert row["error_code"] is not None and row["error_message"]
    assert callbacks(conn, ok) == ["sent", "delivered"]


def test_multi_part_and_unknown_ids_use_the_receipts_store(conn):
    sid = sent(conn, ["10", "11"])
    states = apply_receipts(conn, [("a", None, receipt("10")), ("a", None, receipt("ffff"))], now=NOW)
    assert states == ["applied", "waiting"]
    assert get_message_row(conn, sid)["status"] == "sent"
    apply_receipts(conn, [("a", None, receipt("11"))], now=NOW)
    assert get_message_row(conn, sid)["status"] == "delivered"


def test_early_receipt_is_applied_when_the_part_is_recorded(conn):
    assert apply_receipts(conn, [("a", None, receipt("abc"))], now=NOW) == ["waiting"]
    row = message_row(status="sending")
    insert_message(conn, row)
    record_outcomes(conn, [{"kind": "sent", "sid": row["sid"], "account_sid": row["account_sid"],
                            "carrier": "a", "parts": [(1, 1, None, "ABC")]}], NOW, EarlyReceipts())
    assert get_message_row(conn, row["sid"])["status"] == "delivered"
    assert count_pending(conn) == {"applied": 1}


def test_a_second_receipt_for_the_same_part_in_a_batch(conn):
    sid = sent(conn, ["77"])
    states = apply_receipts(conn, [("a", None, receipt("77", "ACCEPTD")), ("a", None, receipt("77"))], now=NOW)
    assert states == ["applied", "applied"]
    assert get_message_row(conn, sid)["status"] == "delivered"


def test_transition_many_never_moves_backwards(conn):
    row = message_row(status="delivered")
    insert_message(conn, row)
    fresh = message_row(status="sending")
    insert_message(conn, fresh)
    moved = transition_many(conn, [{"sid": row["sid"], "status": "sent"},
                                   {"sid": fresh["sid"], "status": "sent", "carrier": "a"},
                                   {"sid": "SMnope", "status": "sent"}], now=NOW)
    assert moved == [fresh["sid"]]
    assert get_message_row(conn, row["sid"])["status"] == "delivered"
    stored = get_message_row(conn, fresh["sid"])
    assert stored["status"] == "sent" and stored["carrier"] == "a" and stored["date_sent"] is not None


def test_transition_many_repeats_in_a_reused_shape_move_in_order(conn):
    first, other = message_row(status="sending"), message_row(status="sent", date_sent=T0)
    insert_message(conn, first)
    insert_message(conn, other)
    # `other` -> delivered and `first`'s second change share a shape (status,
    # date_updated); `first`'s first change has its own.  Each change must
    # see the one before it.
    moved = transition_many(conn, [{"sid": other["sid"], "status": "delivered"},
                                   {"sid": first["sid"], "status": "sent", "carrier": "a"},
                                   {"sid": first["sid"], "status": "delivered"}], now=NOW)
    assert moved == [other["sid"], first["sid"], first["sid"]]
    assert get_message_row(conn, first["sid"])["status"] == "delivered"
    assert get_message_row(conn, other["sid"])["status"] == "delivered"


def test_stale_rows_are_detected_and_a_stale_outcome_is_refused(conn):
    from gateway.messages.store import StaleRows, load_rows

    row = message_row(status="sending")
    insert_message(conn, row)
    claimed = load_rows(conn, [row["sid"]], brief=True)
    assert transition_many(conn, [{"sid": row["sid"], "status": "failed", "error_code": 30001}], now=NOW)
    with pytest.raises(StaleRows):  # the caller's row still says `sending`
        transition_many(conn, [{"sid": row["sid"], "status": "sent"}], now=NOW, rows=claimed)
    counts = record_outcomes(conn, [{"kind": "sent", "sid": row["sid"], "account_sid": row["account_sid"],
                                     "carrier": "a", "parts": [(1, 1, "a-1", "77")],
                                     "row": claimed[row["sid"]]}], NOW)
    assert (counts["sent"], counts["refused"]) == (0, 1)
    assert get_message_row(conn, row["sid"])["status"] == "failed"
    assert conn.execute(select(s.segments)).first() is None


def _parts(conn, specs):
    """One-part messages recorded as sent: (carrier, smsc message id, part status)."""
    for carrier, message_id, status in specs:
        row = message_row(status="sending")
        insert_message(conn, row)
        record_outcomes(conn, [{"kind": "sent", "sid": row["sid"], "account_sid": row["account_sid"],
                                "carrier": carrier, "parts": [(1, 1, None, message_id)]}], NOW)
        if status is not None:
            conn.execute(s.segments.update().where(s.segments.c.message_sid == row["sid"])
                         .values(status=status))


def _choices(conn, items, rows_of):
    return [(part or {}).get("id") for part in
            (best_part(rows, receipt.message_id, carrier)
             for (carrier, _, receipt), rows in zip(items, rows_of(items)))]


def _all_keys(conn):
    def rows_of(items):
        keys = [lookup_keys(match_keys(r.message_id)) for _, _, r in items]
        by_key = _candidates(conn, set().union(*keys))
        return [[row for key in k for row in by_key.get(key, ())] for k in keys]
    return rows_of


def _match_keys_only(conn):
    def rows_of(items):
        keys = [match_keys(r.message_id) for _, _, r in items]
        by_key = _candidates(conn, set().union(*keys))
        return [[row for key in k for row in by_key.get(key, ())] for k in keys]
    return rows_of


def _store_every_key(conn):
    """Add the match keys ``stored_keys`` leaves out, as a store written before it holds them."""
    parts = conn.execute(select(s.segments.c.id, s.segments.c.smsc_message_id)).all()
    extra = [{"key": key, "segment_id": part.id, "account_sid": "AC" + "0" * 32}
             for part in parts for key in match_keys(part.smsc_message_id) - stored_keys(part.smsc_message_id)]
    if extra:
        conn.execute(s.segment_ids.insert(), extra)


_IDS = st.sampled_from(["10", "0010", "a", "A", "16", "0x10", "ff", "255", "1f", "31", "abc"])


@settings(max_examples=60, deadline=None)
@given(parts=st.lists(st.tuples(st.sampled_from("ab"), _IDS,
                                st.sampled_from([None, None, "delivered"])), max_size=6),
       receipts=st.lists(st.tuples(st.sampled_from("ab"), _IDS), min_size=1, max_size=6))
def test_the_lookup_chooses_the_part_every_key_would(tmp_path_factory, parts, receipts):
    """Looking up the exact spelling first chooses, for every receipt, the
    part that ranking the rows of all its match keys chooses."""
    url = f"sqlite:///{tmp_path_factory.mktemp('lookup')}/gw.db"
    migrate.upgrade(url)
    engine = make_engine(url, writer=True)
    try:
        with engine.connect() as conn, conn.begin():
            _parts(conn, parts)
            items = [(carrier, None, receipt(message_id)) for carrier, message_id in receipts]
            chosen = _choices(conn, items, lambda i: _lookup(conn, i))
            assert chosen == _choices(conn, items, _all_keys(conn))
            # A store written before parts kept only their stored keys holds
            # every match key: the same parts are chosen there.
            _store_every_key(conn)
            assert _choices(conn, items, lambda i: _lookup(conn, i)) == chosen
            assert _choices(conn, items, _match_keys_only(conn)) == chosen
    finally:
        engine.dispose()


def test_a_receipt_spelled_as_its_part_is_looked_up_under_that_spelling_only(conn):
    """The common case reads one key per receipt, not every spelling of its id."""
    _parts(conn, [("a", "1000", None), ("a", "2000", None)])
    looked_up = []
    real = batch._candidates
    batch._candidates = lambda c, keys: looked_up.append(set(keys)) or real(c, keys)
    try:
        states = apply_receipts(conn, [("a", None, receipt("1000")), ("a", None, receipt("2000"))], now=NOW)
    finally:
        batch._candidates = real
    assert states == ["applied", "applied"]
    assert looked_up == [{"s:1000", "s:2000"}]


def test_a_receipt_whose_spelling_is_another_carriers_part_looks_further(conn):
    """The exact spelling names carrier b's part; carrier a's part has the
    same number in hex: the receipt from carrier a is applied to a's part."""
    _parts(conn, [("b", "16", None), ("a", "10", None)])
    states = apply_receipts(conn, [("a", None, receipt("16"))], now=NOW)
    assert states == ["applied"]
    statuses = dict(conn.execute(select(s.segments.c.carrier, s.segments.c.status)).all())
    assert statuses == {"a": "delivered", "b": None}
