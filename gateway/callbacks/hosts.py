"""Fair scheduling of callback requests across customer hosts (pure: no I/O,
the caller passes the time).

Rules:

* At most ``concurrency`` requests in flight in all, and at most
  ``per_host`` toward one host (its ``scheme://host:port``).
* Hosts take turns (round robin): a host with a long queue never makes
  another host's rows wait behind it.
* A host is *blocked* when it is failing (its last request ended without an
  HTTP answer: connection refused, connect timeout, no answer in time; it
  then gets one request at a time until one is answered) or stalled
  (requests in flight and none finished for ``stall_after`` seconds: a
  hanging endpoint, before any timeout).  A blocked host keeps at most one
  row queued: :meth:`add` refuses more and :meth:`shed` gives back the rest,
  and the caller moves those rows behind the others in the store.
* :attr:`ready` counts the queued rows of hosts that are not blocked: the
  caller reads more rows from the outbox while it is below ``concurrency``,
  so a blocked host's rows never stop other hosts' rows from being read.
* ``owned`` is every row id taken from the store and not yet settled there
  (queued, in flight, or its result being written): the next read of the
  outbox skips them.
"""
from __future__ import annotations

from collections import deque
from typing import Any, Hashable

MAX_FAILING = 10000  # failing hosts remembered (the oldest is forgotten first)


class HostQueues:
    def __init__(self, concurrency: int, per_host: int, stall_after: float):
        self.concurrency = concurrency
        self.per_host = per_host
        self.stall_after = stall_after
        self.in_flight = 0
        self.owned: set[int] = set()
        self._queues: dict[Hashable, deque] = {}
        self._busy: dict[Hashable, int] = {}
        self._progress: dict[Hashable, float] = {}  # last start from idle or finish, while busy
        self._failing: dict[Hashable, None] = {}  # an insertion-ordered set
        self._turns: deque = deque()  # hosts with queued rows, in turn order

    def busy(self, host: Hashable) -> int:
        """Requests in flight toward *host*."""
        return self._busy.get(host, 0)

    def limit(self, host: Hashable) -> int:
        return 1 if host in self._failing else self.per_host

    def blocked(self, host: Hashable, now: float) -> bool:
        if host in self._failing:
            return True
        busy_since = self._progress.get(host)
        return busy_since is not None and now - busy_since >= self.stall_after

    def ready(self, now: float) -> int:
        return sum(len(q) for host, q in self._queues.items() if not self.blocked(host, now))

    def add(self, host: Hashable, row_id: int, item: Any, now: float) -> bool:
        """Queue *item* for *host*; False when the host is blocked and has one queued."""
        queue = self._queues.get(host)
        if queue and self.blocked(host, now):
            return False
        if queue is None:
            queue = self._queues[host] = deque()
        if not queue:
            self._turns.append(host)
        queue.append((row_id, item))
        self.owned.add(row_id)
        return True

    def shed(self, host: Hashable) -> list[tuple[int, Any]]:
        """All but the first of *host*'s queued rows, taken out of the queue."""
        queue = self._queues.get(host)
        if not queue or len(queue) < 2:
            return []
        first = queue.popleft()
        rest = list(queue)
        queue.clear()
        queue.append(first)
        return rest

    def drop_queued(self) -> list[int]:
        """Forget every queued row (not the ones in flight): their ids are no
        longer owned, so a later read of the outbox may return them."""
        dropped = [row_id for queue in self._queues.values() for row_id, _ in queue]
        self._queues.clear()
        self._turns.clear()
        self.owned.difference_update(dropped)
        return dropped

    def take(self, now: float) -> tuple[Hashable, Any] | None:
        """The next request to start, or None (nothing ready, or no room)."""
        for _ in range(len(self._turns)):
            if self.in_flight >= self.concurrency:
                return None
            host = self._turns.popleft()
            queue = self._queues[host]
            busy = self._busy.get(host, 0)
            if busy >= self.limit(host):
                self._turns.append(host)
                continue
            _, item = queue.popleft()
            if queue:
                self._turns.append(host)
            else:
                del self._queues[host]
            if not busy:
                self._progress[host] = now
            self._busy[host] = busy + 1
            self.in_flight += 1
            return host, item
        return None

    def finished(self, host: Hashable, answered: bool, now: float) -> None:
        """A request to *host* ended: with an HTTP answer, or without one."""
        self.in_flight -= 1
        left = self._busy[host] - 1
        if left:
            self._busy[host] = left
            self._progress[host] = now
        else:
            del self._busy[host]
            del self._progress[host]
        if answered:
            self._failing.pop(host, None)
        else:
            self._failing[host] = None
            if len(self._failing) > MAX_FAILING:
                del self._failing[next(iter(self._failing))]

    def settled(self, row_id: int) -> None:
        """The row's result is in the store: the outbox may show it again."""
        self.owned.discard(row_id)
