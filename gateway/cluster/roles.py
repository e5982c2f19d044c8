"""Work that one node of a cluster does at a time, held like a bind slot.

The callback sender reads due outbox rows with a plain read and keeps the
rows it sends in memory (``gateway.store.outbox``): two nodes reading the
same outbox would both send every row.  So on PostgreSQL the sender is a
*role*: a one-slot entry for the ``SlotKeeper`` (advisory lock
``lock_key("role:callbacks"), 0`` on the keeper's own connection).  The node
holding the lock sends; the others wait.  When that node stops, it releases
the role after its sender stops fetching; when it dies, PostgreSQL drops the
lock with its connection and a survivor takes the role at its next round
(``heartbeat`` seconds).  Order per message and "one request at a time" hold
because one node sends at a time.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from twisted.internet.defer import Deferred, succeed


@dataclass(frozen=True)
class _OneSlot:
    binds: int = 1


class OneNodeRole:
    """Adapts a service with an ``enabled`` flag and ``wake()`` to the slot keeper."""

    settings = _OneSlot()

    def __init__(self, service: Any) -> None:
        self.service = service
        service.enabled = False  # until this node holds the role

    def open_slot(self, slot: int) -> None:
        self.service.enabled = True
        self.service.wake()

    def close_slot(self, slot: int) -> Deferred:
        self.service.enabled = False
        return succeed(None)


__all__ = ["OneNodeRole"]
