"""Authentication abuse: per-address and per-account failure budgets with
429 and Retry-After, a counted and rate-limited log line that never holds
the password, and the budgets over the API served in memory."""
from __future__ import annotations

import json

import pytest
from twisted.internet.task import Clock
from twisted.logger import globalLogPublisher

from gateway.api.auth_guard import AuthBudget, AuthGuard, TooManyFailures

from .conftest import ACCOUNT, OTHER, TOKEN
from .memory_api import in_memory, server  # noqa: F401 (server: the in-memory fixture)

BUDGET = AuthBudget(max_failures_per_ip=3, max_failures_per_account=5, window=30.0)


def _blocked(guard, peer, account):
    try:
        guard.check(peer, account)
    except TooManyFailures as error:
        return error.retry_after
    return None


def test_address_budget_then_429_until_a_failure_leaks_out():
    clock = Clock()
    guard = AuthGuard(clock, BUDGET)
    for _ in range(3):
        assert _blocked(guard, "10.0.0.1", None) is None
        guard.failed("10.0.0.1", "nobody", known=False)
    assert _blocked(guard, "10.0.0.1", None) == 10  # 30 s / 3 failures: one leaks out in 10 s
    assert _blocked(guard, "10.0.0.2", None) is None  # another address is not affected
    clock.advance(9)
    assert _blocked(guard, "10.0.0.1", None) == 1
    clock.advance(1)
    assert _blocked(guard, "10.0.0.1", None) is None  # one more guess ...
    guard.failed("10.0.0.1", "nobody", known=False)
    assert _blocked(guard, "10.0.0.1", None) == 10  # ... and wait again: 3 guesses per 30 s at most
    assert guard.stats == {"failures": 4, "throttled": 3}
    assert clock.getDelayedCalls() == []


def test_account_budget_holds_across_addresses():
    clock = Clock()
    guard = AuthGuard(clock, BUDGET)
    for i in range(5):
        guard.failed(f"10.0.1.{i}", "AC1", known=True)
    assert _blocked(guard, "10.0.9.9", "AC1") == 6  # 30 s / 5
    assert _blocked(guard, "10.0.9.9", "AC2") is None


def test_names_that_are_no_account_get_no_bucket():
    guard = AuthGuard(Clock(), BUDGET)
    for i in range(1000):
        guard.failed("10.0.0.1", f"AC{i}", known=False)
    assert guard._accounts == {}


def test_tracked_addresses_are_bounded():
    guard = AuthGuard(Clock(), AuthBudget(max_tracked=100))
    for i in range(1000):
        guard.failed(f"10.{i >> 8}.{i & 255}.1", None, known=False)
    assert len(guard._ips) == 100


def test_failures_are_logged_counted_and_rate_limited_never_with_the_password():
    clock = Clock()
    events = []
    globalLogPublisher.addObserver(events.append)
    try:
        guard = AuthGuard(clock, AuthBudget(max_failures_per_ip=1000))
        for _ in range(50):
            guard.failed("10.0.0.1", "AC1\nFAKE LINE", known=False)
        clock.advance(10)
        guard.failed("10.0.0.1", "AC1", known=True)
    finally:
        globalLogPublisher.removeObserver(events.append)
    from twisted.logger import formatEvent

    lines = [formatEvent(e) for e in events if e.get("log_namespace") == "gateway.api.auth_guard"]
    assert len(lines) == 2
    assert "1 failed authentication attempts" in lines[0] and "from 10.0.0.1" in lines[0]
    assert "\n" not in lines[0]  # an attacker's name cannot forge a log line
    assert "50 failed authentication attempts" in lines[1] and "51 since start" in lines[1]


@in_memory
async def test_wrong_passwords_over_http_get_429_with_retry_after(server):
    clock = Clock()
    server.api.auth_guard = AuthGuard(clock, BUDGET)
    for _ in range(3):
        response, _ = await server.call("GET", "/Messages.json", auth=(ACCOUNT, "wrong-password"))
        assert response.code == 401
    response, body = await server.call("GET", "/Messages.json", auth=(ACCOUNT, TOKEN))
    assert response.code == 429  # even the right password, while the address is over its budget
    assert response.headers.getRawHeaders("retry-after") == ["10"]
    error = json.loads(body)
    assert set(error) == {"code", "message", "status", "more_info"}
    assert error["status"] == 429 and error["code"] == 20429
    response, _ = await server.call("GET", "/Messages.json", auth=None)  # no credentials: still 429
    assert response.code == 429
    clock.advance(10)
    response, _ = await server.call("GET", "/Messages.json", auth=(ACCOUNT, TOKEN))
    assert response.code == 200
    assert server.api.auth_guard.stats == {"failures": 3, "throttled": 2}


@in_memory
async def test_requests_without_credentials_spend_no_budget(server):
    server.api.auth_guard = AuthGuard(Clock(), BUDGET)
    for _ in range(10):
        response, _ = await server.call("GET", "/Messages.json", auth=None)
        assert response.code == 401
    response, _ = await server.call("GET", "/Messages.json", auth=(OTHER, "wrong"))
    assert response.code == 401
    assert server.api.auth_guard.stats["failures"] == 1
