"""SubmitReq: schema validity in every dialect, mustUnderstand, golden bodies."""
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings, strategies as st
from lxml import etree

from protocols.mm7 import schema
from protocols.mm7.content import MediaItem
from protocols.mm7.envelope import Dialect, to_bytes
from protocols.mm7.mime import split_soap
from protocols.mm7.submit import SubmitRequest, build_submit, submit_envelope
from protocols.mm7.parse import parse_xml

SOAP = "{http://schemas.xmlsoap.org/soap/envelope/}"

REQ = SubmitRequest(
    sender="mms:+15550001111", recipients=("mms:+15552223333",), body="hello",
    media=(MediaItem("image/png", b"\x89PNG..."),), vasp_id="vasp1", vas_id="vas1",
    service_code="svc", linked_id="L1", subject="Hi", expiry=14400)

DIALECTS = [Dialect("6.8.0", prefix=True), Dialect("6.8.0", prefix=False),
            Dialect("5.3.0", prefix=True), Dialect("5.3.0", prefix=False)]


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: f"{d.version}-{d.prefix}")
@pytest.mark.parametrize("req", [
    REQ,
    SubmitRequest(sender="12345", recipients=("+15552223333", "+15552224444")),
    SubmitRequest(sender="+18005550100", recipients=("+1555",), body="x",
                  expiry=datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)),
])
def test_every_submit_req_validates(dialect, req):
    ctype, body = build_submit(req, dialect, "tid-1", "b")
    xml, attachments = split_soap(ctype, body)
    root = parse_xml(xml)
    assert schema.validate(root) == []
    assert root.nsmap  # re-parsed from the wire, not our in-memory tree
    assert len(attachments) == 1 and attachments[0].content_id == "mm7-content"


def test_validator_rejects_what_the_schema_forbids():
    root = submit_envelope(REQ, Dialect(), "t")
    tid = root.find(f"{SOAP}Header")[0]
    tid.set(f"{SOAP}mustUnderstand", "true")
    assert any("mustUnderstand" in e for e in schema.validate(root))
    root = submit_envelope(REQ, Dialect(), "t")
    body = root.find(f"{SOAP}Body")[0]
    body.remove(body[2])  # Recipients
    assert schema.validate(root)
    foreign = submit_envelope(REQ, Dialect("6.8.0", "urn:not-mm7"), "t")  # lax would skip it
    assert any("not an MM7 element" in e for e in schema.validate(foreign))


def test_fields_and_must_understand():
    root = parse_xml(to_bytes(submit_envelope(REQ, Dialect("6.8.0"), "tid-9")))
    tid = root.find(f"{SOAP}Header")[0]
    assert etree.QName(tid).localname == "TransactionID" and tid.text == "tid-9"
    assert tid.get(f"{SOAP}mustUnderstand") == "1"
    ns = "{" + schema.REL6_1_4 + "}"
    sub = root.find(f"{SOAP}Body")[0]
    assert sub.findtext(f"{ns}MM7Version") == "6.8.0"
    assert sub.findtext(f"{ns}SenderIdentification/{ns}VASPID") == "vasp1"
    assert sub.findtext(f"{ns}SenderIdentification/{ns}SenderAddress/{ns}Number") == "+15550001111"
    assert sub.findtext(f"{ns}Recipients/{ns}To/{ns}Number") == "+15552223333"
    assert sub.findtext(f"{ns}ExpiryDate") == "PT14400S"
    assert sub.findtext(f"{ns}DeliveryReport") == "true"
    assert sub.findtext(f"{ns}LinkedID") == "L1"
    assert sub.find(f"{ns}Content").get("href") == "cid:mm7-content"


def test_short_code_sender_and_namespace_per_version():
    root = submit_envelope(SubmitRequest(sender="55555", recipients=("+1",)), Dialect("5.3.0"), "t")
    sub = root.find(f"{SOAP}Body")[0]
    assert etree.QName(sub).namespace == schema.REL5_1_0
    assert sub.findtext(".//{%s}ShortCode" % schema.REL5_1_0) == "55555"
    assert b"mm7:SubmitReq" in to_bytes(root)
    plain = to_bytes(submit_envelope(REQ, Dialect("6.8.0", prefix=False), "t"))
    assert b"<SubmitReq xmlns=" in plain and b"mm7:" not in plain


