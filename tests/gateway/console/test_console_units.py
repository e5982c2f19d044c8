"""Pure parts of the console: password hashes, operators, sessions (with
task.Clock), the traffic ring, the [console] config section."""
from __future__ import annotations

import pytest
from twisted.internet.task import Clock

from gateway.config import model as config
from gateway.console.passwords import Operators, Sessions, check_hash_format, hash_password, verify_password
from gateway.console.traffic import TrafficRing


def test_hash_round_trip_and_format():
    stored = hash_password("pa:ss wörd")
    assert stored.startswith("scrypt$16384$8$1$") and check_hash_format(stored) is None
    assert verify_password("pa:ss wörd", stored) and not verify_password("pa:ss word", stored)
    assert hash_password("x") != hash_password("x")  # salted
    for bad in ("plain", "scrypt$3$8$1$AA$AA", "scrypt$x$8$1$AA$AA", "md5$1$1$1$AA$AA"):
        assert check_hash_format(bad) is not None and not verify_password("plain", bad)


def test_operators_remember_only_successes():
    ops = Operators({"alice": hash_password("right")})
    assert "alice" in ops and "bob" not in ops
    assert not ops.check("alice", "wrong") and not ops.check("bob", "right")
    assert ops.check("alice", "right") and ops.check("alice", "right")
    assert not ops.check("alice", "wrong")


def test_sessions_expire_after_idle_ttl_and_are_bounded():
    clock = Clock()
    sessions = Sessions(clock, ttl=100.0, max_sessions=2)
    token = sessions.open("alice")
    clock.advance(99)
    assert sessions.user(token) == "alice"  # use moves the expiry on
    clock.advance(99)
    assert sessions.user(token) == "alice"
    clock.advance(100)
    assert sessions.user(token) is None and sessions.user("forged") is None and sessions.user(None) is None
    a, b, c = sessions.open("a"), sessions.open("b"), sessions.open("c")
    assert sessions.user(a) is None and sessions.user(b) == "b" and sessions.user(c) == "c"
    sessions.close(c)
    assert sessions.user(c) is None
    assert clock.getDelayedCalls() == []


def test_traffic_ring_books_increases_per_slot_and_drops_old_slots():
    clock = Clock()
    counters = {"pipeline": {"sent": 100, "failed": 0}, "receipts": {"receipts_applied": 5, "mo": 0}}
    ring = TrafficRing(clock, {k: (lambda k=k: counters[k]) for k in counters}, interval=10.0)
    ring.sample()  # the first reading is the baseline: nothing booked
    counters["pipeline"]["sent"] = 130
    counters["receipts"]["receipts_applied"] = 25
    clock.advance(10)
    ring.sample()
    counters["pipeline"]["sent"] = 10  # a restarted part: no negative rate
    clock.advance(10)
    ring.sample()
    series = ring.series()
    assert [p["sent"] for p in series["points"]] == [0.0, 3.0, 0.0]
    assert [p["receipted"] for p in series["points"]] == [0.0, 2.0, 0.0]
    assert ring.totals["sent"] == 30
    clock.advance(15 * 60)
    ring.sample()
    assert len(ring.series()["points"]) == 1  # older than 15 minutes: gone
    assert len(ring.slots) <= 90


def test_console_config():
    stored = hash_password("pw")
    cfg = config.loads(f'[console]\nrefresh = 2\n[console.users]\nalice = "{stored}"\n')
    assert cfg.console.enabled and cfg.console.users["alice"] == stored and cfg.console.refresh == 2
    assert stored not in repr(cfg)
    assert not config.loads("").console.enabled
    with pytest.raises(config.ConfigError, match=r"console\.users\.bob: must be a scrypt"):
        config.loads('[console.users]\nbob = "hunter2"\n')
    with pytest.raises(config.ConfigError, match=r"console\.colour"):
        config.loads('[console]\ncolour = "blue"\n')
