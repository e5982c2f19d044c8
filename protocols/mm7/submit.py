"""Building MM7_submit.REQ: the SOAP envelope with zeep from the shipped
schema, then the SOAP-with-attachments body with the ``email`` package
(``protocols.mm7.mimebuild``).

    multipart/related; type="text/xml"; start="<mm7-soap>"
      ├─ text/xml                      Content-ID: <mm7-soap>     the envelope
      └─ multipart/related (the MM)    Content-ID: <mm7-content>  <Content href="cid:mm7-content"/>
           ├─ application/smil, text/plain, media...
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

from protocols.mm7.content import MediaItem, mm_part
from protocols.mm7.envelope import Dialect, envelope, renamespace, to_bytes
from protocols.mm7.mimebuild import Part, multipart
from protocols.mm7.schema import zeep_client, zeep_service

SOAP_CID = "mm7-soap"
CONTENT_CID = "mm7-content"
_SHORT_CODE = re.compile(r"^\d{5,6}$")
# Characters XML 1.0 cannot carry at all (C0 controls but tab/CR/LF, surrogates, U+FFFE/F).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str | None) -> str | None:
    """``value`` without the characters XML cannot carry (None stays None)."""
    return None if value is None else _NOT_XML.sub("", value)


@dataclass(frozen=True)
class SubmitRequest:
    sender: str  # "+15551234567", "mms:+1555...", or a 5-6 digit short code
    recipients: tuple[str, ...]
    body: str = ""
    media: tuple[MediaItem, ...] = ()
    vasp_id: str | None = None
    vas_id: str | None = None
    service_code: str | None = None
    linked_id: str | None = None
    subject: str | None = None
    expiry: datetime | int | None = None  # absolute time, or relative seconds
    delivery_report: bool = True
    extra: dict = field(default_factory=dict)  # more SubmitReq fields, zeep names


def bare_address(address: str) -> str:
    """``mms:+1555`` -> ``+1555``."""
    for scheme in ("mms:", "sms:", "tel:"):
        if address.lower().startswith(scheme):
            return address[len(scheme):]
    return address


def address_value(address: str) -> dict:
    bare = xml_text(bare_address(address))
    if _SHORT_CODE.match(bare):
        return {"ShortCode": bare}
    if "@" in bare:
        return {"RFC2822Address": bare}
    return {"Number": bare}


def expiry_value(expiry: datetime | int | None) -> str | None:
    if expiry is None:
        return None
    if isinstance(expiry, datetime):
        if expiry.tzinfo is None:
            expiry = expiry.replace(tzinfo=timezone.utc)
        utc = expiry.astimezone(timezone.utc).replace(microsecond=0, tzinfo=None)
        return utc.isoformat() + "Z"  # isoformat pads the year to 4 digits; strftime may not
    return f"PT{int(expiry)}S"


def submit_envelope(req: SubmitRequest, dialect: Dialect, transaction_id: str):
    """The SubmitReq SOAP envelope as an lxml element (built by zeep)."""
    sender_id = {k: xml_text(v) for k, v in (("VASPID", req.vasp_id), ("VASID", req.vas_id)) if v}
    sender_id["SenderAddress"] = address_value(req.sender)
    to = [address_value(r) for r in req.recipients]
    fields = {
        "MM7Version": dialect.version,
        "SenderIdentification": sender_id,
        "Recipients": {"_value_1": [{"To": {"_value_1": to}}]},
        "ServiceCode": xml_text(req.service_code) or None,
        "LinkedID": xml_text(req.linked_id) or None,
        "ExpiryDate": expiry_value(req.expiry),
        "DeliveryReport": bool(req.delivery_report),
        "Subject": xml_text(req.subject) or None,
        "Content": {"href": f"cid:{CONTENT_CID}"},
        **req.extra,
    }
    message = zeep_client().create_message(zeep_service(), "SubmitReq", **fields)
    body = message.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")[0]
    mm7_body = renamespace(body, dialect.namespace, prefix="mm7" if dialect.prefix else None)
    return envelope(mm7_body, dialect, transaction_id)


def build_submit(req: SubmitRequest, dialect: Dialect, transaction_id: str, boundary: str
                 ) -> tuple[str, bytes]:
    """``(Content-Type, body)`` of the HTTP POST carrying the SubmitReq.

    ``boundary`` seeds both MIME boundaries (the caller makes it random; tests
    fix it to compare golden bodies).
    """
    soap = to_bytes(submit_envelope(req, dialect, transaction_id))
    parts = [
        Part('text/xml; charset="utf-8"', soap, content_id=SOAP_CID),
        mm_part(req.body, list(req.media), f"{boundary}-mm", content_id=CONTENT_CID),
    ]
    return multipart(parts, f"{boundary}-soap", params=(("type", "text/xml"), ("start", f"<{SOAP_CID}>")))
