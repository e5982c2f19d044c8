"""Reading MM7 messages leniently.

Elements are found by local name anywhere under the body element, so wrong
element order, missing optional elements, any namespace or prefix (REL-5,
REL-6, none) and ``mm7:href`` all read the same.  What is *required* for us to
act is checked: a well-formed request with nothing usable in it (a
DeliveryReportReq without MessageID or MMStatus) is refused with 4004
(validation error), malformed XML or MIME with 2007; everything else is
``None`` when absent.  The XML itself is read by the shared hardened parser
(``protocols.xmlsafe``: size cap, no DOCTYPE or ENTITY at all, as SOAP 1.1
section 3 forbids DTDs); its refusals become ``Mm7ParseError`` (2007).
"""
from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from protocols.mm7.errors import UNSUPPORTED_OPERATION, VALIDATION_ERROR, Mm7ParseError
from protocols.mm7.mime import Attachment, find_content, split_soap
from protocols.mm7.schema import SOAP_ENV
from protocols.xmlsafe import MAX_XML_BYTES, UnsafeXmlError, localname, parse_untrusted


def parse_xml(data: bytes, *, max_bytes: int = MAX_XML_BYTES) -> etree._Element:
    """The root element of an MMSC's XML; ``Mm7ParseError`` for anything refused."""
    try:
        return parse_untrusted(data, max_bytes=max_bytes)
    except UnsafeXmlError as exc:
        raise Mm7ParseError(f"MM7 XML refused: {exc}") from None


@dataclass(frozen=True)
class Envelope:
    kind: str  # local name of the body element: "SubmitRsp", "Fault", "DeliverReq", ...
    body: etree._Element
    transaction_id: str | None
    namespace: str | None
    version: str | None
    attachments: tuple[Attachment, ...] = ()


def first(root: etree._Element, *names: str) -> etree._Element | None:
    wanted = set(names)
    for el in root.iter():
        if localname(el) in wanted:
            return el
    return None


def text_of(root: etree._Element, *names: str) -> str | None:
    el = first(root, *names)
    if el is None:
        return None
    value = "".join(el.itertext()).strip()
    return value or None


def attr(el: etree._Element | None, name: str) -> str | None:
    """An attribute by local name, whatever its namespace (``mm7:href``)."""
    if el is None:
        return None
    for key, value in el.attrib.items():
        if key.rsplit("}", 1)[-1].split(":")[-1] == name:
            return value
    return None


def read_envelope(content_type: str | None, body: bytes, *, max_bytes: int | None = None) -> Envelope:
    kw = {"max_bytes": max_bytes} if max_bytes else {}
    xml, attachments = split_soap(content_type, body, **kw)
    root = parse_xml(xml)
    if localname(root) != "Envelope":
        raise Mm7ParseError(f"not a SOAP envelope: root element is {localname(root)!r}")
    body_el = next((c for c in root if localname(c) == "Body"), None)
    if body_el is None:
        raise Mm7ParseError("SOAP envelope without a Body")
    children = [c for c in body_el if isinstance(c.tag, str)]
    if not children:
        raise Mm7ParseError("empty SOAP Body")
    msg = children[0]
    header = next((c for c in root if localname(c) == "Header"), None)
    tid = text_of(header, "TransactionID") if header is not None else None
    return Envelope(
        kind=localname(msg),
        body=msg,
        transaction_id=tid,
        namespace=etree.QName(msg).namespace,
        version=text_of(msg, "MM7Version"),
        attachments=tuple(attachments),
    )


def addresses(el: etree._Element | None) -> list[str]:
    if el is None:
        return []
    out = []
    for node in el.iter():
        if localname(node) in ("Number", "ShortCode", "RFC2822Address"):
            value = "".join(node.itertext()).strip()
            if value:
                out.append(value)
    return out


def status_of(el: etree._Element) -> tuple[int | None, str | None, str | None]:
    """``(StatusCode, StatusText, Details text)`` anywhere under ``el``."""
    raw = text_of(el, "StatusCode")
    code = None
    if raw:
        digits = "".join(ch for ch in raw if ch.isdigit())
        code = int(digits) if digits else None
    details = first(el, "Details")
    detail_text = " ".join("".join(details.itertext()).split()) if details is not None else None
    return code, text_of(el, "StatusText"), detail_text or None


def fault_strings(el: etree._Element) -> tuple[str | None, str | None]:
    """``(faultcode, faultstring)`` of a SOAP Fault."""
    return text_of(el, "faultcode"), text_of(el, "faultstring")


def require(env: Envelope, *kinds: str) -> None:
    if env.kind not in kinds:
        raise Mm7ParseError(f"unexpected MM7 operation {env.kind!r} (expected {' or '.join(kinds)})",
                            UNSUPPORTED_OPERATION)


def required_text(env: Envelope, name: str) -> str:
    value = text_of(env.body, name)
    if value is None:
        raise Mm7ParseError(f"{env.kind} without {name}", VALIDATION_ERROR)
    return value


def content_of(env: Envelope) -> Attachment | None:
    """The MM a ``Content href`` points at (any prefix on ``href``)."""
    href = attr(first(env.body, "Content"), "href")
    return find_content(list(env.attachments), href)


__all__ = ["Envelope", "read_envelope", "SOAP_ENV"]
