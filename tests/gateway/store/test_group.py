"""Group commit: consecutive jobs of a ``coalesced`` function run as one
call, and a batch that fails still fails only its bad job.  SQLite, and
PostgreSQL when GATEWAY_TEST_DATABASE_URL is set."""
from __future__ import annotations

from sqlalchemy import event, select

from gateway.messages.store import get_message_row, insert_message
from gateway.store import schema as s
from gateway.store.group import coalesced, commit_group

from .factories import message_row


def _record(calls):
    def many(conn, batch):
        calls.append([args[0] for args, _kwargs in batch])
        return [f"many:{args[0]}" for args, _kwargs in batch]
    return many


def test_consecutive_jobs_of_a_coalesced_function_run_as_one_call(engine):
    calls: list = []

    @coalesced(_record(calls))
    def job(conn, value):
        calls.append(value)
        return f"one:{value}"

    def other(conn, value):
        return f"other:{value}"

    with engine.connect() as conn:
        outcomes, _ = commit_group(conn, [(job, (1,), {}), (job, (2,), {}), (other, (3,), {}),
                                          (job, (4,), {}), (job, (5,), {}), (job, (6,), {}),
                                          (other, (7,), {}), (job, (8,), {})])
    assert [value for ok, value in outcomes if ok] == [
        "many:1", "many:2", "other:3", "many:4", "many:5", "many:6", "other:7", "one:8"]
    assert calls == [[1, 2], [4, 5, 6], 8]


def _statements(engine):
    seen: list = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO MESSAGES"):
            seen.append(len(parameters) if executemany else 1)

    event.listen(engine, "before_cursor_execute", before)
    return seen


def test_the_apis_inserts_of_one_group_are_one_executemany(engine):
    seen = _statements(engine)
    rows = [message_row() for _ in range(5)]
    with engine.connect() as conn:
        outcomes, _ = commit_group(conn, [(insert_message, (row,), {}) for row in rows])
        assert outcomes == [(True, None)] * 5
        for row in rows:
            stored = get_message_row(conn, row["sid"])
            assert stored["body"] == row["body"] and stored["date_updated"] is not None
    assert seen == [5]


def test_rows_with_other_columns_keep_their_defaults(engine):
    plain = message_row()
    for name in ("api", "body", "media_list"):
        del plain[name]
    full = message_row(messaging_service_sid="MG" + "1" * 32, body="full")
    with engine.connect() as conn:
        outcomes, _ = commit_group(conn, [(insert_message, (plain,), {}),
                                          (insert_message, (full,), {})])
        assert outcomes == [(True, None)] * 2
        stored = get_message_row(conn, plain["sid"])
        assert (stored["api"], stored["body"], stored["media_list"]) == ("messages", "", [])
        stored = get_message_row(conn, full["sid"])
        assert (stored["messaging_service_sid"], stored["body"]) == ("MG" + "1" * 32, "full")


def test_a_bad_row_in_a_coalesced_batch_fails_only_its_job(engine):
    first, second = message_row(), message_row()
    duplicate = dict(first)
    with engine.connect() as conn:
        outcomes, _ = commit_group(conn, [(insert_message, (first,), {}),
                                          (insert_message, (duplicate,), {}),
                                          (insert_message, (second,), {})])
        assert [ok for ok, _ in outcomes] == [True, False, True]
        sids = set(conn.execute(select(s.messages.c.sid)).scalars())
    assert sids == {first["sid"], second["sid"]}
