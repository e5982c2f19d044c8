"""``cluster status`` counts each node's messages in flight from the
messages in ``sending`` only (SQLite's plan; the command's own test runs
on PostgreSQL)."""
from __future__ import annotations

from sqlalchemy import insert

from gateway.cluster.status import in_flight_by_node
from gateway.store import schema as s
from tests.gateway.store.factories import T0, message_row
from tests.gateway.store.plans import statement_plans


def test_in_flight_is_counted_from_the_sending_messages(conn):
    if conn.dialect.name != "sqlite":
        return
    rows = [dict(message_row(status="delivered"), claimed_by=None) for _ in range(300)]
    rows += [dict(message_row(status="sending"), claimed_by=node) for node in ("gw-1", "gw-1", "gw-2")]
    conn.execute(insert(s.messages), [dict(row, date_updated=T0) for row in rows])
    plans = statement_plans(conn, lambda: in_flight_by_node(conn))
    (plan,) = [plan for statement, plan in plans if "FROM messages" in statement]
    assert "SCAN messages" not in plan and "ix_messages_account_status" in plan, plan
    assert in_flight_by_node(conn) == {"gw-1": 2, "gw-2": 1}
