"""The per-bind load tester behind ``carrier-gateway bench``.

It drives any SMSC with the same ``EsmeProtocol`` the carrier uses, but
without the carrier's queue and retries: each bind keeps its window full of
one pre-built submit_sm (the session numbers each copy) until its share of
``count`` is sent, optionally paced to ``rate`` submit_sm/s in total.  Each
response is counted by status with its latency.  With ``receipts`` the
submit_sm ask for a receipt and every deliver_sm is answered at once and
matched to a submit_sm_resp id (exactly, or hex vs decimal: ``receipts.py``).  The run ends when every submit_sm is
answered (or timed out) and, with receipts, every accepted one has its
receipt or none came for ``receipt_timeout`` seconds.
"""
from __future__ import annotations

import time
from array import array
from collections import Counter
from dataclasses import dataclass
from typing import Any

from twisted.internet.defer import Deferred, DeferredList, FirstError, gatherResults
from twisted.internet.protocol import Factory
from twisted.logger import Logger

from gateway.carriers.smpp.esme import EsmeListener, EsmeProtocol
from gateway.carriers.smpp.throttle import TokenBucket
from gateway.simulators.bench.receipts import ReceiptMatching
from protocols.smpp.codec import Encoded, encode
from protocols.smpp.constants import status_name
from protocols.smpp.pdu import SubmitSm

log = Logger()


@dataclass(frozen=True)
class BenchOptions:
    count: int = 10000
    binds: int = 1
    bind: str = "transceiver"      # transceiver, transmitter, or transmitter+receiver
    rate: float = 0.0              # total submit_sm/s; 0 = as fast as the window allows
    receipts: bool = False
    receipt_timeout: float = 10.0  # give up on receipts after this long without one
    source: str = "15550001111"
    destination: str = "15550002222"
    text: str = "carrier-gateway load test 0123456789"


class _BenchBind(EsmeListener):
    def __init__(self, runner: "BenchRunner", name: str, quota: int, rate: float) -> None:
        self.runner = runner
        self.name = name
        self.quota = quota
        self.sent = 0
        self.answered = 0
        self.first_sent = 0.0
        self.last_answer = 0.0
        self.protocol: EsmeProtocol | None = None
        self.bucket = TokenBucket(rate, now=runner.clock.seconds()) if rate > 0 else None
        self._wake: Any = None

    def window_opened(self, protocol: EsmeProtocol) -> None:
        self.runner.fill(self)

    def connection_lost(self, protocol: EsmeProtocol) -> None:
        if self._wake is not None and self._wake.active():
            self._wake.cancel()
        self._wake = None
        self.runner.lost(self)

    def wake_in(self, delay: float) -> None:
        if self._wake is None or not self._wake.active():
            self._wake = self.runner.clock.callLater(max(delay, 0.0005), self._woken)

    def _woken(self) -> None:
        self._wake = None
        if self.protocol is not None:
            self.runner.fill(self)
            self.protocol.flush()

    @property
    def rate(self) -> float:
        elapsed = self.last_answer - self.first_sent
        return self.answered / elapsed if elapsed > 0 else 0.0


