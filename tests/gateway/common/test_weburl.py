"""The one URL parser of intake and the callback sender."""
import pytest
from hypothesis import given, settings, strategies as st

from gateway.common.weburl import BadUrl, parse

REFUSED = [
    "http://[::1/x",  # malformed IPv6
    "http://[::1]x/",
    "http://[fe80::1%25eth0]/",  # zones are not for the public internet
    "http://a..b/cb",
    "http://" + "a" * 64 + ".com/",
    "http://" + ".".join(["a" * 60] * 5) + "/",  # over 253
    "http://a b/",
    "http://ex%41mple.com/",
    "http://\ud800.com/",
    "http://e.com/\ud800",
    "http://e.com/\x00",
    "http://e.com/a\tb",
    "http://h:99999/",
    "http://h:0/",
    "http://h:-1/",
    "http://h:8x/",
    "http://h:/",
    "http://-a.com/",
    "http://a-.com/",
    "http://a!b.com/",
    "http://256.1.1.1/",
    "http://1.2.3/",
    "ftp://e.com/",
    "http:e.com",
    "http:///x",
    "//e.com/x",
    "not a url",
    "",
    "http://@/",
    "http://u:p@/x",
    "http://[::1]]/",
    "http://²/",  # IDNA maps it to "2", which is neither a name nor an address
    "http://１２７.0.0.1/",
]


@pytest.mark.parametrize("url", REFUSED)
def test_refused(url):
    with pytest.raises(BadUrl):
        parse(url)


@pytest.mark.parametrize("value", [None, 5, b"http://e.com/", ["http://e.com/"]])
def test_not_a_string(value):
    with pytest.raises(BadUrl):
        parse(value)


@pytest.mark.parametrize("url, request_url, port", [
    ("http://e.com", "http://e.com/", 80),
    ("HTTPS://E.COM:8443/cb?x=1#frag", "https://e.com:8443/cb?x=1", 8443),
    ("http://[::1]:9/x", "http://[::1]:9/x", 9),
    ("http://[0:0::1]/", "http://[::1]/", 80),
    ("http://127.0.0.1:65535/", "http://127.0.0.1:65535/", 65535),
    ("http://bücher.de/grüße?q=ä", "http://xn--bcher-kva.de/gr%C3%BC%C3%9Fe?q=%C3%A4", 80),
    ("http://my_host.internal/", "http://my_host.internal/", 80),
    ("http://e.com./a", "http://e.com/a", 80),
    ("http://e.com?x=1", "http://e.com/?x=1", 80),
    ("http://e.com/a%20b", "http://e.com/a%20b", 80),
])
def test_accepted_and_normalised(url, request_url, port):
    parsed = parse(url)
    assert parsed.request_url == request_url and parsed.port == port
    assert parse(parsed.text) == parsed  # normalising twice changes nothing


def test_credentials_are_split_out():
    parsed = parse("https://AC1:s%3Acret@hooks.example.com/status?token=t")
    assert parsed.auth == ("AC1", "s:cret")
    assert parsed.request_url == "https://hooks.example.com/status?token=t"
    assert parsed.safe == "https://hooks.example.com/status"  # no query, no credentials
    assert parse(parsed.text).auth == ("AC1", "s:cret")
    assert parse("http://user@e.com/").auth == ("user", "")


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=60))
def test_anything_parses_or_is_refused_cleanly(tail):
    for url in ("http://" + tail, "https://e.com/" + tail, tail):
        try:
            parsed = parse(url)
        except BadUrl:
            continue
        assert parsed.request_url.isascii()
        assert parse(parsed.text) == parsed
        parsed.request_url.encode("ascii")
