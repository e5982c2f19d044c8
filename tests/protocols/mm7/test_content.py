"""Size accounting counts the decoded MM: part headers + raw bodies."""
from protocols.mm7.content import MediaItem, build_mm, mm_parts, mm_size
from protocols.mm7.mime import parse_body


def test_size_is_headers_plus_raw_bodies_not_base64():
    media = [MediaItem("image/jpeg", b"\x00" * 30000), MediaItem("video/mp4", b"\x01" * 1000)]
    parts = mm_parts("hi", media)
    expected = sum(len(p.headers()) + len(p.body) for p in parts)
    assert mm_size("hi", media) == expected
    assert 31000 < expected < 31000 + 2000  # raw media plus a little SMIL/headers
    _, wire = build_mm("hi", media, "b")
    assert len(wire) > 30000 * 4 // 3  # the wire form is base64, bigger


def test_size_grows_by_exactly_the_media():
    small = mm_size("", [MediaItem("image/png", b"x" * 10)])
    big = mm_size("", [MediaItem("image/png", b"x" * 1010)])
    assert big - small == 1000


def test_mm_round_trips_through_the_lenient_reader():
    ctype, wire = build_mm("héllo", [MediaItem("image/png", b"\x89PNG\r\n\x1a\n")], "bb", mixed=True)
    root = parse_body(ctype, wire)
    assert [p.content_type for p in root.parts] == ["application/smil", "text/plain", "image/png"]
    assert root.parts[1].text() == "héllo" and root.parts[2].data == b"\x89PNG\r\n\x1a\n"
