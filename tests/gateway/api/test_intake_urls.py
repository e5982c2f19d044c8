"""URLs at intake: refused with a JSON 400 by the parser the callback sender
uses (gateway.common.weburl), never a 500, never accepted and then unsendable."""
import json

import pytest

from gateway.messages.store import get_message_row

from .memory_api import in_memory, server  # noqa: F401 (server: the in-memory fixture)

SMS = {"from": "sms:+14155550100", "to": "sms:+14155550101", "body": "x"}
MMS = {"from": "mms:+14155550100", "to": "mms:+14155550101"}

BAD_URLS = ["http://[::1/x", "http://a..b/cb", "http://" + "a" * 64 + ".com/cb", "http://a b/",
            "http://ex%41mple.com/", "http://h.com:99999/cb", "http://h\ud800.com/", "http://h.com/\ud800",
            "http://[fe80::1%25eth0]/"]


SURROGATES = {"http://h\ud800.com/", "http://h.com/\ud800"}


def _check_error(status, body, code, url=None):
    if url in SURROGATES:  # not text at all: every field's first check (gateway.api.strings)
        code = 21100
    assert status == 400, body
    assert body["code"] == code and body["status"] == 400
    assert set(body) >= {"code", "message", "status", "more_info"}


@pytest.mark.parametrize("url", BAD_URLS)
@in_memory
async def test_status_callback_urls_the_sender_cannot_use_get_400(server, url):
    status, body = await server.json("POST", "/Messages", json={**SMS, "status_callback": url})
    _check_error(status, body, 21609, url)
    status, body = await server.json("POST", "/SMS/Messages", json={
        "From": "+14155550100", "To": "+14155550101", "Body": "x", "StatusCallback": url})
    _check_error(status, body, 21609, url)


@pytest.mark.parametrize("url", BAD_URLS)
@in_memory
async def test_media_urls_the_fetcher_cannot_use_get_400(server, url):
    status, body = await server.json("POST", "/Messages", json={**MMS, "media_list": [{"url": url}]})
    _check_error(status, body, 21620, url)
    status, body = await server.json("POST", "/Messages", json={**MMS, "MediaUrl": [url]})
    _check_error(status, body, 21620, url)


@in_memory
async def test_accepted_urls_are_stored_normalised(server):
    status, body = await server.json("POST", "/Messages", json={
        **MMS, "status_callback": "HTTPS://user:pa%40ss@Bücher.DE:8443/cb?x=1#frag",
        "media_list": [{"url": "http://[0::1]:8080/a.png"}]})
    assert status == 201, body
    row = await server.store.read(get_message_row, body["sid"])
    assert row["status_callback"] == "https://user:pa%40ss@xn--bcher-kva.de:8443/cb?x=1"
    assert row["media_list"][0]["url"] == "http://[::1]:8080/a.png"
    assert json.dumps(row["media_list"])  # storable as JSON