class BenchRunner(ReceiptMatching):
    def __init__(self, clock: Any, settings: Any, endpoint_factory: Any,
                 options: BenchOptions) -> None:
        self.clock = clock
        self.settings = settings
        self.endpoint_factory = endpoint_factory
        self.options = options
        submit = SubmitSm(source_addr_ton=1, source_addr_npi=1, source_addr=options.source,
                          dest_addr_ton=1, dest_addr_npi=1, destination_addr=options.destination,
                          registered_delivery=1 if options.receipts else 0,
                          short_message=options.text.encode("latin-1", "replace"))
        self.pdu = Encoded(SubmitSm, encode(submit)[16:])  # encoded once, numbered per copy
        self.statuses: Counter = Counter()
        self.latencies = array("d")
        self.ids: set[str] = set()      # accepted ids still waiting for a receipt
        self.early: set[str] = set()    # receipt ids not matched (yet)
        self.receipts_received = 0
        self.receipts_matched = 0
        self.first_receipt = self.last_receipt = 0.0
        self.senders: list[_BenchBind] = []
        self.protocols: list[EsmeProtocol] = []
        self._finished: Deferred = Deferred()
        self._receipt_call: Any = None
        self._started = 0.0
        self._cpu_started = 0.0
        self._cpu_used = 0.0
        self._submits_done = False
        self._by_key: dict[str, list[str]] = {}  # match key -> sent ids (see _reconcile)

    # ---- connecting ----------------------------------------------------------------
    def run(self) -> Deferred:
        """Bind, send, collect; fires with the result dict (see ``result``)."""
        opts = self.options
        kinds = ("transmitter", "receiver") if opts.bind == "transmitter+receiver" else (opts.bind,)
        share, extra = divmod(opts.count, opts.binds)
        binds = []
        for index in range(opts.binds):
            for kind in kinds:
                name = f"bind-{index + 1}" + ("" if len(kinds) == 1 else
                                              "-tx" if kind == "transmitter" else "-rx")
                quota = share + (1 if index < extra else 0) if kind != "receiver" else 0
                binds.append(self._connect(name, kind, quota, opts.rate / opts.binds))
        d = gatherResults(binds, consumeErrors=True)
        d.addCallback(self._start)
        d.addErrback(self._abort)
        return self._finished

    def _connect(self, name: str, kind: str, quota: int, rate: float) -> Deferred:
        bench = _BenchBind(self, name, quota, rate)
        endpoint = self.endpoint_factory(self.settings)
        factory = Factory.forProtocol(lambda: EsmeProtocol(
            self.clock, self.settings, kind, name=name, listener=bench,
            deliver_handler=self._on_deliver, lane=True, receipt_id=self._on_receipt_id))

        def connected(protocol: EsmeProtocol) -> Deferred:
            self.protocols.append(protocol)
            return protocol.bind().addCallback(lambda _: (bench, protocol))
        return endpoint.connect(factory).addCallback(connected)

    def _start(self, bound: list) -> None:
        self._started = self.clock.seconds()
        self._cpu_started = time.process_time()
        for bench, protocol in bound:
            if bench.quota > 0:
                bench.protocol = protocol
                bench.first_sent = self._started
                self.senders.append(bench)
                self.fill(bench)
                protocol.flush()

    def _abort(self, failure: Any) -> None:
        if isinstance(failure.value, FirstError):
            failure = failure.value.subFailure
        for protocol in self.protocols:
            protocol.abort()
        if not self._finished.called:
            self._finished.errback(failure)

    # ---- the hot loop -------------------------------------------------------------------
    def fill(self, bench: _BenchBind) -> None:
        protocol = bench.protocol
        if protocol is None or not protocol.can_submit:
            return
        n = min(protocol.window_available, bench.quota - bench.sent)
        if n <= 0:
            return
        bucket = bench.bucket
        request, pdu, answered = protocol.request, self.pdu, self._answered
        if bucket is None:
            protocol.request_many(pdu, n, answered, bench)
            bench.sent += n
            return
        now = self.clock.seconds()
        for _ in range(n):
            delay = bucket.delay(now)
            if delay > 0:
                bench.wake_in(delay)
                return
            request(pdu, answered, bench)
            bench.sent += 1

    def _answered(self, bench: _BenchBind, response: Any, reason: Any, latency: float) -> None:
        if response is not None:
            status = response.command_status
            self.statuses[status] += 1
            self.latencies.append(latency)
            if status == 0 and self.options.receipts:
                key = response.message_id.lower()
                if key in self.early:  # its receipt came first (on another bind)
                    self.early.discard(key)
                    self.receipts_matched += 1
                else:
                    self.ids.add(key)
        else:
            self.statuses[reason.name] += 1
        bench.answered += 1
        if bench.answered == bench.quota:
            bench.last_answer = self.clock.seconds()
            if all(b.answered == b.quota for b in self.senders):
                self._submits_over()

    def lost(self, bench: _BenchBind) -> None:
        if bench.protocol is not None and bench.answered < bench.quota:
            self.statuses["CONNECTION_LOST"] += bench.quota - bench.answered
            bench.answered = bench.quota
            bench.last_answer = self.clock.seconds()
            if all(b.answered == b.quota for b in self.senders):
                self._submits_over()

    def _submits_over(self) -> None:
        self._submits_done = True
        if not self.options.receipts:
            self._finish()
            return
        self._reconcile()
        self._check_receipts()

    def _check_receipts(self) -> None:
        if not self.ids:
            self._finish()
            return
        if self._receipt_call is None:
            self._receipt_call = self.clock.callLater(1.0, self._receipt_tick)

    def _receipt_tick(self) -> None:
        self._receipt_call = None
        quiet = self.clock.seconds() - max(self.last_receipt, self._last_answer())
        if not self.ids or quiet >= self.options.receipt_timeout:
            self._reconcile()
            self._finish()
        else:
            self._receipt_call = self.clock.callLater(1.0, self._receipt_tick)

    def _last_answer(self) -> float:
        return max((b.last_answer for b in self.senders), default=self._started)

    # ---- the end ---------------------------------------------------------------------------------
    def _finish(self) -> None:
        if self._finished.called:
            return
        if self._receipt_call is not None and self._receipt_call.active():
            self._receipt_call.cancel()
        self._receipt_call = None
        self._cpu_used = time.process_time() - self._cpu_started
        result = self.result()
        closing = [p.drain_and_unbind(2.0) for p in self.protocols if not p.closed]
        DeferredList(closing).addBoth(lambda _: self._finished.callback(result))

    def snapshot(self) -> tuple[int, int, int, int]:
        """(sent, answered, accepted, receipts received) so far, for progress."""
        return (sum(b.sent for b in self.senders), sum(b.answered for b in self.senders),
                self.statuses[0], self.receipts_received)

    def result(self) -> dict[str, Any]:
        latencies = sorted(self.latencies)
        sent = sum(b.sent for b in self.senders)
        end = self._last_answer()
        elapsed = end - self._started
        receipts_elapsed = self.last_receipt - self._started if self.receipts_received else 0.0
        return {
            "submit_sm_per_s": round(sent / elapsed, 1) if elapsed > 0 else 0.0,
            "sent": sent,
            "accepted": self.statuses[0],
            "responses": {(status_name(k) if isinstance(k, int) else k): v
                          for k, v in sorted(self.statuses.items(), key=lambda kv: str(kv[0]))},
            "latency_ms": {"p50": _quantile_ms(latencies, 0.50),
                           "p99": _quantile_ms(latencies, 0.99)},
            "receipts_received": self.receipts_received,
            "receipts_matched": self.receipts_matched,
            "receipts_per_s": (round(self.receipts_received / receipts_elapsed, 1)
                               if receipts_elapsed > 0 else 0.0),
            "elapsed_s": round(elapsed, 3),
            # CPU this process spent per submit_sm (with its receipt, if any):
            # unlike the rate, it does not move with the machine's load.
            "cpu_us_per_submit": round(self._cpu_used / sent * 1e6, 2) if sent else None,
            "window": self.settings.window,
            "binds": [{"name": b.name, "sent": b.sent, "submit_sm_per_s": round(b.rate, 1)}
                      for b in self.senders],
        }


def _quantile_ms(ordered: list[float], q: float) -> float | None:
    if not ordered:
        return None
    index = min(len(ordered) - 1, int(q * len(ordered)))
    return round(ordered[index] * 1000.0, 3)
