"""Many delayed calls on one timer: a heap ordered by due time.

Receipts with a delay, slow responses and redeliveries come by the
thousand; one ``callLater`` each would cost a DelayedCall apiece and fill
the reactor's own heap.  Here there is one DelayedCall, for the earliest
due entry, and ``after`` runs once per batch of due entries.
"""
from __future__ import annotations

import heapq
from typing import Any, Callable


class TimerHeap:
    def __init__(self, clock: Any, after: Callable[[], None] | None = None) -> None:
        self.clock = clock
        self.after = after
        self._heap: list[tuple[float, int, Callable[..., None], tuple]] = []
        self._count = 0
        self._call: Any = None

    def __len__(self) -> int:
        return len(self._heap)

    def later(self, delay: float, fn: Callable[..., None], *args: Any) -> None:
        self._count += 1
        due = self.clock.seconds() + delay
        heapq.heappush(self._heap, (due, self._count, fn, args))
        call = self._call
        if call is None or call.getTime() > due:
            if call is not None:
                call.cancel()
            self._call = self.clock.callLater(delay, self._run_due)

    def _run_due(self) -> None:
        self._call = None
        heap = self._heap
        now = self.clock.seconds()
        while heap and heap[0][0] <= now:
            _, _, fn, args = heapq.heappop(heap)
            fn(*args)
        if self.after is not None:
            self.after()
        if heap and self._call is None:
            self._call = self.clock.callLater(max(0.0, heap[0][0] - now), self._run_due)

    def clear(self) -> None:
        if self._call is not None and self._call.active():
            self._call.cancel()
        self._call = None
        self._heap.clear()
