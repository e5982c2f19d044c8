"""The HTTP seams are typed: the callbacks' agent is an ``HttpAgent`` and the
MM7 client's treq clients (the daemon's and ``StubTreq``) are ``HttpClient``s."""
from __future__ import annotations

import treq.client
from treq.testing import StubTreq
from twisted.internet.testing import MemoryReactorClock
from twisted.web.resource import Resource

from gateway.callbacks.http_client import HostConnections
from gateway.callbacks.request import CallbackAgent, HttpAgent
from gateway.mms.client import HttpClient, make_http_client

from tests.conformance import mismatches


def test_the_callback_agent_is_an_http_agent():
    assert mismatches(CallbackAgent(HostConnections(None, 1)), HttpAgent) == []


def test_treq_clients_are_the_mm7_http_client():
    daemon = make_http_client(MemoryReactorClock())
    assert isinstance(daemon, treq.client.HTTPClient)
    assert mismatches(daemon, HttpClient) == []
    assert mismatches(StubTreq(Resource()), HttpClient) == []


def test_an_agent_with_other_parameters_is_caught():
    class Positional:
        def request(self, url, data):
            raise NotImplementedError

    assert mismatches(Positional(), HttpAgent) != []
