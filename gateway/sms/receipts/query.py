"""Receipts that never come: ask the SMSC with query_sm.

Rules:

* A carrier opts in with ``[carriers.receipts] receipt_timeout = SECONDS``
  (0, the default: never ask).  A part of such a carrier whose receipt is
  overdue (see ``gateway.sms.receipts.query_store``) gets one query_sm, from
  the address its message was sent from, on a bound transmitter or
  transceiver of its carrier with window room; none up: it waits for the
  next sweep.
* The answer is read as a receipt would be (``answer_receipt``): its
  message_state is the stat (DELIVERED, EXPIRED, DELETED, UNDELIVERABLE,
  REJECTED, ... through the carrier's profile) and a non-zero error_code
  is the ``err``.  A final state settles the part and then the message,
  exactly as a receipt does.  A state that is not final (ENROUTE,
  ACCEPTED, ...), an error status (ESME_RQUERYFAIL, ESME_RINVCMDID ...) or
  no answer leaves the part waiting: it is asked again one
  ``receipt_timeout`` later, for as long as ``missing_segment_timeout``
  runs.
* Only after that does the missing-segment rule apply: a silent part of
  such a carrier must have been asked before its message is judged
  (``receipts_store.sweep_missing_segments(asked_first=...)``).
* The sweep runs every ``[receipts] sweep_interval`` on the injected clock,
  asks at most ``batch`` parts a sweep, and writes all answers of a sweep
  in one store job.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Iterable, Mapping

from twisted.internet.defer import Deferred, DeferredList, succeed
from twisted.logger import Logger, LogLevel

from gateway.common.periodic import Periodic
from gateway.sms.receipts import query_store as sql
from gateway.store.timeutil import from_timestamp
from gateway.sms.outbound.submit_sm import address
from gateway.store.interface import Store
from protocols.smpp.constants import MessageState
from protocols.smpp.errors import LocalProtocolError
from protocols.smpp.pdu import QuerySm, QuerySmResp
from protocols.smpp.receipt import MESSAGE_STATES, Receipt

log = Logger()
BATCH = 500


def receipt_timeouts(carriers: Iterable[Any]) -> dict[str, float]:
    """carrier name -> receipt_timeout (seconds) of the SMPP carriers that ask."""
    out = {}
    for carrier in carriers:
        if getattr(carrier, "protocol", "smpp") != "smpp":
            continue
        timeout = (getattr(carrier, "receipts", None) or {}).get("receipt_timeout", 0)
        if timeout:
            out[carrier.name] = float(timeout)
    return out


def query_pdu(part: Mapping[str, Any]) -> QuerySm:
    ton, npi, source = address(part["from_"])
    return QuerySm(message_id=part["smsc_message_id"], source_addr_ton=ton, source_addr_npi=npi,
                   source_addr=source)


def answer_receipt(message_id: str, response: Any) -> Receipt | None:
    """The receipt a query_sm_resp amounts to; None when it says nothing."""
    if not isinstance(response, QuerySmResp) or response.command_status != 0:
        return None
    state = response.message_state
    if not state or state == MessageState.ENROUTE:
        return None  # nothing decided yet (0 is "scheduled" in SMPP 5)
    err = str(response.error_code) if response.error_code else None
    return Receipt(message_id=message_id, stat=MESSAGE_STATES.get(state, f"STATE{state}"),
                   message_state=state, err=err)


def send_queries(carrier: Any, pdus: list[QuerySm]) -> list[Deferred | None]:
    """Send each query on a bound sender of ``carrier`` with window room.

    Each Deferred fires with the response (any status) or None (no answer);
    None in the list: no bind could take that query now."""
    binds = [b for b in getattr(carrier, "binds", ()) if b.can_send]
    touched, out = set(), []
    for pdu in pdus:
        d = None
        for bind in binds:
            if bind.room() <= 0:
                continue
            d = Deferred()
            try:
                bind.protocol.request(pdu, _answered, d)
            except LocalProtocolError:
                d = None
                continue
            touched.add(bind.protocol)
            break
        out.append(d)
    for protocol in touched:
        protocol.flush()
    return out


def _answered(d: Deferred, response: Any, reason: Any, latency: float) -> None:
    d.callback(response)


class ReceiptQuery:
    """Asks the SMSCs about overdue parts, every ``interval`` seconds."""

    def __init__(self, store: Store, carriers: Mapping[str, Any], timeouts: Mapping[str, float],
                 clock: Any, *, profiles: Mapping[str, Any] | None = None, interval: float = 30.0,
                 horizon: float = 172800.0, batch: int = BATCH) -> None:
        self.store, self.carriers, self.clock = store, carriers, clock
        self.timeouts = {k: v for k, v in timeouts.items() if k in carriers}
        self.profiles = dict(profiles or {})
        self.interval, self.horizon, self.batch = interval, horizon, batch
        self.stats = {"queries": 0, "query_final": 0, "query_pending": 0, "query_unsent": 0}
        self._sweeps = Periodic(clock, self.sweep, name="receipt query")
        self._running: Deferred | None = None

    def sweep(self) -> Deferred:
        """One round: read overdue parts, ask, write the answers (never fails)."""
        if not self.timeouts or self._running is not None:
            return succeed(None)
        now = from_timestamp(self.clock.seconds())
        d = self.store.read(sql.overdue_parts, now=now, timeouts=self.timeouts,
                            horizon=timedelta(seconds=self.horizon), limit=self.batch)
        d.addCallback(self._ask).addErrback(self._failed)
        self._running = d
        d.addBoth(self._done)
        return d

    def _done(self, result: Any) -> Any:
        self._running = None
        return result

    def _ask(self, parts: list[dict]) -> Deferred | None:
        by_carrier: dict[str, list[dict]] = {}
        for part in parts:
            by_carrier.setdefault(part["carrier"], []).append(part)
        waits, asked = [], []
        for name, group in by_carrier.items():
            for part, d in zip(group, send_queries(self.carriers[name], [query_pdu(p) for p in group])):
                if d is None:
                    self.stats["query_unsent"] += 1
                    continue
                self.stats["queries"] += 1
                asked.append(part)
                waits.append(d)
        if not waits:
            return None
        return DeferredList(waits).addCallback(self._answers, asked)

    def _answers(self, results: list, asked: list[dict]) -> Deferred:
        items = [(part["id"], part["carrier"], answer_receipt(part["smsc_message_id"], response))
                 for part, (_ok, response) in zip(asked, results)]
        now = from_timestamp(self.clock.seconds())
        d = self.store.write(sql.apply_answers, items, now=now, profiles=self.profiles)
        return d.addCallback(self._counted, len(items))

    def _counted(self, counts: dict[str, int], asked: int) -> None:
        self.stats["query_final"] += counts["final"]
        self.stats["query_pending"] += counts["pending"]
        log.info("receipt query: asked the SMSC about {asked} silent parts: {final} settled, "
                 "{pending} still waiting", asked=asked, final=counts["final"], pending=counts["pending"])

    def _failed(self, failure: Any) -> None:
        log.failure("receipt query sweep failed; the next sweep tries again", failure,
                    level=LogLevel.warn)

    def start(self) -> None:
        for carrier, timeout in sorted(self.timeouts.items()):
            if timeout >= self.horizon:
                log.warn("carrier {carrier}: receipt_timeout {timeout:g} s is not shorter than "
                         "[receipts] missing_segment_timeout {horizon:g} s, so its parts are never "
                         "asked with query_sm", carrier=carrier, timeout=timeout, horizon=self.horizon)
        if self.timeouts:
            self._sweeps.start(self.interval, now=False)

    def stop(self) -> Deferred | None:
        """Stop sweeping; the Deferred of a sweep under way, if any, to wait for."""
        self._sweeps.stop()
        if self._running is None:
            return None
        waiting: Deferred = Deferred()
        self._running.addBoth(lambda result: waiting.callback(None) or result)
        return waiting
