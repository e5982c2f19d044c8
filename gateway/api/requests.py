"""Reading request parameters: form or JSON bodies, query strings, and the
body size cap (``CappedRequest`` refuses an oversized body while it arrives;
``read_params`` checks again for sites that use the plain Request).

Rules:

* Text is UTF-8 everywhere: a form body, its percent-escapes, a JSON body
  and a query string that are not UTF-8 get 400 (21100).
* A POST body is ``application/x-www-form-urlencoded`` or
  ``application/json`` (a ``charset`` other than UTF-8 is 415); a body with
  no Content-Type is read as JSON when it starts with ``{``.  Any other
  type with a body, multipart included, is 415 (20415).  A JSON document
  sent as a form gets 400 with a hint.
* Forms are parsed here with ``urllib.parse`` on the decoded text, never by
  twisted.web (so a plain ``Site`` and ``make_site`` read the same fields);
  query-string fields of a form POST count as fields too.
* JSON: at most ``MAX_JSON_DEPTH`` levels of nesting, integers of at most
  ``MAX_JSON_DIGITS`` digits, no NaN/Infinity; numbers keep their written
  text.  A field's JSON array is its list of values only for the repeatable
  fields (``REPEATABLE``); elsewhere the array is one value, which intake
  refuses where it expects a scalar.
"""
from __future__ import annotations

import json
from urllib.parse import parse_qsl

from twisted.web.server import Request, Site

from .connections import (RETRY_AFTER, TOO_MANY, ApiChannel, ConnectionCounter, ConnectionLimits,
                          Refused, raw_response)
from gateway.messages.errors import MORE_INFO, ApiError, malformed

TOO_LARGE = "request body is larger than {limit} bytes"
FORM = b"application/x-www-form-urlencoded"
JSON = b"application/json"
MULTIPART = b"multipart/form-data"
MAX_FIELDS = 256  # far more than any message needs; bounds the work per body
MAX_JSON_DEPTH = 16
MAX_JSON_DIGITS = 40
REPEATABLE = frozenset({"MediaUrl", "media_url"})
UNSUPPORTED = ("a request body must be application/x-www-form-urlencoded or "
               "application/json (UTF-8)")
JSON_AS_FORM = ("the body looks like JSON but was sent as application/x-www-form-urlencoded: "
                "send it with Content-Type: application/json")


def _utf8(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise malformed(f"{what} is not valid UTF-8 (byte {exc.start})") from None


def parse_form(text: str, what: str = "the form body") -> list[tuple[str, str]]:
    """``a=1&b=%C3%BC`` -> [(name, value)]: strict UTF-8 after unescaping,
    ``+`` is a space, blank values kept, at most ``MAX_FIELDS`` fields."""
    try:
        return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict",
                         max_num_fields=MAX_FIELDS)
    except UnicodeDecodeError:
        raise malformed(f"{what}: a percent-escape is not valid UTF-8") from None
    except ValueError:
        raise malformed(f"{what} has more than {MAX_FIELDS} fields") from None


def _query_string(uri: bytes | None) -> bytes | None:
    _, sep, raw = (uri or b"").partition(b"?")
    return raw if sep else None


def _query_fields(raw: bytes | None) -> list[tuple[str, str]]:
    if raw is None:
        return []
    return parse_form(_utf8(raw, "the query string"), "the query string")


def query_params(request) -> dict[str, str]:
    """Query-string parameters; a name given twice is a 400 (which value
    was meant cannot be known)."""
    out: dict[str, str] = {}
    for name, value in _query_fields(_query_string(request.uri)):
        if name in out:
            raise malformed(f"{name}: given more than once; give it once")
        out[name] = value
    return out


def _media_type(header: bytes | None) -> tuple[bytes, bytes | None]:
    """(type, charset) of a Content-Type header, both lower case."""
    parts = (header or b"").split(b";")
    charset = None
    for param in parts[1:]:
        key, _, value = param.partition(b"=")
        if key.strip().lower() == b"charset":
            charset = value.strip().strip(b'"').lower()
    return parts[0].strip().lower(), charset


def read_params(request, limit: int) -> dict[str, list]:
    """The POST body's fields as name -> list of values (JSON or form)."""
    if getattr(request, "body_too_large", False):
        raise ApiError(413, 20413, TOO_LARGE.format(limit=limit))
    body = request.content.read() if request.content is not None else b""
    if len(body) > limit:
        raise ApiError(413, 20413, TOO_LARGE.format(limit=limit))
    return body_params(body, request.getHeader(b"content-type"), _query_string(request.uri))


