"""The Twilio-compatible Messages surface, so that the unchanged ``twilio``
and ``signalwire`` SDKs work against the gateway.

Served under both ``/2010-04-01/Accounts/{AccountSid}`` and SignalWire's
``/api/laml/2010-04-01/Accounts/{AccountSid}`` (``compat_render.BASES``),
each path with and without ``.json``:

* ``POST /Messages``: create, with the SMS API's semantics (plain E.164
  ``To``/``From``; ``MediaUrl`` makes it an MMS); 201 with the resource.
* ``GET /Messages``: list (paging, ``To``, ``From``, ``DateSent``,
  ``DateSent<``, ``DateSent>`` and the other list filters), SMS and MMS.
* ``GET /Messages/{Sid}``: fetch; ``POST /Messages/{Sid}`` with
  ``Body=""`` redacts (any other update is a 400); ``DELETE`` removes a
  message in a final status (204; one not final is 409, code 20009).
* ``GET /Messages/{Sid}/Media`` lists its media;
  ``/Media/{MediaSid}.json`` is one item, ``/Media/{MediaSid}`` its
  content (stored parts) or a redirect to the URL it was sent from.

Authentication, errors and the plumbing are ``MessagesApi``'s: this module
only adds routes and their handlers.
"""
from __future__ import annotations

from dataclasses import replace

from gateway.messages.store import insert_message
from gateway.messages.queries import get_media, get_message, list_messages

from .compat_render import BASES, compat_media, compat_message, media_page
from .compat_store import DELETED, delete_message, message_media, redact_body
from .errors import NOT_FOUND
from gateway.messages.errors import ApiError, malformed
from .intake import new_message
from .listing import check_page_exists, page_body, parse_list
from .requests import query_params, read_params
from .routing import Route

NOT_FINAL = ApiError(409, 20009, "Cannot delete a message that is not in a final status "
                                 "(delivered, undelivered, failed or received)")


def compat_routes(api) -> list[Route]:
    """The routes of both bases, ``.json`` before the bare form."""
    handlers = CompatHandlers(api)
    table = []
    for base in BASES:
        acct = base + "/{AccountSid}/Messages"
        h = lambda fn: api._handler(fn, base)  # noqa: E731  (the base is the handler's "api")
        pairs = [
            ("", {b"POST": h(handlers.create), b"GET": h(handlers.list)}),
            ("/{Sid}", {b"GET": h(handlers.fetch), b"POST": h(handlers.update),
                        b"DELETE": h(handlers.delete)}),
            ("/{Sid}/Media", {b"GET": h(handlers.media_list)}),
        ]
        for suffix, methods in pairs:
            table += [Route(acct + suffix + ".json", methods), Route(acct + suffix, methods)]
        table += [Route(acct + "/{Sid}/Media/{MediaSid}.json", {b"GET": h(handlers.media_json)}),
                  Route(acct + "/{Sid}/Media/{MediaSid}", {b"GET": h(handlers.media_content)})]
    return table


class CompatHandlers:
    def __init__(self, api) -> None:
        self.api = api

    @property
    def store(self):
        return self.api.store

    async def create(self, request, account, base):
        params = read_params(request, self.api.max_body)
        row = new_message(params, account_sid=account, api="sms", now=self.api._now(),
                          services=self.api.messaging_services,
                          applications=self.api.applications, plan=self.api.number_plan)
        await self.store.write(insert_message, row)
        self.api.notify_created(row)
        return 201, compat_message(row, base)

    async def list(self, request, account, base):
        params = query_params(request)
        q = replace(parse_list(params, "sms"), channel=None)  # SMS and MMS alike
        rows, total = await self.store.read(list_messages, account, q)
        check_page_exists(q, total)
        path = request.path.decode("utf-8")
        return 200, page_body(path, params, q, total, [compat_message(r, base) for r in rows])

    async def fetch(self, request, account, base, Sid):  # noqa: N803 (the template's name)
        row = await self.store.read(get_message, account, Sid)
        if row is None:
            raise NOT_FOUND
        return 200, compat_message(row, base)

    async def update(self, request, account, base, Sid):  # noqa: N803
        params = read_params(request, self.api.max_body)
        if set(params) != {"Body"} or params["Body"] != [""]:
            raise malformed("Only redaction can be updated: send Body with an empty value "
                            "(Body=) and no other field")
        row = await self.store.write(redact_body, account, Sid)
        if row is None:
            raise NOT_FOUND
        return 200, compat_message(row, base)

    async def delete(self, request, account, base, Sid):  # noqa: N803
        outcome = await self.store.write(delete_message, account, Sid)
        if outcome is None:
            raise NOT_FOUND
        if outcome != DELETED:
            raise NOT_FINAL
        return 204, b""

    async def _items(self, account, sid):
        items = await self.store.read(message_media, account, sid)
        if items is None:
            raise NOT_FOUND
        return items

    async def media_list(self, request, account, base, Sid):  # noqa: N803
        items = await self._items(account, Sid)
        return 200, media_page(request.path.decode("utf-8"), [compat_media(i, base) for i in items])

    async def _item(self, account, sid, media_sid):
        for item in await self._items(account, sid):
            if item["sid"] == media_sid:
                return item
        raise NOT_FOUND

    async def media_json(self, request, account, base, Sid, MediaSid):  # noqa: N803
        return 200, compat_media(await self._item(account, Sid, MediaSid), base)

    async def media_content(self, request, account, base, Sid, MediaSid):  # noqa: N803
        item = await self._item(account, Sid, MediaSid)
        if item["url"] is not None:
            request.setHeader(b"location", item["url"].encode("ascii"))
            return 302, b""
        row = await self.store.read(get_media, account, MediaSid)
        request.setHeader(b"content-type", row["content_type"].encode("latin-1", "replace"))
        request.setHeader(b"cache-control", b"private, max-age=3600")
        return 200, bytes(row["data"])
