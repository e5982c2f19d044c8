"""The rows an RCML reply makes: its outbound message and its action request.

Rules: a reply's ``to`` and ``from`` are checked as the API checks them
(``plan``: what digits without ``+`` resolve against); a reply the API would
refuse is logged and makes no row.  Relative ``action`` and
``statusCallback`` URLs resolve against the URL that answered.  The store
(``gateway.sms.inbound.store.apply_rcml_reply``) writes the rows.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, Callable, Mapping
from urllib.parse import urljoin

from twisted.logger import Logger

from gateway.messages.addresses import OPEN_PLAN, NumberPlan, resolve_pair, split_pair
from gateway.messages.errors import ApiError
from gateway.messages.store import address
from gateway.sms.inbound.rcml import ReplySpec
from gateway.store.schema import QUEUED

REPLY_DIRECTION = "outbound-reply"
log = Logger()


def _num_segments(body: str) -> int:
    try:
        from segmentation import plan

        return plan(body, reference=0).num_segments
    except Exception:  # the pipeline reports a body it cannot send
        return 1


def reply_row(reply: ReplySpec, inbound: Mapping[str, Any], *, now: datetime,
              new_sid: Callable[[datetime], str],
              plan: NumberPlan = OPEN_PLAN) -> dict | None:
    """The message row (for ``insert_message``) of one RCML reply to
    ``inbound``; None (logged) when the API would refuse its addresses."""
    media = [{"url": m.url, "content_type": m.content_type} for m in reply.media]
    try:
        pair = split_pair(reply.from_, reply.to, uris=False)
        sender, recipient = resolve_pair(pair, "mms" if media else "sms", plan)
    except ApiError as e:
        log.warn("RCML reply to {sid} skipped: {error}", sid=inbound["sid"], error=e.message)
        return None
    return {
        "sid": new_sid(now),
        "account_sid": inbound["account_sid"],
        "api": inbound["api"],
        "direction": REPLY_DIRECTION,
        "channel": "mms" if media else "sms",
        "from_": sender,
        "to": recipient,
        "body": reply.body,
        "status": QUEUED,
        "num_segments": _num_segments(reply.body),
        "num_media": len(media),
        "media_list": media,
        "status_callback": reply.status_callback,
        "status_callback_method": reply.status_callback_method if reply.status_callback else None,
        "date_created": now,
        "date_updated": now,
    }


def action_params(row: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What an RCML ``action`` URL is requested with: the reply's
    ``MessageStatus`` as it is queued, and ``MessageSid``."""
    return [
        ("MessageSid", row["sid"]),
        ("MessageStatus", row["status"]),
        ("AccountSid", row["account_sid"]),
        ("From", address(row, row["from_"])),
        ("To", address(row, row["to"])),
    ]


def resolved(reply: ReplySpec, base_url: str | None) -> ReplySpec:
    """``action`` and ``statusCallback`` relative to the URL that answered
    (RCML allows relative URLs), as a browser resolves a link."""
    if base_url is None:
        return reply
    action, callback = (None if url is None else urljoin(base_url, url)
                        for url in (reply.action, reply.status_callback))
    return replace(reply, action=action, status_callback=callback)
