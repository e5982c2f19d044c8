"""Parsing XML from MMSCs without trusting it.

Rules: a size cap first; any DOCTYPE is refused outright (SOAP 1.1 section 3
forbids DTDs in SOAP messages, and that alone stops XXE and entity-expansion
bombs); the lxml parser itself also runs with entity resolution, DTD loading
and network access disabled, as a second wall.
"""
from __future__ import annotations

import re

from lxml import etree

from protocols.mm7.errors import Mm7ParseError

MAX_XML_BYTES = 256 * 1024  # an MM7 envelope is a few KB; attachments are separate

_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(data: bytes, *, max_bytes: int = MAX_XML_BYTES) -> etree._Element:
    if len(data) > max_bytes:
        raise Mm7ParseError(f"XML part is {len(data)} bytes, over the {max_bytes}-byte cap")
    if _DOCTYPE.search(data):
        raise Mm7ParseError("DTDs and entity declarations are not allowed in MM7 messages")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise Mm7ParseError(f"malformed XML: {exc}") from None
    except ValueError as exc:  # e.g. unicode strings with encoding declarations
        raise Mm7ParseError(f"malformed XML: {exc}") from None
    if root is None:
        raise Mm7ParseError("empty XML document")
    return root


def localname(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].split(":")[-1]
