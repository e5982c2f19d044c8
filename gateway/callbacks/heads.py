"""The callback outbox's heads across nodes: unmarked heads are marked again.

The ``head`` mark (``gateway.store.outbox_triggers``) is kept by triggers
that see only committed rows.  On one node the store has one writer, so a
message's rows are inserted and settled one transaction after the other.
In a cluster the node recording a status (its writer inserts the next
callback row) and the node holding the callback role (its writer marks the
head done) commit independently: when both run at once the new row misses
its mark and, unrepaired, is never sent (``gateway.callbacks.outbox.unmarked_heads``).

The node holding the callback role (``active()``) looks for such rows every
``interval`` seconds (the heartbeat) with a read on a reader connection,
and only when it finds some writes the marks.  A look covers rows due in
the last ``window`` seconds (the recent end of the state index); the first
look after the node takes the role, and after a failed one, covers every
pending row, so rows left while no node looked are found too.  Marked rows
wake the callback sender (``on_repaired``).
"""
from __future__ import annotations

from typing import Any, Callable

from twisted.application.service import Service
from twisted.internet.defer import succeed
from twisted.logger import Logger

from gateway.callbacks.outbox import repair_heads, unmarked_heads
from gateway.common.periodic import Periodic
from gateway.store.timeutil import from_timestamp
from gateway.store.interface import Store

log = Logger()

# Far longer than a round of a live cluster plus any sane clock skew
# between the nodes that stamp ``next_attempt_at``.
WINDOW = 300.0
LOOK = 500  # rows marked per look at most


class HeadRepair(Service):
    name = "cluster-outbox-heads"

    def __init__(self, store: Store, clock: Any, *, interval: float, active: Callable[[], bool],
                 on_repaired: Callable[[], Any] | None = None, window: float = WINDOW):
        self.store = store
        self.clock = clock
        self.interval = interval
        self.active = active
        self.on_repaired = on_repaired
        self.window = window
        self.repaired = 0
        self._full = True  # the next look covers every pending row
        self._repairs = Periodic(clock, self.repair, name="cluster: repairing outbox heads")

    def startService(self):
        super().startService()
        self._repairs.start(self.interval, now=False)

    def stopService(self):
        super().stopService()
        self._repairs.stop()

    def repair(self):
        if not self.active():
            self._full = True
            return succeed(None)
        since = None if self._full else from_timestamp(self.clock.seconds() - self.window)
        d = self.store.read(unmarked_heads, since, LOOK)
        d.addCallback(self._found)
        d.addCallbacks(self._done, self._failed)
        return d

    def _found(self, ids: list[int]):
        self._full = len(ids) >= LOOK  # more may wait beyond the window: look at all again
        return self.store.write(repair_heads, ids) if ids else []

    def _done(self, sids: list[str]) -> None:
        if sids:
            self.repaired += len(sids)
            log.info("cluster: {count} callbacks left unmarked by racing writers are due again",
                     count=len(sids))
            if self.on_repaired is not None:
                self.on_repaired()

    def _failed(self, failure) -> None:
        self._full = True
        log.failure("cluster: repairing the callback outbox's heads failed", failure)
