"""The MMSC simulator in-process: Clock for time, StubTreq for HTTP both ways
(SubmitReq into the simulator, reports and inbound MMS into a real
``Mm7Root`` endpoint)."""
from __future__ import annotations

import pytest
from treq.testing import StubTreq
from twisted.internet.task import Clock
from twisted.web.resource import Resource

from gateway.mms.endpoint import Mm7Root
from gateway.simulators.mmsc.config import MmscConfig, parse_mix
from gateway.simulators.mmsc.server import MmscSimulator, sample_png
from protocols.mm7.content import MediaItem
from protocols.mm7.envelope import Dialect
from protocols.mm7.messages import read_submit_response
from protocols.mm7.parse import read_envelope
from protocols.mm7.submit import SubmitRequest, build_submit

GW = "http://gateway.test/mm7/mmsc-a"


class Gateway:
    def __init__(self):
        self.reports, self.delivered = [], []
        self.root = Mm7Root(lambda c, r: self.reports.append((c, r)), lambda c, m: self.delivered.append((c, m)))
        top = Resource()
        top.putChild(b"mm7", self.root)
        self.http = StubTreq(top)


def make(**config):
    clock, gw = Clock(), Gateway()
    sim = MmscSimulator(clock, gw.http, MmscConfig(report_url=GW, **config))
    return clock, gw, sim


def submit(sim, req=None, dialect=Dialect()):
    req = req or SubmitRequest("+15550001111", ("+15552223333",), body="hi",
                               media=(MediaItem("image/png", b"\x89PNG" * 100),))
    ctype, body = build_submit(req, dialect, "tid-7", "b")
    results = []
    sim.handle_submit(ctype, body, None).addCallback(results.append)
    return results


def answer(results):
    ((code, body),) = results
    return code, read_submit_response(read_envelope("text/xml", body))


@pytest.mark.parametrize("dialect", [Dialect("6.8.0"), Dialect("5.3.0", prefix=False)])
def test_submit_answered_then_report_posted_after_delay(dialect):
    clock, gw, sim = make(report_delay=5.0)
    results = submit(sim, dialect=dialect)
    code, rsp = answer(results)
    env = read_envelope("text/xml", results[0][1])
    assert (env.namespace, env.version) == (dialect.namespace, dialect.version)
    assert code == 200 and rsp.status_code == 1000 and rsp.message_id and rsp.transaction_id == "tid-7"
    clock.advance(4.9)
    gw.http.flush()
    assert gw.reports == []
    clock.advance(0.1)
    gw.http.flush()
    ((carrier, report),) = gw.reports
    assert carrier == "mmsc-a" and report.message_id == rsp.message_id and report.mm_status == "Retrieved"
    assert report.recipient == "+15552223333"
    assert sim.stats["reports_ok"] == 1 and not clock.getDelayedCalls()


def test_invalid_submit_refused_with_validation_error():
    clock, gw, sim = make()
    req = SubmitRequest("+1555", ("+1666",), extra={"Priority": "Urgent"})  # not in the enumeration
    code, rsp = answer(submit(sim, req))
    assert code == 500 and rsp.fault and rsp.status_code == 4004
    assert sim.stats["invalid"] == 1 and not clock.getDelayedCalls()


def test_fault_injection_and_size_rejection():
    _, _, sim = make(fault_rate=1.0, fault_code=3001)
    assert answer(submit(sim))[1].status_code == 3001
    _, _, sim = make(max_size=100)
    code, rsp = answer(submit(sim))
    assert rsp.status_code == 2004 and "size" in rsp.status_text.lower()


def test_slow_answers_wait_on_the_clock():
    clock, gw, sim = make(slow=3.0, report_delay=1.0)
    results = submit(sim)
    assert results == []
    clock.advance(3.0)
    assert answer(results)[1].status_code == 1000
    sim.stop()
    assert not clock.getDelayedCalls()


def test_status_mix_is_seeded_and_weighted():
    mix = parse_mix("Retrieved=2,Expired=1,rejected")
    assert mix == (("Retrieved", 2.0), ("Expired", 1.0), ("Rejected", 1.0))
    first = [MmscSimulator(Clock(), None, MmscConfig(status_mix=mix, seed=3)).pick_status() for _ in range(5)]
    sim = MmscSimulator(Clock(), None, MmscConfig(status_mix=mix, seed=3))
    picks = [sim.pick_status() for _ in range(400)]
    assert picks[:1] == first[:1]
    assert 150 < picks.count("Retrieved") < 250 and set(picks) == {"Retrieved", "Expired", "Rejected"}
    with pytest.raises(ValueError):
        parse_mix("Lost=1")


def test_report_retried_when_gateway_fails():
    clock, gw, sim = make(report_delay=1.0, report_attempts=2)
    calls = []

    def flaky(carrier, report):
        calls.append(report)
        if len(calls) == 1:
            raise RuntimeError("store down")

    gw.root.on_delivery_report = flaky
    submit(sim)
    for _ in range(3):
        clock.advance(1.0)
        gw.http.flush()
    assert len(calls) == 2 and sim.stats["reports_failed"] == 1 and sim.stats["reports_ok"] == 1


def test_send_deliver_reaches_endpoint_with_media():
    clock, gw, sim = make()
    codes = []
    sim.send_deliver("+15557770000", "+15550100", "hello", [sample_png()], "subj").addCallback(codes.append)
    gw.http.flush()
    assert codes == [200]
    ((carrier, mm),) = gw.delivered
    assert (mm.sender, mm.recipients, mm.text, mm.subject) == ("+15557770000", ("+15550100",), "hello", "subj")
    assert [m.content_type for m in mm.media] == ["image/png"] and mm.media[0].data == sample_png().data


def test_http_face_and_auth():
    clock, gw, sim = make(username="u", password="p")
    client = StubTreq(sim.resource())
    ctype, body = build_submit(SubmitRequest("+1555", ("+1666",)), Dialect(), "t", "b")
    r = client.post("http://mmsc/mm7", data=body, headers={"Content-Type": [ctype]})
    client.flush()
    assert r.result.code == 401
    r = client.post("http://mmsc/mm7", data=body, headers={"Content-Type": [ctype]}, auth=("u", "p"))
    client.flush()
    assert r.result.code == 200
    r = client.post("http://mmsc/control/deliver?from=%2B1555&to=%2B1666&text=yo&image=1")
    client.flush()
    gw.http.flush()
    client.flush()
    assert r.result.code == 200 and gw.delivered[0][1].text == "yo"
    sim.stop()