def body_params(body: bytes, content_type: bytes | None,
                query: bytes | None = None) -> dict[str, list]:
    """A POST's fields (pure): the body by its Content-Type, plus the query
    string's fields for a form."""
    ctype, charset = _media_type(content_type)
    if charset not in (None, b"utf-8", b"utf8"):
        raise ApiError(415, 20415, UNSUPPORTED)
    if ctype == JSON or (not ctype and body.lstrip()[:1] == b"{"):
        return _json_params(body)
    if ctype == MULTIPART:
        raise ApiError(415, 20415, "multipart/form-data is not accepted: send "
                                   "application/x-www-form-urlencoded or application/json")
    if ctype != FORM and body.strip():
        raise ApiError(415, 20415, UNSUPPORTED)
    fields = _query_fields(query)
    if ctype == FORM:
        if body.lstrip()[:1] in (b"{", b"["):
            raise malformed(JSON_AS_FORM)
        fields += parse_form(_utf8(body, "the form body"))
    out: dict[str, list] = {}
    for name, value in fields:
        out.setdefault(name, []).append(value)
    return out


def _big_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_JSON_DIGITS:
        raise malformed(f"a JSON number has more than {MAX_JSON_DIGITS} digits")
    return int(text)


def _no_constant(name: str):
    raise malformed(f"{name} is not a JSON value")


def _depth(value, limit: int) -> bool:
    """True when ``value`` nests no deeper than ``limit`` (iterative)."""
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (list, dict)):
            if level > limit:
                return False
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return True


def parse_json(text: str, what: str = "the JSON body"):
    """A JSON document within the limits above, or a 400 naming ``what``."""
    try:
        data = json.loads(text, parse_int=_big_int, parse_float=str,
                          parse_constant=_no_constant)
    except RecursionError:
        data, deep = None, True
    except ValueError as exc:  # the hooks raise ApiError, which is no ValueError
        raise malformed(f"{what}: malformed JSON: {exc}") from None
    else:  # fewer brackets than the limit cannot nest deeper than it
        brackets = text.count("[") + text.count("{")
        deep = brackets > MAX_JSON_DEPTH and not _depth(data, MAX_JSON_DEPTH)
    if deep:
        raise malformed(f"{what}: JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return data


def _json_params(body: bytes) -> dict[str, list]:
    data = parse_json(_utf8(body, "the JSON body"))
    if not isinstance(data, dict):
        raise malformed("the JSON body must be an object")
    return {k: (v if k in REPEATABLE and isinstance(v, list) else [v])
            for k, v in data.items() if v is not None}


class CappedRequest(Request):
    """A Request that stops buffering a body larger than ``max_body``.

    ``make_site`` also turns off twisted.web's own form parsing (it parses
    every POST's Content-Type with the email package, which costs more than
    the rest of an API request together); ``read_params`` parses forms.
    """

    max_body = 64 * 1024
    body_too_large = False

    def gotLength(self, length):
        if length is not None and length > self.max_body:
            self.body_too_large = True
            length = 0
        super().gotLength(length)

    def handleContentChunk(self, data):
        if self.body_too_large:
            return
        if self.content.tell() + len(data) > self.max_body:
            self.body_too_large = True
            self.content.seek(0)
            self.content.truncate()
            return
        super().handleContentChunk(data)


class ApiSite(Site):
    """A Site with capped request bodies, header and body deadlines and
    connection caps (``gateway.api.connections``), requests it cannot read
    answered as JSON (``gateway.api.channel``), and by default no access log
    (at thousands of requests per second it would drown the journal)."""

    access_log = False
    protocol = ApiChannel
    more_info = MORE_INFO

    def __init__(self, resource, *, limits: ConnectionLimits | None = None, **kwargs):
        super().__init__(resource, **kwargs)
        self.limits = limits or ConnectionLimits()
        self.connections = ConnectionCounter(self.limits, self.reactor)

    def log(self, request):
        if self.access_log:
            super().log(request)

    def buildProtocol(self, addr):
        host = getattr(addr, "host", "")
        if self.connections.admit(host) is not None:
            return Refused(raw_response(TOO_MANY, self.more_info, (b"Retry-After", b"%d" % RETRY_AFTER)))
        channel = super().buildProtocol(addr)
        channel.peer_host = host
        return channel

    def connection_closed(self, channel) -> None:
        self.connections.release(channel.peer_host)

    def too_slow(self, channel, phase: str) -> None:
        self.connections.too_slow(channel.peer_host, phase)


def make_site(resource, *, max_body: int = 64 * 1024, access_log: bool = False,
              limits: ConnectionLimits | None = None, **kwargs) -> Site:
    """A Site for the API whose requests cap their bodies at ``max_body``."""
    kwargs.setdefault("parsePOSTFormSubmission", False)  # read_params parses forms
    site = ApiSite(resource, limits=limits, **kwargs)
    site.requestFactory = type("ApiRequest", (CappedRequest,), {"max_body": max_body})
    site.access_log = access_log
    return site
