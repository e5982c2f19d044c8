"""Reading request parameters: form or JSON bodies, query strings, and the
body size cap (``CappedRequest`` refuses an oversized body while it arrives;
``read_params`` checks again for sites that use the plain Request)."""
from __future__ import annotations

import json
from urllib.parse import parse_qs

from twisted.web.server import Request, Site

from .connections import (RETRY_AFTER, TOO_MANY, ApiChannel, ConnectionCounter, ConnectionLimits,
                          Refused, raw_response)
from .errors import MORE_INFO, ApiError, malformed

TOO_LARGE = "request body is larger than {limit} bytes"


def _decode(value: bytes, name: str) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise malformed(f"{name}: not valid UTF-8") from None


def query_params(request) -> dict[str, str]:
    """Query-string parameters, last value wins."""
    out: dict[str, str] = {}
    for key, values in (request.args or {}).items():
        if values:
            name = _decode(key, "parameter name")
            out[name] = _decode(values[-1], name)
    return out


def read_params(request, limit: int) -> dict[str, list]:
    """The POST body's fields as name -> list of values (JSON or form)."""
    if getattr(request, "body_too_large", False):
        raise ApiError(413, 20413, TOO_LARGE.format(limit=limit))
    body = request.content.read() if request.content is not None else b""
    if len(body) > limit:
        raise ApiError(413, 20413, TOO_LARGE.format(limit=limit))
    ctype = (request.getHeader(b"content-type") or b"").split(b";")[0].strip().lower()
    args = request.args or {}
    if ctype == b"application/x-www-form-urlencoded" and not _twisted_parsed_form(request):
        args = dict(args)
        for key, values in parse_qs(body, keep_blank_values=True).items():
            args.setdefault(key, []).extend(values)
    elif ctype == b"multipart/form-data" and not _twisted_parsed_form(request):
        raise ApiError(415, 20415, "multipart/form-data is not accepted: send "
                                   "application/x-www-form-urlencoded or application/json")
    if ctype == b"application/json" or (not ctype and body[:1] == b"{"):
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise malformed(f"malformed JSON body: {exc}") from None
        if not isinstance(data, dict):
            raise malformed("the JSON body must be an object")
        return {k: (v if isinstance(v, list) and k != "media_list" else [v])
                for k, v in data.items() if v is not None}
    return {_decode(k, "parameter name"): [_decode(v, k.decode("latin-1")) for v in vs]
            for k, vs in args.items()}


def _twisted_parsed_form(request) -> bool:
    """A plain twisted.web Request has parsed the form body into ``args``
    already; a CappedRequest leaves that to us (it is much cheaper)."""
    return getattr(request, "_parsePOSTFormSubmission", True)


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
