import json
import re

import pytest
import pytest_twisted
from twisted.internet.defer import succeed
from twisted.web.iweb import UNKNOWN_LENGTH, IBodyProducer
from zope.interface import implementer

from gateway.messages.store import get_message_row

from .conftest import ACCOUNT
from .memory_api import in_memory, server  # noqa: F401 (server: the in-memory fixture)

SMS_TO = "sms:+14155550101"
SMS_FROM = "sms:+14155550100"
RFC2822 = re.compile(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$")


@in_memory
async def test_create_json_is_committed_before_201(server):
    code, body = await server.json("POST", "/Messages", json={
        "from": SMS_FROM, "to": SMS_TO, "body": "hello", "status_callback": "http://127.0.0.1:1/cb"})
    assert code == 201
    assert re.fullmatch(r"SM[0-9a-f]{32}", body["sid"])
    assert body["status"] == "queued" and body["direction"] == "outbound-api"
    assert body["from"] == SMS_FROM and body["to"] == SMS_TO
    assert body["api_version"] == "2012-04-24" and body["num_segments"] == "1"
    assert body["num_media"] == "0" and body["media_list"] == []
    assert body["uri"] == f"/api/2012-04-24/Accounts/{ACCOUNT}/Messages/{body['sid']}.json"
    assert RFC2822.match(body["date_created"]) and body["date_sent"] is None
    for key in ("account_sid", "price", "price_unit", "error_code", "error_message", "date_updated"):
        assert key in body
    row = await server.store.read(get_message_row, body["sid"])
    assert row["status_callback_method"] == "GET"  # the Messages API default
    assert row["validity_period"] == 14400
    assert [r["sid"] for r in server.woken] == [body["sid"]]


@in_memory
async def test_create_form_mms_with_media_and_newer_fields(server):
    media = [{"url": "http://example.com/a.jpg", "content_type": "image/jpeg"}]
    code, body = await server.json("POST", "/Messages.json", data=[
        ("from", "mms:+14155550100"), ("to", "mms:+14155550101"), ("body", "look"),
        ("media_list", json.dumps(media)), ("MediaUrl", "http://example.com/b.png"),
        ("ValidityPeriod", "60"), ("MaxPrice", "0.05"), ("status_callback_method", "post")])
    assert code == 201, body
    assert body["num_media"] == "2" and body["media_list"][0] == media[0]
    assert body["media_list"][1] == {"url": "http://example.com/b.png", "content_type": None}
    row = await server.store.read(get_message_row, body["sid"])
    assert (row["channel"], row["validity_period"], row["max_price"]) == ("mms", 60, "0.05")


@in_memory
async def test_num_segments_from_segmentation(server):
    code, body = await server.json("POST", "/Messages", json={
        "from": "sms:Shop", "to": SMS_TO, "body": "é€" + "x" * 200})
    assert code == 201 and body["num_segments"] == "2" and body["from"] == "sms:Shop"
    code, body = await server.json("POST", "/Messages", json={
        "from": SMS_FROM, "to": SMS_TO, "body": "\u4f60" * 71})
    assert code == 201 and body["num_segments"] == "2"  # UCS-2: 70 per single part


@in_memory
async def test_sms_api_form_plain_numbers(server):
    code, body = await server.json("POST", "/SMS/Messages.json", data={
        "From": "+14155550100", "To": "+14155550101", "Body": "hi",
        "StatusCallback": "https://example.com/status"})
    assert code == 201, body
    assert body["from"] == "+14155550100" and body["to"] == "+14155550101"
    assert body["uri"].endswith(f"/SMS/Messages/{body['sid']}.json")
    row = await server.store.read(get_message_row, body["sid"])
    assert (row["api"], row["status_callback_method"]) == ("sms", "POST")


BAD = [
    ("/Messages", {"json": None, "data": b"{not json", "headers": {"Content-Type": "application/json"}}, 400, 21100),
    ("/Messages", {"json": [1, 2]}, 400, 21100),
    ("/Messages", {"json": {"from": SMS_FROM, "to": "fax:+14155550101", "body": "x"}}, 400, 21211),
    ("/Messages", {"json": {"from": SMS_FROM, "to": "sms:+0123", "body": "x"}}, 400, 21211),
    ("/Messages", {"json": {"from": SMS_FROM, "to": "+14155550101", "body": "x"}}, 400, 21211),
    ("/Messages", {"json": {"from": "sms:Way Too Long Name", "to": SMS_TO, "body": "x"}}, 400, 21212),
    ("/Messages", {"json": {"from": "sms:Bad_Name", "to": SMS_TO, "body": "x"}}, 400, 21212),
    ("/Messages", {"json": {"from": SMS_FROM, "to": SMS_TO}}, 400, 21602),
    ("/Messages", {"json": {"to": SMS_TO, "body": "x"}}, 400, 21603),
    ("/Messages", {"json": {"from": SMS_FROM, "body": "x"}}, 400, 21604),
    ("/Messages", {"json": {"from": SMS_FROM, "to": SMS_TO, "body": "x" * 1601}}, 400, 21617),
    ("/Messages", {"json": {"from": "mms:+14155550100", "to": "mms:+14155550101", "body": "x",
                            "MediaUrl": [f"http://e.com/{i}.jpg" for i in range(9)]}}, 400, 21623),
    ("/Messages", {"json": {"from": SMS_FROM, "to": SMS_TO, "body": "x",
                            "media_list": [{"url": "http://e.com/a.jpg"}]}}, 400, 21620),
    ("/Messages", {"json": {"from": "mms:+14155550100", "to": "mms:+14155550101",
                            "media_list": [{"url": "ftp://e.com/a.jpg"}]}}, 400, 21620),
    ("/Messages", {"json": {"from": SMS_FROM, "to": SMS_TO, "body": "x",
                            "status_callback": "not a url"}}, 400, 21609),
    ("/Messages", {"json": {"from": SMS_FROM, "to": SMS_TO, "body": "x",
                            "status_callback": "http://e.com/", "status_callback_method": "PUT"}}, 400, 21609),
    ("/Messages", {"json": {"from": SMS_FROM, "to": SMS_TO, "body": "x", "ValidityPeriod": 172801}}, 400, 21624),
    ("/Messages", {"json": {"from": SMS_FROM, "to": SMS_TO, "body": "x", "ValidityPeriod": "0"}}, 400, 21624),
    ("/Messages", {"json": {"from": SMS_FROM, "to": SMS_TO, "body": "x", "MaxPrice": "cheap"}}, 400, 21100),
    ("/SMS/Messages", {"data": {"From": "+14155550100", "To": "client:alice", "Body": "x"}}, 400, 21211),
    ("/SMS/Messages", {"data": {"From": "+14155550100", "To": " 14155550101", "Body": "x"}}, 400, 21211),
    ("/Messages", {"json": {"from": SMS_FROM, "to": SMS_TO, "body": "x" * 20000}}, 413, 20413),
]


@pytest.mark.parametrize("path,kwargs,status,code", BAD)
@in_memory
async def test_bad_requests_get_json_errors(server, path, kwargs, status, code):
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    got, body = await server.json("POST", path, **kwargs)
    assert (got, body["code"], body["status"]) == (status, code, status), body
    assert body["message"] and "more_info" in body


@in_memory
async def test_client_address_message_is_clear(server):
    code, body = await server.json("POST", "/SMS/Messages", data={
        "From": "+14155550100", "To": "client:alice", "Body": "x"})
    assert code == 400 and "SIP client" in body["message"]


@implementer(IBodyProducer)
class ChunkedBody:
    """A body of unknown length: sent with chunked transfer encoding."""
    length = UNKNOWN_LENGTH

    def __init__(self, chunks):
        self.chunks = chunks

    def startProducing(self, consumer):
        for chunk in self.chunks:
            consumer.write(chunk)
        return succeed(None)

    def pauseProducing(self):
        pass

    def resumeProducing(self):
        pass

    def stopProducing(self):
        pass


@in_memory
async def test_chunked_oversized_body_is_413(server):
    response, body = await server.call("POST", "/Messages", data=ChunkedBody([b"a" * 8000] * 5),
                                       headers={"Content-Type": "application/json"})
    assert response.code == 413 and json.loads(body)["code"] == 20413


@in_memory
async def test_chunked_small_body_is_read(server):
    payload = json.dumps({"from": SMS_FROM, "to": SMS_TO, "body": "chunked"}).encode()
    response, body = await server.call("POST", "/Messages", data=ChunkedBody([payload[:10], payload[10:]]),
                                       headers={"Content-Type": "application/json"})
    assert response.code == 201, body


@pytest_twisted.ensureDeferred
async def test_plain_site_also_caps_bodies_and_parses_forms(tmp_path):
    """The API behind a plain twisted.web Site (no make_site) behaves the same."""
    from twisted.internet import reactor
    from twisted.web.server import Site

    from gateway.api.accounts import Accounts
    from gateway.api.app import MessagesApi
    from gateway.store.store import Store

    from .conftest import TOKEN, Server

    store = Store(f"sqlite:///{tmp_path}/plain.db", reactor)
    await store.start()
    api = MessagesApi(store, Accounts([(ACCOUNT, TOKEN)]), clock=reactor, max_body=2048)
    port = reactor.listenTCP(0, Site(api.resource()), interface="127.0.0.1")
    client = Server(api, port.getHost().port, store, [])
    try:
        code, body = await client.json("POST", "/SMS/Messages", data={
            "From": "+14155550100", "To": "+14155550101", "Body": "plain",
            "MediaUrl": ["http://example.com/a.jpg", "http://example.com/b.jpg"]})
        assert code == 201 and body["num_media"] == "2" and body["body"] == "plain"
        code, body = await client.json("POST", "/Messages", json={
            "from": SMS_FROM, "to": SMS_TO, "body": "x" * 3000})
        assert (code, body["code"]) == (413, 20413)
    finally:
        await client.pool.closeCachedConnections()
        await port.stopListening()
        await store.stop()
