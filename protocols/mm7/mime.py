"""MIME for MM7: reading bodies leniently (building is ``mimebuild``, whose
``Part`` and ``multipart`` are re-exported here).

Reading follows what real MMSCs send, not what they should: a missing
``start`` (the first XML part is the envelope), Content-IDs with or without
angle brackets, upper-case ``BASE64``, a bare ``text/xml`` body with no
multipart at all.  The stdlib ``email`` parser is forgiving in exactly these
ways; a body over the size cap is refused before it is parsed.
"""
from __future__ import annotations

import base64
import codecs
import email.message
import email.parser
import email.utils
import email.policy
from dataclasses import dataclass, field
from urllib.parse import unquote

from protocols.mm7.errors import Mm7ParseError
from protocols.mm7.mimebuild import Part, multipart  # noqa: F401  (re-exported)

CRLF = b"\r\n"
MAX_BODY_BYTES = 8 * 1024 * 1024


# --------------------------------------------------------------------- reading

@dataclass(frozen=True)
class Attachment:
    """A received MIME part.  ``content_type`` is lower-case ``type/subtype``;
    ``content_id`` has no angle brackets; a multipart keeps its ``parts``."""

    content_type: str
    data: bytes
    content_id: str | None = None
    location: str | None = None
    charset: str | None = None
    filename: str | None = None
    parts: tuple["Attachment", ...] = field(default=())

    def leaves(self) -> list["Attachment"]:
        if not self.parts:
            return [self]
        return [leaf for part in self.parts for leaf in part.leaves()]

    def decoded(self) -> tuple[str, bool]:
        """``(text, exact)``: see ``decode_text``."""
        return decode_text(self.data, self.charset)

    def text(self) -> str:
        return self.decoded()[0]


FALLBACK_CHARSET = "utf-8"
# Python codecs that are "text encodings" to Python but no MIME charset: they
# transform domain names or escape sequences, and some cannot even replace
# errors.  A part that names one is read as if its charset were unknown.
_NOT_CHARSETS = frozenset({"idna", "punycode", "unicode_escape", "raw_unicode_escape", "undefined"})


def decode_text(data: bytes, charset: str | None) -> tuple[str, bool]:
    """A text part's text, never raising.  ``exact`` is False when the text is
    not the bytes' faithful reading: the charset is unknown or not a MIME
    charset (``x-unknown``, ``idna``, ``punycode``, ``base64``), or the bytes
    are not valid in it.  Then the bytes are read as ``FALLBACK_CHARSET``
    (UTF-8) with U+FFFD for what it cannot read, and the caller keeps the raw
    bytes.  No charset at all reads as UTF-8 (a superset of the RFC 2045
    default, US-ASCII)."""
    name = (charset or FALLBACK_CHARSET).strip().lower()
    try:
        if codecs.lookup(name).name.replace("-", "_") in _NOT_CHARSETS:
            raise LookupError(name)
        return data.decode(name), True
    except (LookupError, UnicodeError, ValueError, TypeError):
        return data.decode(FALLBACK_CHARSET, errors="replace"), False


def clean_cid(value: str | None) -> str | None:
    if value is None:
        return None
    value = unquote(value.strip())
    if value[:4].lower() == "cid:":
        value = value[4:]
    return value.strip().strip("<>").strip() or None


MAX_NESTING = 16  # multiparts inside multiparts; an MM7 body needs 2 or 3


def _attachment(msg, depth: int = 0) -> Attachment:
    ctype = msg.get_content_type().lower()
    parts: tuple[Attachment, ...] = ()
    if msg.is_multipart():
        if depth >= MAX_NESTING:
            raise Mm7ParseError(f"MIME multiparts nested deeper than {MAX_NESTING}")
        parts = tuple(_attachment(sub, depth + 1) for sub in msg.get_payload())
        data = b""
    else:
        data = msg.get_payload(decode=True) or b""
    return Attachment(
        content_type=ctype,
        data=data,
        content_id=clean_cid(msg.get("Content-ID")),
        location=(msg.get("Content-Location") or "").strip() or None,
        charset=msg.get_content_charset(),
        filename=msg.get_filename(),
        parts=parts,
    )


