"""Routing of the Messages API over a real loopback server: which path and
method reach which endpoint, and what everything else answers (JSON)."""
import base64
import json

import pytest_twisted
from twisted.internet import defer, protocol, reactor
from twisted.web.resource import Resource

from .conftest import ACCOUNT, TOKEN

NEW = {"from": "sms:+14155550100", "to": "sms:+14155550101", "body": "routed"}
AUTH = "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()


async def raw_get(server, path, method="GET"):
    response = await server.client.request(method, server.base + path, headers={"Authorization": AUTH})
    return response.code, await response.content()


@pytest_twisted.ensureDeferred
async def test_outside_the_api_is_a_json_404(server):
    for path in ("/", "/api", "/api/2012-04-24/Accounts", "/nothing/here",
                 f"/api/2012-04-24/Accounts/{ACCOUNT}/Messages/"):  # trailing slash: no sid
        code, body = await raw_get(server, path)
        assert code == 404, path
        assert json.loads(body)["code"] == 20404


@pytest_twisted.ensureDeferred
async def test_a_known_path_with_another_method_is_405(server):
    for method, path in (("PUT", "/Messages"), ("POST", "/Messages/SM" + "0" * 32),
                         ("DELETE", "/SMS/Messages.json")):
        code, body = await server.json(method, path)
        assert (code, body["code"]) == (405, 20405), (method, path)


@pytest_twisted.ensureDeferred
async def test_head_answers_like_get_without_a_body(server):
    response = await server.request("HEAD", "/Messages.json")
    assert response.code == 200
    assert await response.content() == b""
    assert int(response.headers.getRawHeaders("content-length")[0]) > 0


@pytest_twisted.ensureDeferred
async def test_path_segments_are_percent_decoded(server):
    code, made = await server.json("POST", "/Messages.json", json=NEW)
    assert code == 201
    escaped = "".join(f"%{ord(c):02X}" for c in made["sid"][:4]) + made["sid"][4:]
    code, got = await server.json("GET", f"/Messages/{escaped}")
    assert code == 200 and got["sid"] == made["sid"]
    account = "%41%43" + ACCOUNT[2:]  # "AC..." spelled with escapes
    code, page = await server.json("GET", "/Messages", account=account)
    assert code == 200 and page["total"] == 1


@pytest_twisted.ensureDeferred
async def test_a_path_that_is_not_utf8_is_a_json_400(server):
    code, body = await raw_get(server, f"/api/2012-04-24/Accounts/{ACCOUNT}/Messages/%FF%FE")
    assert code == 400 and json.loads(body)["code"] == 20400


@pytest_twisted.ensureDeferred
async def test_mounted_resources_keep_their_subtree(server):
    class Leaf(Resource):
        isLeaf = True

        def render_GET(self, request):
            return b"/".join(request.postpath)

    server.api.mount("extra", Leaf())
    code, body = await raw_get(server, "/extra/a/b")
    assert (code, body) == (200, b"a/b")
    code, _ = await raw_get(server, "/extras")  # only the exact first segment
    assert code == 404


class _SendAndHangUp(protocol.Protocol):
    def __init__(self, request: bytes):
        self.request = request
        self.closed = defer.Deferred()

    def connectionMade(self):
        self.transport.write(self.request)
        self.transport.loseConnection()

    def connectionLost(self, reason):
        self.closed.callback(None)


@pytest_twisted.ensureDeferred
async def test_a_client_that_hangs_up_does_not_lose_its_message(server):
    """Accepted means stored: the POST whose client left before the answer is
    still committed, and the server goes on serving."""
    body = json.dumps(dict(NEW, body="hung up")).encode()
    request = (f"POST /api/2012-04-24/Accounts/{ACCOUNT}/Messages.json HTTP/1.1\r\n"
               f"Host: 127.0.0.1\r\nAuthorization: {AUTH}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    port = int(server.base.rsplit(":", 1)[1])
    client = await protocol.ClientCreator(reactor, _SendAndHangUp, request).connectTCP("127.0.0.1", port)
    await client.closed
    # Writes are committed in the order they were queued: once a later POST
    # is answered, the earlier one is in the store too.
    code, _ = await server.json("POST", "/Messages.json", json=NEW)
    assert code == 201
    code, page = await server.json("GET", "/Messages.json?Body=hung")
    assert code == 200 and [m["body"] for m in page["messages"]] == ["hung up"]
