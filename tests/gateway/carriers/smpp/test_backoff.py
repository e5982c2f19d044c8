from gateway.carriers.smpp.backoff import BindRetryPolicy


def test_grows_exponentially_to_the_maximum():
    policy = BindRetryPolicy(initial=1.0, maximum=30.0, factor=2.0, jitter=0.0)
    assert [policy(n) for n in (1, 2, 3, 4, 5, 6, 7)] == [1, 2, 4, 8, 16, 30, 30]


def test_jitter_spreads_delays():
    low = BindRetryPolicy(initial=10, jitter=0.25, random_fn=lambda: 0.0)
    high = BindRetryPolicy(initial=10, jitter=0.25, random_fn=lambda: 1.0)
    assert low(1) == 7.5
    assert high(1) == 12.5


def test_auth_failure_waits_long_once():
    policy = BindRetryPolicy(initial=1.0, jitter=0.0, auth_failure_delay=120.0)
    policy.auth_failed()
    assert policy(1) == 120.0
    assert policy(2) == 2.0
