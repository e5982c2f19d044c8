"""The Messages API: routes hanging off one object that holds the store,
the accounts and the clock (no global app).

    api = MessagesApi(store, accounts, clock=reactor, notify_new_message=wake)
    site = make_site(api.resource())
    api.mount("health", health_resource)      # extra top-level resources

A created message is committed (``store.write`` has fired) before the 201
goes out; ``notify_new_message(row)`` is then called so a dispatcher can wake.

Routing is one regular expression per route over the decoded path, in a
twisted.web leaf resource.  (It was klein's: at intake rates its
per-request machinery -- werkzeug's URL map binding and matching, the
component lookup, three Deferreds per request -- took about a fifth of the
reactor's time per POST.)  The rules stay werkzeug's: a path parameter is
one or more characters other than ``/``, a GET route answers HEAD, a path
that matches with another method is 405, anything else 404, both as JSON.
"""
from __future__ import annotations

import binascii
import json
from typing import Any, Callable

import re
from urllib.parse import unquote_to_bytes

from twisted.internet.defer import CancelledError, Deferred
from twisted.logger import Logger
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET

from gateway.store.messages import insert_message
from gateway.store.queries import get_media, get_message, list_messages
from gateway.store.timeutil import from_timestamp

from .accounts import Accounts
from .errors import FORBIDDEN, MORE_INFO, NOT_FOUND, UNAUTHORIZED, ApiError
from .intake import new_message
from .listing import check_page_exists, page_body, parse_list
from .unavailable import store_unavailable
from .render import BASE, media_resource, message_resource
from .requests import read_params, query_params

MAX_REQUEST_BODY = 64 * 1024


class MessagesApi:
    log = Logger()

    def __init__(self, store, accounts: Accounts, *, clock,
                 notify_new_message: Callable[[dict], Any] | None = None,
                 max_body: int = MAX_REQUEST_BODY, more_info: str = MORE_INFO) -> None:
        self.store = store
        self.accounts = accounts
        self.clock = clock
        self.notify_new_message = notify_new_message
        self.max_body = max_body
        self.more_info = more_info
        self._root = _Root(_Routes(self, self._routes()))

    # -- composition -----------------------------------------------------
    def resource(self):
        return self._root

    def mount(self, name: str, resource) -> None:
        """Serve ``resource`` (a twisted.web IResource) at ``/<name>`` and below."""
        self._root.putChild(name.encode("utf-8"), resource)

    def set_accounts(self, accounts: Accounts) -> None:
        self.accounts = accounts

    def _routes(self) -> list[tuple[Any, dict[bytes, Any]]]:
        """(pattern, {method: handler}) in matching order."""
        acct = re.escape(BASE) + "/(?P<account>[^/]+)"
        routes = []
        for api, collection in (("messages", "/Messages"), ("sms", "/SMS/Messages")):
            base = acct + re.escape(collection)
            routes.append((re.compile(base + r"(?:\.json)?"),
                           {b"POST": self._handler(self._create, api), b"GET": self._handler(self._list, api)}))
            routes.append((re.compile(base + "/(?P<sid>[^/]+)"), {b"GET": self._handler(self._get, api)}))
        routes.append((re.compile(acct + "/MediaAttachments/(?P<media_sid>[^/]+)"),
                       {b"GET": self._handler(self._media, None)}))
        return routes

    # -- plumbing --------------------------------------------------------
    def _handler(self, fn, api):
        async def handle(request, account: str, **kwargs):
            try:
                self._authorize(request, account)
                status, payload = await fn(request, account, api, **kwargs)
            except ApiError as error:
                return self._error(request, error)
            except CancelledError:
                raise  # the client went away; a created message is still stored
            except Exception as exc:
                unavailable = store_unavailable(exc)  # 503 + Retry-After, not logged per request
                if unavailable is not None:
                    return self._error(request, unavailable)
                self.log.failure("API: {method} {path} failed", method=request.method,
                                 path=request.path)
                return self._error(request, ApiError(500, 20500, "internal error; the request "
                                                     "may be retried"))
            request.setResponseCode(status)
            if not isinstance(payload, bytes):
                request.setHeader(b"content-type", b"application/json")
                payload = json.dumps(payload).encode()
            return _sized(request, payload)
        return handle

    def _error(self, request, error: ApiError) -> bytes:
        request.setResponseCode(error.status)
        request.setHeader(b"content-type", b"application/json")
        if error.status == 401:
            request.setHeader(b"www-authenticate", b'Basic realm="carrier-gateway"')
        for name, value in getattr(error, "headers", {}).items():
            request.setHeader(name, value)
        return _sized(request, error.body(self.more_info))

    def not_found(self, request) -> bytes:
        return self._error(request, NOT_FOUND)

    def not_allowed(self, request) -> bytes:
        return self._error(request, NOT_ALLOWED)

    def _authorize(self, request, account: str) -> None:
        user, token = basic_credentials(request.getHeader(b"authorization"))
        if not user or not self.accounts.check(user, token):
            raise UNAUTHORIZED
        if user != account:
            raise FORBIDDEN

    def _now(self):
        return from_timestamp(self.clock.seconds())

    # -- endpoints -------------------------------------------------------
    async def _create(self, request, account, api):
        params = read_params(request, self.max_body)
        row = new_message(params, account_sid=account, api=api, now=self._now())
        await self.store.write(insert_message, row)
        if self.notify_new_message is not None:
            try:
                self.notify_new_message(row)
            except Exception:
                self.log.failure("notify_new_message failed for {sid}", sid=row["sid"])
        return 201, message_resource(row, api)

    async def _list(self, request, account, api):
        params = query_params(request)
        q = parse_list(params, api)
        rows, total = await self.store.read(list_messages, account, q)
        check_page_exists(q, total)
        path = request.path.decode("utf-8")
        return 200, page_body(path, params, q, total, [message_resource(r, api) for r in rows])

    async def _get(self, request, account, api, sid):
        sid = sid[:-5] if sid.endswith(".json") else sid
        row = await self.store.read(get_message, account, sid)
        if row is None:
            raise NOT_FOUND
        return 200, message_resource(row, api)

    async def _media(self, request, account, api, media_sid):
        as_json = media_sid.endswith(".json")
        media_sid = media_sid[:-5] if as_json else media_sid
        row = await self.store.read(get_media, account, media_sid)
        if row is None:
            raise NOT_FOUND
        if as_json:
            return 200, media_resource(row)
        request.setHeader(b"content-type", row["content_type"].encode("latin-1", "replace"))
        request.setHeader(b"cache-control", b"private, max-age=3600")
        return 200, bytes(row["data"])


