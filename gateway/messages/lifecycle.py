"""The message status machine: one table, as ``protocols.smpp.state`` is for binds.

Rules:

* Outbound messages go ``queued -> sending -> sent -> delivered | undelivered
  | failed``; a step may be skipped (an MMSC's answer can say ``delivered``
  straight away, a validation after intake can fail a queued message), but a
  status never moves backwards, and a final status never changes again.
* ``received`` is where inbound messages start; nothing moves into it.
* The one backwards move is ``REQUEUE``: a claimed (``sending``) message put
  back in the queue when no bind can take it, or after a crash under the
  at-least-once policy.  It is not a status change the customer sees (no
  status callback), so it is kept out of ``TRANSITIONS``.
"""
from __future__ import annotations

QUEUED = "queued"
SENDING = "sending"
SENT = "sent"
DELIVERED = "delivered"
UNDELIVERED = "undelivered"
FAILED = "failed"
RECEIVED = "received"

STATUSES = (QUEUED, SENDING, SENT, DELIVERED, UNDELIVERED, FAILED, RECEIVED)
FINAL_STATUSES = frozenset({DELIVERED, UNDELIVERED, FAILED, RECEIVED})

# old status -> the statuses it may move to.  Final statuses move nowhere.
_NEXT = {
    QUEUED: frozenset({SENDING, SENT, DELIVERED, UNDELIVERED, FAILED}),
    SENDING: frozenset({SENT, DELIVERED, UNDELIVERED, FAILED}),
    SENT: frozenset({DELIVERED, UNDELIVERED, FAILED}),
}
TRANSITIONS = frozenset((old, new) for old, targets in _NEXT.items() for new in targets)
REQUEUE = (SENDING, QUEUED)


def can_transition(old: str, new: str) -> bool:
    """True when a message in ``old`` may move to ``new`` (the customer sees it)."""
    return (old, new) in TRANSITIONS
