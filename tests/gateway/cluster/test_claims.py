"""Claims across nodes on PostgreSQL: each queued message is claimed by one
node, a node resolves only its own mid-send messages at start, and a dead
node's are taken over once."""
from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select

from gateway.store import schema as s
from gateway.messages.store import insert_message
from gateway.dispatch.claims import claim_queued, requeue_stuck
from tests.gateway.store.factories import T0, message_row

NOW = T0 + timedelta(seconds=1)


def _queue(engine, count: int) -> list[str]:
    rows = [message_row(next_attempt_at=T0) for _ in range(count)]
    with engine.begin() as conn:
        for row in rows:
            insert_message(conn, row)
    return [row["sid"] for row in rows]


def _race(engine, workers: dict[str, callable]) -> dict[str, list]:
    results: dict[str, list] = {name: [] for name in workers}
    barrier = threading.Barrier(len(workers))

    def run(name):
        barrier.wait()
        results[name] = workers[name]()

    threads = [threading.Thread(target=run, args=(name,)) for name in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _claim_all(engine, node: str, limit: int):
    def work():
        claimed = []
        while True:
            with engine.begin() as conn:
                rows = claim_queued(conn, NOW, limit, node)
            if not rows:
                return claimed
            assert len(rows) <= limit
            claimed += [row["sid"] for row in rows]
    return work


def _owners(engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(s.messages.c.sid, s.messages.c.claimed_by)).all())


def test_two_nodes_racing_claim_each_message_once(pg_engine):
    sids = _queue(pg_engine, 600)
    results = _race(pg_engine, {"a": _claim_all(pg_engine, "a", 25), "b": _claim_all(pg_engine, "b", 25)})
    claimed = results["a"] + results["b"]
    assert sorted(claimed) == sorted(sids)  # every message once, none twice
    assert results["a"] and results["b"]  # both nodes took part (SKIP LOCKED, no waiting)
    owners = _owners(pg_engine)
    assert all(owners[sid] == "a" for sid in results["a"])
    assert all(owners[sid] == "b" for sid in results["b"])


def test_at_start_a_node_resolves_only_its_own_mid_send_messages(pg_engine):
    sids = _queue(pg_engine, 10)
    with pg_engine.begin() as conn:
        mine = [r["sid"] for r in claim_queued(conn, NOW, 4, "a")]
        theirs = [r["sid"] for r in claim_queued(conn, NOW, 4, "b")]
    with pg_engine.begin() as conn:
        assert sorted(requeue_stuck(conn, NOW, node_id="a")) == sorted(mine)
    with pg_engine.connect() as conn:
        status = dict(conn.execute(select(s.messages.c.sid, s.messages.c.status)).all())
    assert all(status[sid] == "queued" for sid in mine)
    assert all(status[sid] == "sending" for sid in theirs)
    assert len(sids) == 10


def test_two_survivors_take_over_a_dead_nodes_messages_once(pg_engine):
    _queue(pg_engine, 300)
    with pg_engine.begin() as conn:
        dead = [r["sid"] for r in claim_queued(conn, NOW, 300, "dead")]

    def take_over(me):
        def work():
            with pg_engine.begin() as conn:
                return requeue_stuck(conn, NOW, node_id=me, claimed_by=["dead"])
        return work

    results = _race(pg_engine, {"x": take_over("x"), "y": take_over("y")})
    assert sorted(results["x"] + results["y"]) == sorted(dead)


def test_takeover_at_most_once_fails_them_with_30008(pg_engine):
    _queue(pg_engine, 3)
    with pg_engine.begin() as conn:
        dead = [r["sid"] for r in claim_queued(conn, NOW, 3, "dead")]
        assert sorted(requeue_stuck(conn, NOW, policy="at-most-once", node_id="x",
                                    claimed_by=["dead"])) == sorted(dead)
    with pg_engine.connect() as conn:
        rows = conn.execute(select(s.messages.c.status, s.messages.c.error_code)).all()
    assert set(rows) == {("failed", 30008)}
