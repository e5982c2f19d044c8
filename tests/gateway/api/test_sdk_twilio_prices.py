"""The unchanged ``twilio`` SDK (issue 14) against ``carrier-gateway run
--config`` with a price table and an ``[[applications]]`` entry, beside a
separately started ``carrier-gateway simulate smsc``: ``ApplicationSid``
takes its callbacks to the application's URL (signed), a sent message
carries ``price`` and ``price_unit`` as the SDK parses them, and a
``MaxPrice`` below the price fails it with 30010."""
from __future__ import annotations

import signal

import pytest

from tests.gateway.e2e.processes import Process

pytest.importorskip("twilio", reason="the twilio SDK is a test dependency (pip install twilio)")
from twilio.request_validator import RequestValidator  # noqa: E402
from twilio.rest import Client  # noqa: E402

from .test_sdk_twilio import GatewayHttpClient, Webhooks  # noqa: E402

ACCOUNT, TOKEN = "AC" + "3" * 32, "tok-prices-1"
APP = "AP" + "4" * 32
FROM, TO = "+15005550006", "+15005551234"


def _config(db, smsc_port, hooks_base):
    return f"""
[api]
listen = "127.0.0.1:8080"
[store]
url = "sqlite:///{db}"
[pipeline]
poll_interval = 0.2
[callbacks]
poll_interval = 0.1
allow_hosts = ["127.0.0.1"]
[[accounts]]
sid = "{ACCOUNT}"
auth_token = "{TOKEN}"
[[numbers]]
number = "{FROM}"
account = "{ACCOUNT}"
[[applications]]
sid = "{APP}"
account = "{ACCOUNT}"
status_callback = "{hooks_base}/app"
[[carriers]]
name = "smsc"
host = "127.0.0.1"
port = {smsc_port}
system_id = "gw"
password = "pw"
routes = ["+"]
[carriers.prices]
unit = "USD"
prefixes = {{ "+1" = "0.0075", "+1500555" = "0.0079" }}
"""


@pytest.fixture(scope="module")
def hooks():
    server = Webhooks()
    yield server
    server.close()


@pytest.fixture(scope="module")
def client(tmp_path_factory, hooks):
    data = tmp_path_factory.mktemp("sdk-prices")
    smsc = Process("simulate", "smsc", "--port", "0", "--account", "gw:pw", "--receipt-delay", "0.05")
    gateway = None
    try:
        smsc_port = int(smsc.wait_for(r"listening on 127\.0\.0\.1:(\d+)").group(1))
        conf = data / "gateway.toml"
        conf.write_text(_config(data / "gw.db", smsc_port, hooks.base))
        gateway = Process("run", "--config", str(conf), "--listen", "127.0.0.1:0")
        port = int(gateway.wait_for(r"API listening on 127\.0\.0\.1:(\d+)").group(1))
        gateway.wait_for(r"bind smsc-1 up")
        yield Client(ACCOUNT, TOKEN, http_client=GatewayHttpClient(f"http://127.0.0.1:{port}"))
        gateway.proc.send_signal(signal.SIGTERM)
        assert gateway.proc.wait(timeout=60) == 0
    finally:
        if gateway is not None:
            gateway.stop()
        smsc.stop()


def test_application_sid_callbacks_and_the_price_of_a_sent_message(client, hooks):
    body = "x" * 200  # two segments
    message = client.messages.create(to=TO, from_=FROM, body=body, application_sid=APP,
                                     max_price="0.0158")
    assert message.price is None and message.status == "queued"
    callbacks = hooks.wait_final(message.sid)
    assert {c["path"] for c in callbacks} == {"/app"}
    validator = RequestValidator(TOKEN)
    for callback in callbacks:
        form = dict(callback["form"])
        assert validator.validate(hooks.base + callback["path"], form,
                                  callback["headers"]["X-Twilio-Signature"])
    assert dict(callbacks[-1]["form"])["MessageStatus"] == "delivered"
    fetched = client.messages(message.sid).fetch()
    assert (fetched.price, fetched.price_unit, fetched.num_segments) == ("-0.01580", "USD", "2")
    assert float(fetched.price) == -0.0158


def test_max_price_below_the_price_fails_30010(client, hooks):
    message = client.messages.create(to=TO, from_=FROM, body="x" * 200, max_price="0.0157",
                                     status_callback=hooks.base + "/dear")
    callbacks = hooks.wait_final(message.sid)
    assert {c["path"] for c in callbacks} == {"/dear"}  # StatusCallback given: no application
    last = dict(callbacks[-1]["form"])
    assert (last["MessageStatus"], last["ErrorCode"]) == ("failed", "30010")
    fetched = client.messages(message.sid).fetch()
    assert (fetched.status, fetched.error_code, fetched.price) == ("failed", 30010, None)
    assert fetched.error_message == "Message price exceeds max price"
