"""Building MIME for MM7 with the standard library's ``email`` package.

SOAP with attachments (``multipart/related; type="text/xml"; start="<...>"``)
cannot be written by zeep, so the parts are ``email.message.MIMEPart``
objects serialised by ``BytesGenerator``.  Rules:

* Every header is set through the ``email`` API, never by string
  interpolation: a value with CR or LF raises ``ValueError`` instead of
  starting a new header.  Content types are checked against the RFC 2045
  grammar first (``protocols.mm7.mediatype``); parameter values are always
  quoted with ``email.utils.quote``, as ``set_param`` writes them.
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
import functools
from dataclasses import dataclass, field
from email.generator import BytesGenerator
from email.headerregistry import HeaderRegistry
from email.message import MIMEPart
from email.utils import quote
from io import BytesIO

from protocols.mm7.mediatype import parse_media_type


class _Headers(HeaderRegistry):
    """The stock registry builds a new header class on every lookup, for
    every header of every part; this one builds one class per name."""

    @functools.lru_cache(maxsize=64)
    def __getitem__(self, name):
        return super().__getitem__(name)


POLICY = email.policy.SMTP.clone(max_line_length=0, header_factory=_Headers())
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

    def _headed(self) -> MIMEPart:
        part = MIMEPart(policy=POLICY)
        part["Content-Type"] = content_type(self.content_type)
        if self.content_id:
            part["Content-ID"] = f"<{self.content_id}>"
        if self.location:
            part["Content-Location"] = self.location
        part["Content-Transfer-Encoding"] = self.encoding
        return part

    def mime(self) -> MIMEPart:
        """The part as a ``MIMEPart``; ``ValueError`` for a bad header value."""
        part = self._headed()
        if part.get_content_maintype() == "multipart":
            for sub in self.parts:
                part.attach(sub.mime())
        elif self.encoding.lower() == "base64":
            part.set_payload(base64.encodebytes(self.body).decode("ascii"))
        else:  # bytes kept as they are (surrogateescape), lines made CRLF
            part.set_payload(self.body.decode("ascii", "surrogateescape"))
        return part

    def headers(self) -> bytes:
        """The header block as written (CRLF after each header)."""
        part = self._headed()
        return b"".join(POLICY.fold_binary(name, value) for name, value in part.raw_items())


class _Generator(BytesGenerator):
    """``BytesGenerator`` writing a body's lines in one call: the stock
    ``_write_lines`` writes each line and line break separately, 11,000
    writes for a 300 KB picture in base64.  The output is the same: every
    CR, LF or CRLF becomes the policy's line break."""

    def _write_lines(self, lines):
        self.write(lines.replace("\r\n", "\n").replace("\r", "\n").replace("\n", self._NL))


def _flatten(part: MIMEPart) -> bytes:
    out = BytesIO()
    _Generator(out, mangle_from_=False, policy=POLICY).flatten(part)
    return out.getvalue()


def content_type(value: str, params: tuple[tuple[str, str], ...] = ()) -> str:
    """``value`` (checked by the RFC 2045 grammar) and ``params`` as one
    Content-Type value, every parameter value quoted (``email.utils.quote``),
    as ``Message.set_param`` writes them (one header parse instead of one
    per parameter)."""
    media = parse_media_type(value)
    pairs = media.params + tuple(params)
    written = media.essence + "".join(f'; {key}="{quote(val)}"' for key, val in pairs)
    parse_media_type(written)  # the added names and values obey the grammar too
    return written


def multipart_part(parts: list[Part], boundary: str, *, subtype: str = "related",
                   params: tuple[tuple[str, str], ...] = (), content_id: str | None = None) -> Part:
    """A multipart made of ``parts``, to nest in another multipart."""
    value = content_type(f"multipart/{subtype}", (("boundary", boundary),) + tuple(params))
    return Part(value, b"", content_id=content_id, parts=tuple(parts))


def multipart(parts: list[Part], boundary: str, *, subtype: str = "related",
              params: tuple[tuple[str, str], ...] = ()) -> tuple[str, bytes]:
    """``(Content-Type value, body)`` of a multipart made of ``parts``."""
    top = multipart_part(parts, boundary, subtype=subtype, params=params)
    root = top.mime()
    del root["Content-Transfer-Encoding"]  # the HTTP body itself carries no MIME encoding
    _, body = _flatten(root).split(b"\r\n\r\n", 1)
    return top.content_type, body
