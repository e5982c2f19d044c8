"""MMS in the store: delivery reports and inbound MMS (run via ``store.write``).

Plain functions on a SQLAlchemy ``Connection`` inside the caller's
transaction; statuses move only through ``gateway.messages.store.transition``
(never backwards; it writes status_events and enqueues status callbacks).

* ``apply_delivery_report`` matches on ``messages.mm7_message_id`` — the
  MMSC's MessageID, never the addresses (MMSCs swap Sender/Recipient) —
  preferring a message sent through the same carrier.  The MMStatus maps per
  ``protocols.mm7.status``; the raw MMStatus / StatusText go on the message
  (``carrier_stat`` / ``carrier_err``) for support.  A report that matches
  nothing yet (it can beat the write that stores the MessageID) is kept in
  ``pending_receipts`` as ``mm7_waiting``; ``retry_waiting_reports`` applies
  it later or, past the window, marks it ``unmatched`` (kept for support).
* ``store_inbound_mms`` creates the inbound message (``received``, channel
  ``mms``), one ``media`` row per part, and the number's ``sms_url`` callback
  with ``NumMedia`` and ``MediaUrl``/``MediaType`` per part.  Whatever the
  MMSC sent fits the columns (no NUL, clipped to the column sizes), so a
  stored MO never fails on its shape and the MMSC is not asked to retry it
  for ever.
"""
from __future__ import annotations

from dataclasses import asdict
from functools import partial
from datetime import datetime, timedelta
from typing import Any, Callable, Mapping

from sqlalchemy import case, insert, select, update
from sqlalchemy.engine import Connection

from gateway.messages.sids import new_sid as make_sid
from gateway.messages.store import address, enqueue_callback, insert_message, transition
from gateway.store.schema import RECEIVED, media, messages, pending_receipts
from protocols.mm7.content import extension
from protocols.mm7.messages import DeliveryReport, InboundMM
from protocols.mm7.status import report_verdict

MM7_WAITING, UNMATCHED, APPLIED = "mm7_waiting", "unmatched", "applied"
API_VERSION = "2012-04-24"


def find_message(conn: Connection, message_id: str, carrier: str | None) -> Mapping[str, Any] | None:
    same_carrier = case((messages.c.carrier == carrier, 0), else_=1)
    query = (select(messages).where(messages.c.mm7_message_id == message_id.strip())
             .order_by(same_carrier, messages.c.date_created.desc()).limit(1))
    return conn.execute(query).mappings().first()


def apply_delivery_report(conn: Connection, report: DeliveryReport, *, carrier: str,
                          now: datetime, keep_unmatched: bool = True) -> str:
    """``"applied"`` (status moved), ``"not-final"``, ``"refused"`` (the
    message is already final) or ``"waiting"`` (no such MessageID yet)."""
    row = find_message(conn, report.message_id, carrier)
    if row is None:
        if keep_unmatched:
            conn.execute(insert(pending_receipts).values(
                carrier=carrier, message_id=report.message_id.strip()[:128], keys=[report.message_id.strip()],
                receipt={"mm7": asdict(report)}, received_at=now, state=MM7_WAITING))
        return "waiting"
    raw = {"carrier_stat": report.mm_status[:32],
           "carrier_err": (report.status_text or report.extension or None)}
    if raw["carrier_err"]:
        raw["carrier_err"] = raw["carrier_err"][:64]
    verdict = report_verdict(report.mm_status)
    if verdict.status is None:
        conn.execute(update(messages).where(messages.c.sid == row["sid"]).values(**raw))
        return "not-final"
    message = None
    if verdict.error_code is not None:
        message = f"MM7 delivery report: {report.mm_status}" + (
            f" ({report.status_text})" if report.status_text else "")
    ok = transition(conn, row["sid"], verdict.status, now=now, error_code=verdict.error_code,
                    error_message=message, **raw)
    return "applied" if ok else "refused"


