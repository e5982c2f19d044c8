from sqlalchemy import insert
from twisted.web.resource import Resource

from gateway.api.accounts import Accounts
from gateway.store import schema as s
from gateway.store.timeutil import utcnow

from .conftest import ACCOUNT, OTHER, OTHER_TOKEN, TOKEN
from .memory_api import in_memory, server  # noqa: F401 (server: the in-memory fixture)

NEW = {"from": "sms:+14155550100", "to": "sms:+14155550101", "body": "secret"}


def test_accounts_hold_only_hashes():
    accounts = Accounts([("AC1", "s3cret-token")])
    assert accounts.check("AC1", "s3cret-token")
    assert not accounts.check("AC1", "s3cret-tokem")
    assert not accounts.check("AC2", "s3cret-token")
    assert not accounts.check("AC1", "")
    assert "s3cret-token" not in repr(vars(accounts))
    accounts.replace([("AC2", "t2")])
    assert accounts.check("AC2", "t2") and not accounts.check("AC1", "s3cret-token")


@in_memory
async def test_401_without_or_with_wrong_credentials(server):
    for auth in (None, (ACCOUNT, "wrong"), ("ACnobody", TOKEN)):
        code, body = await server.json("GET", "/Messages", auth=auth)
        assert (code, body["code"]) == (401, 20003)
    response, _ = await server.call("POST", "/Messages", auth=None, json=NEW)
    assert response.headers.getRawHeaders("www-authenticate")


@in_memory
async def test_other_accounts_messages_are_never_visible(server):
    code, mine = await server.json("POST", "/Messages", json=NEW)
    assert code == 201
    # B asks on A's path: forbidden, for every endpoint.
    for method, path in (("GET", "/Messages"), ("GET", f"/Messages/{mine['sid']}"),
                         ("GET", f"/SMS/Messages/{mine['sid']}.json"), ("POST", "/Messages")):
        code, body = await server.json(method, path, auth=(OTHER, OTHER_TOKEN), json=NEW)
        assert (code, body["code"]) == (403, 20403)
    # B on its own path cannot see A's message either.
    code, body = await server.json("GET", f"/Messages/{mine['sid']}", account=OTHER,
                                   auth=(OTHER, OTHER_TOKEN))
    assert code == 404
    code, page = await server.json("GET", "/Messages", account=OTHER, auth=(OTHER, OTHER_TOKEN))
    assert code == 200 and page["total"] == 0 and page["messages"] == []


@in_memory
async def test_get_one_with_and_without_json_suffix(server):
    _, made = await server.json("POST", "/Messages", json=NEW)
    for path in (f"/Messages/{made['sid']}", f"/Messages/{made['sid']}.json"):
        code, got = await server.json("GET", path)
        assert code == 200 and got == made
    code, sms_view = await server.json("GET", f"/SMS/Messages/{made['sid']}.json")
    assert code == 200 and sms_view["to"] == "+14155550101"
    code, body = await server.json("GET", "/Messages/SM" + "0" * 32)
    assert (code, body["code"]) == (404, 20404)


@in_memory
async def test_unknown_path_and_method_are_json(server):
    code, body = await server.json("GET", "/Nothing")
    assert (code, body["status"]) == (404, 404)
    code, body = await server.json("DELETE", "/Messages")
    assert code == 405


@in_memory
async def test_sighup_reload_replaces_accounts(server):
    server.api.accounts.replace([(ACCOUNT, "rotated")])
    code, _ = await server.json("GET", "/Messages")
    assert code == 401
    code, _ = await server.json("GET", "/Messages", auth=(ACCOUNT, "rotated"))
    assert code == 200


def _add_media(conn, account, data):
    conn.execute(insert(s.media), {"sid": "ME" + "1" * 32, "message_sid": "SM" + "2" * 32,
                                   "account_sid": account, "content_type": "image/png",
                                   "filename": "a.png", "data": data, "created_at": utcnow()})


@in_memory
async def test_media_attachment_served_to_its_account_only(server):
    await server.store.write(_add_media, ACCOUNT, b"\x89PNG-bytes")
    response, body = await server.call("GET", "/MediaAttachments/ME" + "1" * 32)
    assert response.code == 200 and body == b"\x89PNG-bytes"
    assert response.headers.getRawHeaders("content-type") == ["image/png"]
    code, meta = await server.json("GET", "/MediaAttachments/ME" + "1" * 32 + ".json")
    assert code == 200 and meta["size"] == 10 and meta["parent_sid"] == "SM" + "2" * 32
    code, _ = await server.json("GET", "/MediaAttachments/ME" + "1" * 32, account=OTHER,
                                auth=(OTHER, OTHER_TOKEN))
    assert code == 404
    code, _ = await server.json("GET", "/MediaAttachments/ME" + "1" * 32, auth=None)
    assert code == 401


class Health(Resource):
    isLeaf = True

    def render_GET(self, request):
        return b"ok"


@in_memory
async def test_mounted_resource_is_served(server):
    server.api.mount("health", Health())
    response = await server.client.get(server.base + "/health")
    assert response.code == 200 and await response.content() == b"ok"


def test_basic_credentials_parsing():
    from gateway.api.auth_guard import basic_credentials
    assert basic_credentials(b"Basic QUMxOnM6ZWNyZXQ=") == ("AC1", "s:ecret")  # AC1:s:ecret
    assert basic_credentials(b"basic QUMxOg==") == ("AC1", "")
    for bad in (None, b"", b"Bearer abc", b"Basic !!!", b"Basic //4=", b"Basic"):
        assert basic_credentials(bad) == ("", "")
