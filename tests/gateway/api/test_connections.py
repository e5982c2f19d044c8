"""Slow and greedy API clients: header and body deadlines that trickled
bytes do not extend, per-address and overall connection caps.  Unit tests
drive the site with StringTransport and task.Clock; the TCP test uses real
loopback clients with the site's deadlines on a task.Clock."""
from __future__ import annotations

import json

import pytest
import pytest_twisted
from twisted.internet import reactor
from twisted.internet.address import IPv4Address
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.protocol import Protocol
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.logger import LogLevel, Logger
from twisted.web.resource import Resource

from gateway.api.connections import ConnectionLimits, Refused
from gateway.api.requests import make_site
from gateway.common.ratelog import RateLimitedLog

LIMITS = ConnectionLimits(header_timeout=5.0, body_timeout=8.0, max_connections_per_ip=2,
                          max_connections=3)
GET = b"GET /ok HTTP/1.1\r\nHost: a\r\n\r\n"


class Ok(Resource):
    isLeaf = True

    def render(self, request):
        request.setHeader(b"content-type", b"text/plain")
        return b"ok"


def _site(clock, limits=LIMITS):
    return make_site(Ok(), reactor=clock, limits=limits)


def _connect(site, host="10.0.0.1", port=40000):
    addr = IPv4Address("TCP", host, port)
    proto = site.buildProtocol(addr)
    transport = StringTransport(peerAddress=addr)
    proto.makeConnection(transport)
    return proto, transport


def _close(proto, transport):
    from twisted.internet.error import ConnectionDone
    from twisted.python.failure import Failure

    transport.loseConnection()
    proto.connectionLost(Failure(ConnectionDone()))


def _error(raw: bytes) -> tuple[bytes, dict]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return head, json.loads(body)


def test_trickled_header_gets_408_at_the_header_deadline():
    clock = Clock()
    site = _site(clock)
    proto, transport = _connect(site)
    for byte in b"POST /x HTTP/1.1\r\nHost: a\r\n"[:4]:  # a byte a second resets the idle timeout
        proto.dataReceived(bytes([byte]))
        clock.advance(1)
    assert transport.value() == b"" and not transport.disconnecting
    clock.advance(1)  # 5 s after the first byte
    head, body = _error(transport.value())
    assert head.startswith(b"HTTP/1.1 408 ") and b"Connection: close" in head
    assert body["code"] == 20408 and body["status"] == 408 and "headers" in body["message"]
    assert set(body) == {"code", "message", "status", "more_info"}
    assert transport.disconnecting
    assert site.connections.stats["header_timeouts"] == 1
    _close(proto, transport)
    assert clock.getDelayedCalls() == [] and site.connections.open == 0


def test_silent_connection_gets_408_at_the_header_deadline():
    clock = Clock()
    site = _site(clock)
    proto, transport = _connect(site)
    clock.advance(5)
    assert transport.value().startswith(b"HTTP/1.1 408 ")
    _close(proto, transport)
    assert clock.getDelayedCalls() == []


