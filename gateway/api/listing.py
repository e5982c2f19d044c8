"""List requests: query parameters → ``ListQuery``, rows → the page (pure).

``Page`` counts from 0 and a page past the end is a 400 (page 0 of an empty
list exists).  ``next_page_uri`` / ``previous_page_uri`` carry a
``PageToken`` (``PA<sid>``: after that message, ``PB<sid>``: before it) so
that walking the pages is an index seek each time, however deep.

Exactness: a parameter this API does not know is a 400 naming it (results
silently unfiltered are wrong results); numbers are ASCII digits only;
``SortBy`` without a direction is ascending; a ``PageToken`` is ``PA`` or
``PB`` and a message sid.  Times past either end of the calendar are
clamped to it (``EndTime=9999-12-31T23:59:59-05:00`` is "no end").
``DateSent``, ``DateSent<`` and ``DateSent>`` (the Twilio SDKs' names)
filter on the sent date: one day or moment, on or before, on or after.
"""
from __future__ import annotations

import math
import re
from datetime import datetime, time, timedelta, timezone
from typing import Mapping, Sequence
from urllib.parse import urlencode

from gateway.messages.queries import ListQuery
from gateway.store.schema import FINAL_STATUSES, QUEUED, SENDING, SENT

from gateway.messages.addresses import split_channel
from gateway.messages.errors import malformed

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
SORT_KEYS = {"datecreated": "date_created", "from": "from_", "to": "to",
             "direction": "direction", "status": "status"}
STATUSES = frozenset({QUEUED, SENDING, SENT} | FINAL_STATUSES)
FILTERS = ("To", "From", "StartTime", "EndTime", "DateSent", "DateSent<", "DateSent>",
           "Status", "ErrorCode", "Body", "SortBy")
PAGING = ("Page", "PageSize", "PageToken")
KNOWN = frozenset(FILTERS + PAGING)
MAX_ERROR_CODE = 2**31 - 1  # the column is a 32-bit integer
_TOKEN = re.compile(r"P[AB](SM[0-9a-f]{32})")
_EARLIEST = datetime.min.replace(tzinfo=timezone.utc)
_LATEST = datetime.max.replace(tzinfo=timezone.utc)


def _digits(raw: str) -> int | None:
    """ASCII digits only (no sign, ``_``, spaces or other scripts' digits)."""
    return int(raw) if raw.isascii() and raw.isdigit() else None


