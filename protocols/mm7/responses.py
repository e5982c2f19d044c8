"""Building the MM7 messages that are not SubmitReq: our answers to the MMSC
(DeliveryReportRsp, DeliverRsp, SOAP faults) and, for the MMSC simulator, the
MMSC's side (SubmitRsp, RSErrorRsp faults, DeliveryReportReq, DeliverReq).

These are small and fixed, so they are written with lxml directly; tests check
each against the schema like the zeep-built SubmitReq.
"""
from __future__ import annotations

from protocols.mm7.envelope import Dialect, element, envelope, sub, to_bytes
from protocols.mm7.errors import CLIENT_ERROR
from protocols.mm7.schema import SOAP_ENV
from protocols.mm7.submit import address_value, bare_address

SUCCESS = 1000
STATUS_TEXT = {
    1000: "Success", 2000: "Client error", 2002: "Address Error", 2004: "Multimedia content refused",
    2007: "Message format corrupt", 3000: "Server error", 3001: "Not Possible", 4002: "Unsupported version",
    4003: "Unsupported operation", 4004: "Validation error", 4006: "Service Unavailable",
}


def _status(parent, code: int, text: str | None) -> None:
    status = sub(parent, "Status")
    sub(status, "StatusCode", str(code))
    sub(status, "StatusText", text or STATUS_TEXT.get(code, "Error"))


def _response(dialect: Dialect, kind: str, code: int, text: str | None):
    body = element(dialect, kind)
    sub(body, "MM7Version", dialect.version)
    _status(body, code, text)
    return body


def response(dialect: Dialect, kind: str, transaction_id: str, code: int = SUCCESS,
             text: str | None = None, message_id: str | None = None) -> bytes:
    """``DeliveryReportRsp`` / ``DeliverRsp`` / ``ReadReplyRsp`` / ``SubmitRsp``
    (``message_id`` only for SubmitRsp)."""
    body = _response(dialect, kind, code, text)
    if kind == "SubmitRsp":
        sub(body, "MessageID", message_id or "")
    return to_bytes(envelope(body, dialect, transaction_id))


def fault(dialect: Dialect, transaction_id: str | None, code: int = CLIENT_ERROR,
          text: str | None = None, *, error_element: str = "VASPErrorRsp") -> bytes:
    """A SOAP Fault carrying ``VASPErrorRsp`` (or ``RSErrorRsp`` when the
    simulator plays the MMSC) with an MM7 status.  2xxx is a ``soap:Client``
    fault, anything else ``soap:Server``; HTTP status 500 per SOAP 1.1."""
    from lxml import etree

    fault_el = etree.Element(f"{{{SOAP_ENV}}}Fault")
    side = "Client" if 2000 <= code < 3000 or code >= 4000 else "Server"
    etree.SubElement(fault_el, "faultcode").text = f"soap:{side}"
    etree.SubElement(fault_el, "faultstring").text = text or STATUS_TEXT.get(code, "Error")
    detail = etree.SubElement(fault_el, "detail")
    detail.append(_response(dialect, error_element, code, text))
    return to_bytes(envelope(fault_el, dialect, transaction_id or "0"))


def delivery_report_req(dialect: Dialect, transaction_id: str, *, message_id: str, recipient: str,
                        sender: str, date: str, mm_status: str, status_text: str | None = None,
                        relay_server_id: str | None = None) -> bytes:
    body = element(dialect, "DeliveryReportReq")
    sub(body, "MM7Version", dialect.version)
    if relay_server_id:
        sub(body, "MMSRelayServerID", relay_server_id)
    sub(body, "MessageID", message_id)
    _address(sub(body, "Recipient"), recipient)
    _address(sub(body, "Sender"), sender)
    sub(body, "Date", date)
    sub(body, "MMStatus", mm_status)
    if status_text:
        sub(body, "StatusText", status_text)
    return to_bytes(envelope(body, dialect, transaction_id))


def deliver_req(dialect: Dialect, transaction_id: str, *, sender: str, recipient: str,
                subject: str | None = None, timestamp: str | None = None,
                content_href: str = "cid:mm7-content", relay_server_id: str | None = None) -> bytes:
    body = element(dialect, "DeliverReq")
    sub(body, "MM7Version", dialect.version)
    if relay_server_id:
        sub(body, "MMSRelayServerID", relay_server_id)
    _address(sub(body, "Sender"), sender)
    _address(sub(sub(body, "Recipients"), "To"), recipient)
    if timestamp:
        sub(body, "TimeStamp", timestamp)
    if subject:
        sub(body, "Subject", subject)
    sub(body, "Content").set("href", content_href)
    return to_bytes(envelope(body, dialect, transaction_id))


def _address(parent, address: str) -> None:
    ((name, value),) = address_value(bare_address(address)).items()
    sub(parent, name, value)
