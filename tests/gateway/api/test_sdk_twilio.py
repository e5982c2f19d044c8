"""The unchanged ``twilio`` SDK against a live daemon (issue 14).

A real ``carrier-gateway run`` in demo mode (its SQLite store, the built-in
SMSC and MMSC simulators) serves the API on a free port.  The SDK is pointed
at it through its own hook: a ``TwilioHttpClient`` whose ``request()``
rewrites ``https://api.twilio.com`` to the daemon (``/api/laml`` added for
SignalWire's compatibility base).  Everything else is the SDK as shipped:
its paths, its form encoding, its parsing of the resources and pages.

Status callbacks go to a real local HTTP server, which records each request
with its headers; ``twilio.request_validator.RequestValidator`` checks their
``X-Twilio-Signature`` with the account's auth token.
"""
from __future__ import annotations

import threading
import urllib.parse
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.gateway.e2e.processes import demo_daemon

twilio = pytest.importorskip("twilio", reason="the twilio SDK is a test dependency (pip install twilio)")
from twilio.base.exceptions import TwilioRestException  # noqa: E402
from twilio.http.http_client import TwilioHttpClient  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402
from twilio.rest import Client  # noqa: E402

FROM = "+15005550006"
FINAL = {"delivered", "undelivered", "failed"}


class GatewayHttpClient(TwilioHttpClient):
    """The SDK's own HTTP client, sending to the gateway instead of Twilio."""

    def __init__(self, base: str, prefix: str = ""):
        super().__init__()
        self.gateway_base = base
        self.prefix = prefix  # "/api/laml": SignalWire's base, as its own SDK sets it

    def request(self, method, url, *args, **kwargs):
        path = url.removeprefix("https://api.twilio.com")
        if not path.startswith(self.prefix + "/"):  # page URIs already carry it
            path = self.prefix + path
        return super().request(method, self.gateway_base + path, *args, **kwargs)


class Webhooks:
    """A real HTTP server recording every request: path, headers, form."""

    def __init__(self):
        self.requests: list[dict] = []
        changed = self.changed = threading.Condition()
        seen = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                with changed:
                    seen.append({"path": self.path, "headers": dict(self.headers),
                                 "form": urllib.parse.parse_qsl(body, keep_blank_values=True)})
                    changed.notify_all()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def wait_final(self, sid: str, timeout: float = 30.0) -> list[dict]:
        """The callbacks for ``sid`` once one reports a final status."""
        def mine():
            return [r for r in self.requests if ("MessageSid", sid) in r["form"]]
        with self.changed:
            while not any(dict(r["form"])["MessageStatus"] in FINAL for r in mine()):
                if not self.changed.wait(timeout):
                    raise AssertionError(f"no final callback for {sid}: {mine()}")
            return mine()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    with demo_daemon(tmp_path_factory.mktemp("sdk") / "var") as demo:
        yield demo.base, demo.sid, demo.token


@pytest.fixture(scope="module")
def hooks():
    server = Webhooks()
    yield server
    server.close()


@pytest.fixture(scope="module", params=["twilio", "signalwire-laml"])
def client(request, daemon):
    base, sid, token = daemon
    prefix = "" if request.param == "twilio" else "/api/laml"
    return Client(sid, token, http_client=GatewayHttpClient(base, prefix))


def test_an_sms_with_a_non_ascii_body_is_created_fetched_and_reported_signed(client, daemon, hooks):
    base, sid, token = daemon
    body = "Grüße aus Köln – ✓ 😀"
    message = client.messages.create(to="+15005551234", from_=FROM, body=body,
                                     status_callback=hooks.base + "/status")
    assert message.sid.startswith("SM") and message.status == "queued"
    assert (message.body, message.to, message.from_) == (body, "+15005551234", FROM)
    assert message.account_sid == sid and message.api_version == "2010-04-01"
    assert isinstance(message.date_created, datetime)
    assert message.num_segments == "1" and message.num_media == "0"
    assert message.subresource_uris["media"].endswith(f"/Messages/{message.sid}/Media.json")

    callbacks = hooks.wait_final(message.sid)
    validator = RequestValidator(token)
    for callback in callbacks:
        form = dict(callback["form"])
        assert form["AccountSid"] == sid and form["SmsSid"] == message.sid
        assert (form["From"], form["To"], form["Body"]) == (FROM, "+15005551234", body)
        assert form["SmsStatus"] == form["MessageStatus"]
        signature = callback["headers"]["X-Twilio-Signature"]
        assert validator.validate(hooks.base + callback["path"], form, signature)
        assert not validator.validate(hooks.base + callback["path"], dict(form, Body="x"), signature)
        assert not RequestValidator("another-token").validate(hooks.base + callback["path"], form,
                                                              signature)
    assert dict(callbacks[-1]["form"])["MessageStatus"] == "delivered"

    fetched = client.messages(message.sid).fetch()
    assert (fetched.sid, fetched.body, fetched.status) == (message.sid, body, "delivered")
    assert isinstance(fetched.date_sent, datetime)


