"""Counters of one bind, for /health and /metrics.

Latency is kept as a Prometheus-style cumulative histogram (fixed buckets,
seconds) plus sum and count, so the daemon can print
``smpp_submit_latency_seconds_bucket{le=...}`` lines as they are.
"""
from __future__ import annotations

from bisect import bisect_left
from typing import Any

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                   2.5, 5.0, 10.0)


class LatencyHistogram:
    __slots__ = ("counts", "sum", "count")

    def __init__(self) -> None:
        self.counts = [0] * (len(LATENCY_BUCKETS) + 1)  # the last one is +Inf
        self.sum = 0.0
        self.count = 0

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.sum += seconds
        self.count += 1

    def cumulative(self) -> list[tuple[str, int]]:
        out, running = [], 0
        for bound, n in zip(LATENCY_BUCKETS + (float("inf"),), self.counts):
            running += n
            out.append(("+Inf" if bound == float("inf") else repr(bound), running))
        return out

    def quantile(self, q: float) -> float | None:
        """Upper bound of the bucket holding quantile ``q`` (None when empty)."""
        if not self.count:
            return None
        target, running = q * self.count, 0
        for bound, n in zip(LATENCY_BUCKETS + (float("inf"),), self.counts):
            running += n
            if running >= target:
                return bound
        return float("inf")


class BindStats:
    def __init__(self, now: float = 0.0) -> None:
        self.started = now
        self.bind_attempts = 0
        self.binds = 0
        self.bind_failures = 0
        self.losses = 0
        self.submits = 0            # submit_sm written (resends included)
        self.accepted = 0           # ESME_ROK
        self.rejected = 0           # other error statuses (final)
        self.throttled = 0          # ESME_RTHROTTLED answers
        self.queue_full = 0         # ESME_RMSGQFUL answers
        self.timeouts = 0           # no answer in response_timeout
        self.lost_in_flight = 0     # unanswered when the connection went
        self.latency = LatencyHistogram()

    def as_dict(self) -> dict[str, Any]:
        return {
            "bind_attempts": self.bind_attempts, "binds": self.binds,
            "bind_failures": self.bind_failures, "losses": self.losses,
            "submits": self.submits, "accepted": self.accepted, "rejected": self.rejected,
            "throttled": self.throttled, "queue_full": self.queue_full,
            "timeouts": self.timeouts, "lost_in_flight": self.lost_in_flight,
            "latency_count": self.latency.count, "latency_sum": self.latency.sum,
            "latency_buckets": self.latency.cumulative(),
        }
