"""Inbound (mobile-originated) SMS and RCML replies in the store.

SQL functions on a Connection, run by ``store.write``.  Rules:

* A single-part MO becomes a message at once: direction ``inbound``, status
  ``received``, and, when the number has an ``sms_url``, an ``inbound``
  row in ``callback_outbox`` (MessageSid, AccountSid, From, To, Body; the
  addresses in channel form ``sms:+...`` for Messages-API numbers), written
  in the same transaction so the callback is as durable as the message.
* A part of a concatenated MO waits in ``inbound_parts`` (a restart loses
  nothing); a repeated part is ignored; when the last part lands the parts
  are assembled (``gateway.sms.inbound.reassembly``), deleted, and the message created.
  On PostgreSQL the parts of one group are stored one transaction at a
  time (a transaction-scoped advisory lock on the group key): in a cluster
  two parts may arrive at once on two nodes' binds, and each would
  otherwise miss the other's uncommitted part and leave the group waiting
  for the reassembly timeout.
* An MO whose text could not be read (``InboundSms.undecoded`` set: binary
  data, an unsupported or malformed coding) is stored the same way, with an
  empty body, and the sms_url is called with ``Body`` empty.  Its octets
  (hex), data_coding, esm_class and the reason are kept for support in a
  ``status_events`` row (status ``received``, ``detail``) written with the
  message.  Why not in ``body``: the body is what the customer's app reads
  and answers (RCML replies), and hex there would pass for text the
  handset typed; ``messages`` has no column for raw octets.  Such a part is
  stored on its own, never held for reassembly.
* ``sweep_reassembly`` delivers groups whose first part is older than the
  timeout with what arrived, marked ``incomplete``.
* ``apply_rcml_reply`` is the hook the callback sender calls with the body
  of a 200 answer to an inbound callback: each RCML ``<Message>`` becomes a
  queued outbound message (direction ``outbound-reply``).  Its ``to`` and
  ``from`` are checked as the API checks them; a reply with an address the
  API would refuse is logged and skipped, the others are sent.
* A reply with an RCML ``action`` queues an ``action`` callback row (in
  the same transaction as the reply): the action URL is requested with
  ``MessageStatus`` taken then (``queued``: the reply is stored and waits
  for the dispatcher; how it ends goes to ``statusCallback``) and
  ``MessageSid``, through the same sender as sms_url requests (SSRF guard,
  ``[callbacks] allow_hosts``, ``X-Twilio-Signature``).  Its 200 answer is
  RCML followed like the sms_url's, at most ``MAX_ACTIONS`` times per
  inbound message.
* The rows of the replies and of the action requests are built in
  ``gateway.sms.inbound.replies``.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Mapping

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection
from twisted.logger import Logger

from gateway.sms.inbound import reassembly
from gateway.messages.addresses import OPEN_PLAN, NumberPlan
from gateway.sms.inbound.rcml import parse_rcml
from gateway.sms.inbound.replies import action_params, reply_row, resolved
from gateway.messages.store import address, enqueue_callback, get_message_row, insert_message
from gateway.messages.sids import new_sid
from gateway.store.schema import RECEIVED, callback_outbox, inbound_parts, status_events

INBOUND = "inbound"
ACTION = "action"  # an RCML action URL: answered with RCML, like an sms_url
MAX_ACTIONS = 5  # action requests per inbound message (bounds a loop of actions)
PARTS_LOCK_SPACE = 0x4D4F  # "MO": apart from the bind-slot and sweep locks
log = Logger()


def new_message_sid(now: datetime) -> str:
    return new_sid("SM", now)


@dataclass(frozen=True)
class NumberRoute:
    """What the inbound path needs to know of one of our numbers."""

    number: str
    account: str
    sms_url: str | None = None
    sms_method: str = "POST"
    api: str = "messages"  # "messages" | "sms": how callbacks spell addresses


@dataclass(frozen=True)
class InboundSms:
    carrier: str
    source: str  # the handset, "+E164" when international
    destination: str  # our number
    text: str
    concat: tuple[int, int, int, int] | None = None  # reference, total, seqno, bits
    bind: str | None = None
    # Not text: why, with the octets in hex, for support (``text`` is then "").
    undecoded: str | None = None


@dataclass(frozen=True)
class Received:
    state: str  # "stored" | "waiting" | "duplicate"
    sid: str | None = None


def inbound_params(row: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [
        ("MessageSid", row["sid"]),
        ("AccountSid", row["account_sid"]),
        ("From", address(row, row["from_"])),
        ("To", address(row, row["to"])),
        ("Body", row["body"] or ""),
    ]


def create_inbound(conn: Connection, *, source: str, destination: str, body: str,
                   number: NumberRoute | None, carrier: str, now: datetime,
                   num_segments: int = 1, incomplete: bool = False, detail: str | None = None,
                   new_sid: Callable[[datetime], str] = new_message_sid) -> str:
    """Store a received message and enqueue its sms_url callback; ``detail``
    (kept in a ``status_events`` row) is what support needs to know of it."""
    row = {
        "sid": new_sid(now),
        "account_sid": number.account if number else "",
        "api": number.api if number else "messages",
        "direction": INBOUND,
        "channel": "sms",
        "from_": source,
        "to": destination,
        "body": body,
        "status": RECEIVED,
        "num_segments": num_segments,
        "carrier": carrier,
        "incomplete": incomplete,
        "date_created": now,
        "date_updated": now,
        "date_sent": now,
        "next_attempt_at": None,
    }
    insert_message(conn, row)
    if detail is not None:
        conn.execute(status_events.insert().values(
            message_sid=row["sid"], status=RECEIVED, error_code=None, detail=detail, created_at=now))
    if number is not None and number.sms_url:
        enqueue_callback(conn, message_sid=row["sid"], kind=INBOUND, url=number.sms_url,
                         method=number.sms_method or "POST", params=inbound_params(row), now=now)
    return row["sid"]


def receive(conn: Connection, sms: InboundSms, *, number: NumberRoute | None, now: datetime,
            new_sid: Callable[[datetime], str] = new_message_sid) -> Received:
    """Store one MO deliver_sm (a whole message or one part of it)."""
    concat = sms.concat
    if sms.undecoded is not None or concat is None or not reassembly.valid_concat(concat[1], concat[2]):
        sid = create_inbound(conn, source=sms.source, destination=sms.destination,
                             body=reassembly.mend(sms.text), number=number, carrier=sms.carrier,
                             now=now, detail=sms.undecoded, new_sid=new_sid)
        return Received("stored", sid)
    reference, total, seqno, bits = concat
    key = reassembly.group_key(sms.source, sms.destination, reference, total, bits)
    if conn.dialect.name == "postgresql":  # parts of one group on two nodes' binds: one at a time
        conn.execute(select(func.pg_advisory_xact_lock(PARTS_LOCK_SPACE, _group_lock(key))))
    seen = conn.execute(select(inbound_parts.c.seqno).where(inbound_parts.c.group_key == key)).scalars().all()
    if seqno in seen:
        return Received("duplicate")
    conn.execute(inbound_parts.insert().values(
        group_key=key, carrier=sms.carrier, source=sms.source, destination=sms.destination,
        reference=reference, total=total, seqno=seqno, text=sms.text, received_at=now))
    if not reassembly.is_complete([*seen, seqno], total):
        return Received("waiting")
    return Received("stored", _deliver_group(conn, key, number=number, now=now, new_sid=new_sid))


def _group_lock(key: str) -> int:
    return zlib.crc32(key.encode()) & 0x7FFFFFFF


def _deliver_group(conn: Connection, key: str, *, number: NumberRoute | None, now: datetime,
                   new_sid: Callable[[datetime], str]) -> str:
    rows = conn.execute(
        select(inbound_parts).where(inbound_parts.c.group_key == key).order_by(inbound_parts.c.id)
    ).mappings().all()
    first = rows[0]
    total = first["total"]
    assembled = reassembly.assemble([reassembly.PartIn(r["seqno"], r["text"]) for r in rows], total)
    conn.execute(delete(inbound_parts).where(inbound_parts.c.group_key == key))
    return create_inbound(conn, source=first["source"], destination=first["destination"],
                          body=assembled.text, number=number, carrier=first["carrier"], now=now,
                          num_segments=total, incomplete=not assembled.complete, new_sid=new_sid)


def sweep_reassembly(conn: Connection, *, now: datetime, timeout: timedelta,
                     lookup: Callable[[str], NumberRoute | None],
                     new_sid: Callable[[datetime], str] = new_message_sid) -> list[str]:
    """Deliver groups waiting longer than ``timeout``, marked incomplete."""
    groups = conn.execute(
        select(inbound_parts.c.group_key, inbound_parts.c.destination)
        .group_by(inbound_parts.c.group_key, inbound_parts.c.destination)
        .having(func.min(inbound_parts.c.received_at) <= now - timeout)
    ).all()
    return [_deliver_group(conn, key, number=lookup(destination), now=now, new_sid=new_sid)
            for key, destination in groups]


def _actions_so_far(conn: Connection, inbound_sid: str) -> int:
    return conn.execute(select(func.count()).select_from(callback_outbox).where(
        callback_outbox.c.message_sid == inbound_sid, callback_outbox.c.kind == ACTION)).scalar_one()


def apply_rcml_reply(conn: Connection, inbound_sid: str, document: bytes | str, *, now: datetime,
                     new_sid: Callable[[datetime], str] = new_message_sid,
                     base_url: str | None = None, plan: NumberPlan = OPEN_PLAN) -> list[str]:
    """Queue the replies an sms_url's (or an action URL's) 200 answer asks
    for; their sids.  A reply with an ``action`` gets an ``action`` row in
    the outbox, under the inbound message (so its answer is read as RCML
    about the same conversation), at most ``MAX_ACTIONS`` per inbound
    message: a document that always answers with another action stops.
    ``base_url``: the URL that answered, against which relative URLs resolve;
    ``plan``: what digits without ``+`` resolve against (the API's rule).

    Raises ``gateway.sms.inbound.rcml.RcmlError`` for malformed/refused XML (the caller
    logs it and goes on: the inbound callback itself succeeded).
    """
    inbound = get_message_row(conn, inbound_sid)
    if inbound is None or not inbound["account_sid"]:
        return []
    replies = parse_rcml(document, sender=inbound["from_"], our_number=inbound["to"])
    sids = []
    for reply in replies:
        reply = resolved(reply, base_url)
        row = reply_row(reply, inbound, now=now, new_sid=new_sid, plan=plan)
        if row is None:
            continue
        insert_message(conn, row)
        sids.append(row["sid"])
        if reply.action is None:
            continue
        if _actions_so_far(conn, inbound_sid) >= MAX_ACTIONS:
            log.warn("RCML action {url} for {sid} not requested: {limit} actions already",
                     url=reply.action[:200], sid=inbound_sid, limit=MAX_ACTIONS)
            continue
        enqueue_callback(conn, message_sid=inbound_sid, kind=ACTION, url=reply.action,
                         method=reply.action_method, params=action_params(row), now=now)
    return sids
