"""The store side of asking the SMSC about silent parts (SQL on a Connection).

Functions run in the store's reader (``overdue_parts``) or writer
transaction (``apply_answers``); the rules are in ``gateway.sms.receipts.query``.

* A part is overdue when it was sent with an SMSC message id, has no final
  status, its message is still ``sent``, it was last heard of (submitted,
  or its last receipt or query answer) ``receipt_timeout`` ago or more, and
  it was submitted less than ``horizon`` ago (past that the missing-segment
  rule has had its say).
* ``apply_answers`` applies a final answer as a receipt is applied
  (``receipts_store``: the part, then the message from all its parts);
  anything else only stamps the part as heard of (``receipt_at``), so it is
  asked again one ``receipt_timeout`` later.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable, Mapping

from sqlalchemy import and_, func, select, update
from sqlalchemy.engine import Connection

from gateway.sms.receipts.store import _apply_to_segment
from gateway.store.counts import of_every_account
from gateway.store.schema import SENT, messages, segments
from gateway.sms.receipts.translator import DEFAULT_PROFILE, Profile, translate
from protocols.smpp.receipt import Receipt

_HEARD = func.coalesce(segments.c.receipt_at, segments.c.submitted_at)


def overdue_parts(conn: Connection, *, now: datetime, timeouts: Mapping[str, float],
                  horizon: timedelta, limit: int) -> list[dict]:
    """Up to ``limit`` overdue parts of the carriers in ``timeouts`` (carrier
    -> receipt_timeout in seconds), oldest news first."""
    if not timeouts:
        return []
    cutoff = now - timedelta(seconds=min(timeouts.values()))
    # From the messages in ``sent`` (account by account, through
    # ix_messages_account_status) to their parts (ix_segments_message): no
    # index serves the parts' own tests, so starting from the parts read
    # every part ever stored at each sweep.
    rows = conn.execute(
        select(segments.c.id, segments.c.message_sid, segments.c.carrier, segments.c.smsc_message_id,
               _HEARD.label("heard"), messages.c.from_)
        .select_from(messages).join(segments, segments.c.message_sid == messages.c.sid)
        .where(and_(of_every_account(messages.c.account_sid, conn.dialect.name), messages.c.status == SENT,
                    segments.c.status.is_(None), segments.c.smsc_message_id.is_not(None),
                    segments.c.carrier.in_(sorted(timeouts)),
                    segments.c.submitted_at > now - horizon, _HEARD <= cutoff))
        .order_by(_HEARD, segments.c.id)
        .limit(limit)
    ).mappings().all()
    out = []
    for row in rows:
        heard = row["heard"]
        if heard.tzinfo is None:  # SQLite gives naive UTC
            heard = heard.replace(tzinfo=now.tzinfo)
        if heard <= now - timedelta(seconds=timeouts[row["carrier"]]):
            out.append(dict(row))
    return out


def apply_answers(conn: Connection, answers: Iterable[tuple[int, str, Receipt | None]], *,
                  now: datetime, profiles: Mapping[str, Profile] | None = None) -> dict[str, int]:
    """Apply (segment id, carrier, receipt made of the answer or None) items.

    Returns counts: ``final`` (settled from the answer), ``pending`` (asked,
    not final yet, or no usable answer)."""
    counts = {"final": 0, "pending": 0}
    for segment_id, carrier, receipt in answers:
        segment = conn.execute(select(segments).where(segments.c.id == segment_id)).mappings().first()
        if segment is None or segment["status"] is not None:
            continue  # gone, or a receipt came in the meantime
        outcome = translate(receipt, (profiles or {}).get(carrier, DEFAULT_PROFILE)) if receipt else None
        if outcome is not None and outcome.final:
            _apply_to_segment(conn, segment, outcome, now)
            counts["final"] += 1
        else:
            conn.execute(update(segments).where(segments.c.id == segment_id).values(receipt_at=now))
            counts["pending"] += 1
    return counts