def test_an_mms_is_created_and_its_media_listed(client, daemon, hooks):
    base, _, _ = daemon
    picture = base + "/demo/picture.png"
    message = client.messages.create(to="+15005551234", from_=FROM, body="Ein Bild: ü",
                                     media_url=[picture], status_callback=hooks.base + "/mms")
    assert message.num_media == "1"
    hooks.wait_final(message.sid)
    assert client.messages(message.sid).fetch().status == "delivered"
    media = client.messages(message.sid).media.list()
    assert len(media) == 1 and media[0].parent_sid == message.sid
    assert media[0].content_type == "image/png" or media[0].content_type
    one = client.messages(message.sid).media(media[0].sid).fetch()
    assert one.sid == media[0].sid


def test_send_as_mms_goes_over_mm7(client, daemon, hooks):
    base, sid, token = daemon
    message = client.messages.create(to="+15005551234", from_=FROM, body="nur Text, als MMS",
                                     send_as_mms=True, status_callback=hooks.base + "/as-mms")
    assert message.num_media == "0"
    hooks.wait_final(message.sid)
    shown = requests.get(f"{base}/api/2012-04-24/Accounts/{sid}/Messages/{message.sid}.json",
                         auth=(sid, token)).json()
    assert (shown["to"], shown["status"]) == ("mms:+15005551234", "delivered")


def test_listing_pages_by_next_page_uri_and_filters(client, request):
    to = "+1500555700" + str(len(request.node.callspec.id))  # one recipient per base
    sids = [client.messages.create(to=to, from_=FROM, body=f"page {i}").sid for i in range(5)]
    listed = client.messages.list(to=to, page_size=2)
    assert sorted(m.sid for m in listed) == sorted(sids)
    page = client.messages.page(to=to, page_size=2)
    seen = [m.sid for m in page]
    assert len(seen) == 2 and page.next_page_url is not None
    while (page := page.next_page()) is not None:
        seen += [m.sid for m in page]
    assert sorted(seen) == sorted(sids)
    assert [m.sid for m in client.messages.list(from_=FROM, to=to, limit=1)] == [seen[0]]
    tomorrow = date.today() + timedelta(days=2)
    assert client.messages.list(to=to, date_sent_after=datetime(tomorrow.year, tomorrow.month,
                                                                 tomorrow.day, tzinfo=timezone.utc)) == []
    assert client.messages.list(to=to, date_sent=tomorrow) == []


def test_redact_and_delete(client, hooks):
    message = client.messages.create(to="+15005551234", from_=FROM, body="secret 1234",
                                     status_callback=hooks.base + "/redact")
    with pytest.raises(TwilioRestException) as raised:
        client.messages(message.sid).delete()
    assert (raised.value.status, raised.value.code) == (409, 20009)
    hooks.wait_final(message.sid)
    redacted = client.messages(message.sid).update(body="")
    assert redacted.body == "" and client.messages(message.sid).fetch().body == ""
    assert client.messages(message.sid).delete() is True
    with pytest.raises(TwilioRestException) as raised:
        client.messages(message.sid).fetch()
    assert (raised.value.status, raised.value.code) == (404, 20404)


def test_errors_reach_the_sdk_as_its_exception(client):
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to="+15005551234", from_=FROM)
    assert (raised.value.status, raised.value.code) == (400, 21602)
    assert raised.value.msg
