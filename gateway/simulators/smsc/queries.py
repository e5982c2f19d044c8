"""What the simulator remembers of each message, to answer query_sm (pure).

Rules:

* Every message whose receipt the simulator decides (a submit_sm asking
  for one) is remembered with its outcome and the time it becomes final:
  the receipt's time, whether the receipt is then sent or dropped.
* query_sm for a remembered message id (as the submit_sm_resp spelled it)
  is answered ESME_ROK with its state: ENROUTE (1) before that time, then
  the outcome's message_state, the final_date (SMPP absolute time, UTC)
  and the outcome's network error (the GSM MAP cause, one octet).  An id
  the simulator does not know (never seen, or forgotten) is answered
  ESME_RQUERYFAIL, as SMSCs do.
* The book holds the latest ``capacity`` messages; older ones are forgotten
  first (a lab SMSC, not a store).  The order of arrival is kept in a deque
  beside the dict: taking the oldest key as ``next(iter(dict))`` would walk
  over every deleted slot since the dict's last resize, once per message
  past the capacity.
"""
from __future__ import annotations

import time
from collections import deque
from typing import Any

from gateway.simulators.smsc.config import OUTCOME_ERRORS, OUTCOME_STATES
from protocols.smpp.constants import CommandStatus
from protocols.smpp.pdu import QuerySmResp

ENROUTE = OUTCOME_STATES["ENROUTE"]
CAPACITY = 200_000
UTC_ABSOLUTE_SUFFIX = "000+"  # tenths of a second, quarter hours from UTC, sign


def absolute_time(epoch: float) -> str:
    """SMPP 3.4 absolute time (section 7.1.1), in UTC: YYMMDDhhmmss000+."""
    return time.strftime("%y%m%d%H%M%S", time.gmtime(epoch)) + UTC_ABSOLUTE_SUFFIX


class MessageBook:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._book: dict[str, tuple[str, float]] = {}  # message id -> (stat, final at)
        self._order: deque[str] = deque()  # the ids of the book, oldest first

    def __len__(self) -> int:
        return len(self._book)

    def remember(self, message_id: str, stat: str, final_at: float) -> None:
        book = self._book
        if message_id not in book:
            self._order.append(message_id)
        book[message_id] = (stat, final_at)
        if len(book) > self.capacity:
            del book[self._order.popleft()]

    def answer(self, pdu: Any, now: float) -> QuerySmResp:
        """The query_sm_resp for ``pdu`` at ``now`` (see the module's rules)."""
        entry = self._book.get(pdu.message_id)
        if entry is None:
            return pdu.response(command_status=CommandStatus.ESME_RQUERYFAIL,
                                message_id=pdu.message_id)
        stat, final_at = entry
        if now < final_at:
            return pdu.response(message_id=pdu.message_id, message_state=ENROUTE)
        return pdu.response(message_id=pdu.message_id, final_date=absolute_time(final_at),
                            message_state=OUTCOME_STATES[stat],
                            error_code=OUTCOME_ERRORS[stat][1] & 0xFF)
