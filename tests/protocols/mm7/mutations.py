"""Structure-aware mutations of MM7 requests for the fuzz tests.

A request starts as a valid DeliverReq or DeliveryReportReq built from its
structure (the SOAP body's elements, the MIME parts and their headers); at
each place where real peers and attackers differ from the specification a
draw keeps the valid value or replaces it: charsets, transfer encodings,
boundaries, Content-IDs, nesting, missing and repeated elements,
namespaces, hostile text, truncation.  Most inputs stay close to valid, so
they get past the MIME and XML parsers to the readers behind them, which
byte-level fuzzing rarely reaches.
"""
from __future__ import annotations

import base64

from hypothesis import strategies as st

from .fixtures import NS5, NS6

CHARSETS = ["x-unknown", "idna", "punycode", "base64", "rot13", "unicode_escape", "raw_unicode_escape",
            "undefined", "", '"', "utf-8'en'", "a\x00b", "\u00e9", "utf-16", "utf-7", "hz", "utf-32-be", "zlib",
            "iso-8859-1", "us-ascii", "cp1252"]
ENCODINGS = ["base64", "BASE64", "quoted-printable", "8bit", "7bit", "binary", "x-uuencode", "uue", "gzip",
             "bogus", ""]
TYPES = ["image/jpeg", "application/smil", "text/xml", "multipart/mixed", "multipart/related", "message/rfc822",
         "application/octet-stream", "text/x-vcard", "", "bogus", "image/", "/x", "text/plain/extra", "TEXT/PLAIN"]
NAMESPACES = [NS6, "", "urn:other", "http://schemas.xmlsoap.org/soap/envelope/"]
HOSTILE = ["", " ", "]]>", "&amp;", "&#0;", "&bogus;", "<x/>", "\u202e", "x" * 300, "tel:", "+", "/TYPE=PLMN",
           "\ud7ff", "1e999", "-1", "99999999999999999999"]
ADDRESS_TAGS = ["Number", "ShortCode", "RFC2822Address"]
OPS = ["DeliverReq", "DeliveryReportReq"]


def maybe(draw, valid, choices, odds: int = 4):
    """``valid`` most of the time; one of ``choices`` with chance 1/odds."""
    if draw(st.integers(0, odds - 1)) != 0:
        return valid
    return draw(st.sampled_from(choices))


def _escape(text: str) -> str:
    return text if text.startswith(("<", "&")) else text.replace("&", "&amp;").replace("<", "&lt;")


@st.composite
def address(draw, name: str) -> str:
    tag = maybe(draw, "Number", ADDRESS_TAGS + ["To", "Bogus"])
    value = maybe(draw, "+15550100", HOSTILE + ["tel:+15550100/TYPE=PLMN", "12345", "a@b.example"])
    inner = f"<{tag}>{_escape(value)}</{tag}>"
    if name == "Recipients":
        inner = maybe(draw, f"<To>{inner}</To>", [inner, f"<Cc>{inner}</Cc>", ""])
    return f"<{name}>{inner}</{name}>"


@st.composite
def soap(draw, op: str) -> bytes:
    fields = [("MM7Version", "6.8.0"), ("MMSRelayServerID", "relay")]
    if op == "DeliverReq":
        fields += [("Sender", None), ("Recipients", None), ("Subject", "pic"), ("Content", None)]
    else:
        fields += [("MessageID", "m-1"), ("Recipient", None), ("Sender", None), ("MMStatus", "Retrieved"),
                   ("Date", "2026-01-01T00:00:00Z"), ("StatusText", "ok")]
    out = []
    for name, text in fields:
        how = maybe(draw, "keep", ["drop", "twice", "hostile", "empty"], odds=6)
        if how == "drop":
            continue
        if text is None and name != "Content":
            piece = draw(address(name))
        elif name == "Content":
            href = maybe(draw, "cid:mm", ["cid:<mm>", "mm", "", "cid:nowhere", "cid:%3Cmm%3E", "CID:MM"])
            piece = f'<Content href="{href}"/>'
        elif how == "hostile":
            piece = f"<{name}>{_escape(draw(st.sampled_from(HOSTILE) | st.text(max_size=12)))}</{name}>"
        elif how == "empty":
            piece = f"<{name}/>"
        else:
            piece = f"<{name}>{text}</{name}>"
        out.append(piece * (2 if how == "twice" else 1))
    if draw(st.booleans()):
        out = draw(st.permutations(out))
    name = maybe(draw, op, ["ReadReplyReq", "SubmitReq", "Fault", "CancelReq"], odds=8)
    ns = maybe(draw, NS5, NAMESPACES, odds=6)
    tid = maybe(draw, "t-1", HOSTILE, odds=6)
    doc = ('<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/">'
           f'<env:Header><TransactionID xmlns="{NS5}" env:mustUnderstand="1">{_escape(tid)}</TransactionID>'
           f'</env:Header><env:Body><{name} xmlns="{ns}">{"".join(out)}</{name}></env:Body></env:Envelope>')
    prolog = maybe(draw, '<?xml version="1.0" encoding="UTF-8"?>',
                   ["", '<?xml version="1.0" encoding="x-unknown"?>', '<?xml version="1.0" encoding="latin-1"?>',
                    "\ufeff", '<!DOCTYPE x [<!ENTITY e "e">]>', '<?xml version="2.0"?>'], odds=8)
    data = (prolog + doc).encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 15)) == 0:
        data = data[:draw(st.integers(0, len(data)))]
    return data


