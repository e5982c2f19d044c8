"""Episodes of refusals (ESME_RMSGQFUL, ESME_RTHROTTLED) on one carrier.

An SMSC that fills its queue or throttles says so on every PDU for a
while; operators need one line when that starts and one when it ends, with
counts, not a line per PDU.  Rules:

* The first refusal of a kind opens an episode of that kind.
* It is over at the first accepted answer that comes ``quiet`` seconds
  or more after the last refusal of that kind.
* While open it counts the refusals and the messages that ran out of their
  retry budget (failed).

Pure: callers pass ``now``; the carrier logs what these return.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EpisodeSummary:
    seconds: float
    refusals: int
    failed: int


class Episode:
    __slots__ = ("quiet", "started", "last", "refusals", "failed")

    def __init__(self, quiet: float = 1.0) -> None:
        self.quiet = quiet
        self.started: float | None = None
        self.last = 0.0
        self.refusals = 0
        self.failed = 0

    @property
    def active(self) -> bool:
        return self.started is not None

    def refused(self, now: float) -> bool:
        """Count a refusal; True when it opens an episode."""
        opened = self.started is None
        if opened:
            self.started, self.refusals, self.failed = now, 0, 0
        self.refusals += 1
        self.last = now
        return opened

    def gave_up(self) -> None:
        """A message ran out of its retry budget during the episode."""
        self.failed += 1

    def accepted(self, now: float) -> EpisodeSummary | None:
        """An accepted answer: the summary when it closes the episode, else None."""
        if self.started is None or now - self.last < self.quiet:
            return None
        summary = EpisodeSummary(now - self.started, self.refusals, self.failed)
        self.started = None
        return summary
