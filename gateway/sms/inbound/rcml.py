"""RCML replies to inbound messages (pure).

When a number's ``sms_url`` answers 200, its body may be an RCML document
asking us to send replies:

    <Response>
      <Message to="+1..." from="+1..." statusCallback="..." action="..." method="POST">
        <Body>text</Body><Media contentType="image/png">https://...</Media>
      </Message>
      <Sms>older form, same attributes</Sms>
    </Response>

or a bare ``<Message>text</Message>``.  Rules:

* ``to`` defaults to the inbound sender, ``from`` to our number.
* ``statusCallback`` becomes the reply's status callback, called with
  ``statusCallbackMethod`` (default POST); without it, ``action`` is, called
  with ``method`` (default POST), as RCML documents them.  As in the
  RCML document, verbs after a ``<Message>`` with an ``action`` are
  unreachable: the session goes on at the action URL, so no later
  ``<Message>`` of this document is sent.
* ``action`` is also requested once, with ``method``, when its reply is
  queued (``MessageStatus=queued``, ``MessageSid``); the RCML it answers
  is followed in turn (``gateway.sms.inbound.store.apply_rcml_reply``).
* An empty body, ``<Response/>`` or a body that is not XML at all means no
  reply.  Malformed XML raises ``RcmlError`` (the caller logs and ignores).
* Never resolve entities or load DTDs: the document goes through the shared
  hardened parser (``protocols.xmlsafe``): any DOCTYPE or ENTITY declaration
  is refused before parsing, and the parser itself never resolves entities,
  loads a DTD or touches the network (no XXE, no billion laughs).
* At most ``MAX_REPLIES`` replies; documents over ``MAX_DOCUMENT`` bytes
  are refused.
* At most ``MAX_MEDIA`` (8, the API's limit) ``<Media>`` in a ``<Message>``;
  more makes the document an ``RcmlError`` (no media is dropped silently).
* ``<Media contentType>`` must be an RFC 2045 media type
  (``protocols.mm7.mediatype``); anything else (a CR/LF, no subtype) makes
  the document an ``RcmlError``, so it cannot reach a carrier's headers.
"""
from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from protocols.mm7.mediatype import is_media_type
from protocols.xmlsafe import UnsafeXmlError, parse_untrusted

MAX_DOCUMENT = 256 * 1024
MAX_REPLIES = 10
MAX_MEDIA = 8  # as the API (gateway.api.intake.MAX_MEDIA)


class RcmlError(ValueError):
    """An sms_url answer that claims to be XML but cannot be used."""


@dataclass(frozen=True)
class MediaSpec:
    url: str
    content_type: str | None


@dataclass(frozen=True)
class ReplySpec:
    to: str
    from_: str
    body: str
    media: tuple[MediaSpec, ...] = ()
    status_callback: str | None = None
    status_callback_method: str = "POST"
    action: str | None = None
    action_method: str = "POST"  # ``method``: how the action URL is requested


def _local(tag: object) -> str:
    if not isinstance(tag, str):
        return ""
    return etree.QName(tag).localname.lower()


def _as_bytes(document: bytes | str) -> bytes:
    if isinstance(document, str):
        return document.encode("utf-8")
    return bytes(document)


def _looks_like_xml(data: bytes) -> bool:
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True  # UTF-16 with a BOM
    return stripped.startswith(b"<")


def parse_document(document: bytes | str) -> etree._Element | None:
    """The root element, None for "no reply", RcmlError when unusable."""
    data = _as_bytes(document)
    if len(data) <= MAX_DOCUMENT and (not data.strip() or not _looks_like_xml(data)):
        return None
    try:
        return parse_untrusted(data, max_bytes=MAX_DOCUMENT)
    except UnsafeXmlError as exc:
        raise RcmlError(f"RCML refused: {exc}") from None


def _text(element: etree._Element) -> str:
    """The element's own text, without child elements' text."""
    pieces = [element.text or ""]
    pieces += [child.tail or "" for child in element]
    return "".join(pieces).strip()


def _content_type(media: etree._Element) -> str | None:
    value = media.get("contentType") or media.get("content-type")
    if value is not None and not is_media_type(value):
        raise RcmlError(f"<Media contentType={value[:80]!r}> is not a media type (RFC 2045)")
    return value


def _method(element: etree._Element, attribute: str) -> str:
    method = (element.get(attribute) or "POST").strip().upper()
    return method if method in ("GET", "POST") else "POST"


def _reply(element: etree._Element, sender: str, our_number: str) -> ReplySpec:
    body_parts: list[str] = []
    media: list[MediaSpec] = []
    has_body = False
    for child in element:
        name = _local(child.tag)
        if name == "body":
            has_body = True
            body_parts.append("".join(child.itertext()).strip())
        elif name == "media":
            url = "".join(child.itertext()).strip()
            if url:
                media.append(MediaSpec(url, _content_type(child)))
    if len(media) > MAX_MEDIA:
        raise RcmlError(f"<Message> has {len(media)} <Media>; at most {MAX_MEDIA} are allowed")
    body = "\n".join(body_parts) if has_body else _text(element)
    action = (element.get("action") or "").strip() or None
    callback = (element.get("statusCallback") or "").strip() or None
    method = _method(element, "statusCallbackMethod" if callback else "method")
    callback = callback or action
    return ReplySpec(
        to=(element.get("to") or "").strip() or sender,
        from_=(element.get("from") or "").strip() or our_number,
        body=body,
        media=tuple(media),
        status_callback=callback,
        status_callback_method=method,
        action=action,
        action_method=_method(element, "method"),
    )


def parse_rcml(document: bytes | str, *, sender: str, our_number: str) -> tuple[ReplySpec, ...]:
    """The replies an sms_url answer asks for (possibly none).

    ``sender`` is the inbound message's From, ``our_number`` its To.
    Raises ``RcmlError`` for malformed or dangerous XML.
    """
    root = parse_document(document)
    if root is None:
        return ()
    name = _local(root.tag)
    if name in ("message", "sms"):
        elements = [root]
    elif name == "response":
        elements = [child for child in root if _local(child.tag) in ("message", "sms")]
    else:
        raise RcmlError(f"RCML root element <{etree.QName(root.tag).localname}> is not <Response>")
    replies = []
    for element in elements[:MAX_REPLIES]:
        reply = _reply(element, sender, our_number)
        if reply.body or reply.media:
            replies.append(reply)
        if reply.action:
            break  # what follows a Message with an action is unreachable
    return tuple(replies)
