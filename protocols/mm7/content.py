"""The multimedia message (MM) itself: a SMIL presentation, the text body as
text/plain, and each media item, as ``multipart/related`` (or ``mixed``).

Size accounting (what carriers limit): the *decoded* MM — each part's header
block plus its raw body bytes — never the base64 HTTP body, which is a third
larger.  ``mm_size`` and the builder use the same parts, so the figure checked
is the figure sent (the text is put in CRLF form before it is counted).

Part names (Content-ID and Content-Location) are the media file names when
those are plain (letters, digits, ``._~-``, at most 64 characters, unique),
else ``media{N}.{ext}``: a name from a URL never reaches a header as is.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from protocols.mm7.mimebuild import Part, multipart, multipart_part

SMIL_TYPE = "application/smil"
_EXT = {
    "image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/bmp": "bmp",
    "image/webp": "webp", "video/mp4": "mp4", "video/3gpp": "3gp", "audio/amr": "amr",
    "audio/mpeg": "mp3", "audio/mp4": "m4a", "text/vcard": "vcf", "text/x-vcard": "vcf",
    "application/pdf": "pdf", "text/calendar": "ics",
}


def extension(content_type: str) -> str | None:
    """The usual file extension (no dot) for a media type, None when unknown."""
    return _EXT.get(content_type.split(";", 1)[0].strip().lower())


@dataclass(frozen=True)
class MediaItem:
    content_type: str  # "image/jpeg" (no parameters)
    data: bytes
    filename: str | None = None


def _region(content_type: str) -> str:
    major = content_type.split("/", 1)[0]
    return {"image": "img", "video": "video", "audio": "audio", "text": "text"}.get(major, "ref")


def smil(text_name: str | None, media_names: list[tuple[str, str]]) -> bytes:
    """One slide per media item; the text goes on the first slide."""
    slides = []
    items = media_names or [("", "")]
    for index, (name, ctype) in enumerate(items):
        body = []
        if name:
            tag = _region(ctype)
            region = ' region="Image"' if tag in ("img", "video") else ""
            body.append(f"<{tag} src={quoteattr(name)}{region}/>")
        if text_name and index == 0:
            body.append(f'<text src={quoteattr(text_name)} region="Text"/>')
        slides.append('<par dur="5000ms">' + "".join(body) + "</par>")
    doc = (
        "<smil><head><layout>"
        '<root-layout width="100%" height="100%"/>'
        '<region id="Image" top="0%" left="0%" width="100%" height="75%" fit="meet"/>'
        '<region id="Text" top="75%" left="0%" width="100%" height="25%" fit="scroll"/>'
        "</layout></head><body>" + "".join(slides) + "</body></smil>"
    )
    return doc.encode("utf-8")


def mm_parts(body: str, media: list[MediaItem]) -> list[Part]:
    """The MM's parts in order: SMIL first, then the text, then the media."""
    text_name = "text.txt" if body else None
    names = []
    media_parts = []
    for index, item in enumerate(media, start=1):
        name = _part_name(item.filename, {n for n, _ in names} | {text_name, SMIL_NAME}) or \
            f"media{index}.{extension(item.content_type) or 'bin'}"
        names.append((name, item.content_type))
        # base64 whatever the type: a text/vcard's bytes must arrive as they were fetched
        media_parts.append(Part(item.content_type, item.data, content_id=name, location=name,
                                transfer_encoding="base64"))
    parts = [Part(SMIL_TYPE + '; charset="utf-8"', smil(text_name, names),
                  content_id=SMIL_NAME, location=SMIL_NAME)]
    if body:
        parts.append(Part('text/plain; charset="utf-8"', crlf(body).encode("utf-8"),
                          content_id=text_name, location=text_name))
    return parts + media_parts


SMIL_NAME = "presentation.smil"
_PLAIN_NAME = re.compile(r"[A-Za-z0-9._~-]{1,64}")


def _part_name(filename: str | None, taken: set) -> str | None:
    if filename and _PLAIN_NAME.fullmatch(filename) and filename not in taken:
        return filename
    return None


def crlf(text: str) -> str:
    """``text`` with every line break as CRLF (MIME's canonical text form)."""
    return re.sub(r"\r\n|\r|\n", "\r\n", text)


def part_size(part: Part) -> int:
    return len(part.headers()) + len(part.body)


def mm_size(body: str, media: list[MediaItem]) -> int:
    """Decoded size of the MM: every part's headers plus its raw body."""
    return sum(part_size(part) for part in mm_parts(body, media))


def mm_part(body: str, media: list[MediaItem], boundary: str, *, mixed: bool = False,
            content_id: str | None = None) -> Part:
    """The MM as one multipart ``Part`` (to nest in the SOAP message)."""
    parts = mm_parts(body, media)
    if mixed:
        return multipart_part(parts, boundary, subtype="mixed", content_id=content_id)
    return multipart_part(parts, boundary, params=(("type", SMIL_TYPE), ("start", f"<{SMIL_NAME}>")),
                          content_id=content_id)


def build_mm(body: str, media: list[MediaItem], boundary: str, *, mixed: bool = False
             ) -> tuple[str, bytes]:
    """``(Content-Type, bytes)`` of the MM as one MIME entity."""
    part = mm_part(body, media, boundary, mixed=mixed)
    return multipart(list(part.parts), boundary, subtype="mixed" if mixed else "related",
                     params=() if mixed else (("type", SMIL_TYPE), ("start", f"<{SMIL_NAME}>")))
