"""``MmsSender``: one MM7 carrier as the dispatcher sees it.

A ``gateway.dispatch.outcomes.Sender``: ``send(row, now) -> Deferred[Outcome]``
does, in order:

1. refuse a message whose validity already ended (30001);
2. fetch every ``media_list`` item (``MediaFetcher``: SSRF guard, caps);
3. size check against the carrier's limit for the sender type and, when too
   large, downscale/recompress the images (Pillow, off the reactor thread via
   ``run_blocking``); an MM that still does not fit fails 30019 *before*
   anything is sent;
4. build the SubmitReq (zeep + the email package, off the reactor thread
   via ``run_blocking``; a part it refuses fails 12300) and POST it (``Mm7Client``: retries
   with backoff on transport errors, 5xx and 3xxx);
5. ``Sent(extra={"mm7_message_id": ...})`` on 1xxx, else ``Failed`` with the
   mapped error code (see ``protocols.mm7.status``).
"""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Callable, Generator, Mapping

from twisted.internet.defer import Deferred, DeferredList, inlineCallbacks, maybeDeferred
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from gateway.config.model import CarrierConfig
from gateway.dispatch.outcomes import Failed, Outcome, Sent
from gateway.messages.validity import validity_left
from gateway.mms.client import HttpClient, Mm7Client
from gateway.mms.fetch import MediaError, MediaFetcher
from gateway.mms.images import ShrinkPolicy, fit
from gateway.mms.limits import DEFAULT_PROFILES, sender_type, size_limit
from protocols.mm7.envelope import Dialect
from protocols.mm7.status import SIZE_EXCEEDED, Verdict
from protocols.mm7.submit import SubmitRequest, build_submit

log = Logger()
ERROR_EXPIRED = 30001
ERROR_CONTENT_TYPE = 12300


def _inline(fn, *args, **kwargs):
    return maybeDeferred(fn, *args, **kwargs)


class MmsSender:
    def __init__(self, carrier_config: CarrierConfig, http: HttpClient, clock: IReactorTime,
                 fetcher: MediaFetcher, *,
                 run_blocking: Callable[..., Any] = _inline, shrink: ShrinkPolicy = ShrinkPolicy(),
                 profiles=DEFAULT_PROFILES, new_token: Callable[[], str] = lambda: uuid.uuid4().hex,
                 backoff: float = 1.0):
        settings = carrier_config.mm7
        self.config = carrier_config
        self.name = carrier_config.name
        self.settings = settings
        self.dialect = Dialect(settings.mm7_version, settings.mm7_namespace, settings.use_prefix)
        self.client = Mm7Client(http, clock, url=settings.url, username=settings.username,
                                password=settings.password, timeout=settings.timeout,
                                retries=settings.retries, backoff=backoff, name=self.name)
        self.fetcher = fetcher
        self._run_blocking = run_blocking
        self.shrink = shrink
        self._profiles = profiles
        self._token = new_token
        self.is_up = True  # HTTP: every send connects afresh; failures are per message

    def limit_for(self, sender: str) -> int:
        return size_limit(self.name, sender, dict(self.settings.size_limits or {}), self._profiles)

    @inlineCallbacks
    def send(self, row: Mapping[str, Any], now: datetime) -> Generator[Deferred, Any, Outcome]:
        left = validity_left(row, now)
        if left is not None and left <= 0:
            return Failed(ERROR_EXPIRED, "validity period ended before the message could be sent",
                          try_next=False)
        try:
            media = yield self._fetch_all(row.get("media_list") or [])
        except MediaError as exc:
            return Failed(exc.error_code, exc.message, try_next=False)
        body = row.get("body") or ""
        limit = self.limit_for(row["from_"])
        fitted = yield self._run_blocking(fit, body, media, limit, self.shrink)
        if not fitted.fits:
            kind = sender_type(row["from_"]).replace("_", " ")
            how = " even after downscaling the images" if fitted.changed else ""
            return Failed(SIZE_EXCEEDED, f"content size exceeds carrier limit: the MMS is {fitted.size} bytes"
                          f"{how}, over {self.name}'s {limit}-byte limit for {kind} senders", try_next=False)
        if fitted.changed:
            log.info("mms {sid}: images downscaled to fit {limit} bytes ({size} bytes)",
                     sid=row["sid"], limit=limit, size=fitted.size)
        request = SubmitRequest(
            sender=row["from_"], recipients=(row["to"],), body=body, media=fitted.media,
            vasp_id=self.settings.vasp_id or None, vas_id=self.settings.vas_id or None,
            service_code=self.settings.service_code or None, linked_id=row.get("linked_id"),
            expiry=int(left) if left is not None else None, delivery_report=True)
        try:  # off the reactor thread, like fit(): a big MM takes milliseconds to encode
            ctype, payload = yield self._run_blocking(build_submit, request, self.dialect, row["sid"],
                                                      f"=_{self._token()}")
        except ValueError as exc:  # a header value the email package refuses (CR/LF, bad type)
            return Failed(ERROR_CONTENT_TYPE, f"the MMS could not be built: {exc}", try_next=False)
        result = yield self.client.submit(ctype, payload)
        if result.verdict is Verdict.SENT:
            return Sent((), extra={"mm7_message_id": result.message_id})
        retried = result.attempts > 1
        return Failed(result.error_code, result.error_message, try_next=retried)

    def _fetch_all(self, media_list):
        if not media_list:
            return maybeDeferred(list)
        calls = [self.fetcher.fetch(item.get("url") or "", item.get("content_type"))
                 for item in media_list]

        def collect(results):
            for ok, value in results:
                if not ok:
                    value.raiseException()
            return [value for _, value in results]

        return DeferredList(calls, consumeErrors=True).addCallback(collect)
