"""Fair scheduling of callback requests across hosts (pure)."""
import pytest

from gateway.callbacks.hosts import HostQueues
from gateway.config.read import ConfigError
from gateway.mms.guard import allow_entry

A, B, C = "a", "b", "c"


def _fill(q, host, ids, now=0.0):
    return [q.add(host, i, f"{host}{i}", now) for i in ids]


def test_hosts_take_turns_within_the_limits():
    q = HostQueues(concurrency=5, per_host=2, stall_after=2.0)
    _fill(q, A, range(1, 11))
    _fill(q, B, range(11, 13))
    _fill(q, C, range(13, 14))
    started = [q.take(0.0) for _ in range(6)]
    assert [s[1] for s in started[:5]] == ["a1", "b11", "c13", "a2", "b12"]
    assert started[5] is None  # five in flight: the global limit
    q.finished(C, True, 0.1)
    assert q.take(0.1) is None  # a has two in flight: its own limit; b and c have nothing queued
    q.finished(A, True, 0.2)
    assert q.take(0.2)[1] == "a3"
    assert q.owned == set(range(1, 14))
    q.settled(13)
    assert 13 not in q.owned


def test_dropping_the_queued_rows_keeps_those_in_flight_owned():
    q = HostQueues(concurrency=2, per_host=2, stall_after=2.0)
    _fill(q, A, range(1, 5))
    _fill(q, B, range(5, 6))
    assert [q.take(0.0)[1] for _ in range(2)] == ["a1", "b5"]
    assert sorted(q.drop_queued()) == [2, 3, 4]
    assert q.owned == {1, 5} and q.ready(0.0) == 0
    q.finished(A, True, 0.1)
    assert q.take(0.1) is None  # nothing queued any more
    _fill(q, A, range(2, 3))  # a later read may return a dropped row
    assert q.take(0.1)[1] == "a2"


def test_a_failing_host_gets_one_request_and_one_queued_row():
    q = HostQueues(concurrency=10, per_host=4, stall_after=2.0)
    _fill(q, A, range(1, 5))
    for _ in range(4):
        q.take(0.0)
    for _ in range(4):
        q.finished(A, False, 1.0)
    assert q.limit(A) == 1 and q.blocked(A, 1.0)
    assert _fill(q, A, [5, 6, 7], 1.0) == [True, False, False]
    assert q.take(1.0)[1] == "a5" and q.take(1.0) is None
    q.finished(A, True, 2.0)  # answered: healthy again
    assert q.limit(A) == 4 and not q.blocked(A, 2.0)


def test_a_hanging_host_is_blocked_after_stall_after_and_sheds_its_queue():
    q = HostQueues(concurrency=10, per_host=2, stall_after=2.0)
    _fill(q, A, range(1, 8))
    q.take(0.0), q.take(0.0)
    assert q.ready(1.9) == 5 and not q.blocked(A, 1.9)
    assert q.blocked(A, 2.0) and q.ready(2.0) == 0  # its rows no longer stop reads
    assert [i for i, _ in q.shed(A)] == [4, 5, 6, 7]
    assert q.add(A, 8, "a8", 2.0) is False
    q.finished(A, True, 2.5)  # progress: not hanging any more
    assert not q.blocked(A, 2.5)


@pytest.mark.parametrize("entry, parsed", [
    ("127.0.0.1", ("127.0.0.1", None)), ("hooks.internal:8443", ("hooks.internal", 8443)),
    ("[fd00::1]:80", ("fd00::1", 80)), ("::1", ("::1", None)), ("Hooks.Internal.", ("hooks.internal", None)),
])
def test_allow_host_entries(entry, parsed):
    assert allow_entry(entry) == parsed


@pytest.mark.parametrize("entry", ["", "h:0", "h:99999", "h:x", "[::1", "[::1]x"])
def test_bad_allow_host_entries(entry):
    with pytest.raises(ValueError):
        allow_entry(entry)


def test_allow_hosts_config_key():
    from gateway.config import model as config

    cfg = config.loads('[callbacks]\nallow_hosts = ["127.0.0.1", "hooks.internal:8443"]\n'
                       'per_host_concurrency = 4\nconnect_timeout = 2.5\n')
    assert cfg.callbacks.allow_hosts == ("127.0.0.1", "hooks.internal:8443")
    assert (cfg.callbacks.per_host_concurrency, cfg.callbacks.connect_timeout) == (4, 2.5)
    with pytest.raises(ConfigError, match="allow_hosts"):
        config.loads('[callbacks]\nallow_hosts = ["h:99999"]\n')


def test_config_urls_use_the_senders_parser():
    from gateway.config import model as config

    base = '[[accounts]]\nsid = "AC1"\nauth_token = "t"\n[[numbers]]\nnumber = "+15550001111"\naccount = "AC1"\n'
    for bad in ("http://a..b/sms", "http://[::1/x", "http://h:99999/"):
        with pytest.raises(ConfigError, match="sms_url"):
            config.loads(base + f'sms_url = "{bad}"\n')
