"""Work held back by a failed store write, retried on a clock until the
store takes it.

Rules:

* The owner (the dispatcher's outcomes, the receipts batcher) calls
  :meth:`Held.hold` with the items of a write that failed, and gets them
  back through its ``retry`` callable after a backoff
  (``gateway.store.faults.backoff``: 0.5 s doubling to 10 s), all items
  held by then in one list.  The owner writes them as usual; if that fails
  it holds them again (the backoff grows), if it succeeds it calls
  :meth:`Held.written` (the backoff starts over).
* Logged once when holding starts (with the reason) and once when the
  store took the held work again: never a line per attempt.
* ``limit`` bounds what is held (the oldest go first, counted in
  ``dropped``); use it only for work someone else still owns (receipts
  answered with a temporary error, which the SMSC redelivers).
* ``stop()`` cancels the timer; what is still held is the owner's to
  resolve (the dispatcher's mid-send policy at the next start).
"""
from __future__ import annotations

from typing import Any, Callable

from twisted.logger import Logger

from .faults import backoff, describe

log = Logger()


class Held:
    def __init__(self, clock: Any, retry: Callable[[list], Any], what: str, *,
                 limit: int | None = None) -> None:
        self.clock = clock
        self.what = what
        self.limit = limit
        self.attempts = 0
        self.dropped = 0
        self.items: list = []
        self._retry = retry
        self._call = None

    def __len__(self) -> int:
        return len(self.items)

    def hold(self, items: list, failure: Any) -> None:
        self.items.extend(items)
        if self.limit is not None and len(self.items) > self.limit:
            extra = len(self.items) - self.limit
            self.dropped += extra
            del self.items[:extra]
        self.attempts += 1
        if self.attempts == 1:
            log.warn("{what}: {count} wait for the store ({error}); retried until it writes",
                     what=self.what, count=len(items), error=describe(failure.value))
        if self._call is None:
            self._call = self.clock.callLater(backoff(self.attempts), self._fire)

    def _fire(self) -> None:
        self._call = None
        items, self.items = self.items, []
        if items:
            self._retry(items)

    def written(self, count: int) -> None:
        """A write of the owner succeeded (``count`` items of it held before)."""
        if self.attempts and not self.items:
            log.info("{what}: the store writes again; {count} held written after {attempts} attempts",
                     what=self.what, count=count, attempts=self.attempts)
            self.attempts = 0

    def stop(self) -> None:
        if self._call is not None and self._call.active():
            self._call.cancel()
        self._call = None
