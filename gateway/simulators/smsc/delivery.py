"""Routing deliver_sm to binds: receipts and MO (a mixin of SmscSimulator).

Rules:

* A receipt goes back on the submitting transceiver while it is bound (unless
  ``receipts_any_bind``); anything else is routed to a bound receiver or
  transceiver of the same system_id, round-robin.  With no such bind up, up
  to ``MAX_WAITING`` deliver_sm per system_id wait (the oldest dropped
  first) until one binds.
* Routed deliver_sm are queued on their connections and written together
  (``flush_dirty``).
* A deliver_sm answered with an error is redelivered ``redeliver_delay``
  later, up to ``redeliver_attempts`` times; MO messages report each part's
  final command_status to the Deferred ``inject_mo`` returned.

Uses the simulator's ``config``, ``clock``, timers (``later``), counters and
bind tables.
"""
from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred

from gateway.simulators.smsc.mo import Collector, Tracker, mo_parts
from protocols.smpp.pdu import DeliverSm

MAX_WAITING = 100_000  # deliver_sm kept per system_id while no receiver is bound


class DeliverRouting:
    config: Any
    clock: Any
    later: Any
    _receivers: dict
    _waiting: dict
    _dirty: set
    _rr: int
    _mo_call: Any
    _mo_ref: int
    delivers_acked: int
    deliver_errors: int
    delivers_dropped: int
    mo_sent: int

    def _release(self, batch: list[tuple[Any, tuple[Any, Any]]]) -> None:
        """Send receipts: to the submitting transceiver while it is bound, else
        routed (a transceiver that has unbound meanwhile takes none)."""
        any_bind = self.config.receipts_any_bind
        dirty = self._dirty
        runs: dict[Any, list] = {}
        for protocol, entry in batch:
            if protocol.kind == "transceiver" and not any_bind and protocol.can_deliver:
                run = runs.get(protocol)
                if run is None:
                    run = runs[protocol] = []
                run.append(entry)
            else:
                self._route(protocol.system_id or "", entry)
        for protocol, run in runs.items():
            protocol.send_delivers(run)
            dirty.add(protocol)

    def _route(self, system_id: str, entry: tuple[Any, Any]) -> None:
        receivers = [p for p in self._receivers.get(system_id, ()) if p.can_deliver]
        if not receivers:
            waiting = self._waiting[system_id]
            if len(waiting) >= MAX_WAITING:
                waiting.popleft()
                self.delivers_dropped += 1
            waiting.append(entry)
            return
        self._rr = (self._rr + 1) % len(receivers)
        target = receivers[self._rr]
        target.send_deliver(entry)
        self._dirty.add(target)

    def flush_dirty(self) -> None:
        """Write what routing queued on other connections."""
        dirty, self._dirty = self._dirty, set()
        for protocol in dirty:
            protocol.flush()

    def deliver_answered(self, protocol: Any, entry: tuple[Any, Any],
                         status: int | None) -> None:
        deliver, tracker = entry
        if status == 0:
            self.delivers_acked += 1
            if tracker is not None:
                tracker.answered(0)
            return
        self.deliver_errors += 1
        attempt = tracker.attempts if tracker is not None else 0
        if tracker is not None:
            tracker.attempts += 1
        if status is not None and attempt >= self.config.redeliver_attempts:
            if tracker is not None:
                tracker.answered(status)
            return
        retry = tracker or Tracker(None, attempt + 1)
        self.later(self.config.redeliver_delay, self._route, protocol.system_id or "",
                   (deliver, retry))

    # ---- MO ------------------------------------------------------------------------------------------
    def inject_mo(self, text: str, *, source: str | None = None,
                  destination: str | None = None, system_id: str | None = None,
                  mode: str = "udh", reference: int | None = None) -> Deferred:
        """Send a mobile-originated message (several deliver_sm when it is long).

        ``mode`` "udh" or "sar" picks how parts say they belong together.  Goes
        to binds of ``system_id`` (default: any bound receiver).  Fires with the
        command_status of each part's deliver_sm_resp, in part order.
        """
        if reference is None:
            self._mo_ref = (self._mo_ref + 1) % 256
            reference = self._mo_ref
        pdus = mo_parts(text, source or self.config.mo_source,
                        destination or self.config.mo_destination, reference, mode)
        return self.inject_deliver(pdus, system_id=system_id)

    def inject_deliver(self, pdus: list[DeliverSm], *, system_id: str | None = None) -> Deferred:
        """Send ready-made deliver_sm (raw octets, any data_coding: what a real
        SMSC may send), routed and redelivered like ``inject_mo``'s; fires
        with the command_status of each one's deliver_sm_resp, in order."""
        done: Deferred = Deferred()
        results: list[int | None] = [None] * len(pdus)
        if system_id is None:
            system_id = next((s for s, r in self._receivers.items() if r), "")
        for index, deliver in enumerate(pdus):
            tracker = Tracker(Collector(results, index, done), 0)
            self.mo_sent += 1
            self._route(system_id, (deliver, tracker))
        self.flush_dirty()
        if not pdus:
            done.callback([])
        return done

    def _mo_tick(self) -> None:
        self._mo_call = self.clock.callLater(self.config.mo_every, self._mo_tick)
        if any(self._receivers.values()):
            self.inject_mo(self.config.mo_text, mode=self.config.mo_concat)
