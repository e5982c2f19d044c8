"""A sweep runs on one node at a time: the second node's round is skipped
while the first one's transaction holds the sweep's lock."""
from __future__ import annotations

import threading

from gateway.cluster.sweeps import once


def test_two_nodes_sweeping_at_once_sweep_once(pg_engine):
    inside, release = threading.Event(), threading.Event()
    ran: list[str] = []

    def slow_sweep(conn, who):
        ran.append(who)
        inside.set()
        release.wait(10)
        return [who]

    results = {}

    def first():
        with pg_engine.begin() as conn:
            results["a"] = once(conn, "missing-segments", slow_sweep, "a", skipped=[])

    thread = threading.Thread(target=first)
    thread.start()
    assert inside.wait(10)
    with pg_engine.begin() as conn:
        results["b"] = once(conn, "missing-segments", slow_sweep, "b", skipped=[])
        results["other"] = once(conn, "reassembly", lambda c: ["other"])  # another sweep: not held
    release.set()
    thread.join()
    assert results == {"a": ["a"], "b": [], "other": ["other"]} and ran == ["a"]
    with pg_engine.begin() as conn:  # the lock ended with the transaction
        assert once(conn, "missing-segments", lambda c: ["again"]) == ["again"]


def test_on_sqlite_the_sweep_just_runs(tmp_path):
    from gateway.store import migrate
    from gateway.store.engine import make_engine

    url = f"sqlite:///{tmp_path}/one.db"
    migrate.upgrade(url)
    engine = make_engine(url, writer=True)
    with engine.begin() as conn:
        assert once(conn, "reassembly", lambda c, x: [x], 7) == [7]
    engine.dispose()
