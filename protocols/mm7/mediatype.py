"""Media types by the RFC 2045 grammar (section 5.1), strictly.

    content  := type "/" subtype *( ";" parameter )
    parameter := attribute "=" value
    value    := token / quoted-string
    token    := 1*<US-ASCII CHAR except SPACE, CTLs and tspecials>
    tspecials := ( ) < > @ , ; : \\ " / [ ] ? =

Optional spaces or tabs may surround ";" and "=" (clients write
``text/plain; charset=utf-8``), never CR or LF: a value that passes cannot
carry a header line break, so it cannot inject headers into a MIME part.
The whole value is at most ``MAX_LENGTH`` characters.  This is the one check
for media types that come from outside: API intake (``media_list``
``content_type``), RCML ``<Media contentType>`` and the MM7 part builder.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LENGTH = 255
_TOKEN = r"[!#$%&'*+\-.^_`{|}~0-9A-Za-z]+"
_QUOTED = r'"(?:[\t\x20\x21\x23-\x5b\x5d-\x7e]|\\[\t\x20-\x7e])*"'
_WS = r"[ \t]*"
_PARAM = re.compile(rf"{_WS};{_WS}({_TOKEN}){_WS}={_WS}({_TOKEN}|{_QUOTED})")
_HEAD = re.compile(rf"{_WS}({_TOKEN})/({_TOKEN})")
_TAIL = re.compile(rf"{_WS};?{_WS}")  # a trailing ";" is tolerated, as browsers do


class InvalidMediaType(ValueError):
    """Not ``type/subtype`` with optional ``; name=value`` parameters."""


@dataclass(frozen=True)
class MediaType:
    type: str  # lower-case
    subtype: str  # lower-case
    params: tuple[tuple[str, str], ...] = ()  # (lower-case name, unquoted value)

    @property
    def essence(self) -> str:
        return f"{self.type}/{self.subtype}"

    def param(self, name: str) -> str | None:
        return next((value for key, value in self.params if key == name.lower()), None)


def _unquote(value: str) -> str:
    if value.startswith('"'):
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def parse_media_type(value: str) -> MediaType:
    """``value`` parsed, or ``InvalidMediaType`` saying what is wrong."""
    if not isinstance(value, str):
        raise InvalidMediaType("a media type must be a string")
    if len(value) > MAX_LENGTH:
        raise InvalidMediaType(f"a media type is at most {MAX_LENGTH} characters")
    head = _HEAD.match(value)
    if head is None:
        raise InvalidMediaType(f"{value!r} is not type/subtype (RFC 2045)")
    params, pos = [], head.end()
    while (match := _PARAM.match(value, pos)) is not None:
        params.append((match.group(1).lower(), _unquote(match.group(2))))
        pos = match.end()
    if _TAIL.fullmatch(value, pos) is None:
        raise InvalidMediaType(f"{value!r}: invalid text at {value[pos:pos + 20]!r} "
                               "(parameters are ; name=value, RFC 2045)")
    return MediaType(head.group(1).lower(), head.group(2).lower(), tuple(params))


def is_media_type(value: object) -> bool:
    try:
        parse_media_type(value)  # type: ignore[arg-type]
    except InvalidMediaType:
        return False
    return True