def retry_waiting_reports(conn: Connection, *, now: datetime, window: timedelta = timedelta(minutes=10)) -> int:
    """Apply waiting reports whose MessageID is now known; mark those older
    than ``window`` unmatched.  Returns how many were applied.  Run it
    periodically (and after MMS are recorded as sent)."""
    rows = conn.execute(select(pending_receipts).where(pending_receipts.c.state == MM7_WAITING)
                        .order_by(pending_receipts.c.id)).mappings().all()
    applied = 0
    for row in rows:
        report = DeliveryReport(**row["receipt"]["mm7"])
        result = apply_delivery_report(conn, report, carrier=row["carrier"], now=now, keep_unmatched=False)
        if result != "waiting":
            applied += 1
            account = find_message(conn, report.message_id, row["carrier"])["account_sid"]
            state = APPLIED
        elif _aware(row["received_at"]) <= _aware(now) - window:
            account, state = None, UNMATCHED
        else:
            continue
        conn.execute(update(pending_receipts).where(pending_receipts.c.id == row["id"])
                     .values(state=state, account_sid=account))
    return applied


def _aware(moment: datetime) -> datetime:
    from datetime import timezone

    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def media_url(base_url: str, account_sid: str, media_sid: str) -> str:
    return f"{base_url.rstrip('/')}/api/{API_VERSION}/Accounts/{account_sid}/MediaAttachments/{media_sid}"


def store_inbound_mms(conn: Connection, mm: InboundMM, *, carrier: str, number, now: datetime,
                      base_url: str, new_sid: Callable[[datetime], str] = partial(make_sid, "MM"),
                      new_media_sid: Callable[[datetime], str] = partial(make_sid, "ME")) -> str:
    """Store an inbound MMS; ``number`` is a ``gateway.sms.inbound.store.NumberRoute``
    (or None for a number we do not know: stored, no callback)."""
    sid = new_sid(now)
    account = number.account if number is not None else ""
    items = []
    for index, part in enumerate(mm.media, start=1):
        media_sid = new_media_sid(now)
        ext = extension(part.content_type)
        ctype = _column(part.content_type, 128) or "application/octet-stream"
        name = part.filename or part.location or f"part{index}" + (f".{ext}" if ext else "")
        conn.execute(insert(media).values(
            sid=media_sid, message_sid=sid, account_sid=account, content_type=ctype,
            filename=_column(name, 256), data=part.data, created_at=now))
        items.append({"url": media_url(base_url, account, media_sid), "content_type": ctype})
    destination = mm.recipients[0] if mm.recipients else (number.number if number is not None else "")
    row = {
        "sid": sid, "account_sid": account, "api": number.api if number is not None else "messages",
        "direction": "inbound", "channel": "mms", "from_": _column(mm.sender, 64),
        "to": _column(destination, 64), "body": _column(mm.text), "status": RECEIVED, "num_segments": 1, "num_media": len(items),
        "media_list": items, "carrier": carrier, "date_created": now, "date_updated": now,
        "date_sent": now, "next_attempt_at": None,
    }
    insert_message(conn, row)
    if number is not None and number.sms_url:
        enqueue_callback(conn, message_sid=sid, kind="inbound", url=number.sms_url,
                         method=number.sms_method or "POST", params=inbound_mms_params(row), now=now)
    return sid


def _column(value: str, size: int | None = None) -> str:
    """``value`` as a text column can hold it: no NUL (PostgreSQL refuses
    it), at most ``size`` characters.  The MMSC's raw bytes are kept in the
    media rows; these columns are for reading and routing."""
    value = value.replace("\x00", "\ufffd")
    return value[:size] if size else value


def inbound_mms_params(row: Mapping[str, Any]) -> list[tuple[str, str]]:
    params = [
        ("MessageSid", row["sid"]), ("SmsSid", row["sid"]), ("AccountSid", row["account_sid"]),
        ("From", address(row, row["from_"])), ("To", address(row, row["to"])),
        ("Body", row["body"] or ""), ("NumMedia", str(len(row["media_list"]))),
    ]
    for item in row["media_list"]:
        params += [("MediaUrl", item["url"]), ("MediaType", item["content_type"])]
    return params


__all__ = ["apply_delivery_report", "retry_waiting_reports", "store_inbound_mms", "find_message",
           "inbound_mms_params", "media_url"]
