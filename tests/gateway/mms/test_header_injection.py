"""A content type with CR/LF never becomes a header at the MMSC: refused at
API intake and in RCML, refused by the media fetch, and the MIME builder
(the email package) cannot write it anyway."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import pytest_twisted

from gateway.messages.errors import ApiError
from gateway.api.intake import new_message
from gateway.sms.inbound.rcml import RcmlError, parse_rcml
from gateway.dispatch.outcomes import Failed, Sent

from tests.gateway.mms.helpers import png, row
from tests.gateway.mms.test_loopback import _cleanup, start, world  # noqa: F401  (fixtures)

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
INJECTED = "image/png\r\nX-Injected: yes"


@pytest.fixture
def files():
    return {"/blob": ("application/octet-stream", png(8, 8)), "/pic.png": ("image/png", png(8, 8))}


def create(content_type):
    media = [{"url": "https://media.example/a.png", "content_type": content_type}]
    return new_message({"to": ["mms:+15552223333"], "from": ["mms:+15550001111"], "body": ["hi"],
                        "media_list": [json.dumps(media)]}, account_sid="AC1", api="messages", now=NOW)


@pytest.mark.parametrize("content_type", [INJECTED, "image/png\nX-Injected: yes", "image/", "png",
                                          "image/png; x"])
def test_intake_refuses_invalid_content_types(content_type):
    with pytest.raises(ApiError) as info:
        create(content_type)
    assert info.value.status == 400 and "\n" not in info.value.message
    if any(c in content_type for c in "\r\n"):  # refused by the text check every field passes
        assert info.value.code == 21100 and "control character" in info.value.message
    else:
        assert info.value.code == 21620 and "RFC 2045" in info.value.message


def test_intake_takes_valid_content_types():
    assert create("image/png; name=a.png")["media_list"][0]["content_type"] == "image/png; name=a.png"
    assert create(None)["media_list"][0]["content_type"] is None


def test_rcml_refuses_invalid_media_content_types():
    doc = ('<Response><Message><Body>hi</Body><Media contentType="image/png&#13;&#10;X-Injected: yes">'
           "https://media.example/a.png</Media></Message></Response>")
    with pytest.raises(RcmlError, match="RFC 2045"):
        parse_rcml(doc, sender="+1555", our_number="+1666")
    ok = doc.replace("&#13;&#10;X-Injected: yes", "")
    (reply,) = parse_rcml(ok, sender="+1555", our_number="+1666")
    assert reply.media[0].content_type == "image/png"


@pytest_twisted.inlineCallbacks
def test_injected_content_type_never_reaches_the_mmsc(world):  # noqa: F811
    sender, sim, media = yield start(world)
    received = []
    original = sim.handle_submit
    sim.handle_submit = lambda ctype, body, auth: received.append(body) or original(ctype, body, auth)
    stored_before_intake_checked = row(media=[{"url": media + "/blob", "content_type": INJECTED}])
    outcome = yield sender.send(stored_before_intake_checked, NOW)
    assert isinstance(outcome, Failed) and outcome.error_code == 12300, outcome
    named = row(media=[{"url": media + "/pic.png?x=%0d%0aX-Injected:%20yes", "content_type": "image/png"}])
    assert isinstance((yield sender.send(named, NOW)), Sent)
    assert len(received) == 1 and b"X-Injected" not in received[0]
    assert sim.stats["requests"] == 1
