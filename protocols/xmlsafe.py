"""Parsing XML from peers we do not trust (MMSCs, customers' sms_url answers).

Rules, in order:

* a size cap first;
* any DOCTYPE or ENTITY declaration is refused outright, also when the
  document is UTF-16 (the check looks past the NUL octets).  Neither SOAP 1.1
  (section 3) nor RCML allows a DTD, and refusing it alone stops XXE and
  entity-expansion bombs;
* the lxml parser itself runs with entity resolution, DTD loading and network
  access disabled, as a second wall, and a DOCTYPE that still got through is
  refused after parsing.

Every refusal is an ``UnsafeXmlError`` (a ValueError); callers turn it into
their own protocol error.  Pure: lxml only.
"""
from __future__ import annotations

import re

from lxml import etree

MAX_XML_BYTES = 256 * 1024  # an MM7 envelope or an RCML answer is a few KB

_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class UnsafeXmlError(ValueError):
    """XML that is too big, declares a DTD or entity, or is malformed."""


def hardened_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_untrusted(data: bytes, *, max_bytes: int = MAX_XML_BYTES) -> etree._Element:
    """The root element of ``data``; ``UnsafeXmlError`` for anything refused."""
    if len(data) > max_bytes:
        raise UnsafeXmlError(f"XML document is {len(data)} bytes, over the {max_bytes}-byte cap")
    if _DECLARATION.search(data.replace(b"\x00", b"")):
        raise UnsafeXmlError("DTDs and entity declarations (DOCTYPE, ENTITY) are not allowed")
    try:
        root = etree.fromstring(data, hardened_parser())
    except etree.XMLSyntaxError as exc:
        raise UnsafeXmlError(f"malformed XML: {exc}") from None
    except ValueError as exc:  # e.g. unicode strings with encoding declarations
        raise UnsafeXmlError(f"malformed XML: {exc}") from None
    if root is None:
        raise UnsafeXmlError("empty XML document")
    if root.getroottree().docinfo.doctype:
        raise UnsafeXmlError("DTDs and entity declarations (DOCTYPE, ENTITY) are not allowed")
    return root


def localname(element: etree._Element) -> str:
    """The tag without namespace or prefix; "" for comments and the like."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].split(":")[-1]
