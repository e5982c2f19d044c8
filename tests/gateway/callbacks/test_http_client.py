"""The lean keep-alive client, in memory: framing fed a byte at a time,
reuse, Connection: close, a stale reused connection, cancellation, bad
answers.  (The callback tests run it against real local HTTP servers.)"""
from __future__ import annotations

import pytest
from twisted.internet.defer import CancelledError, succeed
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from twisted.internet.error import ConnectionDone, ConnectionLost

from gateway.callbacks.http_client import HostConnections
from gateway.callbacks.http_connection import BadResponse, ConnectionLostEarly

KEY = ("http", "hooks.example", 80)
REQUEST = b"POST / HTTP/1.1\r\nHost: hooks.example\r\nContent-Length: 0\r\n\r\n"


class MemoryEndpoints:
    """Connects each protocol to a StringTransport at once."""

    def __init__(self):
        self.connections = []  # (protocol, transport)

    def endpointForURI(self, uri):
        assert (uri.scheme, uri.host, uri.port) == (b"http", b"hooks.example", 80)
        return self

    def connect(self, factory):
        proto = factory.buildProtocol(None)
        transport = StringTransport()
        proto.makeConnection(transport)
        self.connections.append((proto, transport))
        return succeed(proto)


def lose(proto, transport, reason=ConnectionDone):
    transport.disconnecting = True
    proto.connectionLost(Failure(reason()))


def results(d):
    out = []
    d.addBoth(out.append)
    return out


def feed(proto, data: bytes, byte_at_a_time: bool) -> None:
    if byte_at_a_time:
        for i in range(len(data)):
            proto.dataReceived(data[i:i + 1])
    else:
        proto.dataReceived(data)


@pytest.fixture
def pool():
    return HostConnections(MemoryEndpoints(), max_idle_per_host=2)


@pytest.mark.parametrize("byte_at_a_time", [False, True])
@pytest.mark.parametrize("answer, code, body", [
    (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 200, b"hello"),
    (b"HTTP/1.1 204 No Content\r\n\r\n", 204, b""),
    (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nok", 201, b"ok"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: y\r\n\r\n", 200, b"abcde"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 200, b""),
])
def test_framing_and_reuse(pool, answer, code, body, byte_at_a_time):
    got = results(pool.request(KEY, REQUEST, keep=1000))
    proto, transport = pool.endpoints.connections[0]
    assert transport.value() == REQUEST
    feed(proto, answer, byte_at_a_time)
    assert got == [(code, body)]
    # the connection goes back to the pool and carries the next request
    again = results(pool.request(KEY, REQUEST, keep=1000))
    assert len(pool.endpoints.connections) == 1 and pool.opened == 1
    feed(proto, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", byte_at_a_time)
    assert again == [(200, b"")]


def test_body_kept_up_to_keep_and_the_rest_read(pool):
    got = results(pool.request(KEY, REQUEST, keep=3))
    proto, _t = pool.endpoints.connections[0]
    proto.dataReceived(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789")
    assert got == [(200, b"012")]
    results(pool.request(KEY, REQUEST, keep=0))
    assert pool.opened == 1


@pytest.mark.parametrize("answer", [
    b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
])
def test_connection_close_is_not_reused(pool, answer):
    got = results(pool.request(KEY, REQUEST, keep=0))
    proto, transport = pool.endpoints.connections[0]
    proto.dataReceived(answer)
    assert got == [(200, b"")]
    assert transport.disconnecting
    lose(proto, transport)
    results(pool.request(KEY, REQUEST, keep=0))
    assert pool.opened == 2


def test_body_to_the_end_of_the_connection(pool):
    got = results(pool.request(KEY, REQUEST, keep=100))
    proto, transport = pool.endpoints.connections[0]
    proto.dataReceived(b"HTTP/1.1 200 OK\r\n\r\npart one, ")
    proto.dataReceived(b"part two")
    assert got == []
    lose(proto, transport)
    assert got == [(200, b"part one, part two")]


def test_stale_reused_connection_is_tried_once_more(pool):
    results(pool.request(KEY, REQUEST, keep=0))
    first, t1 = pool.endpoints.connections[0]
    first.dataReceived(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    got = results(pool.request(KEY, REQUEST, keep=0))
    assert t1.value() == REQUEST * 2
    lose(first, t1, ConnectionLost)  # the server had closed it while idle
    second, t2 = pool.endpoints.connections[1]
    assert t2.value() == REQUEST
    second.dataReceived(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    assert got == [(200, b"")]


def test_new_connection_lost_early_fails(pool):
    got = results(pool.request(KEY, REQUEST, keep=0))
    proto, transport = pool.endpoints.connections[0]
    proto.dataReceived(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc")
    lose(proto, transport, ConnectionLost)
    assert got[0].check(ConnectionLostEarly)
    assert pool.opened == 1  # a new connection that fails is not tried again


@pytest.mark.parametrize("answer", [
    b"SMTP 220 hello\r\n\r\n",
    b"HTTP/1.1 2x0 OK\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\naXY",
    b"HTTP/1.1 200 OK\r\nX: " + b"a" * (65 * 1024),
])
def test_bad_answers_fail_and_close(pool, answer):
    got = results(pool.request(KEY, REQUEST, keep=0))
    proto, transport = pool.endpoints.connections[0]
    proto.dataReceived(answer)
    assert got[0].check(BadResponse)
    assert transport.disconnecting
    results(pool.request(KEY, REQUEST, keep=0))
    assert pool.opened == 2


def test_cancel_aborts_the_connection_and_fires_once(pool):
    d = pool.request(KEY, REQUEST, keep=0)
    got = results(d)
    proto, transport = pool.endpoints.connections[0]
    d.cancel()
    assert got[0].check(CancelledError)
    assert transport.disconnecting
    proto.dataReceived(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")  # too late
    lose(proto, transport, ConnectionLost)
    assert len(got) == 1


def test_close_cached_connections(pool):
    results(pool.request(KEY, REQUEST, keep=0))
    proto, transport = pool.endpoints.connections[0]
    proto.dataReceived(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    closed = results(pool.closeCachedConnections())
    assert transport.disconnecting and closed == []
    lose(proto, transport)
    assert closed == [None]


def test_idle_connections_capped_per_host(pool):
    pending = [results(pool.request(KEY, REQUEST, keep=0)) for _ in range(3)]
    assert pool.opened == 3
    for proto, _t in pool.endpoints.connections:
        proto.dataReceived(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    assert all(p == [(200, b"")] for p in pending)
    assert [t.disconnecting for _p, t in pool.endpoints.connections] == [False, False, True]
