"""List requests: query parameters → ``ListQuery``, rows → the page (pure).

``Page`` counts from 0 and a page past the end is a 400 (page 0 of an empty
list exists).  ``next_page_uri`` / ``previous_page_uri`` carry a
``PageToken`` (``PA<sid>``: after that message, ``PB<sid>``: before it) so
that walking the pages is an index seek each time, however deep.
"""
from __future__ import annotations

import math
import re
from datetime import datetime, time, timedelta, timezone
from typing import Mapping, Sequence
from urllib.parse import urlencode

from gateway.store.queries import ListQuery
from gateway.store.schema import FINAL_STATUSES, QUEUED, SENDING, SENT

from .addresses import split_channel
from .errors import malformed

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
SORT_KEYS = {"datecreated": "date_created", "from": "from_", "to": "to",
             "direction": "direction", "status": "status"}
STATUSES = frozenset({QUEUED, SENDING, SENT} | FINAL_STATUSES)
FILTERS = ("To", "From", "StartTime", "EndTime", "Status", "ErrorCode", "Body", "SortBy")


def _int(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
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
            moment = datetime.combine(day, time.min, timezone.utc)
            return moment + timedelta(days=1, microseconds=-1) if end else moment
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise malformed(f"{name}: {raw!r} is not an ISO-8601 date (2026-11-27) or "
                        "date-time (2026-11-27T13:45:00Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    moment = moment.astimezone(timezone.utc)
    written = _TIME_PART.search(raw)
    if end and written and not written.group(2):
        span = _SPANS.get(len(written.group(1).replace(":", "")))
        if span is not None:
            moment += span - timedelta(microseconds=1)
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
                        "optionally followed by :asc or :desc")
    return SORT_KEYS[key.lower()], direction.lower() != "asc"


def _token(raw: str | None) -> tuple[str, str] | None:
    if not raw:
        return None
    if raw[:2] not in ("PA", "PB") or len(raw) < 4:
        raise malformed(f"PageToken: {raw!r} is not a page token from this API")
    return ("after" if raw[:2] == "PA" else "before"), raw[2:]


def parse_list(params: Mapping[str, str], api: str) -> ListQuery:
    to_channel, to = _address(params.get("To"), "To", api)
    from_channel, from_ = _address(params.get("From"), "From", api)
    status = params.get("Status") or None
    if status is not None and status not in STATUSES:
        raise malformed(f"Status: {status!r} is not one of {', '.join(sorted(STATUSES))}")
    error_code = params.get("ErrorCode") or None
    if error_code is not None:
        if not error_code.isdigit():
            raise malformed(f"ErrorCode: {error_code!r} is not a number")
        error_code = int(error_code)
    start = params.get("StartTime")
    end = params.get("EndTime")
    sort, descending = _sort(params.get("SortBy"))
    return ListQuery(
        channel="sms" if api == "sms" else None, to=to, to_channel=to_channel,
        from_=from_, from_channel=from_channel,
        start=parse_time(start, "StartTime", end=False) if start else None,
        end=parse_time(end, "EndTime", end=True) if end else None,
        status=status, error_code=error_code, body=params.get("Body") or None,
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
