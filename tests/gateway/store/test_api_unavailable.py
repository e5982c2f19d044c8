"""The API on a store whose disk fills up: 503 with Retry-After and a JSON
error while it cannot write, /health 503 with the store failing, then 201
again by itself once space is back -- and every message accepted before is
still there, also after a restart.  A real tmpfs, a real HTTP server."""
from __future__ import annotations

import json

import pytest
import pytest_twisted
from sqlalchemy import select
from twisted.internet import reactor
from twisted.logger import globalLogPublisher

from gateway.api.accounts import Accounts
from gateway.api.app import MessagesApi
from gateway.api.requests import make_site
from gateway.ops.health import HealthResource, Monitor
from gateway.store import schema as s
from gateway.store.store import Store

from tests.gateway.api.conftest import ACCOUNT, TOKEN, Server

from .volume import tiny_volume

MESSAGE = {"from": "sms:+14155550100", "to": "sms:+14155550101", "body": "x" * 1200}


@pytest.fixture
def volume():
    with tiny_volume("4m") as v:
        yield v


async def health(server):
    response = await server.client.get(server.base + "/health")
    return response.code, json.loads(await response.content())


async def stored_sids(url):
    store = Store(url, reactor)
    await store.start()
    try:
        return await store.read(lambda conn: set(conn.execute(select(s.messages.c.sid)).scalars()))
    finally:
        await store.stop()


@pytest.fixture
def log_events():
    events = []
    globalLogPublisher.addObserver(events.append)
    yield events
    globalLogPublisher.removeObserver(events.append)


@pytest_twisted.ensureDeferred
async def test_full_disk_gives_503_then_201_and_loses_nothing(volume, log_events):
    url = f"sqlite:///{volume.path}/gw.db"
    store = Store(url, reactor)
    store.watch.probe_interval = 0.05
    await store.start()
    api = MessagesApi(store, Accounts([(ACCOUNT, TOKEN)]), clock=reactor)
    monitor = Monitor(store, reactor)
    api.mount("health", HealthResource(monitor))
    port = reactor.listenTCP(0, make_site(api.resource()), interface="127.0.0.1")
    server = Server(api, port.getHost().port, store, [])
    accepted = set()
    try:
        for _ in range(10):
            code, body = await server.json("POST", "/Messages", json=MESSAGE)
            assert code == 201
            accepted.add(body["sid"])
        await store.checkpoint("TRUNCATE")  # an empty WAL: the next write must grow it
        volume.fill()
        for _ in range(20):
            response, raw = await server.call("POST", "/Messages", json=MESSAGE)
            if response.code != 201:
                break
            accepted.add(json.loads(raw)["sid"])
        assert response.code == 503, raw
        assert response.headers.getRawHeaders(b"retry-after") == [b"5"]
        error = json.loads(raw)
        assert set(error) == {"code", "message", "status", "more_info"}
        assert error["status"] == 503 and error["code"] == 20503 and "Retry" in error["message"]
        code, body = await server.json("POST", "/Messages", json=MESSAGE)  # still full: 503 again
        assert code == 503
        code, body = await health(server)
        assert code == 503 and body["status"] == "down"
        assert body["store"]["status"] == "failing" and "full" in body["store"]["error"]
        volume.free()
        await store.watch.when_writing()
        code, body = await server.json("POST", "/Messages", json=MESSAGE)
        assert code == 201
        accepted.add(body["sid"])
        code, body = await health(server)
        assert code == 200 and body["store"]["status"] == "ok"
    finally:
        await server.pool.closeCachedConnections()
        await port.stopListening()
        await store.stop()
    assert accepted <= await stored_sids(url)  # after a restart of the store too
    loud = [e for e in log_events if e["log_level"].name in ("error", "critical")]
    assert loud == []  # no traceback per request (the store logs one line per episode)
