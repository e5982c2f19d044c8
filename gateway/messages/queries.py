"""Read queries behind the Messages API: one message, listing, media.

Listing stays fast on large tables:
* every sort key has an index (account_sid, key, date_created, sid), and the
  order is always ``key, date_created, sid`` in one direction;
* a page reached through a page token (``after``/``before`` a sid, as the
  API's next/previous page URIs carry) is a keyset query: an index seek,
  whatever the page number;
* a page reached by number alone uses OFFSET, walking from whichever end of
  the result is nearer (the last page costs as little as the first);
* a pure prefix filter on To/From becomes an index range on SQLite.

``Body`` search is Unicode case-insensitive (``casefold``: ``GRÜSSE``
finds ``Grüße``) on both databases.  SQLite gets a ``gw_casefold`` SQL
function (Python's ``str.casefold`` after NFC), called only for bodies
that are not ASCII (SQLite's LIKE folds ASCII).  PostgreSQL has no casefold
before version 18: ``lower(normalize(body, NFC))`` and then, for the few characters whose fold
is not their lower case (``ß`` -> ``ss``, ``ς`` -> ``σ``, ...), ``replace()``
for those whose fold shares a character with the needle (the others
cannot change whether it matches).
"""
from __future__ import annotations

import functools
import sys
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import LargeBinary, and_, cast, func, literal_column, or_, select, tuple_
from sqlalchemy.engine import Connection

from gateway.store import counts
from gateway.store import schema as s

m = s.messages
SORT_COLUMNS = {"date_created": m.c.date_created, "from_": m.c.from_, "to": m.c.to,
                "direction": m.c.direction, "status": m.c.status}


@dataclass(frozen=True)
class ListQuery:
    channel: str | None = None  # only this channel (sms | mms)
    api: str | None = None  # only messages created through this API
    to: str | None = None  # LIKE pattern, '%' wildcard (prefix: "+1%")
    to_channel: str | None = None
    from_: str | None = None
    from_channel: str | None = None
    start: datetime | None = None  # date_created >= start
    end: datetime | None = None  # date_created <= end
    sent_start: datetime | None = None  # date_sent >= sent_start
    sent_end: datetime | None = None  # date_sent <= sent_end
    status: str | None = None
    error_code: int | None = None
    body: str | None = None  # substring, case-insensitive
    sort: str = "date_created"
    descending: bool = True
    page: int = 0
    page_size: int = 50
    token: tuple[str, str] | None = None  # ("after" | "before", sid)


def get_message(conn: Connection, account_sid: str, sid: str) -> Mapping[str, Any] | None:
    return conn.execute(select(m).where(m.c.sid == sid, m.c.account_sid == account_sid)
                        ).mappings().first()


def get_media(conn: Connection, account_sid: str, media_sid: str) -> Mapping[str, Any] | None:
    md = s.media
    return conn.execute(select(md).where(md.c.sid == media_sid,
                                         md.c.account_sid == account_sid)).mappings().first()


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("_", "\\_")


def _pattern(conn: Connection, column, pattern: str):
    body = pattern.rstrip("%")
    if conn.dialect.name == "sqlite" and body and "%" not in body and pattern.endswith("%"):
        upper = body[:-1] + chr(ord(body[-1]) + 1)
        return and_(column >= body, column < upper)
    if "%" not in pattern:
        return column == pattern
    return column.like(_escape(pattern), escape="\\")


def fold(text: str) -> str:
    """The caseless form the Body search compares."""
    return unicodedata.normalize("NFC", text).casefold()


@functools.cache
def _special_folds() -> dict[str, str]:
    """Lower-case characters whose case fold is something else: ß -> ss, ς -> σ, ..."""
    return {c: c.casefold() for c in map(chr, range(sys.maxunicode + 1))
            if not "\ud800" <= c <= "\udfff" and c == c.lower() and c.casefold() != c}


def _sqlite_fold(value: str | None) -> str | None:
    if value is None:
        return None
    return value.casefold() if value.isascii() else fold(value)


