"""The console's HTTP side: ``/console``, its static files and ``/console/api/``.

* ``GET /console``: the page (static HTML holding no data; its script asks
  for the figures).  ``GET /console/static/{console.js,console.css}``.
* ``POST /console/login`` (form ``user``, ``password``): 204 with a session
  cookie (HttpOnly, SameSite=Strict, Path=/console), or 401.
  ``POST /console/logout`` ends the session.
* ``GET /console/api/summary``, ``/console/api/failures``,
  ``/console/api/search?q=...``, ``/console/api/messages/{sid}``: JSON, with
  the session cookie or HTTP Basic operator credentials; else 401 with the
  API's JSON error body.  Wrong credentials spend the same failure budgets
  as the API's (429 once spent).  Accounts' auth tokens are not operators.
"""
from __future__ import annotations

import json
import math
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET

from gateway.messages.errors import MORE_INFO, ApiError
from gateway.console import queries
from gateway.console.summary import summary
from gateway.store.interface import Store

log = Logger()
COOKIE = b"gw_console"
STATIC = {"console.js": b"application/javascript; charset=utf-8",
          "console.css": b"text/css; charset=utf-8"}
NOT_FOUND = ApiError(404, 20404, "The requested resource was not found")


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _static(name: str) -> bytes:
    return resources.files("gateway.console").joinpath("static", name).read_bytes()


class Console(Resource):
    """Mounted at ``/console`` by the daemon when ``[console] users`` is set."""

    isLeaf = True

    def __init__(self, auth: Any, sessions: Any, monitor: Any, snapshot: Any, store: Store, clock: Any,
                 node: str):
        super().__init__()
        self.auth, self.sessions = auth, sessions
        self.monitor, self.snapshot, self.store, self.clock = monitor, snapshot, store, clock
        self.node = node

    def render(self, request):
        path = [p.decode("utf-8", "replace") for p in request.postpath if p]
        try:
            return self._route(request, path)
        except ApiError as error:
            return self._error(request, error)

    def _route(self, request, path: list[str]):
        method = request.method
        if not path and method in (b"GET", b"HEAD"):
            if request.getHeader(b"authorization"):
                self._operator(request)  # a wrong credential is a 401 here too
            return self._send(request, _static("console.html"), b"text/html; charset=utf-8")
        if len(path) == 2 and path[0] == "static" and path[1] in STATIC and method == b"GET":
            return self._send(request, _static(path[1]), STATIC[path[1]])
        if path == ["login"] and method == b"POST":
            return self._login(request)
        if path == ["logout"] and method == b"POST":
            self.sessions.close(request.getCookie(COOKIE).decode() if request.getCookie(COOKIE) else None)
            request.setResponseCode(204)
            return b""
        if len(path) >= 2 and path[0] == "api" and method == b"GET":
            self._operator(request)
            return self._api(request, path[1:])
        raise NOT_FOUND

    def _operator(self, request) -> str:
        cookie = request.getCookie(COOKIE)
        user = self.sessions.user(cookie.decode("ascii", "replace") if cookie else None)
        if user is not None:
            return user
        return self.auth.check(request)

    def _login(self, request):
        form = parse_qs(request.content.read().decode("utf-8", "replace"))
        user = form.get("user", [""])[0]
        self.auth.check_login(request, user, form.get("password", [""])[0])
        token = self.sessions.open(user)
        request.addCookie(COOKIE, token.encode(), path=b"/console", httpOnly=True, sameSite="strict",
                          secure=request.isSecure())
        log.info("console: operator {user} logged in from {peer}", user=user,
                 peer=getattr(request.getClientAddress(), "host", "-"))
        request.setResponseCode(204)
        return b""

    def _api(self, request, path: list[str]):
        if path == ["summary"]:
            return self._json(request, summary(self.monitor, self.snapshot, self.clock, self.node))
        if path == ["failures"]:
            return self._deferred(request, self.store.read(queries.recent_failures))
        if path == ["search"]:
            q = request.args.get(b"q", [b""])[0].decode("utf-8", "replace")
            return self._deferred(request, self.store.read(queries.search, q))
        if len(path) == 2 and path[0] == "messages":
            return self._deferred(request, self.store.read(queries.history, path[1]), missing=True)
        raise NOT_FOUND

    def _deferred(self, request, d: Deferred, missing: bool = False):
        gone: list[bool] = []
        request.notifyFinish().addErrback(lambda _: gone.append(True))

        def answer(body: bytes) -> None:
            if not gone:
                request.write(body)
                request.finish()

        def done(result):
            if missing and result is None:
                answer(self._error(request, NOT_FOUND))
            else:
                answer(self._json(request, result))

        def failed(failure):
            log.failure("console: store read failed", failure)
            answer(self._error(request, ApiError(500, 20500, "store read failed; retry")))

        d.addCallbacks(done, failed)
        return NOT_DONE_YET

    def _send(self, request, body: bytes, content_type: bytes) -> bytes:
        request.setHeader(b"content-type", content_type)
        request.setHeader(b"cache-control", b"no-store")
        request.setHeader(b"x-content-type-options", b"nosniff")
        request.setHeader(b"content-security-policy",
                          b"default-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
        return body

    def _json(self, request, value: Any) -> bytes:
        body = json.dumps(_clean(value), sort_keys=True, default=str).encode() + b"\n"
        return self._send(request, body, b"application/json")

    def _error(self, request, error: ApiError) -> bytes:
        request.setResponseCode(error.status)
        if error.status == 401 and request.getHeader(b"authorization"):
            request.setHeader(b"www-authenticate", b'Basic realm="carrier-gateway console"')
        request.setHeader(b"content-type", b"application/json")
        return error.body(MORE_INFO)
