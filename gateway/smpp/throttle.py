"""Per-bind pacing: a token bucket plus adaptive slow-down on ESME_RTHROTTLED.

Theory of operation:

* :class:`TokenBucket` holds up to ``burst`` tokens and refills at ``rate``
  tokens per second of the injected clock.  ``delay(now)`` takes a token and
  returns 0, or returns how long to wait for the next one.
* :class:`AdaptiveRate` wraps a bucket for one bind.  The configured
  ``max_tps`` (0 = no cap) is the ceiling.  Each ESME_RTHROTTLED cuts the
  current limit (to ``decrease`` times the rate the SMSC was accepting) and
  pauses the bind briefly, the pause doubling while throttling continues.
  Every ``recover_every`` seconds without throttling the limit grows by
  ``increase`` until it is back at the ceiling (or lifted, when there is none).

Nothing here reads a clock: callers pass ``now``.
"""
from __future__ import annotations


# A token refilled over exactly the wait ``delay`` asked for may come out a
# hair under 1.0 in floating point; counting it whole avoids a wait of 1e-18 s.
_ONE = 1.0 - 1e-9


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
    """The pacing of one bind: a ceiling, throttling reactions and recovery."""

    def __init__(
        self,
        max_tps: float = 0.0,
        *,
        now: float = 0.0,
        min_tps: float = 1.0,
        decrease: float = 0.5,
        increase: float = 1.25,
        recover_every: float = 1.0,
        pause_initial: float = 0.05,
        pause_max: float = 5.0,
    ) -> None:
        self.max_tps = float(max_tps)
        self.min_tps = min_tps
        self.decrease = decrease
        self.increase = increase
        self.recover_every = recover_every
        self.pause_initial = pause_initial
        self.pause_max = pause_max
        self.throttled_events = 0
        self._pause = pause_initial
        self._paused_until = 0.0
        self._last_throttle = -1e18
        self._last_adjust = now
        self._bucket = TokenBucket(self.max_tps, now=now) if self.max_tps > 0 else None
        self._window_start = now
        self._window_count = 0
        self._accepted_rate = 0.0

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
        """A response other than ESME_RTHROTTLED arrived."""
        self._window_count += 1
        if now - self._window_start >= 1.0:
            self._accepted_rate = self._window_count / (now - self._window_start)
            self._window_start = now
            self._window_count = 0
        if now - self._last_adjust >= self.recover_every:
            self._recover(now)

    def _recover(self, now: float) -> None:
        self._last_adjust = now
        if now - self._last_throttle < self.recover_every:
            return
        self._pause = self.pause_initial
        bucket = self._bucket
        if bucket is None or (self.max_tps > 0 and bucket.rate >= self.max_tps):
            return
        rate = bucket.rate * self.increase
        if self.max_tps > 0:
            bucket.set_rate(min(rate, self.max_tps), now)
        elif rate > 4 * max(self._accepted_rate, self.min_tps):
            self._bucket = None  # far above what the SMSC takes: lift the cap
        else:
            bucket.set_rate(rate, now)

    def throttled(self, now: float) -> float:
        """ESME_RTHROTTLED arrived: slow down; return the pause now in force."""
        self.throttled_events += 1
        elapsed = now - self._window_start
        seen = self._window_count / elapsed if elapsed > 0.05 else self._accepted_rate
        current = self._bucket.rate if self._bucket is not None else max(seen, self.min_tps)
        basis = min(current, seen) if seen > 0 else current
        rate = max(self.min_tps, basis * self.decrease)
        if now >= self._paused_until:
            # One cut per pause: a window full of THROTTLED answers that were
            # all in flight together counts as one signal.
            if self._bucket is None:
                self._bucket = TokenBucket(rate, now=now)
            else:
                self._bucket.set_rate(rate, now)
            self._paused_until = now + self._pause
            self._pause = min(self._pause * 2, self.pause_max)
        self._last_throttle = now
        self._last_adjust = now
        return self._paused_until - now
