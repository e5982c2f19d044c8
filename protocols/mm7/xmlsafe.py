"""Parsing XML from MMSCs without trusting it.

The rules (size cap, no DOCTYPE or ENTITY declaration at all - SOAP 1.1
section 3 forbids DTDs in SOAP messages - and a parser that never resolves
entities, loads a DTD or touches the network) live in the shared
``protocols.xmlsafe``; this module only turns its refusals into
``Mm7ParseError`` (MessageFormatCorrupt).
"""
from __future__ import annotations

from lxml import etree

from protocols.mm7.errors import Mm7ParseError
from protocols.xmlsafe import MAX_XML_BYTES, UnsafeXmlError, localname, parse_untrusted

__all__ = ["MAX_XML_BYTES", "localname", "parse_xml"]


def parse_xml(data: bytes, *, max_bytes: int = MAX_XML_BYTES) -> etree._Element:
    try:
        return parse_untrusted(data, max_bytes=max_bytes)
    except UnsafeXmlError as exc:
        raise Mm7ParseError(f"MM7 XML refused: {exc}") from None
