"""Resource sids: a two-letter prefix and 32 hex digits, in creation order.

``SM``/``MM`` messages and ``ME`` media keep the Messages API's shape
(``SM`` + 32 lower-case hex), laid out like a UUIDv7 (RFC 9562): the first
12 hex digits are the creation time in milliseconds since the Unix epoch,
the last 20 are 80 random bits.  A sid needs to be unique, not secret
(every read is checked against its account), and 80 random bits per
millisecond keep collisions out of reach.

Why time first: the sid keys the messages table and the indexes of
``status_events``, ``segments`` and ``callback_outbox``.  With random sids
every new message lands on a random leaf page of each of them, so a group
commit dirties one page per message per index; in creation order they
append at the end, and a commit writes a few pages.
"""
from __future__ import annotations

import os
import random
from datetime import datetime

# Seeded once from the OS: unique, not secret (see above), and cheaper
# than an os.urandom call per message.
_random_bits = random.Random(os.urandom(32)).getrandbits
_MS_MASK = (1 << 48) - 1


def new_sid(prefix: str, now: datetime | float) -> str:
    """A new sid created at ``now`` (a datetime or epoch seconds): the
    caller's clock, never the wall clock read here."""
    seconds = now.timestamp() if isinstance(now, datetime) else float(now)
    return f"{prefix}{int(seconds * 1000) & _MS_MASK:012x}{_random_bits(80):020x}"

