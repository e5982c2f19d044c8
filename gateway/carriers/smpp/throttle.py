"""Per-bind pacing: a token bucket plus AIMD on the share of refused answers.

Theory of operation:

* :class:`TokenBucket` holds up to ``burst`` tokens and refills at ``rate``
  tokens per second of the injected clock.  ``delay(now)`` takes a token and
  returns 0, or returns how long to wait for the next one.
* :class:`AdaptiveRate` paces one bind.  The configured ``max_tps``
  (0 = no cap) is the ceiling.  It counts the answers of each short period
  (``period`` seconds and at least ``min_samples`` answers): accepted ones,
  and refused ones (ESME_RTHROTTLED, and ESME_RMSGQFUL: a full SMSC is
  slowed down for the same way).  At the end of a period:

  - refused share above ``target_share``: multiplicative decrease, to the
    rate the SMSC accepted in that period -- never below it, so a bind is
    never slowed below what the SMSC takes (and never below ``min_tps``);
  - share at or below the target: increase, doubling back up to the last
    rate known good, then additively by ``step`` of it per period, up to
    the ceiling (with no ceiling, the limit is lifted once it is far above
    what the SMSC takes);
  - a cut that cost accepted throughput (the SMSC refuses a fixed share
    whatever the rate, so sending less only gets less accepted) is undone
    at once, and no cut is tried again for ``hold`` seconds (doubling while
    it keeps happening): a steady 50 % throttle share still drains at the
    full rate instead of collapsing;
  - a period with nothing accepted changes no rate (there is nothing to
    measure); the pauses below hold the bind back.

  Within a period, a run of refusals (``burst_refusals`` of them, and over
  80 % of the period's answers) pauses the bind (``pause_initial``, doubling
  while nothing is accepted, up to ``pause_max``): the
  SMSC's "stop", and what keeps an unlimited bind from resending refused
  requests as fast as the link allows before the period can measure rates.

A period that spans a long pause (half a period or more) or grew over
twice ``max_period`` across an idle time measures nothing and is dropped.  The periods end on
answers, so nothing here needs a timer, and nothing here reads a clock:
callers pass ``now``.
"""
from __future__ import annotations


# A token refilled over exactly the wait ``delay`` asked for may come out a
# hair under 1.0 in floating point; counting it whole avoids a wait of 1e-18 s.
_ONE = 1.0 - 1e-9
# A run of refusals pauses the bind when they are more than this share of
# the period's answers so far.
_BURST = 0.8


class TokenBucket:
    __slots__ = ("rate", "burst", "_tokens", "_stamp")

    def __init__(self, rate: float, burst: float | None = None, now: float = 0.0) -> None:
        if rate <= 0:
            raise ValueError("token bucket rate must be positive")
        self.rate = float(rate)
        # A burst of a tenth of a second keeps the rate smooth at high TPS
        # while letting a 1-TPS bind send its message at once.
        self.burst = float(burst) if burst else max(1.0, self.rate / 10.0)
        self._tokens = self.burst
        self._stamp = now

    def set_rate(self, rate: float, now: float) -> None:
        self._refill(now)
        self.rate = float(rate)
        self.burst = max(1.0, self.rate / 10.0)
        self._tokens = min(self._tokens, self.burst)

    def _refill(self, now: float) -> None:
        elapsed = now - self._stamp
        if elapsed > 0:
            self._tokens = min(self.burst, self._tokens + elapsed * self.rate)
        self._stamp = now

    def delay(self, now: float) -> float:
        """Take one token (return 0.0) or say how many seconds until one exists."""
        self._refill(now)
        if self._tokens >= _ONE:
            self._tokens = max(0.0, self._tokens - 1.0)
            return 0.0
        return (1.0 - self._tokens) / self.rate


