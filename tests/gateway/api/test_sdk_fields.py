"""The CPaaS documents' fields on every create path (issue 14): SendAsMms,
media_list's ``content-type`` key, ApplicationSid's status callback (an
unknown sid refused by name); the compatible surface's own answers."""
import base64
import json

import pytest

from gateway.config import model as config
from gateway.api.senders import sticky_sender
from gateway.config.read import ConfigError

from .conftest import ACCOUNT, OTHER, TOKEN
from .memory_api import in_memory, server  # noqa: F401 (server: the in-memory fixture)

COMPAT = "/2010-04-01/Accounts/" + ACCOUNT
AUTH = {"Authorization": "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()}


async def compat(server, method, path, **kw):
    url = server.base + COMPAT + path
    response = await server.client.request(method, url, headers=AUTH, **kw)
    body = await response.content()
    return response.code, (json.loads(body) if body else None)


@in_memory
async def test_send_as_mms_makes_a_text_only_mms_on_every_api(server):
    code, made = await compat(server, "POST", "/Messages.json", data={
        "To": "+14155550101", "From": "+14155550100", "Body": "über MM7", "SendAsMms": "true"})
    assert code == 201 and made["num_media"] == "0", made
    code, shown = await server.json("GET", f"/Messages/{made['sid']}.json")
    assert shown["to"] == "mms:+14155550101"
    code, made = await server.json("POST", "/Messages.json", json={
        "from": "sms:+14155550100", "to": "sms:+14155550101", "body": "x", "SendAsMms": True})
    assert code == 201 and made["to"] == "mms:+14155550101"
    code, made = await server.json("POST", "/SMS/Messages.json", data={
        "From": "+14155550100", "To": "+14155550101", "Body": "x", "SendAsMms": "false"})
    assert code == 201 and made["uri"].endswith(f"/SMS/Messages/{made['sid']}.json")
    code, error = await server.json("POST", "/SMS/Messages.json", data={
        "From": "+14155550100", "To": "+14155550101", "Body": "x", "SendAsMms": "yes"})
    assert (code, error["code"]) == (400, 21100) and "SendAsMms" in error["message"]
    code, error = await compat(server, "POST", "/Messages.json", data={
        "To": "+14155550101", "From": "Alpha", "Body": "x", "SendAsMms": "true"})
    assert (code, error["code"]) == (400, 21212)


@in_memory
async def test_media_list_accepts_the_documents_content_type_key(server):
    code, made = await server.json("POST", "/Messages.json", json={
        "from": "mms:+14155550100", "to": "mms:+14155550101", "body": "x",
        "media_list": [{"url": "https://example.com/a.png", "content-type": "image/png"}]})
    assert code == 201 and made["media_list"] == [{"url": "https://example.com/a.png",
                                                   "content_type": "image/png"}]
    code, error = await server.json("POST", "/Messages.json", json={
        "from": "mms:+14155550100", "to": "mms:+14155550101", "body": "x",
        "media_list": [{"url": "https://example.com/a.png", "content-type": "image"}]})
    assert (code, error["code"]) == (400, 21620)


APP = "AP" + "1" * 32


@in_memory
async def test_application_sid_gives_the_status_callback_on_every_api(server):
    from gateway.messages.store import get_message_row

    server.api.applications = {
        APP: config.Application(sid=APP, account=ACCOUNT, status_callback="https://app.example/st",
                                status_callback_method="GET"),
        "AP-other": config.Application(sid="AP-other", account=OTHER,
                                       status_callback="https://other.example/st"),
        "AP-silent": config.Application(sid="AP-silent", account=ACCOUNT)}

    async def callback_of(sid):
        row = await server.store.read(get_message_row, sid)
        return row["status_callback"], row["status_callback_method"]

    code, made = await compat(server, "POST", "/Messages.json", data={
        "To": "+14155550101", "From": "+14155550100", "Body": "x", "ApplicationSid": APP})
    assert code == 201 and "application_sid" not in made  # the SDKs' shape has no such field
    assert await callback_of(made["sid"]) == ("https://app.example/st", "GET")
    code, made = await server.json("POST", "/Messages.json", json={
        "from": "sms:+14155550100", "to": "sms:+14155550101", "body": "x", "application_sid": APP,
        "status_callback": "https://mine.example/cb"})
    assert code == 201 and await callback_of(made["sid"]) == ("https://mine.example/cb", "GET")
    code, made = await server.json("POST", "/SMS/Messages.json", data={
        "From": "+14155550100", "To": "+14155550101", "Body": "x", "ApplicationSid": "AP-silent"})
    assert code == 201 and await callback_of(made["sid"]) == (None, None)
    for sid in ("AP-other", "AP-unknown"):
        code, error = await compat(server, "POST", "/Messages.json", data={
            "To": "+14155550101", "From": "+14155550100", "Body": "x", "ApplicationSid": sid})
        assert (code, error["code"]) == (400, 21100), error
        assert error["message"].startswith("ApplicationSid") and "not an application of this account" \
            in error["message"]


def test_applications_config_is_checked():
    base = f'[[accounts]]\nsid = "{ACCOUNT}"\nauth_token = "t"\n[[applications]]\nsid = "AP1"\n'
    cfg = config.loads(base + f'account = "{ACCOUNT}"\nstatus_callback = "https://a.example/st"\n')
    assert cfg.applications == (config.Application(sid="AP1", account=ACCOUNT,
                                                   status_callback="https://a.example/st"),)
    for extra, problem in ((f'account = "{OTHER}"', "no [[accounts]] entry"),
                           (f'account = "{ACCOUNT}"\nstatus_callback = "ftp://x"', "http/https URL"),
                           (f'account = "{ACCOUNT}"\nstatus_callback_method = "PUT"', "GET or POST"),
                           (f'account = "{ACCOUNT}"\nvoice_url = "https://x"', "unknown key"),
                           (f'account = "{ACCOUNT}"\n[[applications]]\nsid = "AP1"\naccount = "{ACCOUNT}"',
                            "duplicate application sid")):
        with pytest.raises(ConfigError) as info:
            config.loads(base + extra + "\n", source="g.toml")
        assert problem in str(info.value) and "applications[" in str(info.value), str(info.value)


@in_memory
async def test_compat_update_delete_and_media_answers(server):
    code, made = await compat(server, "POST", "/Messages", data={
        "To": "+14155550101", "From": "+14155550100", "Body": "secret",
        "MediaUrl": ["https://example.com/a.png", "https://example.com/b.png"]})
    assert code == 201 and made["uri"] == f"{COMPAT}/Messages/{made['sid']}.json"
    sid = made["sid"]
    code, error = await compat(server, "POST", f"/Messages/{sid}", data={"Body": "changed"})
    assert (code, error["code"]) == (400, 21100)
    code, error = await compat(server, "DELETE", f"/Messages/{sid}.json")
    assert (code, error["code"]) == (409, 20009)
    code, error = await compat(server, "DELETE", "/Messages/SM" + "0" * 32)
    assert (code, error["code"]) == (404, 20404)
    code, page = await compat(server, "GET", f"/Messages/{sid}/Media.json")
    assert code == 200 and [m["parent_sid"] for m in page["media_list"]] == [sid, sid]
    assert page["next_page_uri"] is None
    one = page["media_list"][1]
    code, item = await compat(server, "GET", f"/Messages/{sid}/Media/{one['sid']}.json")
    assert code == 200 and item == one and one["uri"] == f"{COMPAT}/Messages/{sid}/Media/{one['sid']}.json"
    response = await server.client.request("GET", server.base + one["uri"][:-5], headers=AUTH,
                                           allow_redirects=False)
    await response.content()
    assert response.code == 302
    assert response.headers.getRawHeaders("location") == ["https://example.com/b.png"]
    code, redacted = await compat(server, "POST", f"/Messages/{sid}.json", data={"Body": ""})
    assert code == 200 and redacted["body"] == ""


POOL = ("+14155550200", "+14155550201", "+14155550202")
SERVICE = "MG" + "1" * 32


def with_services(server):
    server.api.messaging_services = {
        SERVICE: config.MessagingService(sid=SERVICE, account=ACCOUNT, numbers=POOL),
        "MG-other": config.MessagingService(sid="MG-other", account=OTHER, numbers=POOL)}


@in_memory
async def test_a_messaging_service_picks_a_sticky_sender_and_is_reported(server):
    with_services(server)
    senders = {}
    for to in ("+14155550101", "+14155550102", "+14155550103", "+14155550104", "+14155550101"):
        code, made = await compat(server, "POST", "/Messages.json", data={
            "To": to, "Body": "hi", "MessagingServiceSid": SERVICE})
        assert code == 201 and made["messaging_service_sid"] == SERVICE, made
        assert made["from"] in POOL and senders.setdefault(to, made["from"]) == made["from"]
        assert made["from"] == sticky_sender(POOL, to)
    assert len(set(senders.values())) > 1  # the pool is used, not its first number only
    code, made = await server.json("POST", "/Messages.json", json={
        "to": "mms:+14155550101", "body": "x", "messaging_service_sid": SERVICE,
        "media_list": [{"url": "https://example.com/a.png"}]})
    assert code == 201 and made["from"] == "mms:" + senders["+14155550101"]
    assert made["messaging_service_sid"] == SERVICE
    code, made = await server.json("POST", "/SMS/Messages.json", data={
        "To": "+14155550109", "From": "+14155550999", "Body": "x", "MessagingServiceSid": SERVICE})
    assert code == 201 and (made["from"], made["messaging_service_sid"]) == ("+14155550999", SERVICE)
    code, shown = await compat(server, "GET", f"/Messages/{made['sid']}.json")
    assert shown["messaging_service_sid"] == SERVICE


@in_memory
async def test_from_or_a_messaging_service_is_required_and_the_service_must_be_the_accounts(server):
    with_services(server)
    code, error = await compat(server, "POST", "/Messages.json", data={"To": "+14155550101", "Body": "x"})
    assert (code, error["code"]) == (400, 21603) and "MessagingServiceSid" in error["message"]
    for sid in ("MG-other", "MG" + "9" * 32):
        code, error = await compat(server, "POST", "/Messages.json", data={
            "To": "+14155550101", "Body": "x", "MessagingServiceSid": sid})
        assert (code, error["code"]) == (400, 21705) and sid in error["message"]


def test_messaging_services_are_read_from_the_config():
    text = """
[[accounts]]
sid = "AC1"
auth_token = "t"
[[messaging_services]]
sid = "MG1"
account = "AC1"
numbers = ["+14155550200", "12345"]
"""
    cfg = config.loads(text)
    assert cfg.messaging_services == (config.MessagingService("MG1", "AC1", ("+14155550200", "12345")),)
    for bad, where in (('account = "AC2"', "account"), ('numbers = []', "numbers"),
                       ('numbers = ["+0123"]', "numbers")):
        broken = text.replace('account = "AC1"', bad) if "account" in bad else \
            text.replace('numbers = ["+14155550200", "12345"]', bad)
        with pytest.raises(ConfigError, match=where):
            config.loads(broken)
