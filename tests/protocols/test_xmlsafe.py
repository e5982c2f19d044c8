"""The shared hardened XML parser (MM7 envelopes, RCML answers)."""
from __future__ import annotations

import pytest

from protocols.xmlsafe import UnsafeXmlError, localname, parse_untrusted


def test_parses_plain_xml_without_comments_or_pis():
    root = parse_untrusted(b'<?xml version="1.0"?><a xmlns="urn:x"><!-- c --><?pi x?><b>t</b></a>')
    assert localname(root) == "a" and [localname(child) for child in root] == ["b"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-16-be"])
def test_declarations_refused_in_any_encoding(encoding):
    doc = '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'
    if encoding == "utf-16-be":
        doc = doc.replace('"1.0"?>', '"1.0" encoding="UTF-16BE"?>')
    with pytest.raises(UnsafeXmlError, match="DOCTYPE"):
        parse_untrusted(doc.encode(encoding))


@pytest.mark.parametrize("data, problem", [
    (b"<a>" + b"x" * 100 + b"</a>", "cap"),
    (b"<a><b></a>", "malformed"),
    (b"", "malformed"),
])
def test_refusals_name_the_problem(data, problem):
    with pytest.raises(UnsafeXmlError, match=problem):
        parse_untrusted(data, max_bytes=64)
