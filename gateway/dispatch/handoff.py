"""One claimed message handed to a carrier: the dispatcher's per-message decisions.

Rules:

* Each claimed message is routed (longest prefix, by channel: the
  dispatcher asks its ``Router`` for the candidates) and handed to the
  first candidate carrier that is up; a failed submit moves on to the
  fallback when nothing was accepted yet.  No candidate up -> requeued,
  due again after ``retry_delay``.  No candidate at all -> failed, 21612.
* ``MaxPrice`` is checked here, where the carrier is known: a candidate
  whose price (``gateway.messages.pricing``, with the ``num_segments`` counted at
  intake) is above it is passed over; when no candidate that is up can
  take it, the message fails with 30010 (never requeued: it cannot get
  cheaper).  A sent message is priced in the same outcome write that
  records ``sent``, with the segments the carrier took.
* Every message ends in exactly one outcome given to the recorder
  (``gateway.dispatch.recording``): sent, failed or requeue.  A submit that
  crashes (a bug, not a carrier's answer) fails the message with 30008.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable, Mapping

from twisted.logger import Logger

from gateway.dispatch.outcomes import Failed, NotSent, Sender, Sent
from gateway.dispatch.recording import OutcomeRecorder, sent_outcome
from gateway.messages.pricing import ERROR_MAX_PRICE, MAX_PRICE_MESSAGE, PriceBook, exceeds

# The dispatcher's log lines keep the namespace they had before this module was split from it.
log = Logger(namespace="gateway.dispatch.dispatcher")

ERROR_NO_ROUTE = 21612
NO_ROUTE_MESSAGE = "no carrier route for this destination"
TOO_DEAR = Failed(ERROR_MAX_PRICE, MAX_PRICE_MESSAGE, try_next=True)


class Handoff:
    """Hands claimed messages to carriers; ``prices`` may be replaced (SIGHUP)."""

    def __init__(self, senders: Mapping[str, Sender], recorder: OutcomeRecorder,
                 now: Callable[[], datetime], retry_delay: float, prices: PriceBook | None = None):
        self.senders = senders
        self.recorder = recorder
        self.retry_delay = retry_delay
        self.prices = prices
        self._now = now

    def dispatch(self, row, candidates: tuple[str, ...], start: int = 0,
                 failed: Failed | None = None, failed_on: str | None = None) -> None:
        """Send *row* on the first of ``candidates[start:]`` that is up and not too dear."""
        if not candidates:
            self.recorder.add({"kind": "failed", "sid": row["sid"], "error_code": ERROR_NO_ROUTE,
                               "error_message": NO_ROUTE_MESSAGE, "carrier": None, "row": row})
            return
        for index in range(start, len(candidates)):
            name = candidates[index]
            sender = self.senders.get(name)
            if sender is None or not sender.is_up:
                continue
            if row.get("max_price") is not None and exceeds(self._price(row, name), row["max_price"]):
                failed, failed_on = TOO_DEAR, name  # a cheaper fallback may take it
                continue
            d = sender.send(row, self._now())
            d.addCallback(self._sent, row, candidates, index)
            d.addErrback(self._send_crashed, row, sender.name)
            return
        if failed is not None:
            self._failed(row, failed_on or candidates[start - 1], failed)
        else:
            self._requeue(row, "no bind up on " + ", ".join(candidates))

    def _price(self, row, carrier: str, num_segments: int | None = None):
        if self.prices is None:
            return None
        return self.prices.price(carrier, row["to"], num_segments or row.get("num_segments") or 1)

    def _sent(self, result, row, candidates, index) -> None:
        name = candidates[index]
        if isinstance(result, Sent):
            price = self._price(row, name, result.num_segments or len(result.parts))
            self.recorder.add(sent_outcome(row, name, result, price))  # priced when sent
        elif isinstance(result, NotSent):
            self._requeue(row, f"{name}: {result.reason}")
        elif isinstance(result, Failed):
            if result.try_next and index + 1 < len(candidates) and not result.parts:
                log.info("pipeline: {sid} failed on {carrier} ({code}), trying {next}",
                         sid=row["sid"], carrier=name, code=result.error_code, next=candidates[index + 1])
                self.dispatch(row, candidates, index + 1, result, name)
                return
            self._failed(row, name, result)

    def _failed(self, row, name: str, result: Failed) -> None:
        self.recorder.add({"kind": "failed", "sid": row["sid"], "account_sid": row["account_sid"],
                           "carrier": name, "error_code": result.error_code,
                           "error_message": result.error_message, "parts": result.parts, "row": row})

    def _send_crashed(self, failure, row, name) -> None:
        log.failure("pipeline: sending {sid} on {carrier} crashed", failure, sid=row["sid"], carrier=name)
        self.recorder.add({"kind": "failed", "sid": row["sid"], "carrier": name, "error_code": 30008,
                           "error_message": "internal error while sending", "row": row})

    def _requeue(self, row, detail: str) -> None:
        due = self._now() + timedelta(seconds=self.retry_delay)
        self.recorder.add({"kind": "requeue", "sid": row["sid"], "next_attempt_at": due, "detail": detail})
