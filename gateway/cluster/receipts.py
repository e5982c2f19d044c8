"""Receipts across nodes: one that arrived on a node's bind before the
sending node had recorded its part.

On one node the writer is FIFO: the part's ``segments_stored`` and a racing
receipt's lookup see each other, whichever comes first.  Across nodes two
writers commit independently, so a receipt can be filed as waiting in
``pending_receipts`` just after the sending node looked there.  Every
``interval`` seconds ``retry_waiting`` retries waiting receipts older than
``min_age`` (selected ``FOR UPDATE SKIP LOCKED``: each is retried by one
node at a time); one that now finds its part is applied, the others keep
waiting for the early-receipt window (``sweep_pending``).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.engine import Connection
from twisted.application.service import Service
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

from gateway.receipts_store import WAITING, _retry_pending
from gateway.store.schema import pending_receipts as p
from gateway.store.timeutil import from_timestamp, utc

log = Logger()


def retry_waiting(conn: Connection, now: datetime, min_age: timedelta,
                  profiles: Mapping[str, Any] | None = None, limit: int = 500) -> int:
    """Apply the waiting receipts whose part is now recorded; returns how many."""
    rows = conn.execute(select(p).where(p.c.state == WAITING, p.c.received_at <= utc(now) - min_age)
                        .order_by(p.c.id).limit(limit).with_for_update(skip_locked=True)).mappings().all()
    return sum(1 for row in rows if _retry_pending(conn, row, now=utc(now), profiles=profiles) is not None)


class ReceiptRetry(Service):
    name = "cluster-receipts"

    def __init__(self, store: Any, clock: Any, *, interval: float, profiles: Mapping[str, Any]):
        self.store = store
        self.clock = clock
        self.interval = interval
        self.profiles = profiles
        self.applied = 0
        self._loop: LoopingCall | None = None

    def startService(self):
        super().startService()
        self._loop = LoopingCall(self.retry)
        self._loop.clock = self.clock
        self._loop.start(self.interval, now=False)

    def stopService(self):
        super().stopService()
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self._loop = None

    def retry(self):
        d = self.store.write(retry_waiting, from_timestamp(self.clock.seconds()),
                             timedelta(seconds=self.interval), self.profiles)
        d.addCallbacks(self._done, lambda f: log.failure("cluster: retrying waiting receipts failed", f))
        return d

    def _done(self, applied: int) -> None:
        self.applied += applied
        if applied:
            log.info("cluster: {count} receipts that raced their part on another node applied",
                     count=applied)
