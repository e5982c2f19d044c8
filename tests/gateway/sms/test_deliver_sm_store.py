"""DeliverHandler on the real Store, on a SQLite file and PostgreSQL: a
receipt applied after its durable write, and the sweeps' jobs.  (The other
cases run on the in-memory store: ``test_deliver_sm.py``.)"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import pytest_twisted
from twisted.internet import reactor
from twisted.internet.task import Clock

from gateway.sms.deliver_sm import DeliverHandler, ReceiptSettings, number_directory
from gateway.store.migrate import upgrade
from gateway.store.store import Store
from protocols.smpp.constants import Tag
from protocols.smpp.pdu import DeliverSm
from protocols.smpp.tlv import build_tlvs

from tests.gateway.receipts_fixtures import add_segment, db_url, message, outbound, waiting_parts  # noqa: F401 (db_url is a fixture)
from tests.gateway.sms.test_deliver_sm import EPOCH, NUMBERS, mo


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
    h, clock = handler(store)
    sid = yield store.write(outbound)
    yield store.write(add_segment, message_sid=sid, seqno=1, total=1, carrier="a",
                      bind="a-1", smsc_message_id="2a", now=datetime.now(timezone.utc))
    pdu = DeliverSm(esm_class=0x04, short_message=b"id:42 sub:001 dlvrd:001 submit date:2601011200 "
                    b"done date:2601011201 stat:DELIVRD err:000 text:hi\x00")
    d = h("b", "b-2", pdu)  # another carrier and bind than the one that sent it
    assert d is not None
    yield d
    row = yield store.read(lambda conn: message(conn, sid))
    assert row["status"] == "delivered"
    assert h.stats["receipts_applied"] == 1


@pytest_twisted.inlineCallbacks
def test_sar_parts_and_reassembly_timeout_via_sweep(store):
    h, clock = handler(store, settings=ReceiptSettings(reassembly_timeout=60, sweep_interval=10))
    sar = [(Tag.SAR_MSG_REF_NUM, 9), (Tag.SAR_TOTAL_SEGMENTS, 3), (Tag.SAR_SEGMENT_SEQNUM, 1)]
    yield h("a", "a-1", mo(b"first ", tlvs=build_tlvs(sar)))
    assert (yield store.read(waiting_parts)) == 1
    clock.advance(61)
    yield h.sweep()
    assert h.stats["incomplete_inbound"] == 1
    assert (yield store.read(waiting_parts)) == 0
