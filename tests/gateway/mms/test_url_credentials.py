"""An MM7 carrier ``url`` with ``user:password@`` is sent as HTTP Basic with
the credentials out of the URL, and the credentials never appear in a
customer-visible ``error_message`` or a log line (real loopback MMSC)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import pytest_twisted
from twisted.internet import reactor
from twisted.logger import formatEvent, globalLogPublisher

from gateway.mms.client import Redactor, split_userinfo
from gateway.mms.sender import MmsSender
from gateway.simulators.mmsc.config import MmscConfig
from gateway.simulators.mmsc.server import MmscSimulator
from gateway.dispatch.outcomes import Failed, Sent

from tests.gateway.mms.helpers import carrier, row
from tests.gateway.mms.loopback import http_client

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
USER, PASSWORD = "vasp-user", "s3cr@t:pw"
USERINFO = "vasp-user:s3cr%40t%3Apw"


def test_split_userinfo():
    assert split_userinfo(f"https://{USERINFO}@mmsc.example:8443/mm7?x=1") == \
        ("https://mmsc.example:8443/mm7?x=1", (USER, PASSWORD))
    assert split_userinfo("https://mmsc.example/mm7") == ("https://mmsc.example/mm7", None)
    assert split_userinfo("http://user@h/") == ("http://h/", ("user", ""))


def test_redactor_hides_plain_and_encoded_credentials():
    redact = Redactor(USER, PASSWORD, "ab")
    assert redact(f"no user {USER} / {PASSWORD} / {USERINFO} / ab") == "no user *** / *** / ***:*** / ab"
    assert redact(None) is None


@pytest.fixture
def log_lines():
    lines = []
    observer = lambda event: lines.append(formatEvent(event) + repr(event.get("log_failure", "")))  # noqa: E731
    globalLogPublisher.addObserver(observer)
    yield lines
    globalLogPublisher.removeObserver(observer)


@pytest_twisted.inlineCallbacks
def _send(url, **settings):
    sender = MmsSender(carrier(url, retries=1, **settings), http_client(), reactor, fetcher=None, backoff=0.01)
    return (yield sender.send(row(), NOW))


@pytest_twisted.inlineCallbacks
def test_userinfo_is_sent_as_basic_auth_and_kept_out_of_messages(log_lines):
    sim = MmscSimulator(reactor, http_client(), MmscConfig(username=USER, password=PASSWORD, report_url=None))
    port = yield sim.listen(reactor)
    where = f"127.0.0.1:{port.getHost().port}"
    try:
        outcome = yield _send(f"http://{USERINFO}@{where}/mm7")
        assert isinstance(outcome, Sent), outcome
        assert sim.stats["auth_failures"] == 0 and len(sim.submissions) == 1
        refused = yield _send(f"http://{USER}:wrong-password@{where}/mm7")
        assert isinstance(refused, Failed) and "401" in refused.error_message, refused
        assert sim.stats["auth_failures"] == 1
    finally:
        sim.stop()
        yield port.stopListening()
    unreachable = yield _send(f"http://{USERINFO}@{where}/mm7")  # the port is closed now
    assert isinstance(unreachable, Failed)
    for text in [refused.error_message, unreachable.error_message, *log_lines]:
        for secret in (USER, PASSWORD, USERINFO, "wrong-password"):
            assert secret not in text, text
