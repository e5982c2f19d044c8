"""The Messages API: routes hanging off one object that holds the store,
the accounts and the clock (no global app).

    api = MessagesApi(store, accounts, clock=reactor, notify_new_message=wake)
    site = make_site(api.resource())
    api.mount("health", health_resource)      # extra top-level resources

A created message is committed (``store.write`` has fired) before the 201
goes out; ``notify_new_message(row)`` is then called so a dispatcher can wake.

Routing (``gateway.api.routing``) is one OpenAPI path template per route in a
twisted.web leaf resource.  (It was klein's: at intake rates its per-request
machinery -- werkzeug's URL map binding and matching, the component lookup,
three Deferreds per request -- took about a fifth of the reactor's time per
POST.)  The templates are the ``paths`` of the published contract, served
without credentials at ``/api/openapi.json`` (``gateway/api/openapi.json``).
Every error, 404 and 405 included, is the JSON ``{code, message, status,
more_info}``; under ``/Accounts/{AccountSid}`` credentials are checked before
the method.
"""
from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, Callable

from twisted.internet.defer import CancelledError, Deferred
from twisted.logger import Logger
from twisted.web.server import NOT_DONE_YET

from gateway.messages.store import insert_message
from gateway.messages.queries import get_media, get_message, list_messages
from gateway.store.timeutil import from_timestamp

from .accounts import Accounts
from .auth_guard import AuthGuard, basic_credentials, check_credentials  # noqa: F401  (basic_credentials: re-exported)
from .compat import compat_routes
from .errors import FORBIDDEN, NOT_ALLOWED, NOT_FOUND, error_page, internal_error
from gateway.messages.errors import MORE_INFO, ApiError
from .intake import new_message
from gateway.messages.numbering import OPEN_PLAN
from .listing import check_page_exists, page_body, parse_list
from .render import BASE, media_resource, message_resource, shows
from .unavailable import store_unavailable
from .requests import read_params, query_params
from .routing import Root, Route, Routes, allow_header, mounted_routes

MAX_REQUEST_BODY = 64 * 1024
OPENAPI_PATH = "/api/openapi.json"


