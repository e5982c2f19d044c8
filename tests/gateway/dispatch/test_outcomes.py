"""The senders the dispatcher sends through are ``Sender``s: the SMPP and the
MM7 one, checked against the protocol (members and method parameters)."""
from __future__ import annotations

from treq.testing import StubTreq
from twisted.internet.task import Clock
from twisted.web.resource import Resource

from gateway.carriers.smpp.testing import ScriptedCarrier
from gateway.config import model as config
from gateway.dispatch.outcomes import Sender
from gateway.mms.sender import MmsSender
from gateway.sms.outbound.sender import SmsSender
from gateway.sms.outbound.submit_sm import References

from tests.conformance import mismatches
from tests.gateway.mms.helpers import carrier as mm7_carrier

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
