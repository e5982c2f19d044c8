"""Turning a POST into a message row (pure: no I/O, the caller passes ``now``
and the parsed parameters).

``Params`` maps a field name to the list of its values (form fields repeat;
a JSON array becomes the list).  Field names are looked up in the spellings
both APIs use (``status_callback`` / ``StatusCallback``, ``ValidityPeriod`` /
``validity_period``, …).

Exactness: every string is checked and normalised first (``strings``); a
field that takes one value and is given twice, or as a JSON array or
object, is a 400; ``ValidityPeriod`` is ASCII digits only; ``MaxPrice``
matches ``^\\d+\\.?\\d{0,4}$``.

``ApplicationSid`` names an ``[[applications]]`` entry of the account; its
status callback (URL and method) is the message's unless the request
gives ``StatusCallback`` itself (SignalWire's document: "If ApplicationSid
and StatusCallback are specified, StatusCallback will take precedence").
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Mapping
from gateway.common import weburl
from gateway.messages.sids import new_sid
from protocols.mm7.mediatype import is_media_type
from segmentation import SegmentationError, plan

from gateway.messages.addresses import resolve_pair, split_pair
from gateway.messages.errors import bad_request, malformed
from gateway.messages.numbering import OPEN_PLAN, NumberPlan
from .senders import service_numbers, sticky_sender
from .strings import clean_params

MAX_MEDIA = 8
MAX_BODY_CHARS = 1600  # SMS: the concatenated-message limit
MAX_MMS_TEXT = 5000  # MMS text part
VALIDITY_DEFAULT = 14400  # 4 hours
VALIDITY_MAX = 172800  # 48 hours
MAX_PRICE = re.compile(r"[0-9]+\.?[0-9]{0,4}")  # the documented ^\d+\.?\d{0,4}$, ASCII digits

Params = Mapping[str, list[Any]]

def _field(params: Params, names: tuple[str, ...]) -> tuple[str, Any]:
    """(name, value) of the first field present, or (names[0], None); a
    field given twice is a 400 (which value was meant cannot be known)."""
    for name in names:
        values = params.get(name)
        if values:
            if len(values) > 1:
                raise malformed(f"{name}: given {len(values)} times; it takes one value")
            return name, values[0]
    return names[0], None


def _get(params: Params, *names: str) -> Any:
    return _field(params, names)[1]


def _text(params: Params, *names: str) -> str | None:
    name, value = _field(params, names)
    if value is None or type(value) is str:
        return value
    if isinstance(value, (list, dict)):
        kind = "an array" if isinstance(value, list) else "an object"
        raise malformed(f"{name}: expected a single value, not {kind}")
    if not isinstance(value, int) or isinstance(value, bool):
        raise malformed(f"{name}: expected a string")
    return str(value)


def _whole_number(raw: str) -> int | None:
    """``raw`` as an int when it is ASCII digits only (no sign, ``_``,
    spaces or other scripts' digits), else None."""
    return int(raw) if raw.isascii() and raw.isdigit() else None


def _http_url(url: Any, code: int, field: str) -> str:
    """The URL normalised by ``gateway.common.weburl`` (the parser the callback
    sender and the media fetcher use), or a 400 saying what is wrong."""
    try:
        return weburl.parse(url).text
    except weburl.BadUrl as exc:
        shown = repr(url) if isinstance(url, str) else "the value"
        shown = shown.encode("ascii", "backslashreplace").decode("ascii")
        raise bad_request(code, f"{field}: {shown[:200]} is not a usable http(s) URL: {exc}") from None


def _media(params: Params) -> list[dict]:
    items: list[dict] = []
    raw = _get(params, "media_list", "MediaList")  # clean_params parsed a JSON string
    if raw is not None:
        if not isinstance(raw, list):
            raise bad_request(21620, "media_list: expected a JSON array of {url, content_type}")
        for item in raw:
            if not isinstance(item, dict) or not isinstance(item.get("url"), str):
                raise bad_request(21620, "media_list: each item needs an http(s) 'url'")
            url = _http_url(item["url"], 21620, "media_list")
            ctype = item.get("content_type", item.get("content-type"))  # the document's example
            if ctype is not None and not isinstance(ctype, str):
                raise bad_request(21620, "media_list: content_type must be a string")
            if ctype is not None and not is_media_type(ctype):
                raise bad_request(21620, f"media_list: content_type {ctype[:80]!r} is not a media type "
                                         "(type/subtype with optional ; name=value parameters, RFC 2045)")
            items.append({"url": url, "content_type": ctype})
    for name in ("MediaUrl", "media_url"):
        for url in params.get(name) or []:
            items.append({"url": _http_url(url, 21620, "MediaUrl"), "content_type": None})
    if len(items) > MAX_MEDIA:
        raise bad_request(21623, f"{len(items)} media items; at most {MAX_MEDIA} are allowed")
    return items


def _validity(params: Params) -> int:
    raw = _text(params, "ValidityPeriod", "validity_period")
    if raw is None:
        return VALIDITY_DEFAULT
    value = _whole_number(raw) or 0
    if not 1 <= value <= VALIDITY_MAX:
        raise bad_request(21624, f"ValidityPeriod: {raw!r} is not a whole number of seconds "
                                 f"from 1 to {VALIDITY_MAX}")
    return value


def _max_price(params: Params) -> str | None:
    raw = _text(params, "MaxPrice", "max_price")
    if raw is None:
        return None
    if not MAX_PRICE.fullmatch(raw):
        raise malformed(f"MaxPrice: {raw!r} is not a price such as 0.05 (digits, then at "
                        "most 4 decimals)")
    return str(Decimal(raw))


def _callback(params: Params, default_method: str) -> tuple[str | None, str | None]:
    url = _text(params, "status_callback", "StatusCallback")
    method = _text(params, "status_callback_method", "StatusCallbackMethod")
    if url in (None, ""):
        return None, None
    url = _http_url(url, 21609, "StatusCallback")
    method = (method or default_method).upper()
    if method not in ("GET", "POST"):
        raise bad_request(21609, f"StatusCallbackMethod: {method!r} must be GET or POST")
    return url, method


def _send_as_mms(params: Params) -> bool:
    name, value = _field(params, ("SendAsMms", "send_as_mms"))
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise malformed(f"{name}: must be true or false")


def _application_callback(params: Params, applications, account_sid: str
                          ) -> tuple[str | None, str | None]:
    """(status callback URL, method) of the account's ``ApplicationSid``
    (``[[applications]]``), or (None, None) when none is named."""
    name, sid = _field(params, ("ApplicationSid", "application_sid"))
    if sid in (None, ""):
        return None, None
    if not isinstance(sid, str):
        raise malformed(f"{name}: expected a string")
    application = (applications or {}).get(sid)
    if application is None or application.account != account_sid:
        raise malformed(f"{name}: {sid[:64]!r} is not an application of this account "
                        "(see [[applications]] in the gateway's config)")
    if not application.status_callback:
        return None, None
    return application.status_callback, application.status_callback_method


def _segments(body: str, channel: str) -> int:
    if channel == "mms":
        if len(body) > MAX_MMS_TEXT:
            raise bad_request(21617, f"body is {len(body)} characters; an MMS text is "
                                     f"limited to {MAX_MMS_TEXT}")
        return 1
    if len(body) > MAX_BODY_CHARS:
        raise bad_request(21617, f"body is {len(body)} characters; an SMS is limited to "
                                 f"{MAX_BODY_CHARS}")
    try:
        return plan(body, reference=0, max_length=MAX_BODY_CHARS).num_segments
    except SegmentationError:  # clean_params let through only text that plans
        raise bad_request(21617, "body cannot be sent as an SMS") from None


def _service_sender(params: Params, services, account_sid: str, to_value: str,
                    from_value: str | None) -> tuple[str | None, str | None]:
    """(service sid, From): a service's pool gives From when it is absent
    (``gateway.api.senders``: sticky per destination)."""
    sid = _text(params, "MessagingServiceSid", "messaging_service_sid") or None
    if sid is None:
        return None, from_value
    numbers = service_numbers(services or {}, sid, account_sid)
    if from_value:
        return sid, from_value
    channel, colon, address = to_value.rpartition(":")
    return sid, f"{channel}{colon}{sticky_sender(numbers, address)}"


def _channel(channel: str, params: Params, media: list[dict], uris: bool) -> str:
    """The message's channel: an SMS with media (SMS API) or ``SendAsMms``
    goes as an MMS, over MM7 (so From and To resolve against MM7 routes)."""
    if channel == "sms" and _send_as_mms(params):  # a text-only MMS
        return "mms"
    if media and channel == "sms":
        if uris:
            raise bad_request(21620, "media needs the mms: channel (to: mms:+E164)")
        return "mms"
    return channel


def new_message(params: Params, *, account_sid: str, api: str, now: datetime,
                services=None, applications=None, plan: NumberPlan = OPEN_PLAN) -> dict:
    """Validate a create request; returns the row for ``insert_message``.
    ``services``: messaging service sid -> ``config.MessagingService``;
    ``applications``: application sid -> ``config.Application``;
    ``plan``: what digits without ``+`` resolve against (``numbering``)."""
    params = clean_params(params)
    uris = api == "messages"
    from_value = _text(params, "from", "From") if uris else _text(params, "From", "from")
    to_value = _text(params, "to", "To") if uris else _text(params, "To", "to")
    if not to_value:
        raise bad_request(21604, "a 'To' address is required" if not uris else
                          "a 'to' address is required")
    service, from_value = _service_sender(params, services, account_sid, to_value, from_value)
    if not from_value:
        raise bad_request(21603, ("a 'From' address" if not uris else "a 'from' address")
                          + " or a MessagingServiceSid is required")
    pair = split_pair(from_value, to_value, uris=uris)
    app_url, app_method = _application_callback(params, applications, account_sid)
    body = _text(params, "body", "Body") or ""
    media = _media(params)
    channel = _channel(pair.channel or "sms", params, media, uris)
    sender, recipient = resolve_pair(pair, channel, plan)
    if not body and not media:
        raise bad_request(21602, "a message body (or media) is required")
    validity = _validity(params)
    url, method = _callback(params, "GET" if uris else "POST")
    if url is None:  # an explicit StatusCallback wins, as SignalWire's document says
        url, method = app_url, app_method
    return {
        "sid": new_sid("SM", now), "account_sid": account_sid, "api": api,
        "direction": "outbound-api", "channel": channel, "from_": sender, "to": recipient,
        "body": body, "status": "queued", "num_segments": _segments(body, channel),
        "num_media": len(media), "media_list": media, "status_callback": url,
        "status_callback_method": method, "validity_period": validity,
        "max_price": _max_price(params), "price": None, "price_unit": "USD",
        "messaging_service_sid": service,
        "error_code": None, "error_message": None, "date_sent": None,
        "attempts": 0, "incomplete": False, "date_created": now, "date_updated": now,
        "next_attempt_at": now, "expires_at": now + timedelta(seconds=validity),
    }
