"""SOAP 1.1 envelopes in a carrier's MM7 dialect.

A *dialect* is what varies between MMSCs: the MM7Version, the namespace that
goes with it, and whether elements carry an ``mm7:`` prefix or a default
namespace.  Bodies are built (by zeep or by hand) in any namespace and then
copied into the dialect's namespace by ``renamespace``.

Every envelope carries the TransactionID header with ``mustUnderstand="1"``:
the SOAP 1.1 schema only accepts ``0``/``1`` (zeep would write ``true``).
"""
from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from protocols.mm7.namespaces import renamespace
from protocols.mm7.schema import ALL_VERSIONS, SOAP_ENV, is_mm7_namespace, namespace_for

__all__ = ["Dialect", "answering", "envelope", "renamespace", "to_bytes"]

SOAP_PREFIX = "soap"


@dataclass(frozen=True)
class Dialect:
    version: str = "6.8.0"
    namespace: str = ""  # empty: the version's default namespace
    prefix: bool = True  # mm7:SubmitReq (True) or <SubmitReq xmlns="..."> (False)

    def __post_init__(self) -> None:
        if self.version not in ALL_VERSIONS:
            raise ValueError(f"mm7_version must be one of {', '.join(ALL_VERSIONS)}, not {self.version!r}")
        if not self.namespace:
            object.__setattr__(self, "namespace", namespace_for(self.version))

    @property
    def nsmap(self) -> dict:
        return {"mm7" if self.prefix else None: self.namespace}


def answering(version: str | None, namespace: str | None, fallback: "Dialect | None" = None) -> Dialect:
    """The dialect to answer a peer in: its own MM7Version and namespace when
    they are recognisable, else ``fallback`` (default 6.8.0)."""
    fallback = fallback or Dialect()
    if version not in ALL_VERSIONS:
        return fallback
    return Dialect(version, namespace if is_mm7_namespace(namespace) else "", fallback.prefix)


def envelope(body: etree._Element, dialect: Dialect, transaction_id: str) -> etree._Element:
    """``<soap:Envelope>`` with the TransactionID header and ``body`` (already
    in the dialect's namespace) inside ``<soap:Body>``."""
    # A default namespace is declared on the MM7 elements only, never on the
    # envelope: unqualified SOAP Fault children must stay unqualified.
    nsmap = {SOAP_PREFIX: SOAP_ENV, **(dialect.nsmap if dialect.prefix else {})}
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap=nsmap)
    header = etree.SubElement(env, f"{{{SOAP_ENV}}}Header")
    tid = etree.SubElement(header, f"{{{dialect.namespace}}}TransactionID", nsmap=dialect.nsmap)
    tid.set(f"{{{SOAP_ENV}}}mustUnderstand", "1")
    tid.text = transaction_id
    etree.SubElement(env, f"{{{SOAP_ENV}}}Body").append(body)
    return env


def to_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def element(dialect: Dialect, name: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.Element(f"{{{dialect.namespace}}}{name}", nsmap=dialect.nsmap)
    if text is not None:
        el.text = text
    for key, value in attrs.items():
        el.set(key, value)
    return el


def sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    ns = etree.QName(parent).namespace
    el = etree.SubElement(parent, f"{{{ns}}}{name}")
    if text is not None:
        el.text = text
    return el
