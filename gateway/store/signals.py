"""What a write job leaves for the services to see once its group commits.

Rules:

* A job that puts a row in ``callback_outbox`` (a status change, an inbound
  message's ``sms_url`` request, an RCML action) marks its connection with
  :func:`outbox_written`; ``gateway.messages.store.insert_callbacks``, the
  one place those rows are written, does it.
* The store's writer takes the mark after the group's COMMIT
  (:func:`take_outbox`) and, on the reactor, once the group's Deferreds have
  fired, calls its ``on_outbox`` hooks: the callback sender reads the outbox
  at once instead of at its next poll, whichever service wrote the row.
* A group whose COMMIT fails drops its connection, and the mark with it:
  nothing was written.  A mark left by a job that rolled back alone (its
  savepoint) costs one needless read of the outbox, nothing more.
"""
from __future__ import annotations

from typing import Any

OUTBOX = "gateway.outbox_written"


def outbox_written(conn: Any) -> None:
    """Mark that this transaction put rows in ``callback_outbox``."""
    conn.info[OUTBOX] = True


def take_outbox(conn: Any) -> bool:
    """Whether the transaction just committed on ``conn`` wrote the outbox
    (None: the connection was dropped); clears the mark."""
    return conn is not None and bool(conn.info.pop(OUTBOX, False))
