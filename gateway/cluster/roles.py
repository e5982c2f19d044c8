"""Work that one node of a cluster does at a time, held like a bind slot.

The callback sender reads due outbox rows with a plain read and keeps the
rows it sends in memory (``gateway.callbacks.outbox``): two nodes reading the
same outbox would both send every row.  So on PostgreSQL the sender is a
*role*: a one-slot entry for the ``SlotKeeper`` (advisory lock
``lock_key("role:callbacks"), 0`` on the keeper's own connection).  The node
holding the lock sends; the others wait.

Handover rules:

* Release (SIGTERM, or the keeper's lock connection failing): the keeper
  calls ``close_slot`` and lets the lock go only when it fires.
  ``close_slot`` is the service's ``pause()``: it stops taking rows, drops
  the queued ones (still pending in the store), lets the requests in flight
  end (bounded by ``[callbacks] timeout``) and records their answers.  So
  the next holder finds every answered row settled and no request of the
  old holder still in flight: each request is made by one node at a time,
  and a SIGTERM loses no answer.
* Death (kill -9, a crash, a network cut): PostgreSQL drops the lock with
  the dead node's connection; a survivor takes the role at its next round
  (``heartbeat`` seconds) and its first read returns every row the dead
  node had taken and not settled: they are pending and due (at the latest
  when a host's deferral, ``BLOCKED_DEFER``, or a retry's backoff ends).
  Requests the dead node had sent but not recorded go out again: at least
  once, as after any crash.
* Order per message holds because one node sends at a time and a row goes
  only while it is its message's head.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from twisted.internet.defer import Deferred


@dataclass(frozen=True)
class _OneSlot:
    binds: int = 1


class OneNodeRole:
    """Adapts a service with an ``enabled`` flag, ``wake()`` and ``pause()``
    (a coroutine: stop and settle) to the slot keeper."""

    settings = _OneSlot()

    def __init__(self, service: Any) -> None:
        self.service = service
        service.enabled = False  # until this node holds the role

    def open_slot(self, slot: int) -> None:
        self.service.enabled = True
        self.service.wake()

    def close_slot(self, slot: int) -> Deferred:
        return Deferred.fromCoroutine(self.service.pause())


__all__ = ["OneNodeRole"]
