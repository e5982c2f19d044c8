"""The pacing controller on task.Clock, against model SMSCs.

A model bind keeps a backlog and a window; each request the controller lets
go is answered ``LATENCY`` later by a model SMSC: one capped at a TPS
(ESME_RTHROTTLED above it), one refusing a fixed share whatever the rate,
one refusing everything for a while (a queue-full episode).  Refused
requests go back to the front of the backlog, as in the carrier.
"""
from __future__ import annotations

import random
from collections import deque

from twisted.internet.task import Clock

from gateway.carriers.smpp.throttle import AdaptiveRate, TokenBucket

LATENCY = 0.01
STEP = 0.001


class CapSmsc:
    """Accepts up to ``tps`` per second (a token bucket, as SMSCs do)."""

    def __init__(self, tps: float) -> None:
        self.bucket = TokenBucket(tps, now=0.0)

    def accepts(self, now: float) -> bool:
        return self.bucket.delay(now) == 0.0


class ShareSmsc:
    """Refuses a fixed share of requests, whatever the rate."""

    def __init__(self, share: float, seed: int = 1) -> None:
        self.share = share
        self.rng = random.Random(seed)

    def accepts(self, now: float) -> bool:
        return self.rng.random() >= self.share


class FullFor:
    """Refuses everything from ``start`` for ``seconds``; else accepts."""

    def __init__(self, start: float, seconds: float) -> None:
        self.start, self.end = start, start + seconds

    def accepts(self, now: float) -> bool:
        return not self.start <= now < self.end


class Model:
    def __init__(self, rate: AdaptiveRate, smsc, clock: Clock, window: int = 100) -> None:
        self.rate, self.smsc, self.clock, self.window = rate, smsc, clock, window
        self.backlog = 10**9
        self.retries = 0
        self.in_flight: deque = deque()
        self.sent = self.accepted = self.refused = 0
        self.limits: list[float | None] = []

    def run(self, seconds: float) -> int:
        """Advance the clock by ``seconds``; return how many were accepted."""
        before = self.accepted
        end = self.clock.seconds() + seconds
        while self.clock.seconds() < end - 1e-9:
            now = self.clock.seconds()
            while self.in_flight and self.in_flight[0][0] <= now:
                _, ok = self.in_flight.popleft()
                if ok:
                    self.accepted += 1
                    self.rate.accepted(now)
                else:
                    self.refused += 1
                    self.retries += 1
                    self.rate.throttled(now)
            while (len(self.in_flight) < self.window and (self.retries or self.backlog)
                   and self.rate.delay(now) == 0.0):
                if self.retries:
                    self.retries -= 1
                else:
                    self.backlog -= 1
                self.sent += 1
                self.in_flight.append((now + LATENCY, self.smsc.accepts(now)))
            self.limits.append(self.rate.limit)
            self.clock.advance(STEP)
        return self.accepted - before


def model(smsc, max_tps: float = 0.0, window: int = 100) -> Model:
    clock = Clock()
    return Model(AdaptiveRate(max_tps, now=clock.seconds()), smsc, clock, window)


def test_bucket_paces_to_rate():
    bucket = TokenBucket(10, burst=1, now=0.0)
    assert bucket.delay(0.0) == 0.0
    assert abs(bucket.delay(0.0) - 0.1) < 1e-9
    assert bucket.delay(0.1) == 0.0


def test_bucket_sends_burst_then_waits():
    bucket = TokenBucket(100, now=0.0)  # burst 10
    sent = sum(1 for _ in range(50) if bucket.delay(0.0) == 0.0)
    assert sent == 10
    sent = sum(1 for _ in range(50) if bucket.delay(1.0) == 0.0)
    assert sent == 10


def test_waiting_exactly_the_delay_is_enough():
    # float rounding must not leave the token a hair short (a zero-length wait loop)
    for rate in (3.0, 7.0, 30.0, 123.0, 999.0):
        bucket = TokenBucket(rate, burst=1, now=1000.1)
        now = 1000.1
        bucket.delay(now)
        for _ in range(200):
            wait = bucket.delay(now)
            assert wait > 0
            now += wait
            assert bucket.delay(now) == 0.0


def test_unlimited_rate_never_waits():
    rate = AdaptiveRate(0.0)
    assert rate.limit is None
    assert all(rate.delay(0.0) == 0.0 for _ in range(1000))


def test_max_tps_caps_sending():
    m = model(ShareSmsc(0.0), max_tps=50.0)
    assert 95 <= m.run(2.0) <= 106
    assert m.rate.limit == 50.0


def test_uses_at_least_90_percent_of_an_smsc_cap():
    for max_tps in (0.0, 1000.0):
        m = model(CapSmsc(200.0), max_tps=max_tps)
        m.run(3.0)                      # converge
        accepted = m.run(10.0)
        assert accepted >= 0.9 * 200 * 10, (max_tps, accepted)
        assert min(x for x in m.limits[-5000:] if x is not None) >= 180  # never collapses


def test_follows_a_cap_that_drops_and_comes_back():
    smsc = CapSmsc(200.0)
    m = model(smsc, max_tps=400.0)
    m.run(3.0)
    smsc.bucket.set_rate(100.0, m.clock.seconds())
    m.run(3.0)
    assert m.run(5.0) >= 0.9 * 100 * 5
    smsc.bucket.set_rate(200.0, m.clock.seconds())
    m.run(5.0)
    assert m.run(5.0) >= 0.9 * 200 * 5


def test_a_steady_50_percent_throttle_share_drains_at_the_accepted_rate():
    m = model(ShareSmsc(0.5), max_tps=200.0)
    m.run(2.0)
    accepted = m.run(20.0)
    # sending at the full 200/s, half of it is accepted: 100/s
    assert accepted >= 0.9 * 100 * 20, accepted
    assert min(x for x in m.limits if x is not None) >= 100  # no collapse to 1/s
    assert m.rate.throttled_events > 1000


def test_a_steady_50_percent_share_without_a_ceiling_keeps_the_window_busy():
    m = model(ShareSmsc(0.5), max_tps=0.0, window=10)
    m.run(2.0)
    accepted = m.run(10.0)
    # the window is the limit: 10 per LATENCY round trip, half accepted
    ideal = 10 / (LATENCY + STEP) * 0.5 * 10
    assert accepted >= 0.85 * ideal, (accepted, ideal)


def test_everything_refused_pauses_the_bind_then_it_recovers_at_once():
    m = model(FullFor(start=5.0, seconds=60.0), max_tps=200.0)
    m.run(5.0)
    sent = m.sent
    m.run(60.0)
    during = m.sent - sent
    assert during < 60 * 200 * 0.05, during   # paused: a few probes, not 200/s of refusals
    m.run(2.0)                                 # over: back at the ceiling within seconds
    assert m.run(5.0) >= 0.9 * 200 * 5
    assert m.rate.limit == 200.0


def test_burst_of_refusals_on_an_unlimited_bind_pauses_it():
    rate = AdaptiveRate(0.0, now=0.0)
    pauses = [rate.throttled(0.0) for _ in range(10)]
    assert pauses[-1] > 0 and pauses[0] == 0.0
    assert rate.delay(0.0) > 0
    second = [rate.throttled(pauses[-1]) for _ in range(1)]
    assert second[0] > pauses[-1] - 1e-9  # it doubled while refusals go on
