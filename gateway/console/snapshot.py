"""The console's periodic view of the store and the traffic ring.

Every ``interval`` seconds (5 by default) one read on the store's reader
answers :func:`gateway.console.queries.store_summary` (oldest queued age,
callback backlog and dead callbacks, failing endpoints, unmatched
receipts), and the traffic ring books the counters' increases.  The page,
``/metrics`` and ``carrier-gateway status`` show the last snapshot, so a
request never costs a query of its own except search, history and the
recent failures list.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from twisted.application.service import Service
from twisted.logger import Logger

from gateway.common.periodic import Periodic
from gateway.console.queries import store_summary
from gateway.console.traffic import TrafficRing
from gateway.store.interface import Store

log = Logger()


class Snapshot(Service):
    name = "console-snapshot"

    def __init__(self, store: Store, clock: Any, sources: dict, *, interval: float = 5.0):
        self.store = store
        self.clock = clock
        self.interval = interval
        self.traffic = TrafficRing(clock, sources, interval=interval)
        self.summary: dict = {}
        self.refreshed_at: float | None = None
        self._refreshes = Periodic(clock, self.refresh, name="console snapshot")

    def startService(self):
        super().startService()
        self._refreshes.start(self.interval, now=True)

    def stopService(self):
        self._refreshes.stop()
        return super().stopService()

    def refresh(self):
        self.traffic.sample()
        now = datetime.fromtimestamp(self.clock.seconds(), timezone.utc)
        d = self.store.read(store_summary, now)

        def got(summary):
            self.summary = summary
            self.refreshed_at = self.clock.seconds()

        d.addCallbacks(got, lambda f: log.warn("console: reading the store summary failed: {e}",
                                               e=f.getErrorMessage()))
        return d