@cache
def openapi_document() -> bytes:
    """The published contract, as shipped in the package."""
    return resources.files(__package__).joinpath("openapi.json").read_bytes()


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
        self.auth_guard = AuthGuard(clock)  # failure budgets; the daemon sets [api]'s
        self.messaging_services: dict = {}  # sid -> config.MessagingService (set by the daemon)
        self.applications: dict = {}  # sid -> config.Application (set by the daemon)
        self.number_plan = OPEN_PLAN  # digits without '+' (gateway.messages.numbering; set by the daemon)
        self._root = Root(Routes(self, self._routes()))

    # -- composition -----------------------------------------------------
    def resource(self):
        return self._root

    def mount(self, name: str, resource) -> None:
        """Serve ``resource`` (a twisted.web IResource) at ``/<name>`` and below."""
        self._root.putChild(name.encode("utf-8"), resource)

    def set_accounts(self, accounts: Accounts) -> None:
        self.accounts = accounts

    def routes(self) -> list[tuple[str, frozenset[str]]]:
        """(path template, methods) of everything the site serves, in the
        published document's terms (HEAD goes with GET)."""
        out = [(route.template, route.methods) for route in self._root.table.routes]
        for name, child in sorted(self._root.children.items()):
            out.extend(mounted_routes("/" + name.decode("utf-8"), child))
        return out

    def _routes(self) -> list[Route]:
        """The route table in matching order (``.json`` before the bare form)."""
        acct = BASE + "/{AccountSid}"
        table = [Route(OPENAPI_PATH, {b"GET": self._openapi})]
        for api, collection in (("messages", "/Messages"), ("sms", "/SMS/Messages")):
            both = {b"POST": self._handler(self._create, api), b"GET": self._handler(self._list, api)}
            table += [Route(acct + collection + ".json", both), Route(acct + collection, both)]
            one = {b"GET": self._handler(self._get, api)}
            table += [Route(acct + collection + "/{Sid}.json", one), Route(acct + collection + "/{Sid}", one)]
        media = acct + "/MediaAttachments/{Sid}"
        table += [Route(media + ".json", {b"GET": self._handler(self._media, "json")}),
                  Route(media, {b"GET": self._handler(self._media, "content")})]
        return table + compat_routes(self)  # the Twilio-compatible bases (gateway.api.compat)

    # -- plumbing --------------------------------------------------------
    def _handler(self, fn, api):
        async def handle(request, AccountSid: str, **kwargs):  # noqa: N803 (the template's name)
            account = AccountSid
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
                return self._error(request, internal_error(exc))
            request.setResponseCode(status)
            if not isinstance(payload, bytes):
                request.setHeader(b"content-type", b"application/json")
                payload = json.dumps(payload).encode()
            return _sized(request, payload)
        return handle

    def _error(self, request, error: ApiError) -> bytes:
        return error_page(request, error, self.more_info)

    def respond(self, request, coroutine):
        return _respond(request, Deferred.fromCoroutine(coroutine))

    def bad_path(self, request) -> bytes:
        return self._error(request, ApiError(400, 20400, "the URL path is not valid UTF-8"))

    def not_found(self, request) -> bytes:
        return self._error(request, NOT_FOUND)

    def not_allowed(self, request, route: Route, params: dict) -> bytes:
        """405 with Allow; a stranger on an account path gets 401 first."""
        if route.authenticated:
            try:
                self._authorize(request, params["AccountSid"])
            except ApiError as error:
                return self._error(request, error)
        request.setHeader(b"allow", allow_header(route.methods))
        return self._error(request, NOT_ALLOWED)

    def _authorize(self, request, account: str) -> None:
        user, token = basic_credentials(request.getHeader(b"authorization"))
        check_credentials(self.auth_guard, request, user, token,
                          lambda: bool(user) and self.accounts.check(user, token),
                          known=user in self.accounts)
        if user != account:
            raise FORBIDDEN

    def _now(self):
        return from_timestamp(self.clock.seconds())

    # -- endpoints -------------------------------------------------------
    async def _openapi(self, request):
        request.setResponseCode(200)
        request.setHeader(b"content-type", b"application/json")
        request.setHeader(b"cache-control", b"no-cache")
        return _sized(request, openapi_document())

    async def _create(self, request, account, api):
        params = read_params(request, self.max_body)
        row = new_message(params, account_sid=account, api=api, now=self._now(),
                          services=self.messaging_services, applications=self.applications,
                          plan=self.number_plan)
        await self.store.write(insert_message, row)
        self.notify_created(row)
        return 201, message_resource(row, api)

    def notify_created(self, row: dict) -> None:
        if self.notify_new_message is not None:
            try:
                self.notify_new_message(row)
            except Exception:
                self.log.failure("notify_new_message failed for {sid}", sid=row["sid"])

    async def _list(self, request, account, api):
        params = query_params(request)
        q = parse_list(params, api)
        rows, total = await self.store.read(list_messages, account, q)
        check_page_exists(q, total)
        path = request.path.decode("utf-8")
        return 200, page_body(path, params, q, total, [message_resource(r, api) for r in rows])

    async def _get(self, request, account, api, Sid):  # noqa: N803
        sid = Sid
        row = await self.store.read(get_message, account, sid)
        if row is None or not shows(api, row):
            raise NOT_FOUND
        return 200, message_resource(row, api)

    async def _media(self, request, account, form, Sid):  # noqa: N803
        row = await self.store.read(get_media, account, Sid)
        if row is None:
            raise NOT_FOUND
        if form == "json":
            return 200, media_resource(row)
        request.setHeader(b"content-type", row["content_type"].encode("latin-1", "replace"))
        request.setHeader(b"cache-control", b"private, max-age=3600")
        return 200, bytes(row["data"])


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
