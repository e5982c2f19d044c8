"""A real Messages API over loopback: a SQLite file store, the API on port 0.
(``memory_api`` serves it in memory, on the in-memory store and a Clock.)"""
from __future__ import annotations

import base64

import pytest
import pytest_twisted
from treq.client import HTTPClient
from twisted.internet import reactor
from twisted.web.client import Agent, HTTPConnectionPool

from gateway.api.accounts import Accounts
from gateway.api.app import MessagesApi
from gateway.api.requests import make_site
from gateway.store.store import Store

ACCOUNT = "AC" + "a" * 32
TOKEN = "token-a"
OTHER = "AC" + "b" * 32
OTHER_TOKEN = "token-b"


class Server:
    def __init__(self, api, port, store, woken):
        self.api = api
        self.store = store
        self.base = f"http://127.0.0.1:{port}"
        self.woken = woken
        self.pool = HTTPConnectionPool(reactor, persistent=True)
        self.client = HTTPClient(Agent(reactor, pool=self.pool))

    def url(self, path, account=ACCOUNT):
        return f"{self.base}/api/2012-04-24/Accounts/{account}{path}"

    def request(self, method, path, *, account=ACCOUNT, auth=(ACCOUNT, TOKEN), **kw):
        headers = kw.pop("headers", {})
        if auth is not None:
            creds = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            headers["Authorization"] = f"Basic {creds}"
        return self.client.request(method, self.url(path, account), headers=headers, **kw)

    async def call(self, method, path, **kw):
        response = await self.request(method, path, **kw)
        body = await response.content()
        return response, body

    async def json(self, method, path, **kw):
        import json
        response, body = await self.call(method, path, **kw)
        return response.code, json.loads(body)


@pytest.fixture
def server(tmp_path):
    store = Store(f"sqlite:///{tmp_path}/api.db", reactor)
    pytest_twisted.blockon(store.start())
    woken = []
    api = MessagesApi(store, Accounts([(ACCOUNT, TOKEN), (OTHER, OTHER_TOKEN)]), clock=reactor,
                      notify_new_message=woken.append, max_body=16 * 1024)
    port = reactor.listenTCP(0, make_site(api.resource(), max_body=16 * 1024),
                             interface="127.0.0.1")
    srv = Server(api, port.getHost().port, store, woken)
    yield srv
    pytest_twisted.blockon(srv.pool.closeCachedConnections())
    pytest_twisted.blockon(port.stopListening())
    pytest_twisted.blockon(store.stop())
