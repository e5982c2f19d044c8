"""Glue for the daemon: the MM7 endpoint's hooks backed by the store.

    hooks = StoreHooks(store, reactor, numbers=lookup, base_url="https://gw.example.com")
    root.putChild(b"mm7", Mm7Root(hooks.on_delivery_report, hooks.on_deliver,
                                  carriers={c.name for c in mm7_carriers}))

``numbers(e164) -> NumberRoute | None`` finds one of our numbers.  Each hook
returns the ``store.write`` Deferred, so the MMSC gets its 1000 answer only
once the report / inbound MMS is committed.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable

from gateway.mm7.store_ops import apply_delivery_report, retry_waiting_reports, store_inbound_mms


class StoreHooks:
    def __init__(self, store, clock, *, numbers: Callable, base_url: str):
        self.store, self.clock, self.numbers, self.base_url = store, clock, numbers, base_url

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock.seconds(), timezone.utc)

    def on_delivery_report(self, carrier: str, report):
        return self.store.write(apply_delivery_report, report, carrier=carrier, now=self.now())

    def on_deliver(self, carrier: str, mm):
        number = None
        for recipient in mm.recipients:
            number = self.numbers(recipient)
            if number is not None:
                break
        return self.store.write(store_inbound_mms, mm, carrier=carrier, number=number,
                                now=self.now(), base_url=self.base_url)

    def sweep(self, window: timedelta = timedelta(minutes=10)):
        """Apply delivery reports that beat their SubmitRsp; run periodically."""
        return self.store.write(retry_waiting_reports, now=self.now(), window=window)
