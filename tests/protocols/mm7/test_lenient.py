"""Real-world shapes the readers must take: unknown charsets, a multipart
Content-Type without a boundary, a DeliverReq without Sender."""
from __future__ import annotations

import pytest

from protocols.mm7.errors import Mm7ParseError
from protocols.mm7.messages import UNKNOWN_SENDER, read_deliver, read_delivery_report
from protocols.mm7.mime import FALLBACK_CHARSET, decode_text
from protocols.mm7.parse import read_envelope

from .fixtures import (
    AGGREGATOR_DR, AGGREGATOR_DR_TYPE, deliver_text, deliver_with_parts, mmsc_mo_without_sender, photo,
)


@pytest.mark.parametrize("charset", ["x-unknown", "idna", "punycode", "base64", "unicode_escape", '"',
                                     "utf-8'en'", "a\x00b"])
def test_unknown_charset_falls_back_and_keeps_the_raw_bytes(charset):
    raw = "Grüße \\u00ff".encode("utf-8") + b" \xff"
    mm = read_deliver(read_envelope(*deliver_text(charset, raw)))
    assert mm.text == raw.decode(FALLBACK_CHARSET, errors="replace")
    ((kept,),) = [mm.media]
    assert (kept.content_type, kept.data) == ("text/plain", raw)


def test_known_charsets_read_exactly_and_keep_no_copy():
    mm = read_deliver(read_envelope(*deliver_text("iso-8859-1", "Grüße".encode("latin-1"))))
    assert (mm.text, mm.media) == ("Grüße", ())
    assert decode_text("Grüße".encode(), None) == ("Grüße", True)
    assert decode_text(b"\xff", "utf-8") == ("\ufffd", False)


def test_boundaryless_multipart_over_bare_xml_is_read():
    report = read_delivery_report(read_envelope(AGGREGATOR_DR_TYPE, AGGREGATOR_DR))
    assert (report.message_id, report.mm_status, report.recipient, report.transaction_id) == \
        ("agg-7731", "Retrieved", "+15552223333", "dr-0031")


def test_wrong_or_missing_boundary_found_from_the_body():
    ctype, body = deliver_text("utf-8", b"hi")
    for wrong in ('multipart/related; type="text/xml"', "multipart/related; boundary=nope"):
        mm = read_deliver(read_envelope(wrong, body))
        assert mm.text == "hi" and mm.sender == "+15552223333"


def test_boundaryless_garbage_is_still_refused():
    with pytest.raises(Mm7ParseError) as info:
        read_envelope("multipart/related", b"just some text")
    assert info.value.status_code == 2007


def test_deliver_without_sender_is_read():
    picture = photo()
    mm = read_deliver(read_envelope(*mmsc_mo_without_sender(picture)))
    assert mm.sender == UNKNOWN_SENDER and mm.recipients == ("+15550100",)
    assert mm.text == "Grüße aus Köln"
    ((jpeg,),) = [mm.media]
    assert jpeg.content_type == "image/jpeg" and jpeg.data == picture and len(picture) >= 300 * 1024


def test_deliver_with_nothing_usable_is_a_4004_fault():
    ctype, body = deliver_with_parts([("Content-Type: application/smil", b"<smil/>")], sender="")
    body = body.replace(b"<mm7:Recipients><mm7:To><mm7:Number>+15550100</mm7:Number></mm7:To></mm7:Recipients>",
                        b"")
    with pytest.raises(Mm7ParseError) as info:
        read_deliver(read_envelope(ctype, body))
    assert info.value.status_code == 4004


def test_deep_nesting_is_a_clear_2007():
    inner = b"Content-Type: text/plain\r\n\r\nhi"
    for depth in range(40):
        b = f"b{depth}".encode()
        inner = (b"Content-Type: multipart/mixed; boundary=" + b + b"\r\n\r\n--" + b + b"\r\n" + inner
                 + b"\r\n--" + b + b"--")
    ctype, body = deliver_with_parts([])
    body = body.replace(b"Content-Type: multipart/related; boundary=inner\r\nContent-ID: <mm-body>\r\n\r\n"
                        b"--inner--\r\n", b"Content-ID: <mm-body>\r\n" + inner + b"\r\n")
    with pytest.raises(Mm7ParseError, match="nested deeper than 16") as info:
        read_envelope(ctype, body)
    assert info.value.status_code == 2007
