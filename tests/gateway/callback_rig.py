"""Callback sender rigs.  ``MemoryRig``: the in-memory store, the real agent
and client over an in-memory network to a real twisted.web site, all on one
Clock (no reactor, no thread).  ``Rig``: a real SQLite store, the real
guarded agent toward real local HTTP servers, backoff and timeouts on a
Clock."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import pytest_twisted
from sqlalchemy import select
from twisted.internet import defer, reactor
from twisted.internet.task import Clock

from gateway.callbacks.http_client import HostConnections
from gateway.callbacks.request import CallbackAgent, callback_pool, make_callback_agent
from gateway.callbacks.sender import CallbackSender
from gateway.config.model import CallbacksConfig
from gateway.sms.inbound.store import apply_rcml_reply
from gateway.store import schema as s
from gateway.messages.store import enqueue_callback
from gateway.store.testing import MemoryStore

from .http_helpers import Recorder, serve
from .memory_web import MemoryWeb
from .pipeline_helpers import open_store, result_of, settle


@pytest.fixture
def store(tmp_path):
    st = pytest_twisted.blockon(defer.ensureDeferred(open_store(tmp_path / "gw.db")))
    yield st
    pytest_twisted.blockon(st.stop())


@pytest.fixture
def web():
    recorder = Recorder()
    port, url = serve(recorder)
    yield recorder, url
    pytest_twisted.blockon(defer.maybeDeferred(port.stopListening))


class Rig:
    def __init__(self, store, **conf):
        self.store = store
        self.clock = Clock()
        self.clock.advance(datetime.now(timezone.utc).timestamp())
        # Loopback receivers are internal hosts: allowed as an operator would.
        config = CallbacksConfig(**{"timeout": 5, "allow_hosts": ("127.0.0.1",), **conf})
        self.pool = callback_pool(reactor, config)
        self.agent = make_callback_agent(reactor, config, pool=self.pool)
        self.new = []
        self.settled: list[str] = []
        self._waiters: list[tuple[int, defer.Deferred]] = []
        self.sender = CallbackSender(store, self.agent, self.clock, config,
                                     reply_hook=apply_rcml_reply, on_new_messages=self.new.extend,
                                     on_settled=self._settled, pool=self.pool)

    def _settled(self, what):
        self.settled.append(what)
        for n, d in list(self._waiters):
            if len(self.settled) >= n:
                self._waiters.remove((n, d))
                d.callback(None)

    async def results(self, count):
        """Turn the clock's zero-delay calls and the store until *count*
        request results are recorded (10 s of real time at most)."""
        await self._until(lambda: len(self.settled) >= count, f"{count} results")

    async def _until(self, condition, what: str):
        deadline = reactor.seconds() + 10
        while not condition():
            if reactor.seconds() > deadline:
                raise AssertionError(f"waited 10 s for {what}; settled: {self.settled}")
            await settle(self.store, self.clock, rounds=1)
        await settle(self.store, self.clock, rounds=2)

    def now(self):
        return datetime.fromtimestamp(self.clock.seconds(), timezone.utc)

    async def enqueue(self, sid, url, status, method="POST", kind="status"):
        await self.store.write(enqueue_callback, message_sid=sid, kind=kind, url=url, method=method,
                               params=[("MessageSid", sid), ("MessageStatus", status)], now=self.now())
        self.sender.wake()

    async def rows(self):
        return await self.store.read(_outbox_rows)

    async def turn(self, recorder=None, count=None):
        await settle(self.store, self.clock, rounds=2)
        if recorder is not None:
            await self._until(lambda: len(recorder.requests) >= count, f"{count} requests")
        await settle(self.store, self.clock, rounds=4)

    async def quiet(self, *, hanging=()):
        """Real time passes (the clock's time stands still) until the sender has no
        read, write or request in flight but those toward *hanging* hosts."""
        s = self.sender

        def calm():
            stuck = sum(s.hosts.busy(host) for host in hanging)
            return not s._fetching and s.results.idle and s.in_flight == stuck

        for _ in range(2000):
            self.clock.advance(0)  # zero-delay calls only: the time stays
            if calm():
                return
            await self.store.write(_noop)
        raise AssertionError("the sender did not quiet down")

    async def stop(self):
        await self.sender.stopService()
        assert self.clock.getDelayedCalls() == []


class MemoryRig:
    """The sender, the in-memory store and an in-memory web on one Clock;
    ``recorder`` answers at ``url``."""

    def __init__(self, **conf):
        self.clock = Clock()
        self.clock.advance(datetime.now(timezone.utc).timestamp())
        self.store = MemoryStore(self.clock)
        self.store.start()
        self.web = MemoryWeb(self.clock)
        self.recorder = Recorder()
        self.url = self.web.serve(self.recorder)
        config = CallbacksConfig(**{"timeout": 5, **conf})
        self.pool = HostConnections(self.web, config.per_host_concurrency)
        self.new = []
        self.settled: list[str] = []
        self.sender = CallbackSender(self.store, CallbackAgent(self.pool), self.clock, config,
                                     reply_hook=apply_rcml_reply, on_new_messages=self.new.extend,
                                     on_settled=self.settled.append, pool=self.pool)

    def turn(self):
        self.clock.advance(0)  # every zero-delay call, store job and network delivery

    def done(self, d):
        return result_of(self.clock, d)

    def now(self):
        return datetime.fromtimestamp(self.clock.seconds(), timezone.utc)

    def enqueue(self, sid, url, status, method="POST", kind="status"):
        self.done(self.store.write(enqueue_callback, message_sid=sid, kind=kind, url=url, method=method,
                                   params=[("MessageSid", sid), ("MessageStatus", status)], now=self.now()))
        self.sender.wake()

    def rows(self):
        return self.done(self.store.read(_outbox_rows))

    def stop(self):
        stopped = self.sender.stopService()
        self.store.stop()
        self.turn()
        assert stopped.called and self.web.open == 0
        assert self.clock.getDelayedCalls() == []


class Logs:
    """Twisted log events while the block runs."""

    def __init__(self):
        self.events: list[dict] = []

    def __enter__(self):
        from twisted.logger import globalLogPublisher

        globalLogPublisher.addObserver(self.events.append)
        return self

    def __exit__(self, *_exc):
        from twisted.logger import globalLogPublisher

        globalLogPublisher.removeObserver(self.events.append)

    def critical(self) -> list[str]:
        from twisted.logger import LogLevel, formatEvent

        return [formatEvent(e) for e in self.events if e.get("log_level") == LogLevel.critical]

    def matching(self, text: str) -> list[str]:
        from twisted.logger import formatEvent

        return [line for line in map(formatEvent, self.events) if text in line]


def _noop(conn):
    return None


def _outbox_rows(conn):
    return conn.execute(select(s.callback_outbox).order_by(s.callback_outbox.c.id)).mappings().all()
