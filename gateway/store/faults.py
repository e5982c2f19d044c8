"""Store faults: telling "the store cannot write" from a job's own error, and
keeping one record per failing episode.

Rules:

* A *fault* is an error of the store, not of the job that met it: the disk
  or volume is full (SQLite ``SQLITE_FULL``, PostgreSQL class 53), the
  database is read-only or cannot be opened, an I/O error, the connection
  to PostgreSQL is gone, the store is closed.  A constraint violation, a
  bug in a job or a bad value is not a fault.  :func:`is_fault` decides, on
  the exception alone.
* An *episode* starts with the first fault after a success and ends with
  the next successful write.  :class:`Episodes` counts what failed during
  one and logs exactly two lines per episode: one when it starts (with the
  reason) and one when it ends (with its length and counts) -- never a
  traceback per request or per batch.
* Callers that hold work for later (the dispatcher's outcomes, receipts)
  retry on their own timers with :func:`backoff`; the store itself probes
  while failing, so an episode ends without any traffic.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy.exc import DBAPIError
from twisted.logger import Logger

log = Logger()

# SQLite result codes (by name) that mean the store cannot write now.
SQLITE_FAULTS = frozenset({"SQLITE_FULL", "SQLITE_READONLY", "SQLITE_IOERR", "SQLITE_CANTOPEN",
                           "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_NOMEM", "SQLITE_PROTOCOL"})
# The same, by the text of errors whose code did not travel (older drivers).
SQLITE_FAULT_TEXTS = ("database or disk is full", "readonly database", "disk i/o error",
                      "unable to open database", "database is locked")
# PostgreSQL SQLSTATE classes and codes: connection (08), insufficient
# resources (53: disk full, out of memory), operator intervention (57: shutdown),
# system error (58), read-only transaction (25006).
PG_FAULT_CLASSES = ("08", "53", "57", "58")
PG_FAULT_CODES = frozenset({"25006"})

RETRY_FIRST = 0.5  # seconds before the first retry of held work
RETRY_MAX = 10.0  # the longest wait between two retries


class StoreClosed(RuntimeError):
    """The store is stopped (or not started); the write was not queued."""


def is_fault(exc: BaseException | None) -> bool:
    """True when ``exc`` says the store cannot write (see the module's rules)."""
    if exc is None:
        return False
    if isinstance(exc, (StoreClosed, OSError)):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        return _driver_fault(exc.orig)
    return _driver_fault(exc)


def _driver_fault(orig: Any) -> bool:
    name = getattr(orig, "sqlite_errorname", None)
    if name is not None:
        return "_".join(name.split("_")[:2]) in SQLITE_FAULTS  # SQLITE_IOERR_WRITE -> SQLITE_IOERR
    if type(orig).__module__.startswith("sqlite3"):
        text = str(orig).lower()
        return any(t in text for t in SQLITE_FAULT_TEXTS)
    sqlstate = getattr(orig, "sqlstate", None)
    if isinstance(sqlstate, str):
        return sqlstate[:2] in PG_FAULT_CLASSES or sqlstate in PG_FAULT_CODES
    if type(orig).__module__.startswith("psycopg"):
        return type(orig).__name__ == "OperationalError"  # no SQLSTATE: the connection failed
    return False


def backoff(attempt: int) -> float:
    """Seconds to wait before retry number ``attempt`` (1, 2, ...)."""
    return min(RETRY_MAX, RETRY_FIRST * 2 ** max(0, attempt - 1))


@dataclass(frozen=True)
class Episode:
    """A failing episode as /health shows it."""

    since: float
    failed_writes: int
    error: str


class Episodes:
    """The store's failing episodes; ``now`` is a callable giving seconds."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self.current: Episode | None = None
        self.count = 0  # episodes so far

    @property
    def failing(self) -> bool:
        return self.current is not None

    def failed(self, exc: BaseException, writes: int = 1) -> None:
        """``writes`` jobs failed with the fault ``exc``."""
        if self.current is None:
            self.count += 1
            self.current = Episode(self._now(), writes, describe(exc))
            log.warn("store: cannot write ({error}); writes fail until it can, then it recovers "
                     "by itself", error=self.current.error)
            return
        episode = self.current
        self.current = Episode(episode.since, episode.failed_writes + writes, episode.error)

    def succeeded(self) -> Episode | None:
        """A write committed: the episode that this ends, if any."""
        episode, self.current = self.current, None
        if episode is not None:
            log.info("store: writing again after {seconds:.1f}s; {failed} writes failed meanwhile "
                     "({error})", seconds=self._now() - episode.since, failed=episode.failed_writes,
                     error=episode.error)
        return episode

    def snapshot(self) -> dict[str, Any]:
        if self.current is None:
            return {"status": "ok", "episodes": self.count}
        return {"status": "failing", "since": self.current.since, "error": self.current.error,
                "failed_writes": self.current.failed_writes, "episodes": self.count}


def describe(exc: BaseException) -> str:
    """One line on what the store met (the driver's own text, no traceback)."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).splitlines()[0] if str(orig) else type(orig).__name__
    return text[:200]
