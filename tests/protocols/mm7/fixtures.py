"""MM7 bodies in the shapes real peers send, built by hand (never by our own
builder, whose output they must not depend on)."""
from __future__ import annotations

import base64
import random

NS5 = "http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-5-MM7-1-2"
NS6 = "http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4"
SENDER = "<mm7:Sender><mm7:Number>+15552223333</mm7:Number></mm7:Sender>"


def deliver_soap(*, sender: str = SENDER, href: str = "cid:mm-body") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:mm7="' + NS5 + '">'
        '<env:Header><mm7:TransactionID env:mustUnderstand="1">mo-9</mm7:TransactionID></env:Header>'
        "<env:Body><mm7:DeliverReq><mm7:MM7Version>5.3.0</mm7:MM7Version>"
        "<mm7:MMSRelayServerID>mmsc.example</mm7:MMSRelayServerID>" + sender +
        "<mm7:Recipients><mm7:To><mm7:Number>+15550100</mm7:Number></mm7:To></mm7:Recipients>"
        "<mm7:TimeStamp>2026-01-01T00:00:00Z</mm7:TimeStamp>"
        '<mm7:Content href="' + href + '"/></mm7:DeliverReq></env:Body></env:Envelope>'
    )


def deliver_with_parts(parts: list[tuple[str, bytes]], *, sender: str = SENDER) -> tuple[str, bytes]:
    """``(Content-Type, body)``: a DeliverReq whose MM holds ``parts``, each
    ``(header lines, raw body)``."""
    inner = b"".join(b"--inner\r\n" + headers.encode("latin-1") + b"\r\n\r\n" + data + b"\r\n"
                     for headers, data in parts) + b"--inner--\r\n"
    body = (b"--outer\r\nContent-Type: text/xml; charset=utf-8\r\nContent-ID: <soap>\r\n\r\n"
            + deliver_soap(sender=sender).encode() + b"\r\n--outer\r\n"
            b"Content-Type: multipart/related; boundary=inner\r\nContent-ID: <mm-body>\r\n\r\n"
            + inner + b"--outer--\r\n")
    return 'multipart/related; boundary=outer; type="text/xml"; start="<soap>"', body


def deliver_text(charset: str, data: bytes) -> tuple[str, bytes]:
    """A DeliverReq whose only part is text/plain in ``charset``."""
    return deliver_with_parts([(f"Content-Type: text/plain; charset={charset}", data)])


# An aggregator's DeliveryReportReq, as its documentation shows it: the
# Content-Type says multipart/related but names no boundary, and the body is
# the bare SOAP envelope.
AGGREGATOR_DR_TYPE = 'multipart/related; type="text/xml"; charset=UTF-8'
AGGREGATOR_DR = (
    '<?xml version="1.0" encoding="UTF-8"?>\r\n'
    '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">\r\n'
    "<SOAP-ENV:Header>\r\n"
    '<mm7:TransactionID xmlns:mm7="' + NS6 + '" SOAP-ENV:mustUnderstand="1">dr-0031</mm7:TransactionID>\r\n'
    "</SOAP-ENV:Header>\r\n<SOAP-ENV:Body>\r\n"
    '<DeliveryReportReq xmlns="' + NS6 + '">\r\n'
    "<MM7Version>6.8.0</MM7Version>\r\n<MMSRelayServerID>agg-relay-2</MMSRelayServerID>\r\n"
    "<MessageID>agg-7731</MessageID>\r\n"
    "<Recipient><Number>+15552223333</Number></Recipient>\r\n"
    "<Sender><ShortCode>12345</ShortCode></Sender>\r\n"
    "<Date>2026-01-01T00:00:05+00:00</Date>\r\n<MMStatus>Retrieved</MMStatus>\r\n"
    "<StatusText>Message retrieved</StatusText>\r\n"
    "</DeliveryReportReq>\r\n</SOAP-ENV:Body>\r\n</SOAP-ENV:Envelope>\r\n"
).encode()


def photo(size: int = 300 * 1024, seed: int = 7) -> bytes:
    """A JPEG-sized blob: a JPEG header and incompressible bytes."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + random.Random(seed).randbytes(size - 11)


def mmsc_mo_without_sender(picture: bytes) -> tuple[str, bytes]:
    """An MMSC's MO with no Sender element (a hidden sender): SMIL, text and
    a ~300 KB photo, base64 in 76-column lines."""
    encoded = base64.encodebytes(picture).replace(b"\n", b"\r\n").rstrip(b"\r\n")
    smil = b'<smil><body><par dur="5s"><img src="photo.jpg"/><text src="text.txt"/></par></body></smil>'
    return deliver_with_parts([
        ("Content-Type: application/smil\r\nContent-ID: <smil>", smil),
        ("Content-Type: text/plain; charset=utf-8\r\nContent-Location: text.txt", "Grüße aus Köln".encode()),
        ('Content-Type: image/jpeg; name="photo.jpg"\r\nContent-Location: photo.jpg\r\n'
         "Content-Transfer-Encoding: base64", encoded),
    ], sender="")
