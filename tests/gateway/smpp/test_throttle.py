from gateway.smpp.throttle import AdaptiveRate, TokenBucket


def test_bucket_paces_to_rate():
    bucket = TokenBucket(10, burst=1, now=0.0)
    assert bucket.delay(0.0) == 0.0
    assert abs(bucket.delay(0.0) - 0.1) < 1e-9
    assert bucket.delay(0.1) == 0.0


def test_bucket_sends_burst_then_waits():
    bucket = TokenBucket(100, now=0.0)  # burst 10
    sent = sum(1 for _ in range(50) if bucket.delay(0.0) == 0.0)
    assert sent == 10
    # one second later, the burst is back but no more than the burst
    sent = sum(1 for _ in range(50) if bucket.delay(1.0) == 0.0)
    assert sent == 10


def count_sent(rate: AdaptiveRate, start: float, seconds: float, step: float = 0.001) -> int:
    sent, now = 0, start
    while now < start + seconds:
        if rate.delay(now) == 0.0:
            sent += 1
            rate.accepted(now)
        now += step
    return sent


def test_unlimited_rate_never_waits():
    rate = AdaptiveRate(0.0)
    assert rate.limit is None
    assert all(rate.delay(0.0) == 0.0 for _ in range(1000))


def test_max_tps_caps_sending():
    rate = AdaptiveRate(50.0)
    sent = count_sent(rate, 0.0, 2.0)
    assert 95 <= sent <= 106


def test_throttled_pauses_and_cuts_then_recovers():
    rate = AdaptiveRate(200.0)
    count_sent(rate, 0.0, 1.0)
    pause = rate.throttled(1.0)
    assert pause > 0
    assert rate.delay(1.0) > 0          # paused
    assert rate.limit <= 100.0          # cut to at most half the rate seen
    assert rate.throttled_events == 1
    # a burst of answers from the same window does not cut again
    before = rate.limit
    rate.throttled(1.0 + pause / 2)
    assert rate.limit == before
    # long quiet: the limit climbs back to the ceiling and no further
    count_sent(rate, 2.0, 10.0)
    assert rate.limit == 200.0


def test_throttled_without_cap_sets_one():
    rate = AdaptiveRate(0.0)
    count_sent(rate, 0.0, 1.5)
    rate.throttled(1.5)
    assert rate.limit is not None
    assert rate.limit >= rate.min_tps


def test_repeated_throttling_grows_the_pause():
    rate = AdaptiveRate(100.0)
    first = rate.throttled(0.0)
    second = rate.throttled(first + 0.001)
    assert second > first


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
