"""Applying delivery receipts in the store (SQL functions on a Connection).

Every function takes a SQLAlchemy ``Connection`` and runs inside the
store's writer transaction (``store.write(fn, ...)``).  Rules:

* A receipt finds its part through ``segment_ids`` (match keys, see
  ``gateway.sms.receipts.correlation``) over every bind and carrier; among several
  candidates the same carrier, then the exact spelling, then a part still
  waiting, then the newest part wins.
* A receipt that finds nothing is kept in ``pending_receipts`` (waiting).
  The dispatcher indexes the parts' SMSC message ids in the write that
  records them (``gateway.dispatch.store``), and in the same transaction
  ``EarlyReceipts`` applies any waiting receipt they match.
  ``sweep_pending`` marks receipts still waiting after the early-receipt
  window as ``unmatched`` (kept for support, counted).
* A part's final status is set once; the message's status follows from all
  its parts (``gateway.sms.receipts.correlation.aggregate``) and moves only through
  ``gateway.messages.store.transition`` (never backwards; it enqueues the
  status callbacks).  "All its parts" are the PDUs actually sent (each
  part row's ``total``), not the billed ``num_segments``: payload mode
  sends a 3-segment body as one PDU with one receipt.  The raw stat/err go on the part and on the message.
* ``sweep_missing_segments`` turns a multi-part message, some of whose parts
  reported while others stayed silent past the timeout, into undelivered
  30009; for a carrier that is asked with query_sm (``receipt_timeout``),
  only once its silent parts were asked.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Connection

from gateway.sms.receipts import correlation
from gateway.sms.receipts.correlation import match_keys
from gateway.messages import store as message_store
from gateway.store.counts import of_every_account
from gateway.store.timeutil import utc
from gateway.store.schema import FINAL_STATUSES, SENT, messages, pending_receipts, segment_ids, segments
from gateway.sms.receipts.translator import DEFAULT_PROFILE, ERROR_MESSAGES, Outcome, Profile, translate
from protocols.smpp.receipt import Receipt

WAITING, UNMATCHED, APPLIED = "waiting", "unmatched", "applied"
_PART_FINAL = correlation.PART_FINAL


@dataclass(frozen=True)
class Applied:
    """What one receipt did: ``state`` is applied | waiting."""

    state: str
    message_sid: str | None = None
    segment_id: int | None = None
    outcome: Outcome | None = None
    status: str | None = None  # the message's status after the receipt


def _profile(profiles: Mapping[str, Profile] | None, carrier: str) -> Profile:
    return (profiles or {}).get(carrier, DEFAULT_PROFILE)


def _find_segment(conn: Connection, receipt_id: str, carrier: str):
    keys = correlation.match_keys(receipt_id)
    if not keys:
        return None
    rows = conn.execute(
        select(segments, segment_ids.c.key)
        .join(segment_ids, segment_ids.c.segment_id == segments.c.id)
        .where(segment_ids.c.key.in_(sorted(correlation.lookup_keys(keys))))
    ).mappings().all()
    if not rows:
        return None
    return correlation.best_part(rows, receipt_id, carrier)


def apply_receipt(conn: Connection, receipt: Receipt, *, carrier: str, now: datetime,
                  profiles: Mapping[str, Profile] | None = None, bind: str | None = None) -> Applied:
    """Apply one parsed receipt, or keep it waiting for its submit_sm_resp."""
    segment = _find_segment(conn, receipt.message_id or "", carrier)
    if segment is None:
        conn.execute(pending_receipts.insert().values(
            carrier=carrier,
            message_id=receipt.message_id or "",
            keys=sorted(correlation.match_keys(receipt.message_id or "")),
            receipt=receipt.to_dict(),
            received_at=now,
            state=WAITING,
        ))
        return Applied(WAITING)
    outcome = translate(receipt, _profile(profiles, carrier))
    status = _apply_to_segment(conn, segment, outcome, now)
    return Applied(APPLIED, segment["message_sid"], segment["id"], outcome, status)


def _apply_to_segment(conn: Connection, segment, outcome: Outcome, now: datetime) -> str | None:
    values = {"receipt_at": now}
    if segment["status"] not in _PART_FINAL:
        values.update(stat=outcome.stat, err=outcome.err)
        if outcome.final:
            values.update(status=outcome.status, error_code=outcome.error_code)
    conn.execute(update(segments).where(segments.c.id == segment["id"]).values(**values))
    return _settle_message(conn, segment["message_sid"], outcome, now)


def _settle_message(conn: Connection, sid: str, outcome: Outcome, now: datetime) -> str | None:
    message = conn.execute(
        select(messages.c.status, messages.c.num_segments).where(messages.c.sid == sid)
    ).first()
    if message is None:
        return None
    if message.status in FINAL_STATUSES:
        return message.status
    parts = conn.execute(
        select(segments.c.seqno, segments.c.total, segments.c.status, segments.c.error_code,
               segments.c.stat, segments.c.err)
        .where(segments.c.message_sid == sid)
        .order_by(segments.c.receipt_at, segments.c.id)
    ).all()
    total = sent_parts(parts, message.num_segments)
    states = [correlation.PartState(p.seqno, p.status, p.error_code, _message_of(p.error_code)) for p in parts]
    verdict = correlation.aggregate(states, total)
    if verdict is None:
        conn.execute(update(messages).where(messages.c.sid == sid)
                     .values(carrier_stat=outcome.stat, carrier_err=outcome.err))
        return message.status
    deciding = next((p for p in parts if p.status == verdict.status), None)
    message_store.transition(
        conn, sid, verdict.status, now=now,
        error_code=verdict.error_code, error_message=verdict.error_message,
        carrier_stat=deciding.stat if deciding else outcome.stat,
        carrier_err=deciding.err if deciding else outcome.err,
    )
    return verdict.status


def sent_parts(parts, num_segments: int | None) -> int:
    """How many PDUs the message went out in: what its receipts add up over.

    The parts record it (``total``); ``num_segments`` is what the carrier
    bills, which is more in ``segment_mode = "payload"`` (one PDU).
    """
    totals = [p.total for p in parts if p.total]
    return max(totals) if totals else (num_segments or 1)


def _message_of(code: int | None) -> str | None:
    return ERROR_MESSAGES.get(code) if code else None


def apply_waiting(conn: Connection, keys: Iterable[str], *, now: datetime,
                  profiles: Mapping[str, Profile] | None = None) -> list[Applied]:
    """Apply the waiting receipts that meet any of ``keys`` (match keys of
    newly stored SMSC ids).  Cheap when nothing waits."""
    keys = set(keys)
    waiting = conn.execute(
        select(pending_receipts).where(pending_receipts.c.state == WAITING).order_by(pending_receipts.c.id)
    ).mappings().all()
    results = []
    for row in waiting:
        if keys.isdisjoint(row["keys"]):
            continue
        results.append(_retry_pending(conn, row, now=now, profiles=profiles))
    return [r for r in results if r is not None]


def _retry_pending(conn: Connection, row, *, now: datetime,
                   profiles: Mapping[str, Profile] | None) -> Applied | None:
    receipt = Receipt.from_dict(row["receipt"])
    segment = _find_segment(conn, receipt.message_id or "", row["carrier"])
    if segment is None:
        return None
    outcome = translate(receipt, _profile(profiles, row["carrier"]))
    status = _apply_to_segment(conn, segment, outcome, now)
    account = conn.execute(select(messages.c.account_sid).where(messages.c.sid == segment["message_sid"])).scalar()
    conn.execute(update(pending_receipts).where(pending_receipts.c.id == row["id"])
                 .values(state=APPLIED, account_sid=account))
    return Applied(APPLIED, segment["message_sid"], segment["id"], outcome, status)


def sweep_pending(conn: Connection, *, now: datetime, window: timedelta,
                  profiles: Mapping[str, Profile] | None = None) -> int:
    """Retry receipts waiting longer than ``window``; the rest become unmatched.

    Returns how many were marked unmatched.  Run it periodically.
    """
    old = conn.execute(
        select(pending_receipts).where(and_(pending_receipts.c.state == WAITING,
                                            pending_receipts.c.received_at <= now - window))
        .with_for_update(skip_locked=True)  # once per receipt across cluster nodes
    ).mappings().all()
    unmatched = 0
    for row in old:
        if _retry_pending(conn, row, now=now, profiles=profiles) is None:
            conn.execute(update(pending_receipts).where(pending_receipts.c.id == row["id"])
                         .values(state=UNMATCHED))
            unmatched += 1
    return unmatched


def sweep_missing_segments(conn: Connection, *, now: datetime, timeout: timedelta,
                           limit: int = 1000, asked_first: Iterable[str] = ()) -> list[str]:
    """Multi-part messages with silent parts past ``timeout`` -> undelivered 30009.

    Only messages at least one of whose parts has a final receipt are judged
    (a carrier that sends no receipts, or only intermediate ones, never
    makes a message undelivered).  A silent part of a carrier in
    ``asked_first`` (it has a ``receipt_timeout``) must have been asked
    with query_sm first (``receipt_at`` set), unless the message is older
    than twice ``timeout`` (a part that could never be asked holds the
    verdict back no longer than that).
    """
    # From the messages in ``sent``, account by account through
    # ix_messages_account_status, and each one's parts through
    # ix_segments_message: "sid IN (parts with a final receipt)" read every
    # part ever stored at every sweep.
    own = segments.c.message_sid == messages.c.sid
    reported = select(segments.c.id).where(own, segments.c.status.in_(sorted(_PART_FINAL))).exists()
    conditions = [of_every_account(messages.c.account_sid, conn.dialect.name), messages.c.status == SENT,
                  messages.c.num_segments > 1, messages.c.date_sent <= now - timeout, reported]
    asked_first = sorted(asked_first)
    if asked_first:
        unasked = select(segments.c.id).where(and_(
            own, segments.c.status.is_(None), segments.c.receipt_at.is_(None),
            segments.c.carrier.in_(asked_first))).exists()
        conditions.append(or_(~unasked, messages.c.date_sent <= now - 2 * timeout))
    candidates = conn.execute(select(messages.c.sid).where(and_(*conditions)).limit(limit)).scalars().all()
    settled = []
    for sid in candidates:
        verdict = correlation.missing_outcome()
        if message_store.transition(conn, sid, verdict.status, now=now,
                                error_code=verdict.error_code, error_message=verdict.error_message):
            settled.append(sid)
    return settled


def retry_waiting(conn: Connection, now: datetime, min_age: timedelta,
                  profiles: Mapping[str, Any] | None = None, limit: int = 500) -> int:
    """Apply the waiting receipts whose part is now recorded; returns how many."""
    p = pending_receipts
    rows = conn.execute(select(p).where(p.c.state == WAITING, p.c.received_at <= utc(now) - min_age)
                        .order_by(p.c.id).limit(limit).with_for_update(skip_locked=True)).mappings().all()
    return sum(1 for row in rows if _retry_pending(conn, row, now=utc(now), profiles=profiles) is not None)


class EarlyReceipts:
    """The after-sent hook: apply receipts that arrived before their
    submit_sm_resp was recorded (kept waiting here, in ``pending_receipts``).

    The composition root passes it to the dispatcher's store as its
    after-sent hook.

    One cheap probe per batch; the matching runs only when something waits.
    """

    def __init__(self, profiles: Mapping[str, Any] | None = None) -> None:
        self.profiles = profiles

    def __call__(self, conn: Connection, recorded: list[Mapping[str, Any]], now: datetime) -> None:
        waiting = conn.execute(select(pending_receipts.c.id)
                               .where(pending_receipts.c.state == WAITING)
                               .limit(1)).first()
        if waiting is None:
            return
        keys: set[str] = set()
        for row in recorded:
            keys |= match_keys(row["smsc_message_id"] or "")
        if keys:
            apply_waiting(conn, keys, now=now, profiles=self.profiles)