def _body_matches(conn: Connection, needle: str):
    """Body LIKE ``%needle%`` caselessly (``needle`` is folded already)."""
    pattern = "%" + _escape(needle).replace("%", "\\%") + "%"
    if conn.dialect.name == "sqlite":
        conn.connection.driver_connection.create_function(
            "gw_casefold", 1, _sqlite_fold, deterministic=True)
        # SQLite's LIKE folds ASCII case, which is all the folding an ASCII
        # body needs: only bodies with other characters (more bytes than
        # characters) pay for the Python function.
        non_ascii = func.length(cast(m.c.body, LargeBinary)) != func.length(m.c.body)
        return or_(m.c.body.like(pattern, escape="\\"),
                   and_(non_ascii, func.gw_casefold(m.c.body).like(pattern, escape="\\")))
    expr = func.lower(func.normalize(m.c.body, literal_column("NFC")))
    wanted = set(needle)
    for char, folded in _special_folds().items():
        if wanted.intersection(folded):
            expr = func.replace(expr, char, folded)
    return expr.like(pattern, escape="\\")


def _filters(conn: Connection, account_sid: str, q: ListQuery) -> list:
    where = [m.c.account_sid == account_sid]
    for channel in {q.channel, q.to_channel, q.from_channel} - {None}:
        where.append(m.c.channel == channel)
    if q.api:
        where.append(m.c.api == q.api)
    if q.to:
        where.append(_pattern(conn, m.c.to, q.to))
    if q.from_:
        where.append(_pattern(conn, m.c.from_, q.from_))
    if q.start is not None:
        where.append(m.c.date_created >= q.start)
    if q.end is not None:
        where.append(m.c.date_created <= q.end)
    if q.sent_start is not None:
        where.append(m.c.date_sent >= q.sent_start)
    if q.sent_end is not None:
        where.append(m.c.date_sent <= q.sent_end)
    if q.status:
        where.append(m.c.status == q.status)
    if q.error_code is not None:
        where.append(m.c.error_code == q.error_code)
    if q.body:
        where.append(_body_matches(conn, fold(q.body)))
    return where


def _order(q: ListQuery, descending: bool) -> list:
    keys = [SORT_COLUMNS[q.sort]] if q.sort != "date_created" else []
    keys += [m.c.date_created, m.c.sid]
    return [k.desc() if descending else k.asc() for k in keys]


def _keyset(conn: Connection, account_sid: str, q: ListQuery, forward: bool):
    """The predicate placing rows after (forward) / before a token's row."""
    cursor = get_message(conn, account_sid, q.token[1])
    if cursor is None:
        return None
    keys = ([q.sort] if q.sort != "date_created" else []) + ["date_created", "sid"]
    mine = tuple_(*[SORT_COLUMNS.get(k, m.c.sid) for k in keys])
    theirs = tuple_(*[cursor[k] for k in keys])
    return mine < theirs if q.descending == forward else mine > theirs


_FILTER_FIELDS = ("api", "to", "to_channel", "from_", "from_channel", "start", "end",
                  "sent_start", "sent_end", "status", "error_code", "body")


def count_messages(conn: Connection, account_sid: str, q: ListQuery) -> int:
    if all(getattr(q, name) is None for name in _FILTER_FIELDS):
        # No filter but the channel: the trigger-kept counts answer.
        return counts.total(conn, account_sid, q.channel)
    return conn.execute(select(func.count()).select_from(m)
                        .where(*_filters(conn, account_sid, q))).scalar_one()


def _page(conn: Connection, where: list, q: ListQuery, descending: bool, *,
          offset: int = 0, limit: int) -> list[Mapping[str, Any]]:
    """A "deferred join": find the page's sids in the index first (skipped
    OFFSET rows and sorted candidates never touch the table), then fetch
    only those rows."""
    order = _order(q, descending)
    inner = (select(m.c.sid).where(*where).order_by(*order).offset(offset or None)
             .limit(limit).subquery("page"))
    return list(conn.execute(select(m).join(inner, m.c.sid == inner.c.sid)
                             .order_by(*order)).mappings().all())


def list_messages(conn: Connection, account_sid: str,
                  q: ListQuery) -> tuple[list[Mapping[str, Any]], int]:
    """One page of messages and the total number matching."""
    total = count_messages(conn, account_sid, q)
    where = _filters(conn, account_sid, q)
    offset = q.page * q.page_size
    if q.token is not None:
        forward = q.token[0] == "after"
        predicate = _keyset(conn, account_sid, q, forward)
        if predicate is not None:
            descending = q.descending if forward else not q.descending
            rows = _page(conn, where + [predicate], q, descending, limit=q.page_size)
            return (rows if forward else rows[::-1]), total
    if total // 2 < offset < total:
        count = min(q.page_size, total - offset)
        rows = _page(conn, where, q, not q.descending, offset=total - offset - count,
                     limit=count)
        return rows[::-1], total
    return _page(conn, where, q, q.descending, offset=offset, limit=q.page_size), total
