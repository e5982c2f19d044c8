"""One group commit: a batch of write jobs in ONE transaction.

The store's writer thread runs each batch through :func:`commit_group`:

* The batch first runs straight through, without savepoints.  If a job
  raises, the transaction is rolled back and the batch runs again with each
  job inside its own SAVEPOINT, so the failing job rolls back alone and
  fails only itself.  Hence a job must act only through the connection it
  is given (it may run twice).
* A batch that PostgreSQL aborts as a deadlock victim (or for a
  serialization failure) runs again whole, straight, up to
  ``CONFLICT_RETRIES`` times, before the savepoint run: its transaction is
  gone, so it holds no lock, and the other transaction can finish.  A
  savepoint run would instead keep the locks of its jobs that went through
  while each later job met the same other transaction again (one
  ``deadlock_timeout`` and one failed job each): two nodes' writers in a
  cluster stalled each other that way for minutes.
* If the COMMIT itself fails, every job of the batch fails and the
  connection is dropped (the caller opens a new one).  A store fault
  (``gateway.store.faults``: disk full, read-only, connection gone) is not
  logged here: the store logs one line per failing episode instead.

* In the straight run, consecutive jobs of one function marked with
  :func:`coalesced` (the API's inserts, one per POST) run as ONE call of
  its batch form: one executemany instead of a statement per job.  If that
  call raises, the savepoint run takes the jobs one at a time as before.

A job is ``(fn, args, kwargs)``; an outcome is ``(ok, value)`` where value
is the job's result or, when ``ok`` is false, a Failure.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from twisted.logger import Logger
from twisted.python.failure import Failure

from .faults import is_fault

log = Logger()

Job = tuple[Callable[..., Any], tuple, dict]
Outcome = tuple[bool, Any]

# SQLSTATEs after which the whole transaction may simply run again:
# deadlock_detected, serialization_failure.
CONFLICTS = frozenset({"40P01", "40001"})
CONFLICT_RETRIES = 5


Calls = list[tuple[tuple, dict]]


def coalesced(many: Callable[[Any, Calls], list[Any]]) -> Callable[[Callable], Callable]:
    """Mark a job function whose consecutive jobs in a group may run as one
    call ``many(conn, [(args, kwargs), ...])``, which must do what the jobs
    would do one by one and return one result per job, in order."""
    def mark(fn: Callable) -> Callable:
        fn.many = many  # type: ignore[attr-defined]
        return fn
    return mark


def _conflict(failure: Failure) -> bool:
    return getattr(getattr(failure.value, "orig", None), "sqlstate", None) in CONFLICTS


class _JobFailed(Exception):
    def __init__(self, failure: Failure) -> None:
        super().__init__()
        self.failure = failure


def commit_group(conn, jobs: Sequence[Job]) -> tuple[list[Outcome], Any]:
    """Run ``jobs`` in one transaction on ``conn``.  Returns the outcomes
    and the connection to use next (None when it had to be dropped).
    ``conn`` may be a callable that opens the connection: if that fails,
    every job fails with the reason."""
    if callable(conn):
        try:
            conn = conn()
        except Exception:
            failure = Failure()
            return [(False, failure) for _ in jobs], None
    try:
        outcomes = _run_straight_then_alone(conn, jobs)
    except Exception:
        failure = Failure()
        if not is_fault(failure.value):
            log.failure("store: group commit of {n} jobs failed", failure, n=len(jobs))
        outcomes = [(False, failure) for _ in jobs]
        try:
            conn.invalidate()
            conn.close()
        except Exception:
            pass
        conn = None
    return outcomes, conn


def _run_straight_then_alone(conn, jobs: Sequence[Job]) -> list[Outcome]:
    retries = 0
    while True:
        try:
            return _run(conn, jobs, savepoints=False)
        except _JobFailed as failed:
            if _conflict(failed.failure) and retries < CONFLICT_RETRIES:
                retries += 1
                log.info("store: a group commit of {n} jobs was aborted ({error}); running it again",
                         n=len(jobs), error=str(failed.failure.value.orig).splitlines()[0])
                continue
            if len(jobs) == 1:
                return [(False, failed.failure)]
            return _run(conn, jobs, savepoints=True)


def _run(conn, jobs: Sequence[Job], *, savepoints: bool) -> list[Outcome]:
    outcomes: list[Outcome] = []
    with conn.begin():
        if not savepoints:
            for fn, calls in _runs(jobs):
                try:
                    results = (fn.many(conn, calls) if len(calls) > 1
                               else [fn(conn, *calls[0][0], **calls[0][1])])
                except Exception:
                    raise _JobFailed(Failure()) from None
                outcomes.extend((True, result) for result in results)
            return outcomes
        for fn, args, kwargs in jobs:
            savepoint = conn.begin_nested()
            try:
                result = fn(conn, *args, **kwargs)
            except Exception:
                savepoint.rollback()
                outcomes.append((False, Failure()))
            else:
                savepoint.commit()
                outcomes.append((True, result))
    return outcomes


def _runs(jobs: Sequence[Job]):
    """The jobs in order as (fn, calls): consecutive jobs of one
    ``coalesced`` function together, every other job alone."""
    index = 0
    while index < len(jobs):
        fn = jobs[index][0]
        end = index + 1
        if getattr(fn, "many", None) is not None:
            while end < len(jobs) and jobs[end][0] is fn:
                end += 1
        yield fn, [(args, kwargs) for _fn, args, kwargs in jobs[index:end]]
        index = end
