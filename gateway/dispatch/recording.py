"""The dispatcher's outcome writes: buffered, one store job per reactor turn.

Rules:

* Outcomes (dicts: ``kind`` sent | failed | requeue, the sid, what to
  record) are buffered and written in one store job per reactor turn
  (``gateway.dispatch.store.record_outcomes``, a few executemany
  statements).  Each carries the row as claimed, cut to
  ``BRIEF_COLUMNS``, so the job need not read it again.
* The job is queued at once, so a receipt that arrives right behind its
  submit_sm_resp finds the part already recorded (the store's writer is
  FIFO).
* A failed write (the store cannot write: disk full, database gone) is not
  given up: its outcomes are held (``gateway.store.held``) and written
  again with a growing backoff until the store takes them.
* :func:`sent_outcome` is the record of a sent message, priced when its
  price is known (``gateway.messages.pricing``).
* The owner hears ``recorded(batch, counts)`` once a batch is written, and
  ``idle()`` when a turn had nothing to write.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Mapping

from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from gateway.dispatch.outcomes import Sent
from gateway.dispatch.store import AfterSent, record_outcomes
from gateway.messages.pricing import Price
from gateway.messages.store import BRIEF_COLUMNS
from gateway.store.faults import is_fault
from gateway.store.held import Held
from gateway.store.interface import Store

log = Logger()


def sent_outcome(row: Mapping[str, Any], carrier: str, result: Sent, price: Price | None = None) -> dict:
    """The outcome record of *row* sent on *carrier*."""
    outcome = {"kind": "sent", "sid": row["sid"], "account_sid": row["account_sid"],
               "carrier": carrier, "parts": result.parts, "row": row}
    extra = dict(result.extra or {})
    if price is not None:
        extra.update(price=price.text, price_unit=price.unit)
    if extra:
        outcome["extra"] = extra
    if result.num_segments:
        outcome["num_segments"] = result.num_segments
    return outcome


class OutcomeRecorder:
    def __init__(self, store: Store, clock: IReactorTime, now: Callable[[], datetime],
                 recorded: Callable[[list[dict], dict], None], idle: Callable[[], None], *,
                 after_sent: AfterSent | None = None) -> None:
        self.store = store
        self.clock = clock
        self.after_sent = after_sent
        self.buffered: list[dict] = []
        self.writing = 0  # outcome writes queued in the store
        self.held = Held(clock, self._write, "pipeline: outcomes")
        self._now = now
        self._recorded = recorded
        self._idle = idle
        self._flush_call = None

    def add(self, outcome: dict) -> None:
        row = outcome.get("row")
        if row is not None:  # what transition_many needs of it: less to carry to the writer
            outcome["row"] = {name: row[name] for name in BRIEF_COLUMNS}
        self.buffered.append(outcome)
        if self._flush_call is None:
            self._flush_call = self.clock.callLater(0, self._flush)

    def stop(self) -> None:
        """Stop retrying held outcomes (the mid-send policy resolves them at the next start)."""
        self.held.stop()

    def _flush(self) -> None:
        self._flush_call = None
        batch, self.buffered = self.buffered, []
        if not batch:
            self._idle()
            return
        self._write(batch)

    def _write(self, batch: list[dict]) -> None:
        self.writing += 1
        d = self.store.write(record_outcomes, batch, self._now(), self.after_sent)
        d.addCallbacks(self._written, self._failed, callbackArgs=(batch,), errbackArgs=(batch,))

    def _written(self, counts: dict, batch: list[dict]) -> None:
        self.writing -= 1
        self.held.written(len(batch))
        if counts["error"]:
            log.error("pipeline: {count} outcomes could not be recorded", count=counts["error"])
        self._recorded(batch, counts)

    def _failed(self, failure: Any, batch: list[dict]) -> None:
        # The whole transaction failed: the outcomes are held and written
        # again until the store takes them (still in flight meanwhile).
        self.writing -= 1
        if not is_fault(failure.value):
            log.failure("pipeline: recording {count} outcomes failed", failure, count=len(batch))
        self.held.hold(batch, failure)
