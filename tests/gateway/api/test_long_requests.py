"""Requests twisted.web cannot read get an answer in the API's JSON error
shape (issue 10, item 14): a 60 KB filter or a 100 KB URL is 414, not a
closed connection; the answer reaches a real blocking client (no reset),
and the server goes on serving.  Over a real loopback listener."""
from __future__ import annotations

import base64
import http.client
import json
import socket

import pytest_twisted
from twisted.internet import threads

from .conftest import ACCOUNT, TOKEN

AUTH = "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
LIST = f"/api/2012-04-24/Accounts/{ACCOUNT}/Messages.json"


def _port(server) -> int:
    return int(server.base.rsplit(":", 1)[1])


def http_get(port: int, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """A plain blocking client, as curl or requests behave."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request("GET", path, headers={"Authorization": AUTH, **(headers or {})})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def raw(port: int, data: bytes) -> bytes:
    """Send ``data`` and read until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def error_of(body: bytes, status: int, code: int) -> dict:
    error = json.loads(body)
    assert set(error) == {"code", "message", "status", "more_info"}
    assert (error["status"], error["code"]) == (status, code)
    return error


@pytest_twisted.ensureDeferred
async def test_a_60_kb_filter_and_a_100_kb_url_are_414(server):
    port = _port(server)
    for path in (LIST + "?Body=" + "x" * 60_000, LIST + "/" + "y" * 100_000):
        status, headers, body = await threads.deferToThread(http_get, port, path)
        assert status == 414
        assert headers["content-type"] == "application/json"
        assert "request line" in error_of(body, 414, 20414)["message"]
    status, _, body = await threads.deferToThread(http_get, port, LIST + "?Body=" + "x" * 8000)
    assert status == 200  # long but under the limit: served


@pytest_twisted.ensureDeferred
async def test_a_too_long_header_is_431_and_garbage_is_a_json_400(server):
    port = _port(server)
    status, _, body = await threads.deferToThread(http_get, port, LIST, {"X-Big": "z" * 20_000})
    assert status == 431
    error_of(body, 431, 20431)
    answer = await threads.deferToThread(raw, port, b"NOT A REQUEST LINE\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    error_of(body, 400, 20400)


@pytest_twisted.ensureDeferred
async def test_the_server_goes_on_serving_after_refusing(server):
    port = _port(server)
    await threads.deferToThread(http_get, port, LIST + "?To=" + "1" * 70_000)
    status, _, body = await threads.deferToThread(http_get, port, LIST)
    assert status == 200 and json.loads(body)["messages"] == []


def test_fed_one_byte_at_a_time_the_refusal_comes_once_then_input_is_dropped():
    """In memory: the 414 is written as soon as the line passes 16 KiB, the
    write side closes, later bytes are ignored, and the drain timeout (on the
    site's clock) ends the connection."""
    from twisted.internet.task import Clock
    from twisted.internet.testing import StringTransport
    from twisted.web.resource import Resource

    from gateway.api.requests import make_site

    clock = Clock()
    site = make_site(Resource(), reactor=clock)
    channel = site.buildProtocol(None)
    transport = StringTransport()
    channel.makeConnection(transport)
    request = b"GET /" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    for i in range(len(request)):
        channel.dataReceived(request[i:i + 1])
        if transport.value():
            break
    assert 16_384 < i < 16_400
    head, _, body = transport.value().partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414 URI Too Long\r\n")
    assert json.loads(body)["code"] == 20414
    assert transport.disconnecting  # StringTransport cannot half-close: a full close
    transport.clear()
    channel.dataReceived(request[i + 1:])
    assert transport.value() == b""
    clock.advance(channel.drain_timeout)
    channel.connectionLost(None)
    assert clock.getDelayedCalls() == []
