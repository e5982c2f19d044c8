"""Messaging services: a message's sender picked from a pool (pure).

Rules (``[[messaging_services]]`` with ``sid``, ``account`` and ``numbers``):

* A create request needs ``From``, or ``MessagingServiceSid``, or both.
* With a service and no ``From``, the sender is sticky per destination:
  the same ``To`` always gets the same number of the pool, chosen by a
  hash of the destination (no state to keep, the same on every node), as
  long as the pool is unchanged.  Adding or removing numbers may move some
  destinations to another sender.
* With both, ``From`` is sent as given and the service is reported.
* A service sid that is not one of the account's is a 400 (21705) naming it.
"""
from __future__ import annotations

import hashlib
from typing import Mapping, Sequence

from gateway.messages.errors import bad_request


def sticky_sender(numbers: Sequence[str], destination: str) -> str:
    """The pool's number for ``destination``: always the same one."""
    digest = hashlib.sha256(destination.encode("utf-8")).digest()
    return numbers[int.from_bytes(digest[:8], "big") % len(numbers)]


def service_numbers(services: Mapping[str, object], sid: str, account_sid: str) -> tuple[str, ...]:
    """The pool of the account's service ``sid``, or a 400."""
    service = services.get(sid)
    if service is None or getattr(service, "account") != account_sid:
        raise bad_request(21705, f"MessagingServiceSid: {sid[:64]!r} is not a messaging service "
                                 "of this account")
    return tuple(getattr(service, "numbers"))
