"""Waiting on PostgreSQL's lock waits, for the deadlock tests.

PostgreSQL sends no event when a backend starts waiting for a lock, so a
test that must act once another transaction is blocked polls for it
(``pg_locks``, or ``pg_stat_activity`` for a statement under way), always
with a deadline: this is the one place such a poll is written."""
from __future__ import annotations

import time
from typing import Callable

WAIT = 30.0  # seconds: the longest any deadlock test waits for one step


def until(check: Callable[[], object], *, every: float = 0.005) -> None:
    """Return once ``check()`` is true; fail the test after ``WAIT``."""
    deadline = time.monotonic() + WAIT
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(every)


def waits(engine, pid: int) -> bool:
    """Backend ``pid`` is waiting for a lock."""
    with engine.connect() as conn:
        return bool(conn.exec_driver_sql(
            f"SELECT count(*) FROM pg_locks WHERE pid = {int(pid)} AND NOT granted").scalar_one())


def blocked(engine, pid: int) -> None:
    """Return once backend ``pid`` waits for a lock."""
    until(lambda: waits(engine, pid))
