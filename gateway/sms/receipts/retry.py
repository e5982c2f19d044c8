"""Receipts across nodes: one that arrived on a node's bind before the
sending node had recorded its part.

On one node the writer is FIFO: the write that records a part (with its
``EarlyReceipts`` hook) and a racing receipt's lookup see each other,
whichever comes first.  Across nodes two
writers commit independently, so a receipt can be filed as waiting in
``pending_receipts`` just after the sending node looked there.  Every
``interval`` seconds ``gateway.sms.receipts.store.retry_waiting`` retries waiting receipts older than
``min_age`` (selected ``FOR UPDATE SKIP LOCKED``: each is retried by one
node at a time); one that now finds its part is applied, the others keep
waiting for the early-receipt window (``sweep_pending``).
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Mapping

from twisted.application.service import Service
from twisted.logger import Logger

from gateway.common.periodic import Periodic
from gateway.sms.receipts.store import retry_waiting
from gateway.store.timeutil import from_timestamp
from gateway.store.interface import Store

log = Logger()


class ReceiptRetry(Service):
    name = "cluster-receipts"

    def __init__(self, store: Store, clock: Any, *, interval: float, profiles: Mapping[str, Any]):
        self.store = store
        self.clock = clock
        self.interval = interval
        self.profiles = profiles
        self.applied = 0
        self._retries = Periodic(clock, self.retry, name="cluster: retrying waiting receipts")

    def startService(self):
        super().startService()
        self._retries.start(self.interval, now=False)

    def stopService(self):
        super().stopService()
        self._retries.stop()

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
