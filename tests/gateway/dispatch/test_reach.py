"""Which queued messages a cluster node claims (gateway.dispatch.reach): the
SQL condition agrees with the router for every destination and every set of
carriers up, and the claim applies it on PostgreSQL only."""
from __future__ import annotations

from datetime import timedelta
from itertools import combinations

import pytest
from sqlalchemy import Column, MetaData, String, Table, create_engine, insert, select

from gateway.config import model as config
from gateway.dispatch.claims import claim_queued
from gateway.dispatch.reach import condition, reach
from gateway.messages.routing import Router
from gateway.messages.store import insert_message
from gateway.store.engine import make_engine
from tests.db_backends import BACKENDS
from tests.gateway.pipeline_helpers import database
from tests.gateway.store.factories import T0, message_row

ROUTES = """
[[carriers]]
name = "a"
host = "h"
port = 1
system_id = "s"
routes = ["+1", "+1555"]
fallback = "b"

[[carriers]]
name = "b"
host = "h"
port = 1
system_id = "s"
routes = ["+44"]

[[carriers]]
name = "c"
host = "h"
port = 1
system_id = "s"
routes = ["+1555", "+"]

[[carriers]]
name = "m"
protocol = "mm7"
url = "http://127.0.0.1:9/mm7"
routes = ["+1"]
"""
DESTINATIONS = ["+15550002222", "+15560002222", "+447700900000", "+33612345678", "12345",
                "+1", "+155", "+4", ""]
CARRIERS = ("a", "b", "c", "m")


def _reachable_by_router(router: Router, channel: str, to: str, up: set[str]) -> bool:
    chain = router.candidates(channel, to)
    return not chain or any(name in up for name in chain)  # no route: claimed, failed 21612


def test_the_condition_agrees_with_the_router_for_every_set_of_carriers_up():
    router = Router(config.loads(ROUTES).carriers)
    table = Table("t", MetaData(), Column("channel", String), Column("to", String))
    engine = create_engine("sqlite://")
    table.create(engine)
    rows = [{"channel": channel, "to": to} for channel in ("sms", "mms", "fax") for to in DESTINATIONS]
    checked = 0
    with engine.begin() as conn:
        conn.execute(insert(table), rows)
        for size in range(len(CARRIERS) + 1):
            for up in map(set, combinations(CARRIERS, size)):
                routes = reach(router, up)
                expected = {(r["channel"], r["to"]) for r in rows
                            if _reachable_by_router(router, r["channel"], r["to"], up)}
                if routes is None:  # no filter: everything routable is reachable
                    assert len(expected) == len(rows), up
                    continue
                found = set(conn.execute(select(table.c.channel, table.c.to)
                                         .where(condition(table, routes))).all())
                assert found == expected, up
                checked += 1
    assert checked > 10


def test_every_route_up_needs_no_filter():
    router = Router(config.loads(ROUTES).carriers)
    assert reach(router, set(CARRIERS)) is None
    assert reach(router, {"b", "c", "m"}) is None  # a's routes reach b, its fallback
    assert reach(router, {"c", "m"}) is not None


@pytest.fixture(params=BACKENDS)
def engine(request, tmp_path):
    with database(request.param, tmp_path) as url:
        eng = make_engine(url if "://" in url else f"sqlite:///{url}")
        if eng.dialect.name == "sqlite":
            from gateway.store import schema as s
            s.metadata.create_all(eng)
        yield eng
        eng.dispose()


def test_the_claim_leaves_unreachable_routes_on_postgresql_only(engine):
    router = Router(config.loads(ROUTES).carriers)
    routes = reach(router, {"c"})  # "+" is reachable, "+1" (a, then b) is not
    rows = [message_row(to="+15550002222", next_attempt_at=T0),
            message_row(to="+33612345678", next_attempt_at=T0)]
    with engine.begin() as conn:
        for row in rows:
            insert_message(conn, row)
    with engine.begin() as conn:
        claimed = {r["to"] for r in claim_queued(conn, T0 + timedelta(seconds=1), 10, "n1", routes)}
    if engine.dialect.name == "sqlite":  # one node: it claims everything, as before
        assert claimed == {"+15550002222", "+33612345678"}
    else:
        assert claimed == {"+33612345678"}
