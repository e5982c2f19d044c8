"""The Messages API in memory: the in-memory store, the API's own site on the
in-memory network, and a treq client over Twisted's Agent, all on one Clock
(no reactor, no socket, no thread).  A module imports ``server`` from here
to run its tests on it; ``in_memory`` runs an ``async`` test on its clock."""
from __future__ import annotations

import functools
from datetime import datetime, timezone

import pytest
from treq.client import HTTPClient
from twisted.internet.defer import ensureDeferred
from twisted.internet.task import Clock
from twisted.web.client import Agent, HTTPConnectionPool

from gateway.api.accounts import Accounts
from gateway.api.app import MessagesApi
from gateway.api.requests import make_site
from gateway.store.testing import MemoryStore

from tests.gateway.memory_web import MemoryWeb, body_producer
from tests.gateway.pipeline_helpers import result_of

from .conftest import ACCOUNT, OTHER, OTHER_TOKEN, TOKEN, Server

TURNS = 100  # clock turns a request may take before the test fails


class MemoryServer(Server):
    def __init__(self, *, max_body: int = 16 * 1024):
        self.clock = Clock()
        self.clock.advance(datetime.now(timezone.utc).timestamp())
        self.store = MemoryStore(self.clock)
        self.store.start()
        self.woken = []
        self.api = MessagesApi(self.store, Accounts([(ACCOUNT, TOKEN), (OTHER, OTHER_TOKEN)]),
                               clock=self.clock, notify_new_message=self.woken.append,
                               max_body=max_body)
        self.web = MemoryWeb(self.clock)
        site = make_site(self.api.resource(), max_body=max_body, reactor=self.clock, timeout=None)
        self.base = self.web.serve_site(site, "127.0.0.1", 8080)
        self.pool = HTTPConnectionPool(self.clock, persistent=True)
        self.client = HTTPClient(Agent.usingEndpointFactory(self.clock, self.web, pool=self.pool),
                                 data_to_body_producer=body_producer)

    def done(self, d):
        """The store's answer to ``d`` (its failure raised)."""
        return result_of(self.clock, d)

    def run(self, coroutine):
        """Turn the clock until ``coroutine`` (a test) has finished."""
        d = ensureDeferred(coroutine)
        for _ in range(TURNS):
            if d.called:
                break
            self.clock.advance(0)
        assert d.called, f"not finished after {TURNS} turns of the clock"
        return result_of(self.clock, d)

    def close(self):
        closed = self.pool.closeCachedConnections()
        self.store.stop()
        self.clock.advance(0)
        assert closed.called and self.web.open == 0
        assert self.clock.getDelayedCalls() == []


@pytest.fixture
def server():
    srv = MemoryServer()
    yield srv
    srv.close()


def in_memory(test):
    """Run an ``async`` test that takes ``server`` on that server's clock."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        return kwargs["server"].run(test(*args, **kwargs))

    return run