def parse_body(content_type: str | None, body: bytes, *, max_bytes: int = MAX_BODY_BYTES) -> Attachment:
    """Parse an HTTP body with its Content-Type header into an ``Attachment`` tree."""
    if len(body) > max_bytes:
        raise Mm7ParseError(f"body is {len(body)} bytes, over the {max_bytes}-byte cap")
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    ctype = (content_type or "text/xml").replace("\r", " ").replace("\n", " ")
    raw = b"Content-Type: " + ctype.encode("latin-1", "replace") + CRLF + CRLF + body
    try:
        msg = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(raw)
        root = _attachment(msg)
    except Mm7ParseError:
        raise
    except Exception as exc:  # the email package raises assorted errors on junk
        raise Mm7ParseError(f"malformed MIME body: {exc}") from None
    if root.content_type.startswith("multipart/") and not root.parts:
        return _without_boundary(ctype, body)
    return root


def _without_boundary(ctype: str, body: bytes) -> Attachment:
    """A multipart Content-Type whose boundary is missing or wrong: the body
    is read by what it starts with.  ``--x`` names its own boundary (the
    first delimiter line); ``<`` is a bare XML body (an aggregator's
    DeliveryReportReq sent as ``multipart/related; type="text/xml"``)."""
    head = body.lstrip(b"\r\n\t \xef\xbb\xbf")
    if head.startswith(b"--"):
        boundary = head[2:].split(b"\n", 1)[0].rstrip(b"\r \t").decode("latin-1")
        if boundary and boundary.isprintable() and '"' not in boundary and "\\" not in boundary:
            retried = _without_param(ctype, "boundary") + f'; boundary="{boundary}"'
            root = parse_body(retried, body) if _param(ctype, "boundary") != boundary else None
            if root is not None and root.parts:
                return root
    if head.startswith(b"<"):
        return Attachment(content_type="text/xml", data=body)
    raise Mm7ParseError("multipart body without any parts (missing or wrong boundary?)")


def _without_param(content_type: str, name: str) -> str:
    msg = email.message.Message()
    msg["Content-Type"] = content_type
    msg.del_param(name)
    return msg["Content-Type"]


def split_soap(content_type: str | None, body: bytes, *, max_bytes: int = MAX_BODY_BYTES
               ) -> tuple[bytes, list[Attachment]]:
    """The SOAP envelope bytes and the other top-level parts of an MM7 body."""
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    root = parse_body(content_type, body, max_bytes=max_bytes)
    if not root.parts:
        return root.data, []
    start = clean_cid(_param(content_type or "", "start"))
    chosen = None
    if start:
        chosen = next((p for p in root.parts if p.content_id and p.content_id.lower() == start.lower()), None)
    if chosen is None:
        chosen = next((p for p in root.parts if "xml" in p.content_type and not p.parts), root.parts[0])
    return chosen.data, [p for p in root.parts if p is not chosen]


def _param(content_type: str, name: str) -> str | None:
    msg = email.message.Message()
    msg["Content-Type"] = content_type
    value = msg.get_param(name)
    if isinstance(value, tuple):
        value = email.utils.collapse_rfc2231_value(value)
    return value


def find_content(attachments: list[Attachment], href: str | None) -> Attachment | None:
    """The part a ``Content href="cid:..."`` points at, leniently: by
    Content-ID (brackets/case ignored), then Content-Location, then the only
    or first attachment."""
    if not attachments:
        return None
    ref = clean_cid(href)
    if ref:
        for part in attachments:
            if part.content_id and part.content_id.lower() == ref.lower():
                return part
        for part in attachments:
            if part.location and clean_cid(part.location).lower() == ref.lower():
                return part
    return attachments[0]
