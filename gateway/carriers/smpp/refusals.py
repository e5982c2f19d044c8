"""Retry budgets for refused submits, and episode logging, of one carrier.

An SMSC refuses a submit_sm for a while with ESME_RTHROTTLED (0x58, "too
fast") or ESME_RMSGQFUL (0x14, "my queue is full").  Neither is the
message's fault, so it is resent; these rules say for how long:

* ESME_RTHROTTLED: resent as soon as the bind's pacing allows (the bind
  slows down, see ``throttle.AdaptiveRate``), for up to
  ``throttle_retry_for`` seconds from the message's first refusal and at
  most ``throttle_max_retries`` resends (0 = no count limit).
* ESME_RMSGQFUL: the bind slows down the same way, and the message waits
  ``qfull_backoff`` seconds (doubling, at most ``qfull_backoff_max``)
  before it is resent, for up to ``queue_full_retry_for`` seconds from its
  first refusal and at most ``queue_full_max_retries`` resends (0 = no
  count limit).
* Past its budget the message fails with 30001 "Queue overflow", carrying
  the status.  The defaults ride out a minute-long episode.
* One log line when an episode of either kind starts and one when it ends,
  with counts (``episodes.Episode``); never a line per PDU.
"""
from __future__ import annotations

from typing import Any

from twisted.logger import Logger

from gateway.carriers.smpp import errors
from gateway.carriers.smpp.episodes import Episode

log = Logger()

_KINDS = {errors.ESME_RTHROTTLED: ("throttling", "ESME_RTHROTTLED", "throttle"),
          errors.ESME_RMSGQFUL: ("queue full", "ESME_RMSGQFUL", "queue_full")}


class RefusalBudget:
    """Per message: the first refusal of each kind and the resends since."""

    __slots__ = ("since", "count")

    def __init__(self) -> None:
        self.since: dict[int, float] = {}
        self.count: dict[int, int] = {}


class Refusals:
    def __init__(self, carrier: str, settings: Any) -> None:
        self.carrier = carrier
        self.settings = settings
        self.episodes = {status: Episode() for status in _KINDS}
        self.active = False  # an episode is open (the carrier tells ``accepted`` only then)

    def refused(self, budget: RefusalBudget, status: int, now: float
                ) -> tuple[errors.SubmitFailed | None, float]:
        """A refusal of *status*: (the failure, or None to resend after the delay)."""
        what, name, prefix = _KINDS[status]
        retry_for = getattr(self.settings, f"{prefix}_retry_for")
        max_retries = getattr(self.settings, f"{prefix}_max_retries")
        episode = self.episodes[status]
        self.active = True
        if episode.refused(now):
            log.warn("carrier {carrier}: SMSC {what} ({status}): slowing down and resending "
                     "each message for up to {retry_for:.0f}s", carrier=self.carrier,
                     what=what, status=name, retry_for=retry_for)
        since = budget.since.setdefault(status, now)
        count = budget.count[status] = budget.count.get(status, 0) + 1
        if now - since >= retry_for or (max_retries and count > max_retries):
            episode.gave_up()
            return errors.queue_overflow(status), 0.0
        if status == errors.ESME_RTHROTTLED:
            return None, 0.0
        s = self.settings
        return None, min(s.qfull_backoff * 2 ** min(count - 1, 30), s.qfull_backoff_max)

    def accepted(self, now: float) -> None:
        for status, episode in self.episodes.items():
            if not episode.active:
                continue
            summary = episode.accepted(now)
            if summary is not None:
                what, name, _ = _KINDS[status]
                log.info("carrier {carrier}: SMSC {what} episode over after {seconds:.1f}s: "
                         "{refusals} {status} answers, {failed} messages failed (30001)",
                         carrier=self.carrier, what=what, seconds=summary.seconds,
                         refusals=summary.refusals, status=name, failed=summary.failed)
        self.active = any(e.active for e in self.episodes.values())
