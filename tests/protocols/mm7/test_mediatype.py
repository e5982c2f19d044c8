"""Media types by the RFC 2045 grammar, and MIME parts built by the email
package: no header value can carry a line break onto the wire."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from protocols.mm7.content import MediaItem, mm_parts
from protocols.mm7.mediatype import InvalidMediaType, is_media_type, parse_media_type
from protocols.mm7.mime import parse_body
from protocols.mm7.mimebuild import Part, multipart

GOOD = ["image/png", "IMAGE/PNG", "text/plain; charset=utf-8", 'text/plain;charset="utf-8"',
        "application/vnd.wap.mms-message", "image/svg+xml", 'multipart/related; boundary="a b"; start="<x>"',
        "image/png;", 'text/plain; name="a\\"b"', "audio/amr\t; rate=8000"]
BAD = ["image/png\r\nX-Injected: yes", "image/png\nX-Injected: yes", "image/png\rX", "image/png; a=b\r\nX: y",
       'text/plain; name="a\r\nX: y"', "image/", "/png", "image", "", " ", "image/png; x", "image/png; =x",
       "image png", "image/png png", "image/pn\u0261", "image/png\x00", "image/png; a=b c", "im@ge/png",
       "image/png; a=\"unterminated", "x/" + "y" * 300]


@pytest.mark.parametrize("value", GOOD)
def test_valid_media_types(value):
    assert is_media_type(value)


@pytest.mark.parametrize("value", BAD)
def test_invalid_media_types(value):
    with pytest.raises(InvalidMediaType):
        parse_media_type(value)


def test_parameters_are_read_and_unquoted():
    media = parse_media_type('Text/Plain; Charset="utf-8"; name="a\\"b"')
    assert (media.essence, media.param("charset"), media.param("NAME")) == ("text/plain", "utf-8", 'a"b')


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_anything_accepted_builds_one_part_that_reads_back(value):
    if not is_media_type(value):
        with pytest.raises(ValueError):
            Part(value, b"x").mime()
        return
    assert "\r" not in value and "\n" not in value
    ctype, body = multipart([Part(value, b"data", content_id="a")], "b0undary")
    (part,) = parse_body(ctype, body).parts
    assert part.content_type == parse_media_type(value).essence and part.content_id == "a"


@pytest.mark.parametrize("field", ["content_type", "content_id", "location"])
def test_no_header_value_can_inject_a_header(field):
    values = {"content_type": "image/png", "content_id": "a", "location": "a.png"}
    values[field] = values[field] + "\r\nX-Injected: yes"
    with pytest.raises(ValueError):
        multipart([Part(values.pop("content_type"), b"x", **values)], "b")


def test_media_file_names_are_used_only_when_plain():
    media = [MediaItem("image/png", b"1", "a\r\nX-Injected: yes.png"), MediaItem("image/png", b"2", "cat.png"),
             MediaItem("image/png", b"3", "cat.png"), MediaItem("image/jpeg", b"4", "x" * 65 + ".jpg")]
    names = [part.content_id for part in mm_parts("", media)[1:]]
    assert names == ["media1.png", "cat.png", "media3.png", "media4.jpg"]


def test_text_is_sent_in_crlf_form():
    ctype, body = multipart(mm_parts("one\ntwo\rthree\r\nfour", []), "b")
    assert b"one\r\ntwo\r\nthree\r\nfour" in body


def test_media_bytes_arrive_exactly_whatever_the_type():
    data = b"BEGIN:VCARD\nFN:A\rB\r\nEND:VCARD\n\xff"
    ctype, body = multipart(mm_parts("hi", [MediaItem("text/vcard", data)]), "b")
    assert parse_body(ctype, body).parts[-1].data == data
