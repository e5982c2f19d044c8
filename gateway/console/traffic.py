"""The traffic ring: messages per status per interval over the last 15 minutes.

Rules:

* Fed by the daemon as it changes statuses: ``sample()`` reads the
  counters the daemon's parts keep (the dispatcher's sent/failed, the
  receipts handler's applied receipts, inbound messages) and books the
  increase since the previous sample into the current slot.  No store scan.
* ``interval`` seconds per slot, ``SLOTS = 900 / interval`` slots; a slot
  older than that is dropped.  A counter that goes backwards (a part was
  rebuilt) books nothing and restarts from its new value.
* Pure apart from the clock passed in; the daemon calls ``sample()`` from a
  LoopingCall (see ``gateway.console.snapshot``).
"""
from __future__ import annotations

from collections import deque
from typing import Callable, Mapping

WINDOW = 15 * 60.0  # seconds the ring covers

# The status a counter stands for: (source, counter) -> status.
STATUS_COUNTERS = {
    ("pipeline", "sent"): "sent",
    ("pipeline", "failed"): "failed",
    ("receipts", "receipts_applied"): "receipted",
    ("receipts", "mo"): "received",
}
STATUSES = tuple(dict.fromkeys(STATUS_COUNTERS.values()))


class TrafficRing:
    def __init__(self, clock, sources: Mapping[str, Callable[[], Mapping]], *, interval: float = 5.0):
        self.clock = clock
        self.sources = sources
        self.interval = interval
        self.slots: deque[tuple[float, dict[str, int]]] = deque(maxlen=int(WINDOW // interval))
        self._last: dict[tuple[str, str], int] = {}
        self.totals: dict[str, int] = {status: 0 for status in STATUSES}

    def _read(self) -> dict[tuple[str, str], int]:
        out = {}
        for (source, key) in STATUS_COUNTERS:
            get = self.sources.get(source)
            if get is not None:
                out[(source, key)] = int(get().get(key, 0))
        return out

    def sample(self) -> None:
        now = self.clock.seconds()
        start = now - now % self.interval
        if not self.slots or self.slots[-1][0] != start:
            self.slots.append((start, {status: 0 for status in STATUSES}))
        counts = self.slots[-1][1]
        for key, value in self._read().items():
            before = self._last.get(key)
            self._last[key] = value
            if before is None or value < before:
                continue
            status = STATUS_COUNTERS[key]
            counts[status] += value - before
            self.totals[status] += value - before

    def series(self) -> dict:
        """Per-second rates per slot, oldest first, for the chart."""
        now = self.clock.seconds()
        points = [{"t": start, **{s: round(n / self.interval, 3) for s, n in counts.items()}}
                  for start, counts in self.slots if start > now - WINDOW]
        return {"interval": self.interval, "window": WINDOW, "statuses": list(STATUSES),
                "points": points}
