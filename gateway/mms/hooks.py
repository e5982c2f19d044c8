"""Glue for the daemon: the MM7 endpoint's hooks backed by the store.

    hooks = StoreHooks(store, reactor, numbers=lookup, base_url="https://gw.example.com")
    root.putChild(b"mm7", Mm7Root(hooks.on_delivery_report, hooks.on_deliver,
                                  carriers={c.name for c in mm7_carriers}))

``numbers(e164) -> NumberRoute | None`` finds one of our numbers.  Each hook
returns the ``store.write`` Deferred, so the MMSC gets its 1000 answer only
once the report / inbound MMS is committed.

A delivery report can beat the write that records its MessageID (a fast
MMSC answers SubmitRsp and reports at once).  It is kept waiting, and one
``sweep`` is scheduled ``early_retry`` seconds later so it applies at once
instead of at the next periodic sweep; ``stop()`` cancels that call.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable

from twisted.logger import Logger

from gateway.mms.store import apply_delivery_report, retry_waiting_reports, store_inbound_mms

log = Logger()


class StoreHooks:
    def __init__(self, store, clock, *, numbers: Callable, base_url: str, early_retry: float = 0.5):
        self.store, self.clock, self.numbers, self.base_url = store, clock, numbers, base_url
        self.early_retry = early_retry
        self._retry_call = None

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock.seconds(), timezone.utc)

    def on_delivery_report(self, carrier: str, report):
        d = self.store.write(apply_delivery_report, report, carrier=carrier, now=self.now())
        return d.addCallback(self._retry_if_waiting)

    def _retry_if_waiting(self, result: str) -> str:
        if result == "waiting" and not (self._retry_call and self._retry_call.active()):
            self._retry_call = self.clock.callLater(self.early_retry, self.sweep)
        return result

    def on_deliver(self, carrier: str, mm):
        number = None
        for recipient in mm.recipients:
            number = self.numbers(recipient)
            if number is not None:
                break
        return self.store.write(store_inbound_mms, mm, carrier=carrier, number=number,
                                now=self.now(), base_url=self.base_url)

    def sweep(self, window: timedelta = timedelta(minutes=10)):
        """Apply delivery reports that beat their SubmitRsp; run periodically.
        Deferred[count applied]; a failure is logged (None), so a periodic
        LoopingCall keeps running after a transient store error."""
        d = self.store.write(retry_waiting_reports, now=self.now(), window=window)
        return d.addErrback(lambda failure: log.failure("mm7: delivery report sweep failed", failure))

    def stop(self) -> None:
        if self._retry_call is not None and self._retry_call.active():
            self._retry_call.cancel()
        self._retry_call = None
