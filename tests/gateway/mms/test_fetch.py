"""Media fetch guards that need no media server: the deadline (in memory, on
a MemoryReactorClock) and the SSRF guard on names and address literals."""
from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet import reactor
from twisted.internet.testing import MemoryReactorClock

from gateway.mms.fetch import FetchPolicy, MediaError, MediaFetcher
from gateway.mms.guard import is_public


def test_fetch_gives_up_at_the_deadline():
    clock = MemoryReactorClock()
    fetcher = MediaFetcher(clock, FetchPolicy(timeout=5.0, allow_private=True))
    results = []
    fetcher.fetch("http://10.0.0.7/pic.png").addBoth(results.append)
    assert len(clock.tcpClients) == 1 and clock.tcpClients[0][:2] == ("10.0.0.7", 80)
    clock.advance(4.9)
    assert results == []
    clock.advance(0.1)
    (failure,) = results
    assert failure.check(MediaError) and failure.value.error_code == 11200
    assert "timed out after 5s" in failure.value.message
    assert not clock.getDelayedCalls()


@pytest.mark.parametrize("ip,public", [
    ("8.8.8.8", True), ("2001:4860:4860::8888", True), ("127.0.0.1", False), ("10.1.2.3", False),
    ("192.168.0.1", False), ("172.16.5.5", False), ("169.254.169.254", False), ("100.64.0.1", False),
    ("::1", False), ("fe80::1%eth0", False), ("fc00::1", False), ("::ffff:127.0.0.1", False),
    ("224.0.0.1", False), ("0.0.0.0", False),
])
def test_public_addresses(ip, public):
    assert is_public(ip) is public


@pytest_twisted.ensureDeferred
@pytest.mark.parametrize("url", [
    "http://localhost:9/pic.png",  # a name resolving to loopback
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://[::1]:9/pic.png",
    "https://127.0.0.1:9/pic.png",
])
async def test_ssrf_guard_refuses_before_connecting(url):
    fetcher = MediaFetcher(reactor, FetchPolicy(timeout=5.0))
    with pytest.raises(MediaError) as info:
        await fetcher.fetch(url)
    assert info.value.error_code == 21620 and "not a public address" in info.value.message
