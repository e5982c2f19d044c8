"""The DeliverHandler test rig: the real Store (SQLite file, or PostgreSQL) with
both writers, on the global reactor, and a handler on an injected clock."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import pytest_twisted
from sqlalchemy import select
from twisted.internet import reactor
from twisted.internet.task import Clock

from gateway.config.model import Number
from gateway.sms.deliver_sm import DeliverHandler, number_directory
from gateway.store.migrate import upgrade
from gateway.store.schema import messages, status_events
from gateway.store.store import Store
from protocols.smpp.pdu import DeliverSm

EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp()
NUMBERS = [Number(number="+15550100", account="AC1", sms_url="http://app.example/sms", sms_method="POST")]


@pytest.fixture(params=["thread", "process"])
def store(db_url, request):
    """Both writers: the handler's jobs (the sweeps' included) must also travel
    to the store's writer process."""
    upgrade(db_url)  # PostgreSQL is not migrated by Store.start()
    store = Store(db_url, reactor, writer=request.param)
    pytest_twisted.blockon(store.start())
    yield store
    pytest_twisted.blockon(store.stop())


def nothing(conn):
    return None


def handler(store, **kw):
    clock = Clock()
    clock.advance(EPOCH)
    return DeliverHandler(store, number_directory(NUMBERS), clock, **kw), clock


def mo(short_message, *, esm_class=0, data_coding=0, tlvs=(), source="447700900001"):
    return DeliverSm(source_addr_ton=1, source_addr=source, dest_addr_ton=1, destination_addr="15550100",
                     esm_class=esm_class, data_coding=data_coding, short_message=short_message, tlvs=tlvs)


def inbound_rows(conn):
    return [dict(r) for r in conn.execute(
        select(messages).where(messages.c.direction == "inbound").order_by(messages.c.date_created,
                                                                          messages.c.body)).mappings()]


def events_of(conn, sid):
    return [dict(r) for r in conn.execute(
        select(status_events).where(status_events.c.message_sid == sid)).mappings()]