def test_unknown_version_refused():
    with pytest.raises(ValueError, match="mm7_version"):
        Dialect("9.9.9")


GOLDEN = (
    b'--g-soap\r\nContent-Type: text/xml; charset="utf-8"\r\nContent-ID: <mm7-soap>\r\n'
    b"Content-Transfer-Encoding: 8bit\r\n\r\n%(soap)s\r\n"
    b'--g-soap\r\nContent-Type: multipart/related; boundary="g-mm"; type="application/smil"; '
    b'start="<presentation.smil>"\r\nContent-ID: <mm7-content>\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
    b'--g-mm\r\nContent-Type: application/smil; charset="utf-8"\r\nContent-ID: <presentation.smil>\r\n'
    b"Content-Location: presentation.smil\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%(smil)s\r\n"
    b'--g-mm\r\nContent-Type: text/plain; charset="utf-8"\r\nContent-ID: <text.txt>\r\n'
    b"Content-Location: text.txt\r\nContent-Transfer-Encoding: 8bit\r\n\r\nhello\r\n"
    b"--g-mm\r\nContent-Type: image/png\r\nContent-ID: <media1.png>\r\nContent-Location: media1.png\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\niVBORy4uLg==\r\n\r\n"
    b"--g-mm--\r\n\r\n--g-soap--\r\n"
)


def test_golden_multipart_body():
    ctype, body = build_submit(REQ, Dialect(), "tid-1", "g")
    assert ctype == 'multipart/related; boundary="g-soap"; type="text/xml"; start="<mm7-soap>"'
    soap = to_bytes(submit_envelope(REQ, Dialect(), "tid-1"))
    smil = (b'<smil><head><layout><root-layout width="100%" height="100%"/>'
            b'<region id="Image" top="0%" left="0%" width="100%" height="75%" fit="meet"/>'
            b'<region id="Text" top="75%" left="0%" width="100%" height="25%" fit="scroll"/>'
            b'</layout></head><body><par dur="5000ms"><img src="media1.png" region="Image"/>'
            b'<text src="text.txt" region="Text"/></par></body></smil>')
    # Text parts go in MIME's canonical form: the envelope's line break after
    # the XML declaration is CRLF on the wire.
    assert body == GOLDEN % {b"soap": soap.replace(b"\n", b"\r\n"), b"smil": smil}


_numbers = st.one_of(st.from_regex(r"\+1[2-9]\d{9}", fullmatch=True), st.from_regex(r"\d{5,6}", fullmatch=True),
                     st.from_regex(r"\+18(00|33|44|55|66|77|88)\d{7}", fullmatch=True))
_media = st.builds(MediaItem, st.sampled_from(["image/jpeg", "image/png", "video/mp4", "audio/amr", "text/vcard"]),
                   st.binary(max_size=64))


@settings(max_examples=60)
@given(sender=_numbers, recipients=st.lists(_numbers, min_size=1, max_size=3), body=st.text(max_size=50),
       subject=st.none() | st.text(max_size=30), media=st.lists(_media, max_size=3),
       expiry=st.none() | st.integers(1, 172800) | st.datetimes(timezones=st.just(timezone.utc)),
       ids=st.tuples(st.text(max_size=8), st.text(max_size=8), st.text(max_size=8), st.text(max_size=8)),
       dialect=st.sampled_from(DIALECTS))
def test_any_submit_req_validates(sender, recipients, body, subject, media, expiry, ids, dialect):
    vasp, vas, service, linked = ids
    req = SubmitRequest(sender, tuple(recipients), body, tuple(media), vasp, vas, service, linked, subject, expiry)
    ctype, wire = build_submit(req, dialect, "tid", "hb")
    xml, attachments = split_soap(ctype, wire)
    assert schema.validate(parse_xml(xml)) == []
    leaves = attachments[0].leaves()
    assert [leaf.data for leaf in leaves[len(leaves) - len(media):]] == [m.data for m in media]
