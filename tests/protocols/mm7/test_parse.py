"""Lenient reading of what real MMSCs send, and refusal of hostile XML."""
import base64

import pytest
from hypothesis import given, settings, strategies as st

from protocols.mm7.errors import Mm7Error, Mm7ParseError
from protocols.mm7.messages import (
    read_deliver, read_delivery_report, read_submit_request, read_submit_response,
)
from protocols.mm7.parse import read_envelope
from protocols.mm7.submit import SubmitRequest, build_submit
from protocols.mm7.content import MediaItem
from protocols.mm7.envelope import Dialect

NS5 = "http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-5-MM7-1-2"
JPEG = b"\xff\xd8\xff\xe0JFIF-bytes\x00\x01\x02"

# Wrong element order (Recipients before Sender, Subject before MM7Version),
# no MMSRelayServerID, mm7:href, upper-case BASE64, no start parameter,
# Content-IDs without angle brackets, LF line ends.
AWKWARD_DELIVER = (
    "--outer\n"
    "Content-Type: text/xml\n"
    "Content-ID: soap-part\n\n"
    '<?xml version="1.0"?>'
    '<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:mm7="' + NS5 + '">'
    "<env:Header><mm7:TransactionID env:mustUnderstand=\"1\">tx-42</mm7:TransactionID></env:Header>"
    "<env:Body><mm7:DeliverReq><mm7:Subject>pic</mm7:Subject><mm7:MM7Version>5.3.0</mm7:MM7Version>"
    "<mm7:Recipients><mm7:To><mm7:Number>+15550001111</mm7:Number></mm7:To></mm7:Recipients>"
    "<mm7:Sender><mm7:Number>+15552223333</mm7:Number></mm7:Sender>"
    '<mm7:Content mm7:href="cid:mm-body"/></mm7:DeliverReq></env:Body></env:Envelope>\n'
    "--outer\n"
    "Content-Type: multipart/mixed; boundary=inner\n"
    "Content-ID: mm-body\n\n"
    "--inner\n"
    "Content-Type: application/smil\n\n<smil/>\n"
    "--inner\n"
    "Content-Type: text/plain; charset=utf-8\n\nhello there\n"
    "--inner\n"
    "Content-Type: image/jpeg\n"
    "Content-ID: <img1>\n"
    "Content-Transfer-Encoding: BASE64\n\n" + base64.b64encode(JPEG).decode() + "\n"
    "--inner--\n"
    "--outer--\n"
).encode()


def test_awkward_deliver_req():
    env = read_envelope('multipart/related; boundary="outer"; type=text/xml', AWKWARD_DELIVER)
    assert env.kind == "DeliverReq" and env.transaction_id == "tx-42" and env.version == "5.3.0"
    mm = read_deliver(env)
    assert mm.sender == "+15552223333" and mm.recipients == ("+15550001111",)
    assert mm.subject == "pic" and mm.text == "hello there"
    assert [(m.content_type, m.data, m.content_id) for m in mm.media] == [("image/jpeg", JPEG, "img1")]


def test_deliver_without_href_takes_the_attachment():
    body = AWKWARD_DELIVER.replace(b'<mm7:Content mm7:href="cid:mm-body"/>', b"")
    mm = read_deliver(read_envelope('multipart/related; boundary=outer', body))
    assert len(mm.media) == 1 and mm.text == "hello there"


def test_deliver_without_sender_is_kept_with_an_empty_sender():
    body = AWKWARD_DELIVER.replace(b"<mm7:Sender><mm7:Number>+15552223333</mm7:Number></mm7:Sender>", b"")
    mm = read_deliver(read_envelope('multipart/related; boundary=outer', body))
    assert mm.sender == "" and mm.recipients == ("+15550001111",) and mm.text == "hello there"


def test_our_own_submit_reads_back():
    req = SubmitRequest("+1555", ("+1666",), body="yo", media=(MediaItem("image/gif", b"GIF89a"),))
    ctype, body = build_submit(req, Dialect("5.3.0", prefix=False), "t1", "zz")
    info = read_submit_request(read_envelope(ctype, body))
    assert info.sender == "+1555" and info.recipients == ("+1666",) and info.delivery_report
    leaves = info.content.leaves()
    assert [leaf.content_type for leaf in leaves] == ["application/smil", "text/plain", "image/gif"]
    assert leaves[2].data == b"GIF89a"