NOT_ALLOWED = ApiError(405, 20405, "Method not allowed on this resource")


class _Root(Resource):
    """The site's root: mounted resources by their first path segment
    (``putChild``), every other path to the API's routes."""

    def __init__(self, routes: "_Routes") -> None:
        super().__init__()
        self._routes = routes

    def getChild(self, path: bytes, request) -> Resource:
        return self._routes

    def render(self, request):
        return self._routes.render(request)


class _Routes(Resource):
    isLeaf = True

    def __init__(self, api: MessagesApi, routes) -> None:
        super().__init__()
        self._api = api
        self._table = routes

    def render(self, request):
        try:
            path = unquote_to_bytes(request.path).decode("utf-8")
        except UnicodeDecodeError:
            return self._api._error(request, ApiError(400, 20400, "the URL path is not valid UTF-8"))
        method = b"GET" if request.method == b"HEAD" else request.method
        for pattern, handlers in self._table:
            match = pattern.fullmatch(path)
            if match is not None:
                handler = handlers.get(method)
                if handler is None:
                    return self._api.not_allowed(request)
                return _respond(request, Deferred.fromCoroutine(handler(request, **match.groupdict())))
        return self._api.not_found(request)


def _respond(request, d: Deferred):
    """Write the handler's body when it is ready; cancel it if the client
    goes away first (a message already created stays created)."""
    gone = []

    def write(body: bytes) -> None:
        if not gone:
            request.write(body)
            request.finish()

    def lost(reason) -> None:
        gone.append(reason)
        d.cancel()

    request.notifyFinish().addErrback(lost)
    d.addCallback(write)
    d.addErrback(lambda failure: None if failure.check(CancelledError) else
                 MessagesApi.log.failure("API: response failed", failure))
    return NOT_DONE_YET


def _sized(request, body: bytes) -> bytes:
    # An explicit length: no chunked encoding for answers rendered later.
    request.setHeader(b"content-length", b"%d" % len(body))
    return body


def basic_credentials(header: bytes | None) -> tuple[str, str]:
    """(user, password) from an HTTP Basic Authorization header, or ("", "")."""
    if not header or header[:6].lower() != b"basic ":
        return "", ""
    try:
        decoded = binascii.a2b_base64(header[6:].strip()).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    user, _, password = decoded.partition(":")
    return user, password
