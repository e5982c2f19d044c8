"""The queue listener on a real PostgreSQL: the store's trigger NOTIFYs at
the commit of a due queued message, the listener wakes its dispatcher, and
it listens again after its connection is killed.  Every wait is on a wake
(an event); the timeouts only bound a test that has already failed."""
from __future__ import annotations

from datetime import timedelta

import pytest_twisted
from sqlalchemy import update
from twisted.internet import reactor
from twisted.internet.defer import Deferred

from gateway.cluster.listen import QueueListener
from gateway.dispatch import claims as q
from gateway.store import schema as s
from gateway.messages.store import insert_message
from tests.gateway.pipeline_helpers import T0, message_row

TIMEOUT = 15.0


class Wakes:
    """The listener's ``wake``: counts calls and fires waiters at a count."""

    def __init__(self):
        self.count = 0
        self._waiters: list[tuple[int, Deferred]] = []

    def __call__(self) -> None:
        self.count += 1
        for waiter in [w for w in self._waiters if w[0] <= self.count]:
            self._waiters.remove(waiter)
            waiter[1].callback(self.count)

    def reach(self, count: int) -> Deferred:
        d: Deferred = Deferred()
        if self.count >= count:
            d.callback(self.count)
        else:
            self._waiters.append((count, d))
        return d.addTimeout(TIMEOUT, reactor)


def write(engine, fn, *args, **kwargs) -> None:
    with engine.begin() as conn:
        fn(conn, *args, **kwargs)


async def listening(pg_url) -> tuple[QueueListener, Wakes]:
    wakes = Wakes()
    listener = QueueListener(pg_url, reactor, wakes)
    listener.startService()
    await listener.when_listening().addTimeout(TIMEOUT, reactor)
    await wakes.reach(1)  # the wake after connecting: a catch-up claim
    return listener, wakes


def set_status(conn, sid: str, status: str, **values) -> None:
    conn.execute(update(s.messages).where(s.messages.c.sid == sid).values(status=status, **values))


@pytest_twisted.ensureDeferred
async def test_a_committed_queued_message_wakes_the_listener(pg_url, pg_engine):
    listener, wakes = await listening(pg_url)
    try:
        write(pg_engine, insert_message, message_row(status="delivered"))  # not due: no notify
        queued = message_row()
        write(pg_engine, insert_message, queued)
        await wakes.reach(2)
        # Notifications come in commit order: had the first insert sent one,
        # it would have been read by now.
        assert (wakes.count, listener.stats["notifies"]) == (2, 1)

        # Back to queued due at once (a takeover): a wake; due later (no bind up): the poll's.
        write(pg_engine, set_status, queued["sid"], s.SENDING)
        write(pg_engine, q.requeue, queued["sid"], now=T0, next_attempt_at=T0 + timedelta(seconds=5))
        write(pg_engine, set_status, queued["sid"], s.SENDING)
        write(pg_engine, set_status, queued["sid"], s.QUEUED, next_attempt_at=T0, date_updated=T0)
        await wakes.reach(3)
        assert (wakes.count, listener.stats["notifies"]) == (3, 2)
    finally:
        listener.stopService()


@pytest_twisted.ensureDeferred
async def test_the_listener_listens_again_after_its_connection_is_killed(pg_url, pg_engine):
    listener, wakes = await listening(pg_url)
    try:
        first = listener.backend_pid
        with pg_engine.connect() as conn:
            assert conn.exec_driver_sql(f"SELECT pg_terminate_backend({first})").scalar_one()
        await wakes.reach(3)  # one wake when the drop is seen, one once listening again
        assert listener.stats["drops"] == 1 and listener.stats["connects"] == 2
        assert listener.backend_pid not in (None, first)
        write(pg_engine, insert_message, message_row())
        await wakes.reach(4)
        assert listener.stats["notifies"] == 1
    finally:
        listener.stopService()


@pytest_twisted.ensureDeferred
async def test_a_listener_that_cannot_connect_tries_again(pg_url, pg_engine):
    from gateway.cluster.listen import open_listening

    attempts = []

    def connect(dsn, channel):  # the server refuses twice (as while it restarts), then answers
        attempts.append(dsn)
        if len(attempts) <= 2:
            raise OSError("connection refused")
        return open_listening(dsn, channel)

    wakes = Wakes()
    listener = QueueListener(pg_url, reactor, wakes, connect=connect)
    listener.startService()
    try:
        await listener.when_listening().addTimeout(TIMEOUT, reactor)
        assert len(attempts) == 3 and listener.stats["connects"] == 1
        write(pg_engine, insert_message, message_row())
        await wakes.reach(2)
    finally:
        listener.stopService()
