"""The DeliverHandler tests' in-memory store on its Clock and their handler
(``test_deliver_sm_receipts.py``, ``test_deliver_sm_mo.py``; the numbers
and the epoch also serve ``test_deliver_sm_store.py``)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from twisted.internet.task import Clock

from gateway.sms.deliver_sm import DeliverHandler, number_directory
from gateway.config.model import Number
from gateway.store.testing import MemoryStore

EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp()
NUMBERS = [Number(number="+15550100", account="AC1", sms_url="http://app.example/sms", sms_method="POST")]


@pytest.fixture
def store():
    clock = Clock()
    clock.advance(EPOCH)
    store = MemoryStore(clock)
    store.start()
    yield store
    store.stop()
    clock.advance(0)
    assert clock.getDelayedCalls() == []


def handler(store, **kw):
    return DeliverHandler(store, number_directory(NUMBERS), store.clock, **kw), store.clock
