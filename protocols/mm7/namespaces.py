"""MM7 namespaces: the 3GPP schema URIs, which MM7Version goes with which,
and ``renamespace``, which copies an element tree into another namespace.

Pure lxml, no schema files: both ``envelope`` (building and answering in a
carrier's dialect) and ``schema`` (validating against Rel-6) use it.
"""
from __future__ import annotations

from lxml import etree

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
NS_BASE = "http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/"
REL6_1_4 = NS_BASE + "REL-6-MM7-1-4"
REL5_1_0 = NS_BASE + "REL-5-MM7-1-0"

VERSIONS = ("5.3.0", "6.8.0")  # what a carrier may be configured with
# Every MM7Version the Rel-6 schema knows; answers echo the peer's version.
ALL_VERSIONS = ("5.3.0", "5.5.0", "5.6.0", "5.8.0", "5.10.0", "6.3.0", "6.4.0", "6.5.0", "6.6.0", "6.8.0")
# MM7Version -> default namespace.  TS 23.140 v5.3.0 introduced the schema
# REL-5-MM7-1-0; 6.8.0 is REL-6-MM7-1-4.  A carrier that wants another
# pairing sets ``mm7_namespace`` in its config.
DEFAULT_NAMESPACE = {"5.3.0": REL5_1_0, "6.8.0": REL6_1_4}


def namespace_for(version: str) -> str:
    return DEFAULT_NAMESPACE.get(version, REL6_1_4)


def is_mm7_namespace(uri: str | None) -> bool:
    return bool(uri) and uri.startswith(NS_BASE) and "MM7" in uri


# Attribute values equal to the schema default are dropped: some MMSCs reject
# attributes they do not expect, and the default says the same thing.
_DEFAULT_ATTRS = {"displayOnly": "false", "allowAdaptations": "true"}


def renamespace(root: etree._Element, namespace: str, *, prefix: str | None = "mm7",
                only_mm7: bool = False) -> etree._Element:
    """Deep copy of ``root`` with every element moved into ``namespace``.

    With ``only_mm7`` only elements already in an MM7 namespace move (used to
    turn a whole envelope REL-5 -> REL-6 for validation); SOAP elements stay.
    """

    def target(el: etree._Element) -> str:
        qn = etree.QName(el)
        if only_mm7 and not is_mm7_namespace(qn.namespace):
            return el.tag
        return f"{{{namespace}}}{qn.localname}"

    def copy(src: etree._Element, parent: etree._Element | None) -> etree._Element:
        if parent is None:
            nsmap = dict(src.nsmap) if only_mm7 else {}
            nsmap = {k: v for k, v in nsmap.items() if not is_mm7_namespace(v)}
            nsmap[prefix] = namespace
            new = etree.Element(target(src), nsmap=nsmap)
        else:
            new = etree.SubElement(parent, target(src))
        for key, value in src.attrib.items():
            if not only_mm7 and _DEFAULT_ATTRS.get(key) == value:
                continue
            new.set(key, value)
        new.text = src.text
        new.tail = None
        for child in src:
            if isinstance(child.tag, str):
                copy(child, new)
        return new

    return copy(root, None)
