"""The dispatcher on a Clock, with the in-memory store on the same Clock and
scripted carriers (no reactor, no thread): the rig and the two carriers'
configuration that the dispatcher tests here share (``test_dispatcher_store.py``
on the real Store), and the pricing tests."""
from __future__ import annotations

from sqlalchemy import select
from twisted.internet.task import Clock

from gateway.config import model as config
from gateway.dispatch.dispatcher import Dispatcher
from gateway.messages.routing import Router
from gateway.sms.outbound.sender import SmsSender
from gateway.store import schema as s
from gateway.messages.store import get_message_row, insert_message
from gateway.sms.outbound.submit_sm import References

from gateway.store.testing import MemoryStore

from tests.gateway.pipeline_helpers import T0, message_row, result_of

CONF = """
[[carriers]]
name = "a"
host = "h"
port = 1
system_id = "s"
routes = ["+1"]
fallback = "b"
registered_delivery = 1

[[carriers]]
name = "b"
host = "h"
port = 1
system_id = "s"
routes = ["+44"]
registered_delivery = 0
"""


class Rig:
    """The dispatcher and the in-memory store on one Clock (or ``store``, a
    started real one)."""

    def __init__(self, carriers, conf=CONF, store=None, **pipeline):
        self.clock = Clock()
        self.clock.advance(T0.timestamp() + 1)
        if store is None:
            store = MemoryStore(self.clock)
            store.start()
        self.store = store
        cfg = config.loads(conf)
        self.carriers = carriers
        senders = {c.name: SmsSender(c, carriers[c.name], self.clock, References(7))
                   for c in cfg.carriers if c.name in carriers}
        self.dispatcher = Dispatcher(self.store, senders, Router(cfg.carriers), self.clock,
                                     config.PipelineConfig(**pipeline))

    def settle(self):
        self.clock.advance(0)  # the zero-delay calls and every store job they lead to

    def done(self, d):
        return result_of(self.clock, d)

    def add(self, **overrides):
        row = message_row(**overrides)
        self.done(self.store.write(insert_message, row))
        self.dispatcher.wake()
        return row["sid"]

    def row(self, sid):
        return self.done(self.store.read(get_message_row, sid))

    def segments(self, sid):
        def q(conn):
            return conn.execute(select(s.segments).where(s.segments.c.message_sid == sid)
                                .order_by(s.segments.c.seqno)).mappings().all()
        return self.done(self.store.read(q))

    def start(self):
        self.dispatcher.startService()
        self.settle()