DR_NO_PREFIX = b"""<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
 <soap:Body>
  <DeliveryReportReq xmlns="http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4">
   <MMStatus>Retrieved</MMStatus>
   <MessageID> 0412345 </MessageID>
   <MM7Version>6.8.0</MM7Version>
   <Sender><Number>+15550001111</Number></Sender>
  </DeliveryReportReq>
 </soap:Body>
</soap:Envelope>"""


def test_delivery_report_lenient():
    report = read_delivery_report(read_envelope("text/xml; charset=utf-8", DR_NO_PREFIX))
    assert report.message_id == "0412345" and report.mm_status == "Retrieved"
    assert report.recipient is None and report.date is None and report.transaction_id is None
    assert report.sender == "+15550001111"


def test_delivery_report_without_message_id_refused():
    body = DR_NO_PREFIX.replace(b"<MessageID> 0412345 </MessageID>", b"")
    with pytest.raises(Mm7ParseError) as info:
        read_delivery_report(read_envelope(None, body))
    assert info.value.status_code == 4004  # well-formed, nothing usable: a validation error


def _rsp(inner: str) -> bytes:
    return ('<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="urn:x">'
            f"<S:Body>{inner}</S:Body></S:Envelope>").encode()


def test_submit_rsp_and_faults():
    ok = read_submit_response(read_envelope(None, _rsp(
        "<m:SubmitRsp><m:MessageID>abc</m:MessageID><m:Status><m:StatusText>ok</m:StatusText>"
        "<m:StatusCode>1000</m:StatusCode></m:Status></m:SubmitRsp>")))
    assert (ok.status_code, ok.message_id, ok.fault) == (1000, "abc", False)
    fault = read_submit_response(read_envelope(None, _rsp(
        "<S:Fault><faultcode>S:Client</faultcode><faultstring>Client error</faultstring><detail>"
        "<m:RSErrorRsp><m:Status><m:StatusCode>2004</m:StatusCode><m:StatusText>content refused"
        "</m:StatusText><m:Details>too big</m:Details></m:Status></m:RSErrorRsp></detail></S:Fault>")))
    assert fault.fault and fault.status_code == 2004 and "too big" in fault.status_text
    bare = read_submit_response(read_envelope(None, _rsp(
        "<S:Fault><faultcode>S:Server</faultcode><faultstring>boom</faultstring></S:Fault>")))
    assert bare.status_code == 3000 and bare.status_text == "boom"


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
<DeliveryReportReq><MessageID>&xxe;</MessageID><MMStatus>Retrieved</MMStatus></DeliveryReportReq>
</soap:Body></soap:Envelope>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><x>&lol9;</x></soap:Body></soap:Envelope>"""


@pytest.mark.parametrize("body", [XXE, LAUGHS, XXE.replace(b"DOCTYPE", b"doctype")])
def test_hostile_xml_refused(body):
    with pytest.raises(Mm7ParseError, match="DTD"):
        read_envelope("text/xml", body)


def test_size_cap():
    with pytest.raises(Mm7ParseError, match="cap"):
        read_envelope("text/xml", DR_NO_PREFIX + b" " * 100, max_bytes=len(DR_NO_PREFIX))


@pytest.mark.parametrize("body,ctype", [
    (b"", "text/xml"), (b"<not-closed", "text/xml"), (b"<a/>", "text/xml"),
    (b"--x\r\n\r\n--x--", "multipart/related; boundary=y"),
    (_rsp(""), "text/xml"), (b"<Envelope><Header/></Envelope>", None),
])
def test_malformed_is_a_parse_error(body, ctype):
    with pytest.raises(Mm7ParseError):
        read_envelope(ctype, body)


@settings(max_examples=150)
@given(st.binary(max_size=300), st.sampled_from([None, "text/xml", "multipart/related; boundary=b",
                                                  'multipart/related; boundary="b"; start="<x>"']))
def test_garbage_parses_or_raises_mm7_error(body, ctype):
    for prefix in (b"", b"--b\r\nContent-Type: text/xml\r\n\r\n"):
        try:
            env = read_envelope(ctype, prefix + body)
            for reader in (read_deliver, read_delivery_report, read_submit_response):
                try:
                    reader(env)
                except Mm7Error:
                    pass
        except Mm7Error:
            pass
