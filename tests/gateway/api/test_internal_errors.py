"""A 500 says "may be retried" only when it is true (issue 10, item 20)."""
import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

from gateway.api.errors import internal_error
from gateway.store.faults import StoreClosed

from .memory_api import in_memory, server  # noqa: F401 (server: the in-memory fixture)

SMS = {"from": "sms:+14155550100", "to": "sms:+14155550101", "body": "x"}


def db_error(orig: BaseException, *, invalidated: bool = False) -> OperationalError:
    return OperationalError("SELECT 1", {}, orig, connection_invalidated=invalidated)


class PgError(Exception):
    def __init__(self, sqlstate):
        super().__init__("server says no")
        self.sqlstate = sqlstate


@pytest.mark.parametrize("exc,retry", [
    (StoreClosed("store is not running"), True),
    (db_error(sqlite3.OperationalError("database is locked")), True),
    (db_error(sqlite3.OperationalError("no such table: messages")), False),
    (db_error(PgError("08006")), True),  # connection failure
    (db_error(PgError("40001")), True),  # serialisation failure
    (db_error(PgError("42P01")), False),  # undefined table
    (db_error(RuntimeError("gone"), invalidated=True), True),
    (KeyError("status"), False),
    (ValueError("Exceeds the limit (4300 digits) for integer string conversion"), False),
])
def test_retry_is_said_only_when_true(exc, retry):
    error = internal_error(exc)
    assert (error.status, error.code) == (500, 20500)
    assert ("may be retried" in error.message) is retry
    assert str(exc) not in error.message  # no internals


def move_messages_away(conn):
    conn.exec_driver_sql("ALTER TABLE messages RENAME TO messages_elsewhere")


@in_memory
async def test_a_failure_that_would_repeat_does_not_invite_a_retry(server):
    await server.store.write(move_messages_away)
    code, error = await server.json("GET", "/Messages.json")
    assert (code, error["code"], error["status"]) == (500, 20500, 500)
    assert "may be retried" not in error["message"]
    assert "sending it again will fail" in error["message"]
    assert "no such table" not in error["message"]


@in_memory
async def test_a_stopped_store_is_worth_a_retry(server):
    # a store that cannot write (here: stopped) is a 503 with Retry-After (gateway.api.unavailable)
    await server.store.stop()
    code, error = await server.json("POST", "/Messages.json", json=SMS)
    assert (code, error["code"]) == (503, 20503)
    assert "retry" in error["message"].lower()
    await server.store.start()
    code, _ = await server.json("POST", "/Messages.json", json=SMS)
    assert code == 201
