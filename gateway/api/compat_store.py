"""The store operations only the compatible surface has: a message's media,
redacting a body, deleting a finished message.

Rules:

* Redaction empties the body and nothing else; the message keeps its
  status, and a message not yet final keeps going (its text was already
  handed to the pipeline or is sent as stored: redact after it is sent).
* Only a message in a final status may be deleted (one not yet final is
  still owed a status and callbacks).  Deleting removes the message, its
  status history, its segments and their receipt keys, and its stored
  media; callbacks already in the outbox are still delivered (they carry
  their own parameters).

Every function runs inside the caller's transaction (``Store.write`` /
``Store.read``) and is scoped to one account.
"""
from __future__ import annotations

import hashlib
from typing import Any, Mapping

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection

from gateway.store import schema as s

REDACTED = "redacted"
DELETED = "deleted"
NOT_FINAL = "not final"


def linked_media_sid(message_sid: str, index: int) -> str:
    """A stable sid for the ``index``-th URL of an outbound message's media."""
    return "ME" + hashlib.sha256(f"{message_sid}/{index}".encode()).hexdigest()[:32]


def message_media(conn: Connection, account_sid: str, sid: str) -> list[Mapping[str, Any]] | None:
    """The message's media as rows of the ``media`` shape (stored parts of
    an inbound MMS, or the URLs of an outbound one), or None without it."""
    m = s.messages
    row = conn.execute(select(m.c.sid, m.c.account_sid, m.c.media_list, m.c.date_created)
                       .where(m.c.sid == sid, m.c.account_sid == account_sid)).mappings().first()
    if row is None:
        return None
    md = s.media
    stored = conn.execute(select(md.c.sid, md.c.message_sid, md.c.account_sid, md.c.content_type,
                                 md.c.created_at).where(md.c.message_sid == sid)
                          .order_by(md.c.sid)).mappings().all()
    if stored:
        return [dict(r, url=None) for r in stored]
    return [{"sid": linked_media_sid(sid, i), "message_sid": sid, "account_sid": account_sid,
             "content_type": item.get("content_type") or "application/octet-stream",
             "created_at": row["date_created"], "url": item.get("url")}
            for i, item in enumerate(row["media_list"] or [])]


def redact_body(conn: Connection, account_sid: str, sid: str) -> Mapping[str, Any] | None:
    m = s.messages
    done = conn.execute(update(m).where(m.c.sid == sid, m.c.account_sid == account_sid)
                        .values(body=""))
    if done.rowcount == 0:
        return None
    return conn.execute(select(m).where(m.c.sid == sid)).mappings().first()


def delete_message(conn: Connection, account_sid: str, sid: str) -> str | None:
    """DELETED, NOT_FINAL, or None when the account has no such message."""
    m = s.messages
    status = conn.execute(select(m.c.status).where(m.c.sid == sid, m.c.account_sid == account_sid)
                          ).scalar()
    if status is None:
        return None
    if status not in s.FINAL_STATUSES:
        return NOT_FINAL
    segments = select(s.segments.c.id).where(s.segments.c.message_sid == sid)
    conn.execute(delete(s.segment_ids).where(s.segment_ids.c.segment_id.in_(segments)))
    conn.execute(delete(s.segments).where(s.segments.c.message_sid == sid))
    conn.execute(delete(s.status_events).where(s.status_events.c.message_sid == sid))
    conn.execute(delete(s.media).where(s.media.c.message_sid == sid))
    conn.execute(delete(m).where(m.c.sid == sid))
    return DELETED
