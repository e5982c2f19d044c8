"""A log line that is counted and rate-limited: abuse must not flood the journal.

Rules: :meth:`RateLimitedLog.event` counts every event (``total``); the
first event logs at once, then at most one line per ``interval`` seconds,
which says how many events it stands for (``{count}``, since the last line)
and the running total.  The clock is the caller's (``seconds()``), and no
timer is left behind: a quiet period costs nothing, and the events of a
quiet period are reported by the next line.
"""
from __future__ import annotations

from typing import Any

from twisted.logger import Logger, LogLevel


class RateLimitedLog:
    def __init__(self, log: Logger, clock: Any, fmt: str, *, interval: float = 10.0,
                 level: LogLevel = LogLevel.warn):
        self.log = log
        self.clock = clock
        self.fmt = fmt  # may use {count}, {total} and the fields given to event()
        self.interval = interval
        self.level = level
        self.total = 0
        self._unlogged = 0
        self._last: float | None = None

    def event(self, **fields: Any) -> bool:
        """Count one event; log a line (True) unless one went out too recently."""
        self.total += 1
        self._unlogged += 1
        now = self.clock.seconds()
        if self._last is not None and now - self._last < self.interval:
            return False
        self._last = now
        count, self._unlogged = self._unlogged, 0
        self.log.emit(self.level, self.fmt, count=count, total=self.total, **fields)
        return True
