"""Status transitions for many messages: now ``gateway.store.messages``
(``transition`` is ``transition_many`` with one change).  These names stay
importable from here for older callers."""
from __future__ import annotations

from gateway.store.messages import CHUNK, callback_row, load_rows, transition_many

_callback_row = callback_row

__all__ = ["CHUNK", "callback_row", "load_rows", "transition_many"]
