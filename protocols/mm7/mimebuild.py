"""Building MIME for MM7 with the standard library's ``email`` package.

SOAP with attachments (``multipart/related; type="text/xml"; start="<...>"``)
cannot be written by zeep, so the parts are ``email.message.MIMEPart``
objects serialised by ``BytesGenerator``.  Rules:

* Every header is set through the ``email`` API, never by string
  interpolation: a value with CR or LF raises ``ValueError`` instead of
  starting a new header.  Content types are checked against the RFC 2045
  grammar first (``protocols.mm7.mediatype``) and parameters are written by
  ``set_param`` (quoted).
* Content-IDs are written in angle brackets; boundaries are passed in, so the
  output is reproducible (tests compare golden bytes).
* Lines end in CRLF and headers are not folded.  A text part's line breaks
  become CRLF (RFC 2046 canonical form), so callers that count bytes
  (``content.mm_size``) pass text already in that form.  Binary parts are
  base64.  A nested multipart (the MM inside the SOAP message) is a ``Part``
  with ``parts`` (``multipart_part``), so every header at every depth is
  built the same way.
"""
from __future__ import annotations

import base64
import email.policy
from dataclasses import dataclass, field
from email.generator import BytesGenerator
from email.message import MIMEPart
from io import BytesIO

from protocols.mm7.mediatype import parse_media_type

POLICY = email.policy.SMTP.clone(max_line_length=0)
_TEXTUAL = ("text/", "application/smil", "application/xml")


@dataclass(frozen=True)
class Part:
    """One MIME part to build.  ``content_id`` is written as ``<content_id>``."""

    content_type: str  # "type/subtype" with optional parameters, RFC 2045
    body: bytes
    content_id: str | None = None
    location: str | None = None
    transfer_encoding: str | None = None  # None: base64 for binary, 8bit for text
    parts: tuple["Part", ...] = field(default=())  # a multipart's parts (then body is unused)

    @property
    def encoding(self) -> str:
        if self.transfer_encoding:
            return self.transfer_encoding
        ctype = self.content_type.lower()
        if ctype.startswith("multipart/"):
            return "8bit"  # RFC 2045: a multipart is never itself encoded
        return "8bit" if ctype.startswith(_TEXTUAL) else "base64"

    def mime(self) -> MIMEPart:
        """The part as a ``MIMEPart``; ``ValueError`` for a bad header value."""
        media = parse_media_type(self.content_type)
        part = MIMEPart(policy=POLICY)
        part["Content-Type"] = media.essence
        for key, value in media.params:
            part.set_param(key, value)
        if self.content_id:
            part["Content-ID"] = f"<{self.content_id}>"
        if self.location:
            part["Content-Location"] = self.location
        part["Content-Transfer-Encoding"] = self.encoding
        if media.type == "multipart":
            for sub in self.parts:
                part.attach(sub.mime())
        elif self.encoding.lower() == "base64":
            part.set_payload(base64.encodebytes(self.body).decode("ascii"))
        else:  # bytes kept as they are (surrogateescape), lines made CRLF
            part.set_payload(self.body.decode("ascii", "surrogateescape"))
        return part

    def headers(self) -> bytes:
        """The header block as written (CRLF after each header)."""
        part = self.mime()
        return b"".join(POLICY.fold_binary(name, value) for name, value in part.raw_items())


def _flatten(part: MIMEPart) -> bytes:
    out = BytesIO()
    BytesGenerator(out, mangle_from_=False, policy=POLICY).flatten(part)
    return out.getvalue()


def multipart_part(parts: list[Part], boundary: str, *, subtype: str = "related",
                   params: tuple[tuple[str, str], ...] = (), content_id: str | None = None) -> Part:
    """A multipart made of ``parts``, to nest in another multipart."""
    outer = MIMEPart(policy=POLICY)
    outer["Content-Type"] = f"multipart/{subtype}"
    outer.set_param("boundary", boundary)
    for key, value in params:
        outer.set_param(key, value)
    return Part(str(outer["Content-Type"]), b"", content_id=content_id, parts=tuple(parts))


def multipart(parts: list[Part], boundary: str, *, subtype: str = "related",
              params: tuple[tuple[str, str], ...] = ()) -> tuple[str, bytes]:
    """``(Content-Type value, body)`` of a multipart made of ``parts``."""
    top = multipart_part(parts, boundary, subtype=subtype, params=params)
    root = top.mime()
    del root["Content-Transfer-Encoding"]  # the HTTP body itself carries no MIME encoding
    _, body = _flatten(root).split(b"\r\n\r\n", 1)
    return top.content_type, body
