"""The /mm7/{carrier} endpoint: answers only after the hook's Deferred, faults
with MM7 statuses for anything wrong, never crashes."""
from __future__ import annotations

from treq.testing import StubTreq
from twisted.internet.defer import Deferred
from twisted.web.resource import Resource

from gateway.mms.endpoint import Mm7Root, Rejected
from protocols.mm7 import schema
from protocols.mm7.envelope import Dialect
from protocols.mm7.messages import read_submit_response
from protocols.mm7.parse import parse_xml, read_envelope, text_of
from protocols.mm7.responses import delivery_report_req

from tests.protocols.mm7.test_parse import AWKWARD_DELIVER, XXE

DR = delivery_report_req(Dialect("5.3.0", prefix=False), "tx-1", message_id="m-1", recipient="+1666",
                         sender="+1555", date="2026-01-01T00:00:00Z", mm_status="Expired")


def client(on_report=None, on_deliver=None, **kw):
    seen = []
    root = Mm7Root(on_report or (lambda c, r: seen.append((c, r))),
                   on_deliver or (lambda c, m: seen.append((c, m))), **kw)
    top = Resource()
    top.putChild(b"mm7", root)
    return StubTreq(top), seen


def post(http, body, ctype="text/xml", path="/mm7/mmsc-a", **kw):
    d = http.post("http://gw" + path, data=body, headers={"Content-Type": [ctype]}, **kw)
    http.flush()
    response = d.result
    content = http.content(response)
    http.flush()
    return response.code, content.result


def status(body: bytes):
    env = read_envelope("text/xml", body)
    return env, read_submit_response(env) if env.kind == "Fault" else None


def test_delivery_report_answered_in_the_mmsc_dialect():
    http, seen = client()
    code, body = post(http, DR)
    assert code == 200
    ((carrier, report),) = seen
    assert carrier == "mmsc-a" and report.mm_status == "Expired" and report.message_id == "m-1"
    root = parse_xml(body)
    assert schema.validate(root) == []
    env = read_envelope("text/xml", body)
    assert env.kind == "DeliveryReportRsp" and env.transaction_id == "tx-1"
    assert env.namespace == schema.REL5_1_0 and env.version == "5.3.0"
    assert text_of(env.body, "StatusCode") == "1000"


def test_answer_waits_for_the_hook():
    pending = Deferred()
    http, _ = client(on_report=lambda c, r: pending)
    d = http.post("http://gw/mm7/x", data=DR, headers={"Content-Type": ["text/xml"]})
    got = []
    d.addCallback(got.append)
    http.flush()
    assert got == []
    pending.callback(None)
    http.flush()
    assert [r.code for r in got] == [200]


def test_awkward_deliver_req_reaches_hook():
    http, seen = client()
    code, body = post(http, AWKWARD_DELIVER, 'multipart/related; boundary="outer"')
    assert code == 200 and read_envelope(None, body).kind == "DeliverRsp"
    ((_, mm),) = seen
    assert mm.text == "hello there" and mm.media[0].content_type == "image/jpeg"


def test_hook_failures_become_faults():
    def broken(c, r):
        raise RuntimeError("database is gone")

    http, _ = client(on_report=broken)
    code, body = post(http, DR)
    assert code == 500 and status(body)[1].status_code == 3000
    http, _ = client(on_report=lambda c, r: (_ for _ in ()).throw(Rejected(2002, "unknown number")))
    code, body = post(http, DR)
    assert code == 500 and status(body)[1].status_code == 2002
    assert schema.validate(parse_xml(body)) == []


def test_bad_input_gets_client_error_faults():
    http, seen = client()
    for body, expected in [(b"<oops", 2007), (XXE, 2007), (b"", 2007),
                           (DR.replace(b"DeliveryReportReq", b"CancelReq"), 4003),
                           (DR.replace(b"<MessageID>m-1</MessageID>", b""), 4004)]:
        code, answer = post(http, body)
        assert code == 500, body
        assert status(answer)[1].status_code == expected
    assert seen == []


def test_body_cap_auth_and_unknown_carrier():
    http, seen = client(max_body=100)
    code, answer = post(http, DR)
    assert code == 500 and "cap" in status(answer)[1].status_text
    http, seen = client(carriers={"mmsc-a"}, credentials={"mmsc-a": ("mmsc", "s3cret")})
    assert post(http, DR)[0] == 401
    assert post(http, DR, auth=("mmsc", "wrong"))[0] == 401
    assert post(http, DR, auth=("mmsc", "s3cret"))[0] == 200
    assert post(http, DR, path="/mm7/other")[0] == 404
    assert len(seen) == 1
