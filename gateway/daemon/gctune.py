"""Cyclic garbage collector settings for the long-running processes.

By the time the daemon is up, the heap
holds a few hundred thousand long-lived objects: modules, classes, the
config, compiled SQL.  With CPython's default thresholds a full collection
walks all of them every few thousand allocations of short-lived tuples and
dicts, which at thousands of messages per second was the single biggest
CPU cost after SQLite itself (about a fifth of the daemon's time in
``bench_e2e.py``).  :func:`settle` moves what exists at start into the
permanent generation (``gc.freeze``: never scanned again, still freed by
reference counting) and collects the young generation every 50,000
allocations instead of every 700.  Reference cycles are still collected;
only the rhythm changes.
"""
from __future__ import annotations

import gc

THRESHOLDS = (50_000, 50, 100)


def settle(thresholds: tuple[int, int, int] = THRESHOLDS) -> None:
    """Collect once, freeze the survivors, then use ``thresholds``."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*thresholds)
