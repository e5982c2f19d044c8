"""The callback sender under faults: URLs it cannot use, deadlines, the SSRF
guard, credentials, hanging endpoints, and stopping (a real SQLite store, the
real guarded agent, real local servers; time on a Clock)."""
from __future__ import annotations

import base64

import pytest_twisted
from twisted.internet import protocol, reactor
from twisted.web import resource, server

from tests.gateway.callback_rig import Logs, Rig, store, web  # noqa: F401 (fixtures)
from tests.gateway.pipeline_helpers import settle

# Shapes that made the HTTP client raise before any I/O (issue: each one
# leaked a slot until no callback of any account went out).
UNUSABLE = ["http://a..b/cb", "http://" + "a" * 64 + ".com/cb", "http://a b/", "http://ex%41mple.com/",
            "http://[::1/x", "http://127.0.0.1:99999/cb"]


def _closed_port_url() -> str:
    port = reactor.listenTCP(0, protocol.Factory.forProtocol(protocol.Protocol), interface="127.0.0.1")
    number = port.getHost().port
    port.stopListening()
    return f"http://127.0.0.1:{number}/cb"


class HeaderRecorder(resource.Resource):
    isLeaf = True

    def __init__(self):
        super().__init__()
        self.seen: list[tuple] = []

    def render(self, request):
        self.seen.append((request.getHeader("authorization"), request.uri.decode()))
        request.setResponseCode(204)
        return b""


class Silent(protocol.Protocol):
    """Accepts and reads, never answers (a hanging endpoint)."""

    def connectionMade(self):
        self.factory.open += 1

    def connectionLost(self, reason=None):
        self.factory.open -= 1


def _silent_server():
    factory = protocol.Factory.forProtocol(Silent)
    factory.open = 0
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    return port, factory, f"http://127.0.0.1:{port.getHost().port}/hook"


@pytest_twisted.ensureDeferred
async def test_urls_the_client_cannot_use_release_their_slots(store, web):
    recorder, url = web
    rig = Rig(store, concurrency=2, per_host_concurrency=2)
    rig.sender.startService()
    with Logs() as logs:
        for i, bad in enumerate(UNUSABLE + ["http://[::1]:9/x"]):  # rows from before intake checked
            await rig.enqueue(f"SMBAD{i}", bad, "sent")
        await rig.enqueue("SMGOOD", url + "/cb", "sent")
        await rig.results(len(UNUSABLE) + 2)
        await rig.turn(recorder, 1)
    rows = await rig.rows()
    assert [r["state"] for r in rows] == ["dead"] * (len(UNUSABLE) + 1) + ["done"]
    assert all(r["last_error"].startswith("invalid URL") for r in rows[:len(UNUSABLE)])
    assert "not a public address" in rows[len(UNUSABLE)]["last_error"]  # [::1] is not allowed here
    assert recorder.statuses() == ["sent"]
    assert rig.sender.in_flight == 0 and rig.sender.hosts.owned == set()
    assert logs.critical() == []
    await rig.stop()


@pytest_twisted.ensureDeferred
async def test_past_its_deadline_a_callback_is_dead_once_logged_once_counted(store):
    rig = Rig(store, retry_for=0)
    rig.sender.startService()
    with Logs() as logs:
        await rig.enqueue("SM1", _closed_port_url(), "sent")
        await rig.enqueue("SM2", "http://127.0.0.1:99999/cb", "sent")
        await rig.results(2)
        for _ in range(5):  # later rounds find nothing to send again
            rig.clock.advance(30)
            await settle(store, rig.clock)
    rows = await rig.rows()
    assert [(r["state"], r["attempts"]) for r in rows] == [("dead", 1), ("dead", 1)]
    assert "refused" in rows[0]["last_error"].lower() and "port" in rows[1]["last_error"]
    assert rig.sender.stats["dead"] == 2 and rig.settled == ["dead", "dead"]
    assert len(logs.matching("giving up on http://127.0.0.1:")) == 1
    assert len(logs.matching("invalid URL")) == 1
    assert logs.critical() == []
    await rig.stop()


@pytest_twisted.ensureDeferred
async def test_credentials_in_the_url_go_as_http_basic(store):
    recorder = HeaderRecorder()
    port = reactor.listenTCP(0, server.Site(recorder), interface="127.0.0.1")
    try:
        rig = Rig(store)
        rig.sender.startService()
        await rig.enqueue("SM1", f"http://AC1:s%3Acret@127.0.0.1:{port.getHost().port}/cb?x=1", "sent")
        await rig.results(1)
        assert [r["state"] for r in await rig.rows()] == ["done"]
        assert recorder.seen == [("Basic " + base64.b64encode(b"AC1:s:cret").decode(), "/cb?x=1")]
        await rig.stop()
    finally:
        await port.stopListening()