def _int(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    value = _digits(raw)
    if value is None or not low <= value <= high:
        raise malformed(f"{name}: {raw!r} must be a whole number from {low} to {high}")
    return value


_UNENCODED_PLUS = re.compile(r"^(.*[T ][0-9:.,]+) ([0-9]{2}(?::?[0-9]{2})?)$")
_TIME_PART = re.compile(r"[T ]([0-9:]+)([.,][0-9]+)?(?:[Zz]|[+-][0-9:]+)?$")
# The span a time written to the hour, minute or second covers, by how many
# digits it has: an inclusive EndTime reaches the end of that span.
_SPANS = {2: timedelta(hours=1), 4: timedelta(minutes=1), 6: timedelta(seconds=1)}


def parse_time(raw: str, name: str, *, end: bool) -> datetime:
    """ISO-8601 date or date-time, UTC unless it says otherwise; inclusive.

    An inclusive end covers all of what it names: ``EndTime=2026-11-27``
    the whole day, ``EndTime=2026-11-27T16:48:52Z`` the whole second (dates
    in resources are shown to the second, the store keeps microseconds).
    """
    raw = _UNENCODED_PLUS.sub(r"\1+\2", raw)  # "...:00 02:00": a '+' sent unencoded
    try:
        if len(raw) == 10:
            day = datetime.strptime(raw, "%Y-%m-%d").date()
            if end:
                return datetime.combine(day, time.max, timezone.utc)
            return datetime.combine(day, time.min, timezone.utc)
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise malformed(f"{name}: {raw!r} is not an ISO-8601 date (2026-11-27) or "
                        "date-time (2026-11-27T13:45:00Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        moment = moment.astimezone(timezone.utc)
        written = _TIME_PART.search(raw)
        if end and written and not written.group(2):
            span = _SPANS.get(len(written.group(1).replace(":", "")))
            if span is not None:
                moment += span - timedelta(microseconds=1)
    except OverflowError:  # past an end of the calendar: clamp to it
        return _EARLIEST if moment.utcoffset() > timedelta(0) else _LATEST
    return moment


def _address(raw: str | None, name: str, api: str) -> tuple[str | None, str | None]:
    if not raw:
        return None, None
    channel, pattern = split_channel(raw, name, required=False)
    if pattern[:1] == " " and pattern[1:2].isdigit():
        pattern = "+" + pattern[1:]  # an unencoded '+' arrives as a space
    if not pattern.endswith("%"):
        pattern += "%"  # prefix match
    return channel, pattern


def _sort(raw: str | None) -> tuple[str, bool]:
    if not raw:
        return "date_created", True
    key, _, direction = raw.partition(":")
    if key.lower() not in SORT_KEYS or direction.lower() not in ("", "asc", "desc"):
        raise malformed(f"SortBy: {raw!r} must be DateCreated, From, To, Direction or Status, "
                        "optionally followed by :asc (the default) or :desc")
    return SORT_KEYS[key.lower()], direction.lower() == "desc"


def _token(raw: str | None) -> tuple[str, str] | None:
    if not raw:
        return None
    match = _TOKEN.fullmatch(raw)
    if match is None:
        raise malformed(f"PageToken: {raw!r} is not a page token from this API (use the "
                        "next_page_uri or previous_page_uri of a page)")
    return ("after" if raw[:2] == "PA" else "before"), match.group(1)


def _error_code(raw: str | None) -> int | None:
    if not raw:
        return None
    value = _digits(raw)
    if value is None or value > MAX_ERROR_CODE:
        raise malformed(f"ErrorCode: {raw!r} is not an error code (a whole number such as 30003)")
    return value


def _check_known(params: Mapping[str, str]) -> None:
    unknown = sorted(name for name in params if name not in KNOWN)
    if unknown:
        raise malformed(f"{unknown[0]}: not a list parameter of this API; the parameters are "
                        f"{', '.join(FILTERS + PAGING)}")


def _range(params: Mapping[str, str], exact: str, after: str, before: str
           ) -> tuple[datetime | None, datetime | None]:
    """(start, end), both inclusive, from an exact value and/or bounds."""
    start = end = None
    if params.get(exact):
        start = parse_time(params[exact], exact, end=False)
        end = parse_time(params[exact], exact, end=True)
    if params.get(after):
        moment = parse_time(params[after], after, end=False)
        start = moment if start is None else max(start, moment)
    if params.get(before):
        moment = parse_time(params[before], before, end=True)
        end = moment if end is None else min(end, moment)
    return start, end


def parse_list(params: Mapping[str, str], api: str) -> ListQuery:
    _check_known(params)
    to_channel, to = _address(params.get("To"), "To", api)
    from_channel, from_ = _address(params.get("From"), "From", api)
    status = params.get("Status") or None
    if status is not None and status not in STATUSES:
        raise malformed(f"Status: {status!r} is not one of {', '.join(sorted(STATUSES))}")
    start = params.get("StartTime")
    end = params.get("EndTime")
    sent_start, sent_end = _range(params, "DateSent", "DateSent>", "DateSent<")
    sort, descending = _sort(params.get("SortBy"))
    return ListQuery(
        channel="sms" if api == "sms" else None, to=to, to_channel=to_channel,
        from_=from_, from_channel=from_channel,
        start=parse_time(start, "StartTime", end=False) if start else None,
        end=parse_time(end, "EndTime", end=True) if end else None,
        sent_start=sent_start, sent_end=sent_end,
        status=status, error_code=_error_code(params.get("ErrorCode")),
        body=params.get("Body") or None,
        sort=sort, descending=descending,
        page=_int(params, "Page", 0, 0, 10**9),
        page_size=_int(params, "PageSize", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE),
        token=_token(params.get("PageToken")))


def page_body(path: str, params: Mapping[str, str], q: ListQuery, total: int,
              resources: Sequence[dict]) -> dict:
    num_pages = max(1, math.ceil(total / q.page_size))
    kept = [(name, params[name]) for name in FILTERS if params.get(name)]

    def uri(page: int, token: str | None = None) -> str:
        query = kept + [("Page", str(page)), ("PageSize", str(q.page_size))]
        if token:
            query.append(("PageToken", token))
        return f"{path}?{urlencode(query)}"

    start = q.page * q.page_size
    last = q.page >= num_pages - 1
    return {
        "page": q.page, "num_pages": num_pages, "page_size": q.page_size, "total": total,
        "start": start, "end": start + max(len(resources), 1) - 1,
        "uri": uri(q.page, params.get("PageToken")),
        "first_page_uri": uri(0), "last_page_uri": uri(num_pages - 1),
        "previous_page_uri": (None if q.page == 0 else
                              uri(q.page - 1, "PB" + resources[0]["sid"] if resources else None)),
        "next_page_uri": (None if last else
                          uri(q.page + 1, "PA" + resources[-1]["sid"] if resources else None)),
        "messages": list(resources),
    }


def check_page_exists(q: ListQuery, total: int) -> None:
    num_pages = max(1, math.ceil(total / q.page_size))
    if q.page >= num_pages:
        raise malformed(f"Page {q.page} does not exist: there are {num_pages} pages of "
                        f"{q.page_size}")
