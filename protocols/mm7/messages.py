"""Typed, lenient readings of the MM7 messages the gateway receives.

* ``read_submit_response`` — SubmitRsp, RSErrorRsp or a SOAP Fault -> ``SubmitResponse``
* ``read_delivery_report`` — DeliveryReportReq -> ``DeliveryReport``
* ``read_deliver`` — DeliverReq -> ``InboundMM`` (text and media split out);
  without Sender the sender is ``UNKNOWN_SENDER``; refused (4004) only when
  there is no Sender, no Recipient and no content at all
* ``read_submit_request`` — SubmitReq (used by the MMSC simulator)
"""
from __future__ import annotations

from dataclasses import dataclass

from protocols.mm7.errors import CLIENT_ERROR, VALIDATION_ERROR, Mm7ParseError
from protocols.mm7.mime import Attachment
from protocols.mm7.parse import (
    Envelope, addresses, content_of, fault_strings, first, require, required_text,
    status_of, text_of,
)

SMIL_TYPES = ("application/smil", "application/vnd.wap.smil")
# A DeliverReq without Sender (MMSCs leave it out for hidden senders) is
# still an MO: it is stored with this empty sender rather than refused.
UNKNOWN_SENDER = ""


@dataclass(frozen=True)
class SubmitResponse:
    status_code: int | None
    status_text: str | None
    message_id: str | None
    fault: bool  # an RSErrorRsp or SOAP Fault rather than a SubmitRsp
    transaction_id: str | None = None

    @property
    def detail(self) -> str | None:
        return self.status_text


def read_submit_response(env: Envelope) -> SubmitResponse:
    if env.kind == "SubmitRsp":
        code, text, details = status_of(env.body)
        if code is None:
            raise Mm7ParseError("SubmitRsp without StatusCode")
        return SubmitResponse(code, _join(text, details), text_of(env.body, "MessageID"), False,
                              env.transaction_id)
    if env.kind in ("RSErrorRsp", "Fault"):
        code, text, details = status_of(env.body)
        faultcode, faultstring = fault_strings(env.body)
        if code is None:  # a bare SOAP fault: a client or server error by faultcode
            server = bool(faultcode) and "server" in faultcode.lower()
            code = 3000 if server else CLIENT_ERROR
        return SubmitResponse(code, _join(text, details, faultstring), None, True, env.transaction_id)
    raise Mm7ParseError(f"unexpected answer to SubmitReq: {env.kind}")


def _join(*texts: str | None) -> str | None:
    seen = []
    for text in texts:
        if text and text not in seen:
            seen.append(text)
    return "; ".join(seen) or None


@dataclass(frozen=True)
class DeliveryReport:
    message_id: str
    mm_status: str
    recipient: str | None
    sender: str | None
    date: str | None
    status_text: str | None
    extension: str | None
    transaction_id: str | None
    version: str | None


def read_delivery_report(env: Envelope) -> DeliveryReport:
    require(env, "DeliveryReportReq")
    return DeliveryReport(
        message_id=required_text(env, "MessageID"),
        mm_status=required_text(env, "MMStatus"),
        recipient=next(iter(addresses(first(env.body, "Recipient"))), None),
        sender=next(iter(addresses(first(env.body, "Sender"))), None),
        date=text_of(env.body, "Date", "TimeStamp"),
        status_text=text_of(env.body, "StatusText"),
        extension=text_of(env.body, "MMStatusExtension"),
        transaction_id=env.transaction_id,
        version=env.version,
    )


@dataclass(frozen=True)
class InboundMM:
    sender: str
    recipients: tuple[str, ...]
    subject: str | None
    linked_id: str | None
    text: str  # the text/plain parts, joined
    media: tuple[Attachment, ...]  # every other non-SMIL leaf part
    transaction_id: str | None
    version: str | None
    relay_server_id: str | None


def split_mm(content: Attachment | None) -> tuple[str, tuple[Attachment, ...]]:
    """The text (text/plain parts joined) and the media.  A text part that
    cannot be read faithfully (unknown charset, invalid bytes) is read as
    UTF-8 with replacement characters *and* kept as a media part with its raw
    bytes, so nothing the MMSC sent is lost."""
    if content is None:
        return "", ()
    texts, media = [], []
    for leaf in content.leaves():
        if leaf.content_type in SMIL_TYPES:
            continue
        if leaf.content_type == "text/plain":
            text, exact = leaf.decoded()
            texts.append(text)
            if not exact:
                media.append(leaf)
        else:
            media.append(leaf)
    return "\n".join(t for t in texts if t), tuple(media)


def normalize_address(value: str) -> str:
    """``tel:+1555/TYPE=PLMN`` -> ``+1555``."""
    value = value.strip()
    if value[:4].lower() == "tel:":
        value = value[4:]
    return value.split("/TYPE=", 1)[0].split("/type=", 1)[0].strip()


def read_deliver(env: Envelope) -> InboundMM:
    require(env, "DeliverReq")
    senders = [normalize_address(a) for a in addresses(first(env.body, "Sender", "SenderAddress"))]
    recipients = tuple(normalize_address(a) for a in addresses(first(env.body, "Recipients")))
    text, media = split_mm(content_of(env))
    if not (senders or recipients or text or media):
        raise Mm7ParseError("DeliverReq with no Sender, no Recipients and no content", VALIDATION_ERROR)
    return InboundMM(
        sender=senders[0] if senders else UNKNOWN_SENDER,
        recipients=recipients,
        subject=text_of(env.body, "Subject"),
        linked_id=text_of(env.body, "LinkedID"),
        text=text,
        media=media,
        transaction_id=env.transaction_id,
        version=env.version,
        relay_server_id=text_of(env.body, "MMSRelayServerID"),
    )


@dataclass(frozen=True)
class SubmitRequestInfo:
    sender: str | None
    recipients: tuple[str, ...]
    vasp_id: str | None
    vas_id: str | None
    delivery_report: bool
    content: Attachment | None
    transaction_id: str | None
    version: str | None
    namespace: str | None = None


def read_submit_request(env: Envelope) -> SubmitRequestInfo:
    require(env, "SubmitReq")
    ident = first(env.body, "SenderIdentification")
    report = (text_of(env.body, "DeliveryReport") or "").lower() in ("true", "1")
    sender = addresses(first(ident, "SenderAddress")) if ident is not None else []
    return SubmitRequestInfo(
        sender=sender[0] if sender else None,
        recipients=tuple(addresses(first(env.body, "Recipients"))),
        vasp_id=text_of(ident, "VASPID") if ident is not None else None,
        vas_id=text_of(ident, "VASID") if ident is not None else None,
        delivery_report=report,
        content=content_of(env),
        transaction_id=env.transaction_id,
        version=env.version,
        namespace=env.namespace,
    )


