"""Mm7Client in memory: StubTreq in front of the simulator or a scripted MMSC,
a Clock for the backoff."""
from __future__ import annotations

from treq.testing import StubTreq
from twisted.internet.task import Clock
from twisted.web.resource import Resource

from gateway.mms.client import Mm7Client
from gateway.simulators.mmsc.config import MmscConfig
from gateway.simulators.mmsc.server import MmscSimulator
from protocols.mm7.envelope import Dialect
from protocols.mm7.responses import fault, response
from protocols.mm7.status import Verdict
from protocols.mm7.submit import SubmitRequest, build_submit

D = Dialect()
CTYPE, BODY = build_submit(SubmitRequest("+1555", ("+1666",), body="x"), D, "t", "b")


class Scripted(Resource):
    isLeaf = True

    def __init__(self, *answers):
        super().__init__()
        self.answers, self.requests = list(answers), []

    def render_POST(self, request):
        self.requests.append((request.getHeader(b"authorization"), request.content.read()))
        code, body = self.answers.pop(0)
        request.setResponseCode(code)
        request.setHeader(b"content-type", b"text/xml")
        return body


def run(resource, clock=None, **kw):
    clock = clock or Clock()
    http = StubTreq(resource)
    mm7 = Mm7Client(http, clock, url="http://mmsc/mm7", **kw)
    results = []
    mm7.submit(CTYPE, BODY).addCallback(results.append)
    for _ in range(10):
        http.flush()
        clock.advance(60)
        http.flush()
    assert not clock.getDelayedCalls()
    return results[0]


def test_sent_against_simulator_with_basic_auth():
    clock = Clock()
    sim = MmscSimulator(clock, None, MmscConfig(username="vasp", password="pw"))
    result = run(sim.resource(), clock, username="vasp", password="pw")
    assert result.verdict is Verdict.SENT and result.message_id == sim.submissions[0][0]
    assert result.attempts == 1


def test_wrong_credentials_fail_without_retry():
    sim = MmscSimulator(Clock(), None, MmscConfig(username="vasp", password="pw"))
    result = run(sim.resource(), username="vasp", password="nope", retries=3)
    assert result.verdict is Verdict.FAILED and result.error_code == 30008 and result.attempts == 1
    assert "401" in result.error_message


def test_5xx_and_3xxx_retried_with_backoff_then_sent():
    ok = response(D, "SubmitRsp", "t", message_id="abc")
    mmsc = Scripted((503, b"busy"), (500, fault(D, "t", 3001, "not possible", error_element="RSErrorRsp")), (200, ok))
    clock = Clock()
    result = run(mmsc, clock, retries=2, backoff=1.0)
    assert result.verdict is Verdict.SENT and result.message_id == "abc" and result.attempts == 3


def test_retries_exhausted_give_30008():
    mmsc = Scripted(*[(503, b"")] * 3)
    result = run(mmsc, retries=2)
    assert (result.verdict, result.error_code, result.attempts) == (Verdict.FAILED, 30008, 3)
    assert "gave up after 3 attempts" in result.error_message and len(mmsc.requests) == 3


def test_client_errors_mapped_at_once():
    for code, text, expected in [(2002, "Address Error", 30005), (2004, "Multimedia content refused", 30007),
                                 (2004, "Message size exceeds limit", 30019), (4001, "who?", 30008)]:
        mmsc = Scripted((500, fault(D, "t", code, text, error_element="RSErrorRsp")))
        result = run(mmsc, retries=3)
        assert (result.verdict, result.error_code, result.status_code) == (Verdict.FAILED, expected, code)
        assert result.attempts == 1


def test_unreadable_answer_is_a_failure_not_a_crash():
    result = run(Scripted((200, b"<html>hello</html>")), retries=0)
    assert result.verdict is Verdict.FAILED and result.error_code == 30008


def test_no_answer_within_the_timeout_is_retried_then_30008():
    clock = Clock()
    sim = MmscSimulator(clock, None, MmscConfig(slow=30.0))
    result = run(sim.resource(), clock, timeout=5.0, retries=1, backoff=1.0)
    assert (result.verdict, result.error_code, result.attempts) == (Verdict.FAILED, 30008, 2)
    assert "no answer from MMSC within 5s" in result.error_message
    assert sim.stats["requests"] == 2
