"""DeliverHandler on the real Store, on a SQLite file and PostgreSQL: a
receipt applied after its durable write, and the sweeps' jobs.  (The other
cases run on the in-memory store: ``test_deliver_sm_receipts.py`` and
``test_deliver_sm_mo.py``.)"""
from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet import reactor
from twisted.internet.task import Clock

from gateway.sms.deliver_sm import DeliverHandler, number_directory
from gateway.store.migrate import upgrade
from gateway.store.store import Store

from tests.gateway.receipts_fixtures import db_url  # noqa: F401 (a fixture)
from tests.gateway.sms.deliver_sm_helpers import EPOCH, NUMBERS
from tests.gateway.sms.test_deliver_sm_mo import sar_parts_time_out_in_the_sweep
from tests.gateway.sms.test_deliver_sm_receipts import receipt_applied_after_durable_write


@pytest.fixture
def store(db_url):
    upgrade(db_url)  # PostgreSQL is not migrated by Store.start()
    store = Store(db_url, reactor)
    pytest_twisted.blockon(store.start())
    yield store
    pytest_twisted.blockon(store.stop())


def handler(store, **kw):
    clock = Clock()
    clock.advance(EPOCH)
    return DeliverHandler(store, number_directory(NUMBERS), clock, **kw), clock


@pytest_twisted.inlineCallbacks
def test_receipt_applied_after_durable_write(store):
    yield from receipt_applied_after_durable_write(store, handler)


@pytest_twisted.inlineCallbacks
def test_sar_parts_and_reassembly_timeout_via_sweep(store):
    yield from sar_parts_time_out_in_the_sweep(store, handler)