@st.composite
def text_part(draw) -> bytes:
    """A text/plain part: its charset and encoding are where readers break."""
    charset = maybe(draw, "utf-8", CHARSETS, odds=2)
    value = f"text/plain; charset={charset}" if charset != "" else "text/plain"
    value = maybe(draw, value, [value + "; charset*=x'y'z", value + ";", "text/plain; charset=\"", value + "; format=flowed"])
    cte = maybe(draw, "8bit", ENCODINGS)
    payload = draw(st.binary(max_size=24) | st.text(max_size=24).map(lambda t: t.encode("utf-8", "surrogatepass")))
    if cte.lower() == "base64" and draw(st.booleans()):
        payload = base64.encodebytes(payload)
    return f"Content-Type: {value}\r\nContent-Transfer-Encoding: {cte}".encode("utf-8", "surrogateescape") + \
        b"\r\n\r\n" + payload


@st.composite
def media_part(draw, depth: int = 0) -> bytes:
    ctype = maybe(draw, "image/jpeg", TYPES)
    headers = [f"Content-Type: {ctype}"] if ctype else []
    if draw(st.booleans()):
        headers[-1:] = [headers[-1] + maybe(draw, '; name="a.jpg"', ["; name*=utf-8''%E9.png", "; name=",
                                                                   '; boundary="inner"', f"; charset={draw(st.sampled_from(CHARSETS))}"])] if headers else []
    cte = maybe(draw, "base64", ENCODINGS)
    headers.append(f"Content-Transfer-Encoding: {cte}")
    for name, valid, others in (("Content-ID", "<img>", ["img", "<>", "<" + "c" * 200 + ">", "cid:img"]),
                                ("Content-Location", "a.jpg", ["", "../../etc/passwd", "x" * 300, "\u00e9.jpg"])):
        if draw(st.booleans()):
            headers.append(f"{name}: {maybe(draw, valid, others)}")
    if ctype.startswith("multipart/") and depth < 2:
        children = draw(st.lists(st.one_of(text_part(), media_part(depth + 1)), max_size=3))
        payload = b"".join(b"--inner\r\n" + c + b"\r\n" for c in children) + maybe(draw, b"--inner--\r\n", [b"", b"--inner"])
    else:
        payload = draw(st.binary(max_size=24))
        if cte.lower() == "base64":
            payload = maybe(draw, base64.encodebytes(payload), [payload, b"!!!=", b"===="])
    return "\r\n".join(headers).encode("utf-8", "surrogateescape") + b"\r\n\r\n" + payload


@st.composite
def request(draw) -> tuple[str | None, bytes]:
    """``(Content-Type, body)`` of a mutated MM7 request."""
    op = draw(st.sampled_from(OPS))
    envelope = draw(soap(op))
    bare = draw(st.integers(0, 5)) == 0 if op == "DeliveryReportReq" else draw(st.integers(0, 15)) == 0
    if bare:
        ctype = maybe(draw, 'text/xml; charset="utf-8"', [None, 'multipart/related; type="text/xml"',
                                                           "application/soap+xml", "multipart/related", "text/xml; charset=x-unknown"])
        return ctype, envelope
    mm = draw(st.lists(st.one_of(text_part(), media_part()), min_size=1, max_size=4))
    inner = b"".join(b"--inner\r\n" + p + b"\r\n" for p in mm) + maybe(draw, b"--inner--\r\n", [b"", b"--inner-"])
    mm_type = maybe(draw, "multipart/related; boundary=inner", ["multipart/mixed; boundary=inner", "multipart/related",
                                                               "multipart/related; boundary=wrong", "text/plain"])
    parts = [b'Content-Type: text/xml; charset="utf-8"\r\nContent-ID: <soap>\r\n\r\n' + envelope,
             f"Content-Type: {mm_type}\r\nContent-ID: <mm>\r\n\r\n".encode() + inner]
    if draw(st.integers(0, 5)) == 0:
        parts.reverse()
    eol = maybe(draw, b"\r\n", [b"\n"])
    body = b"".join(b"--outer" + eol + p.replace(b"\r\n", eol) + eol for p in parts)
    body += maybe(draw, b"--outer--" + eol, [b"", b"--outer-"])
    ctype = maybe(draw, 'multipart/related; boundary="outer"; type="text/xml"; start="<soap>"',
                  ["multipart/related; boundary=outer", "multipart/mixed; boundary=outer; start=nowhere",
                   'multipart/related; type="text/xml"', "multipart/related; boundary*=utf-8''outer", "text/xml",
                   'multipart/related; boundary="wrong"', None])
    return ctype, body