def test_trickled_body_gets_408_at_the_body_deadline():
    clock = Clock()
    site = _site(clock)
    proto, transport = _connect(site)
    proto.dataReceived(b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n")
    for _ in range(7):
        proto.dataReceived(b"a")
        clock.advance(1)
    assert transport.value() == b""
    clock.advance(1)
    head, body = _error(transport.value())
    assert head.startswith(b"HTTP/1.1 408 ") and "body" in body["message"]
    assert site.connections.stats["body_timeouts"] == 1
    _close(proto, transport)
    assert clock.getDelayedCalls() == []


def test_keep_alive_wait_between_requests_is_not_a_header_wait():
    clock = Clock()
    site = _site(clock)
    proto, transport = _connect(site)
    proto.dataReceived(GET)
    assert b"200 OK" in transport.value()
    transport.clear()
    clock.advance(30)  # longer than the header deadline, shorter than the idle timeout
    assert transport.value() == b"" and not transport.disconnecting
    proto.dataReceived(b"GET /ok HT")  # the next request's first bytes start its deadline
    clock.advance(4.9)
    assert transport.value() == b""
    proto.dataReceived(b"TP/1.1\r\nHost: a\r\n\r\n")
    assert b"200 OK" in transport.value()
    _close(proto, transport)
    assert clock.getDelayedCalls() == []


def test_pipelined_requests_are_answered_in_time():
    clock = Clock()
    site = _site(clock)
    proto, transport = _connect(site)
    proto.dataReceived(GET * 3)
    assert transport.value().count(b"200 OK") == 3
    clock.advance(10)
    assert not transport.disconnecting
    _close(proto, transport)
    assert clock.getDelayedCalls() == []


def test_connection_caps_per_address_and_overall():
    clock = Clock()
    site = _site(clock)
    a1, a2 = _connect(site, "10.0.0.1", 1), _connect(site, "10.0.0.1", 2)
    refused = site.buildProtocol(IPv4Address("TCP", "10.0.0.1", 3))
    assert isinstance(refused, Refused)
    transport = StringTransport()
    refused.makeConnection(transport)
    head, body = _error(transport.value())
    assert head.startswith(b"HTTP/1.1 503 ") and b"Retry-After: 1" in head and transport.disconnecting
    assert body["status"] == 503 and body["code"] == 20503
    b1 = _connect(site, "10.0.0.2", 1)
    assert isinstance(site.buildProtocol(IPv4Address("TCP", "10.0.0.3", 1)), Refused)  # 3 in all
    assert site.connections.stats == {"header_timeouts": 0, "body_timeouts": 0, "refused_per_ip": 1,
                                      "refused_total": 1}
    _close(*a1)
    again = _connect(site, "10.0.0.1", 4)  # a slot came free
    assert not isinstance(again[0], Refused)
    for proto, transport in (a2, b1, again):
        _close(proto, transport)
    assert site.connections.open == 0 and dict(site.connections.per_ip) == {}
    assert clock.getDelayedCalls() == []


def test_rate_limited_log_counts_every_event_and_logs_a_line_per_interval():
    clock = Clock()
    events = []
    log = Logger(observer=events.append)
    limited = RateLimitedLog(log, clock, "{count} refused ({total} in all) from {peer}", interval=10,
                             level=LogLevel.warn)
    assert limited.event(peer="a") is True
    for _ in range(99):
        limited.event(peer="b")
    clock.advance(10)
    assert limited.event(peer="c") is True
    assert [(e["count"], e["total"], e["peer"]) for e in events] == [(1, 1, "a"), (100, 101, "c")]
    assert clock.getDelayedCalls() == []


class _Client(Protocol):
    def __init__(self):
        self.data = b""
        self.lost = Deferred()

    def dataReceived(self, data):
        self.data += data

    def connectionLost(self, reason):
        self.lost.callback(self.data)


@pytest.mark.timeout(60)
@pytest_twisted.inlineCallbacks
def test_real_tcp_clients_trickling_bytes_are_cut_off_and_capped():
    clock = Clock()
    site = _site(clock, ConnectionLimits(header_timeout=10.0, body_timeout=10.0,
                                         max_connections_per_ip=2, max_connections=100))
    port = reactor.listenTCP(0, site, interface="127.0.0.1")
    endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port)
    try:
        slow, other = _Client(), _Client()
        yield connectProtocol(endpoint, slow)
        yield connectProtocol(endpoint, other)
        over = _Client()
        yield connectProtocol(endpoint, over)
        refused = yield over.lost  # answered and closed before it sent anything
        assert refused.startswith(b"HTTP/1.1 503 ") and b"Retry-After: 1" in refused
        for byte in b"POST /ok HTTP/1.1\r\n"[:9]:
            slow.transport.write(bytes([byte]))
            clock.advance(1)
        clock.advance(1)  # 10 s after the first byte
        answer = yield slow.lost
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert json.loads(answer.partition(b"\r\n\r\n")[2])["code"] == 20408
        fresh = _Client()
        yield connectProtocol(endpoint, fresh)  # the slow client's slot is free again
        fresh.transport.write(b"GET /ok HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        ok = yield fresh.lost
        assert ok.startswith(b"HTTP/1.1 200 ") and ok.endswith(b"ok")
        other.transport.loseConnection()
        yield other.lost
    finally:
        yield port.stopListening()
