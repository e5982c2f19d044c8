"""Where the MM7 schemas live, the namespaces, and the two schema engines.

* ``zeep_client()`` builds SubmitReq bodies from the shipped WSDL/XSD.
* ``validator()`` is an lxml ``XMLSchema`` over the SOAP 1.1 envelope with the
  MM7 Rel-6 schema underneath, used by tests and by the MMSC simulator.

Neither ever touches the network: the SOAP envelope import URL is mapped to the
local copy and every other URL is refused.
"""
from __future__ import annotations

import functools
from pathlib import Path

from lxml import etree

from protocols.mm7.namespaces import (  # noqa: F401  (re-exported: the schema's names)
    ALL_VERSIONS, DEFAULT_NAMESPACE, NS_BASE, REL5_1_0, REL6_1_4, SOAP_ENV, VERSIONS, is_mm7_namespace,
    namespace_for, renamespace,
)

SCHEMA_DIR = Path(__file__).parent / "schemas"
MM7_XSD = SCHEMA_DIR / "REL-6-MM7-1-4.xsd"
SOAP_XSD = SCHEMA_DIR / "soap-envelope-1.1.xsd"
WSDL = SCHEMA_DIR / "mm7-rel6-1-4.wsdl"


@functools.lru_cache(maxsize=1)
def zeep_client():
    """A zeep Client over the shipped WSDL; loads only local files."""
    import zeep
    from zeep.transports import Transport

    class _LocalTransport(Transport):
        def load(self, url: str) -> bytes:
            if url.rstrip("/") == SOAP_ENV.rstrip("/"):
                return SOAP_XSD.read_bytes()
            path = Path(url)
            if path.is_file() and path.resolve().parent == SCHEMA_DIR.resolve():
                return path.read_bytes()
            raise ValueError(f"refusing to load schema from {url!r}")

    return zeep.Client(str(WSDL), transport=_LocalTransport())


@functools.lru_cache(maxsize=1)
def zeep_service():
    return zeep_client().bind("MM7Service", "vaspToRs")


class _LocalResolver(etree.Resolver):
    def resolve(self, system_url, public_id, context):
        if system_url and system_url.rstrip("/") == SOAP_ENV.rstrip("/"):
            return self.resolve_filename(str(SOAP_XSD), context)
        return None


_WRAPPER = f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:import namespace="{SOAP_ENV}" schemaLocation="{SOAP_ENV}"/>
  <xs:import namespace="{REL6_1_4}" schemaLocation="{MM7_XSD.as_uri()}"/>
</xs:schema>"""


@functools.lru_cache(maxsize=1)
def validator() -> etree.XMLSchema:
    """SOAP 1.1 envelope + MM7 Rel-6-1-4: Body/Header children are validated
    against the MM7 schema because they are declared (``processContents=lax``)."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_LocalResolver())
    doc = etree.fromstring(_WRAPPER.encode(), parser, base_url=str(SCHEMA_DIR) + "/")
    return etree.XMLSchema(doc)


def to_rel6(root: etree._Element) -> etree._Element:
    """A copy of ``root`` with any MM7 namespace rewritten to REL-6-MM7-1-4, so
    that a 5.3.0 (REL-5) message can be checked against the Rel-6 schema."""
    return renamespace(root, REL6_1_4, prefix="mm7", only_mm7=True)


def validate(root: etree._Element) -> list[str]:
    """Schema errors of a SOAP envelope (empty list when valid).

    Header and Body children are checked by the SOAP schema only ``lax``ly,
    i.e. not at all when their namespace is unknown: so an element outside
    MM7 (and SOAP) is reported here instead of passing unchecked."""
    rel6 = to_rel6(root)
    errors = []
    for part in ("Header", "Body"):
        container = rel6.find(f"{{{SOAP_ENV}}}{part}")
        for child in container if container is not None else ():
            if isinstance(child.tag, str) and etree.QName(child).namespace not in (REL6_1_4, SOAP_ENV):
                errors.append(f"{part}: {child.tag} is not an MM7 element")
    schema = validator()
    if not schema.validate(rel6):
        errors += [f"line {e.line}: {e.message}" for e in schema.error_log]
    return errors
