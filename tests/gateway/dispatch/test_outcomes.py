"""The senders the dispatcher sends through are ``Sender``s: the SMPP and the
MM7 one and the shipped fake, checked against the protocol (members and
method parameters)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from treq.testing import StubTreq
from twisted.internet.task import Clock
from twisted.web.resource import Resource

from gateway.carriers.smpp.testing import ScriptedCarrier
from gateway.config import model as config
from gateway.dispatch.outcomes import NotSent, Sender, Sent
from gateway.dispatch.testing import ScriptedSender
from gateway.mms.sender import MmsSender
from gateway.sms.outbound.sender import SmsSender
from gateway.sms.outbound.submit_sm import References

from tests.conformance import mismatches
from tests.gateway.mms.helpers import carrier as mm7_carrier

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
SMPP = """
[[carriers]]
name = "a"
host = "h"
port = 1
system_id = "s"
routes = ["+1"]
"""


def test_the_sms_sender_is_a_sender():
    cfg = config.loads(SMPP).carriers[0]
    sender = SmsSender(cfg, ScriptedCarrier("a"), Clock(), References())
    assert mismatches(sender, Sender) == []
    assert sender.is_up is True and sender.name == "a"


def test_the_mms_sender_is_a_sender():
    sender = MmsSender(mm7_carrier("http://mmsc/mm7"), StubTreq(Resource()), Clock(), fetcher=None)
    assert mismatches(sender, Sender) == []


def test_a_sender_missing_a_member_or_with_other_parameters_is_caught():
    class NoSend:
        name, is_up = "x", True

    class OtherSend(NoSend):
        def send(self, row, now, extra):
            raise NotImplementedError

    assert mismatches(NoSend(), Sender) == ["not a Sender: missing ['send']"]
    assert [p.split("(")[0] for p in mismatches(OtherSend(), Sender)] == ["send"]


def test_the_scripted_sender_is_a_sender_like_the_sms_one():
    assert mismatches(ScriptedSender("a"), Sender, like=SmsSender) == []


def test_the_scripted_sender_answers_in_script_order_then_sends():
    crash = RuntimeError("boom")
    sender = ScriptedSender("a", script=[NotSent("no bind"), crash, "hold"])
    results = []
    for n in range(4):
        sender.send({"sid": f"SM{n}"}, NOW).addBoth(results.append)
    assert results[0] == NotSent("no bind")
    assert results[1].value is crash
    assert results[2] == Sent(((1, 1, None, "a-4"),))  # the held one has not answered yet
    assert sender.sids == ["SM0", "SM1", "SM2", "SM3"] and len(sender.held) == 1
    with pytest.raises(ValueError, match="unknown script action 'ok'"):
        ScriptedSender("a", script=["ok"])
