"""End-to-end harness: the daemon's real service tree on loopback with a real
SQLite file, the SMSC simulator, and a real HTTP server for callbacks."""
from __future__ import annotations

import json

import treq
from twisted.internet import defer, reactor

from gateway.config import model as config
from gateway.daemon.parts import Parts
from gateway.daemon.root import build
from gateway.simulators.smsc.config import SimConfig
from gateway.simulators.smsc.smsc import SmscSimulator
from tests.gateway.http_helpers import CHANGES

ACCOUNT, TOKEN = "AC" + "a" * 32, "token-a"
OTHER, OTHER_TOKEN = "AC" + "b" * 32, "token-b"
OUR_NUMBER = "+15005550006"


def free_port() -> int:
    port = reactor.listenTCP(0, __import__("twisted.internet.protocol", fromlist=["Factory"]).Factory(),
                             interface="127.0.0.1")
    number = port.getHost().port
    port.stopListening()
    return number


class Smsc:
    def __init__(self, port: int | None = None, **sim):
        self.port = port
        self.config = SimConfig(**sim)
        self.sim = None
        self.listening = None

    def start(self):
        self.sim = SmscSimulator(self.config, clock=reactor)
        self.listening = self.sim.listen(reactor, self.port or 0, "127.0.0.1")
        self.port = self.listening.getHost().port
        return self

    async def stop(self):
        if self.sim is not None:
            self.sim.stop()
            await self.listening.stopListening()
            self.sim = None


def gateway_config(db: str, smsc_port: int, *, extra: str = "", sms_url: str | None = None) -> config.Config:
    number = f'\n[[numbers]]\nnumber = "{OUR_NUMBER}"\naccount = "{ACCOUNT}"\n'
    if sms_url:
        number += f'sms_url = "{sms_url}"\n'
    return config.loads(f"""
[api]
listen = "127.0.0.1:0"
[store]
url = "sqlite:///{db}"
[pipeline]
poll_interval = 0.2
[callbacks]
initial_backoff = 0.1
max_backoff = 0.5
poll_interval = 0.1
timeout = 5
allow_hosts = ["127.0.0.1"]  # the test's local callback receiver
[[accounts]]
sid = "{ACCOUNT}"
auth_token = "{TOKEN}"
[[accounts]]
sid = "{OTHER}"
auth_token = "{OTHER_TOKEN}"
{number}
[[carriers]]
name = "sim"
host = "127.0.0.1"
port = {smsc_port}
system_id = "gw"
password = "pw"
window = 100
routes = ["+"]
reconnect_initial = 0.2
reconnect_max = 0.5
enquire_link_interval = 5
{extra}
""", source="e2e.toml")


class Gateway:
    def __init__(self, cfg: config.Config):
        self.cfg = cfg
        self.tree = build(cfg, reactor, environ={}, reference_start=1)
        _signal_changes(self.tree.parts)

    async def start(self):
        await self.tree.start()
        self.base = f"http://127.0.0.1:{self.tree.parts.listen.port}"
        return self

    async def stop(self):
        await self.tree.stop()

    def api(self, account=ACCOUNT):
        return f"{self.base}/api/2012-04-24/Accounts/{account}"

    async def post(self, path, data, auth=(ACCOUNT, TOKEN), account=None):
        response = await treq.post(self.api(account or auth[0]) + path, data=data, auth=auth)
        return response.code, json.loads(await response.content())

    async def get(self, path, auth=(ACCOUNT, TOKEN), account=None, params=None):
        response = await treq.get(self.api(account or auth[0]) + path, auth=auth, params=params)
        body = await response.content()
        return response.code, (json.loads(body) if body else None)

    async def send(self, to="+15551230001", body="hello", **fields):
        data = {"from": f"sms:{OUR_NUMBER}", "to": f"sms:{to}", "body": body, **fields}
        code, message = await self.post("/Messages.json", data)
        assert code == 201, message
        return message

    async def status(self, sid):
        code, message = await self.get(f"/Messages/{sid}.json")
        assert code == 200, message
        return message

    async def wait_status(self, sid, wanted, timeout=10.0):
        return await eventually(lambda: self.status(sid), lambda m: m["status"] in wanted, timeout)


def _signal_changes(parts: Parts) -> None:
    """Fire CHANGES after every committed store write and every bind going up
    or down; the wrappers only observe and pass results through."""
    store = parts.store
    write = store.write
    store.write = lambda *a, **kw: write(*a, **kw).addBoth(CHANGES.fire)
    for carrier in parts.carriers.values():
        for name in ("bind_up", "bind_down"):
            method = getattr(carrier, name, None)
            if method is not None:
                setattr(carrier, name, lambda bind, _m=method: CHANGES.fire(_m(bind)))


async def eventually(fetch, ok, timeout=10.0):
    """Re-check *fetch* each time something changes (CHANGES) until *ok* holds;
    *timeout* only bounds a test that has already failed."""
    deadline = reactor.seconds() + timeout
    while True:
        changed = CHANGES.next()  # taken before the fetch, so no change is missed
        value = await defer.maybeDeferred(fetch)
        if ok(value):
            return value
        remaining = deadline - reactor.seconds()
        if remaining <= 0:
            raise AssertionError(f"timed out; last value: {value!r}")
        try:
            await changed.addTimeout(remaining, reactor)
        except defer.TimeoutError:
            pass  # one last look, then the deadline check fails