@pytest_twisted.ensureDeferred
async def test_internal_addresses_are_refused_unless_allowed(store, web):
    recorder, url = web
    port = int(url.rsplit(":", 1)[1])
    cases = [((), "dead"), ((f"127.0.0.1:{port + 1}",), "dead"), ((f"127.0.0.1:{port}",), "done"),
             (("localhost",), "done")]
    for i, (allow, expected) in enumerate(cases):
        rig = Rig(store, allow_hosts=allow)
        rig.sender.startService()
        target = url if allow != ("localhost",) else f"http://localhost:{port}"
        await rig.enqueue(f"SM{i}", target + "/cb", "sent")
        await rig.results(1)
        row = (await rig.rows())[-1]
        assert row["state"] == expected, (allow, row["last_error"])
        if expected == "dead":
            assert "not a public address" in row["last_error"]
        await rig.stop()
    assert len(recorder.requests) == 2  # only the allowed ones reached the receiver


@pytest_twisted.ensureDeferred
async def test_a_hanging_endpoint_never_delays_another_accounts_callbacks(store, web):
    recorder, url = web
    port, silent, hang_url = _silent_server()
    rig = Rig(store, concurrency=8, per_host_concurrency=4, timeout=15, initial_backoff=60)
    start = rig.clock.seconds()
    rig.sender.startService()
    with Logs() as logs:
        for i in range(40):  # account A: its endpoint accepts and never answers
            await rig.enqueue(f"SMA{i:02d}", hang_url, "sent")
        for i in range(10):  # account B, queued behind A's rows
            await rig.enqueue(f"SMB{i:02d}", url + "/b", "sent")
        arrived = {}
        hanging = [("http", "127.0.0.1", port.getHost().port)]
        while rig.clock.seconds() - start < 30:  # A's endpoint hangs for 30 s
            await settle(store, rig.clock, rounds=1)
            await rig.quiet(hanging=hanging)  # what this instant starts has finished
            arrived.setdefault(len(recorder.requests), rig.clock.seconds() - start)
            if len(recorder.requests) == 10 and "late" not in arrived:
                arrived["late"] = True
                for i in range(10):  # more of B's, while A still hangs
                    await rig.enqueue(f"SMC{i:02d}", url + "/b", "sent")
                late_start = rig.clock.seconds()
            if len(recorder.requests) == 20:
                break
            assert silent.open <= 4  # A never holds more than its share
            rig.clock.advance(0.5)
        assert arrived[10] <= 3.0, arrived  # B on time (A is seen hanging after 2 s)
        assert len(recorder.requests) == 20 and rig.clock.seconds() - late_start <= 0.5
        assert logs.critical() == []
    await rig.stop()
    await settle(store, rig.clock)
    rows = await rig.rows()
    assert all(r["state"] == "done" for r in rows if r["message_sid"][:3] in ("SMB", "SMC"))
    assert all(r["state"] == "pending" for r in rows if r["message_sid"].startswith("SMA"))
    await port.stopListening()


@pytest_twisted.ensureDeferred
async def test_stop_cancels_requests_only_and_records_answers_received(store, web):
    recorder, url = web
    port, silent, hang_url = _silent_server()
    rig = Rig(store, timeout=15)
    rig.sender.startService()
    with Logs() as logs:
        await rig.enqueue("SM1", hang_url, "sent")
        for i in range(5):
            await rig.enqueue(f"SMOK{i}", url + "/ok", "sent")
        await settle(store, rig.clock, rounds=1)  # one round: all six requests start
        for _ in range(1000):  # real time passes; the clock stands still
            if rig.sender.stats["sent"] == 5 and silent.open == 1:
                break
            await store.write(lambda conn: None)
        assert rig.sender.stats["sent"] == 5 and rig.settled == []
        # The answers are in; their batched write is queued on the clock, which
        # has not turned: stopping must record them before the store closes.
        await rig.sender.stopService()
        assert rig.clock.getDelayedCalls() == []
        assert logs.critical() == [] and logs.matching("recording a result failed") == []
    rows = {r["message_sid"]: r for r in await rig.rows()}
    assert [rows[f"SMOK{i}"]["state"] for i in range(5)] == ["done"] * 5
    assert (rows["SM1"]["state"], rows["SM1"]["attempts"]) == ("pending", 0)  # sent again later
    # After a restart only the unanswered callback goes again: the acknowledged ones never do.
    again = Rig(store, timeout=15)
    again.sender.startService()
    await settle(store, again.clock, rounds=1)
    for _ in range(1000):
        if silent.open == 1:
            break
        await store.write(lambda conn: None)
    await again.quiet(hanging=[("http", "127.0.0.1", port.getHost().port)])
    assert silent.open == 1 and len(recorder.requests) == 5
    await again.stop()
    await port.stopListening()


@pytest_twisted.ensureDeferred
async def test_a_timeout_cancels_the_request_never_the_write_behind_it(store, web):
    recorder, url = web
    rig = Rig(store, timeout=5)
    rig.sender.startService()
    with Logs() as logs:
        for i in range(20):
            await rig.enqueue(f"SM{i}", url + "/ok", "sent")
        await settle(store, rig.clock, rounds=1)  # the requests start; the clock stands still
        for _ in range(2000):
            if rig.sender.stats["sent"] == 20:
                break
            await store.write(lambda conn: None)
        rig.clock.advance(60)  # long past every request's timeout; the writes are queued
        await rig.results(20)
    assert [r["state"] for r in await rig.rows()] == ["done"] * 20
    assert logs.critical() == [] and logs.matching("CancelledError") == []
    await rig.stop()