class AdaptiveRate:
    """The pacing of one bind: a ceiling, AIMD on the refused share, pauses."""

    def __init__(
        self,
        max_tps: float = 0.0,
        *,
        now: float = 0.0,
        min_tps: float = 1.0,
        target_share: float = 0.1,
        decrease: float = 0.5,
        step: float = 0.05,
        period: float = 0.5,
        min_samples: int = 20,
        max_period: float = 5.0,
        hold: float = 10.0,
        hold_max: float = 120.0,
        burst_refusals: int = 10,
        pause_initial: float = 0.05,
        pause_max: float = 5.0,
    ) -> None:
        self.max_tps = float(max_tps)
        self.min_tps = min_tps
        self.target_share = target_share
        self.decrease = decrease
        self.step = step
        self.period = period
        self.min_samples = min_samples
        self.max_period = max_period
        self.hold_initial = hold
        self.hold_max = hold_max
        self.burst_refusals = burst_refusals
        self.pause_initial = pause_initial
        self.pause_max = pause_max
        self.throttled_events = 0
        self._bucket = TokenBucket(self.max_tps, now=now) if self.max_tps > 0 else None
        self._start = now
        self._accepted = 0
        self._refused = 0
        self._good = 0.0             # the last accepted rate with a share at the target
        self._cut: tuple | None = None  # (limit before, accepted rate before, share to keep)
        self._hold = hold
        self._hold_until = -1e18
        self._pause = pause_initial
        self._paused_until = -1e18
        self._blind_until = -1e18    # the end of the last long pause

    @property
    def limit(self) -> float | None:
        """The TPS limit in force now, or None when unlimited."""
        return None if self._bucket is None else self._bucket.rate

    def delay(self, now: float) -> float:
        """0.0 and a token taken when a request may go now, else the wait."""
        if now < self._paused_until:
            return self._paused_until - now
        if self._bucket is None:
            return 0.0
        return self._bucket.delay(now)

    def accepted(self, now: float) -> None:
        """An answer other than a refusal arrived."""
        self._accepted += 1
        self._pause = self.pause_initial
        if now - self._start >= self.period:
            self._maybe_adjust(now)

    def throttled(self, now: float) -> float:
        """ESME_RTHROTTLED arrived; return the pause in force."""
        self.throttled_events += 1
        return self.refused(now)

    def refused(self, now: float) -> float:
        """A refusal (ESME_RTHROTTLED, ESME_RMSGQFUL) arrived; return the pause in force."""
        self._refused += 1
        refused = self._refused
        if (refused >= self.burst_refusals and refused > _BURST * (refused + self._accepted)
                and now >= self._paused_until):
            self._paused_until = now + self._pause
            if self._pause >= self.period / 2:
                self._blind_until = self._paused_until
            self._pause = min(self._pause * 2, self.pause_max)
        self._maybe_adjust(now)
        return max(0.0, self._paused_until - now)

    # ---- the control law ------------------------------------------------------------
    def _maybe_adjust(self, now: float) -> None:
        elapsed = now - self._start
        answers = self._accepted + self._refused
        if elapsed < self.period or (answers < self.min_samples and elapsed < self.max_period):
            return
        blind = self._blind_until > self._start
        self._start = now
        accepted, self._accepted, self._refused = self._accepted, 0, 0
        if blind or elapsed > 2 * self.max_period:
            return  # it spans a long pause or an idle time: it measures nothing
        share = 1.0 - accepted / answers
        accepted_rate = accepted / elapsed
        if self._cut is not None and self._undo_costly_cut(now, accepted_rate):
            return
        if share > self.target_share:
            self._decrease(now, share, accepted_rate)
        else:
            self._pause = self.pause_initial
            self._good = max(self._good, accepted_rate)
            self._increase(now, accepted_rate)

    def _undo_costly_cut(self, now: float, accepted_rate: float) -> bool:
        before, accepted_before, kept = self._cut
        self._cut = None
        if accepted_rate >= kept * accepted_before:
            self._hold = self.hold_initial
            return False
        self._set(before, now)
        self._hold_until = now + self._hold
        self._hold = min(self._hold * 2, self.hold_max)
        return True

    def _decrease(self, now: float, share: float, accepted_rate: float) -> None:
        if accepted_rate <= 0:
            return  # nothing to measure: the pauses hold the bind back
        self._good = accepted_rate  # what the SMSC takes now
        if now < self._hold_until:
            return
        current = self.limit
        sent_rate = accepted_rate / (1.0 - share)
        basis = sent_rate if current is None else min(current, sent_rate)
        rate = max(self.min_tps, accepted_rate, basis * self.decrease)
        if current is not None and rate >= current:
            return
        # Against a fixed share, accepted throughput falls with the rate; against
        # a cap it does not.  Halfway between the two says which it was.
        self._cut = (current, accepted_rate, 1.0 - (1.0 - rate / basis) / 2)
        self._set(rate, now)

    def _increase(self, now: float, accepted_rate: float) -> None:
        current = self.limit
        if current is None or (self.max_tps > 0 and current >= self.max_tps):
            return
        if self.max_tps <= 0 and current > 4 * max(accepted_rate, self.min_tps):
            self._set(None, now)  # far above what the SMSC takes: lift the cap
            return
        if current < self._good:
            rate = min(self._good, current * 2)
        else:
            rate = current + max(self.min_tps, self.step * max(self._good, current))
        if self.max_tps > 0:
            rate = min(rate, self.max_tps)
        self._set(rate, now)

    def _set(self, rate: float | None, now: float) -> None:
        if rate is None:
            self._bucket = None
        elif self._bucket is None:
            self._bucket = TokenBucket(rate, now=now)
        else:
            self._bucket.set_rate(rate, now)
