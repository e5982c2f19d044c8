"""The daemon's garbage collector settings (gateway.daemon.gctune)."""
import gc

import pytest

from gateway.daemon import gctune


@pytest.fixture
def restore_gc():
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


def test_settle_freezes_what_exists_and_raises_the_young_threshold(restore_gc):
    gc.unfreeze()
    survivor = [object() for _ in range(10)]  # tracked containers that exist at start
    gctune.settle()
    assert gc.get_freeze_count() > len(survivor)
    assert gc.get_threshold() == gctune.THRESHOLDS


def test_cycles_made_after_settle_are_still_collected(restore_gc):
    gctune.settle((10, 10, 10))
    collected = []

    class Node:
        def __del__(self):
            collected.append(True)

    a, b = Node(), Node()
    a.other, b.other = b, a
    del a, b
    churn = [[] for _ in range(100)]  # allocations past the young threshold: no explicit collect
    assert len(collected) == 2 and churn
