"""Failure budgets for authentication: per client address and per account.

Rules:

* A failure is a request that presented credentials that are wrong (a
  request with no credentials at all is not one: HTTP clients that wait for
  the 401 challenge must not run out of budget).
* Each client address, and each existing account named by a failure, has a
  budget of ``max_failures`` failures, which refills steadily over
  ``window`` seconds (a leaky bucket).  While either budget is spent, every
  request from that address or for that account is answered 429 with
  ``Retry-After`` (the seconds until one failure has leaked out), without
  looking at the password: a guess made then is not tested at all.
* A successful request spends nothing and refunds nothing.
* A name that is no account gets no bucket of its own (its failures count
  for the address), so the table of accounts is bounded by the config; the
  table of addresses is bounded by ``max_tracked`` (the idlest go first).
* Every failure and every 429 is counted (``stats``) and logged by a
  counted, rate-limited line that names the account and the address, never
  the password.

The clock is a constructor argument; nothing here schedules a timer.
"""
from __future__ import annotations

import binascii
import math
from dataclasses import dataclass
from typing import Any

from twisted.logger import Logger

from gateway.common.ratelog import RateLimitedLog

from gateway.messages.errors import ApiError

log = Logger()


@dataclass(frozen=True)
class AuthBudget:
    max_failures_per_ip: int = 20
    max_failures_per_account: int = 100
    window: float = 60.0  # seconds in which a full budget refills
    max_tracked: int = 65536  # addresses remembered at most


class TooManyFailures(ApiError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(429, 20429, "too many failed authentication attempts; retry after "
                                     f"{retry_after} seconds")
        self.retry_after = retry_after


class _Bucket:
    __slots__ = ("level", "at")

    def __init__(self, now: float):
        self.level = 0.0
        self.at = now

    def drain(self, now: float, rate: float) -> float:
        self.level = max(0.0, self.level - (now - self.at) * rate)
        self.at = now
        return self.level


class AuthGuard:
    def __init__(self, clock: Any, budget: AuthBudget = AuthBudget()):
        self.clock = clock
        self.budget = budget
        self._ips: dict[str, _Bucket] = {}
        self._accounts: dict[str, _Bucket] = {}
        self.stats = {"failures": 0, "throttled": 0}
        self._failed_log = RateLimitedLog(log, clock, "API: {count} failed authentication attempts "
                                          "(last: account {account} from {peer}; {total} since start)")
        self._throttled_log = RateLimitedLog(log, clock, "API: answered 429 to {count} requests over "
                                             "the authentication failure budget (last: {key}; "
                                             "{total} since start)")

    def check(self, peer: str, account: str | None) -> None:
        """Raise :class:`TooManyFailures` while *peer*'s or *account*'s budget is spent."""
        now = self.clock.seconds()
        wait = max(self._wait(self._ips.get(peer), self.budget.max_failures_per_ip, now),
                   self._wait(self._accounts.get(account or ""), self.budget.max_failures_per_account, now))
        if wait > 0:
            self.stats["throttled"] += 1
            key = f"account {_shown(account)} from {peer}"
            self._throttled_log.event(key=key)
            raise TooManyFailures(max(1, math.ceil(wait - 1e-6)))  # no float dust

    def failed(self, peer: str, account: str | None, *, known: bool) -> None:
        """Spend one failure of *peer*'s budget, and of *account*'s if it is one."""
        now = self.clock.seconds()
        self.stats["failures"] += 1
        self._spend(self._ips, peer, self.budget.max_failures_per_ip, now)
        if known and account:
            self._spend(self._accounts, account, self.budget.max_failures_per_account, now)
        self._failed_log.event(account=_shown(account), peer=peer)

    def _rate(self, limit: int) -> float:
        return limit / self.budget.window

    def _wait(self, bucket: _Bucket | None, limit: int, now: float) -> float:
        """Seconds until the bucket is below its limit again (0: it is)."""
        if bucket is None:
            return 0.0
        level = bucket.drain(now, self._rate(limit))
        return 0.0 if level <= limit - 1 else (level - (limit - 1)) / self._rate(limit)

    def _spend(self, table: dict[str, _Bucket], key: str, limit: int, now: float) -> None:
        bucket = table.pop(key, None)  # re-inserted last: the table stays in order of use
        if bucket is None:
            bucket = _Bucket(now)
            if len(table) >= self.budget.max_tracked:
                del table[next(iter(table))]
        bucket.drain(now, self._rate(limit))
        bucket.level = min(bucket.level + 1, float(limit))
        table[key] = bucket


def _shown(name: str | None) -> str:
    """An attacker-chosen name, safe and short for a log line."""
    if not name:
        return "(none)"
    return repr(name[:64] + ("…" if len(name) > 64 else ""))


def peer_host(request) -> str:
    address = request.getClientAddress()
    return getattr(address, "host", None) or "-"


def check_credentials(guard: AuthGuard, request, user: str, password: str, valid, *,
                      known: bool) -> None:
    """The one credential check of every authenticated resource: 429 while a
    budget is spent (``Retry-After`` set on *request*), else 401 when the
    credentials are missing or wrong (a wrong one spends the budgets)."""
    from .errors import UNAUTHORIZED

    peer = peer_host(request)
    try:
        guard.check(peer, user if known else None)
    except TooManyFailures as error:
        request.setHeader(b"retry-after", b"%d" % error.retry_after)
        raise
    if not user and not password:
        raise UNAUTHORIZED
    if not valid():
        guard.failed(peer, user, known=known)
        raise UNAUTHORIZED


class OpsAuth:
    """The [ops] credentials for /metrics and /health's details, under the
    same failure budgets as the API's accounts."""

    def __init__(self, guard: AuthGuard, username: str, password: str):
        from .accounts import Accounts

        self.guard = guard
        self._credentials = Accounts([(username, password)])

    def check(self, request) -> None:
        """Return when *request* carries the credentials; else raise the ApiError to answer."""
        user, password = basic_credentials(request.getHeader(b"authorization"))
        check_credentials(self.guard, request, user, password,
                          lambda: self._credentials.check(user, password),
                          known=user in self._credentials)


def basic_credentials(header: bytes | None) -> tuple[str, str]:
    """(user, password) from an HTTP Basic Authorization header, or ("", "")."""
    if not header or header[:6].lower() != b"basic ":
        return "", ""
    try:
        decoded = binascii.a2b_base64(header[6:].strip()).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    user, _, password = decoded.partition(":")
    return user, password
