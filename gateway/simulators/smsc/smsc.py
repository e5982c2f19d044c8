"""The SMSC simulator: a protocol factory with a config, a clock and counters.

    sim = SmscSimulator(behaviour("mixed-receipts").config(), clock=reactor)
    port = sim.listen(reactor, 0)          # or any IReactorTCP, MemoryReactor included
    sim.inject_mo("hi there", source="+15550001111", destination="+15550002222")
    ...
    sim.stop(); port.stopListening()

Theory of operation:

* Each connection is an ``SmscProtocol`` on the server-role session; this
  object decides what a submit_sm gets (``on_submit``), makes receipts, and
  routes every deliver_sm (receipt or MO) to a bound receiver/transceiver of
  the same system_id, round-robin (a TX+RX pair gets its receipts on the RX
  side; ``delivery.py``).  With no such bind up, deliver_sm wait here until
  one binds.
* A receipt never leaves before its submit_sm_resp is written: the receipts
  a chunk of submit_sm makes are held until the chunk's responses are
  written, then leave ``receipt_delay`` (default 0.1 s) later, in one batch,
  on the submitting transceiver (or routed as above).  Over a TX+RX pair the
  response and the receipt travel on two connections, so without that delay
  a peer reading its binds in separate threads (Kannel) can see the receipt
  first and lose it.  With a slow response (``response_delay``) the receipt
  waits for it too.  ``receipt-before-response`` is the one behaviour that
  sends the receipt at once and the response 10 ms later.
* Delayed things (receipts with a delay, slow responses, redeliveries) sit in
  one ``TimerHeap`` with one timer on the injected clock; the receipts of a
  chunk take one entry between them.
"""
from __future__ import annotations

import random
from collections import defaultdict, deque
from typing import Any

from twisted.internet.protocol import Factory
from twisted.logger import Logger

from gateway.simulators.smsc.config import SimConfig
from protocols.smpp.frames import (RecentSubmits, SubmitView, receipt_body, scan_submit,
                                           submit_sm_resp, view_of)
from gateway.simulators.smsc.ids import id_generator, id_translator
from gateway.simulators.smsc.delivery import DeliverRouting
from gateway.simulators.smsc.inject import ErrorInjection
from gateway.simulators.smsc.queries import MessageBook
from gateway.simulators.smsc.receipts import OutcomePicker, receipt_parts, receipt_snippet
from gateway.simulators.smsc.protocol import SmscProtocol
from gateway.simulators.smsc.timers import TimerHeap
from gateway.carriers.smpp.throttle import TokenBucket
from protocols.smpp.constants import CommandStatus as St
from protocols.smpp.codec import Encoded
from protocols.smpp.fast import fast_constructor
from protocols.smpp.pdu import DeliverSm, SubmitSmResp

log = Logger()
make_submit_sm_resp = fast_constructor(SubmitSmResp)
make_encoded = fast_constructor(Encoded)
_RECEIPT_TLVS = (b"\x00\x1e%b%b\x00"        # receipted_message_id, C-octet string
                 b"\x04\x27\x00\x01%c"      # message_state
                 b"\x04\x23\x00\x03%b")     # network_error_code


class SmscSimulator(ErrorInjection, DeliverRouting, Factory):
    protocol = SmscProtocol
    noisy = False
    fast_lane = True  # read runs of submit_sm in bytes (lane.py); False: PDU by PDU

    def __init__(self, config: SimConfig | None = None, clock: Any = None) -> None:
        if clock is None:
            raise TypeError("SmscSimulator needs a clock (the reactor, or a task.Clock)")
        self.config = config = config if config is not None else SimConfig()
        self.clock = clock
        self.rng = random.Random(config.seed)
        self.next_id = id_generator(config.id_format, config.id_start, config.seed)
        self._receipt_id = id_translator(config.id_format, config.receipt_id_format)
        self._picker = OutcomePicker(config.outcomes)
        self._single = self._picker.stats[0] if len(self._picker.stats) == 1 else None
        self._injecting = any((config.drop_on_submit, config.unbind_on_submit,
                               config.no_response_ratio, config.error_ratio,
                               config.queue_full_ratio, config.throttle_tps,
                               config.throttle_ratio, config.queue_full_for,
                               config.response_delay, config.silent,
                               config.receipt_before_response))
        self._batch: list[tuple[SmscProtocol, tuple[Any, Any]]] = []  # receipts of this chunk
        self.connections: list[SmscProtocol] = []
        self._receivers: dict[str, list[SmscProtocol]] = defaultdict(list)
        self._waiting: dict[str, deque] = defaultdict(deque)  # system_id -> entries
        self._rr = 0
        self._dirty: set[SmscProtocol] = set()
        self._buckets: dict[SmscProtocol, TokenBucket] = {}
        self._timers = TimerHeap(clock, after=self.end_of_chunk)
        self.later = self._timers.later
        self._mo_call: Any = None
        self._mo_ref = 0
        self.book = MessageBook()  # each message's outcome, for query_sm
        # counters
        self.binds = self.bind_refusals = self.submits = self.protocol_errors = 0
        self.responses: dict[int, int] = defaultdict(int)
        self.receipts_sent = self.mo_sent = self.delivers_acked = self.deliver_errors = 0
        self.delivers_dropped = self.receipts_dropped = self.queries = 0
        self.queue_full_since: float | None = None  # when the queue-full episode began
        self.received = RecentSubmits(10000)  # recent submit_sm, for tests and demos

    # ---- lifecycle ----------------------------------------------------------------------
    def listen(self, reactor: Any, port: int = 0, interface: str = "127.0.0.1",
               tls: Any = None) -> Any:
        """Listen on ``port`` (0 = any free one); return the IListeningPort.

        ``reactor`` may also be an IStreamServerEndpoint: then the result is
        its ``listen`` Deferred and the other arguments are not used.
        """
        self.start()
        if not hasattr(reactor, "listenTCP") and hasattr(reactor, "listen"):
            return reactor.listen(self)
        if tls is not None:
            return reactor.listenSSL(port, self, tls, interface=interface)
        return reactor.listenTCP(port, self, interface=interface)

    def start(self) -> None:
        if self.config.mo_every > 0 and self._mo_call is None:
            self._mo_call = self.clock.callLater(self.config.mo_every, self._mo_tick)

    def stop(self) -> None:
        """Cancel every timer and drop every connection."""
        if self._mo_call is not None and self._mo_call.active():
            self._mo_call.cancel()
        self._mo_call = None
        self._timers.clear()
        for protocol in list(self.connections):
            if not protocol.closed:
                protocol.transport.abortConnection()

    @property
    def stats(self) -> dict[str, Any]:
        from protocols.smpp.constants import status_name
        return {
            "connections": len(self.connections), "binds": self.binds,
            "bind_refusals": self.bind_refusals, "submits": self.submits,
            "responses": {status_name(k): v for k, v in sorted(self.responses.items())},
            "receipts_sent": self.receipts_sent, "mo_sent": self.mo_sent,
            "delivers_acked": self.delivers_acked, "deliver_errors": self.deliver_errors,
            "protocol_errors": self.protocol_errors, "delivers_dropped": self.delivers_dropped,
            "receipts_dropped": self.receipts_dropped, "queries": self.queries,
            "waiting_for_receiver": sum(len(q) for q in self._waiting.values()),
        }

    # ---- connections ------------------------------------------------------------------------
    def connection_made(self, protocol: SmscProtocol) -> None:
        self.connections.append(protocol)

    def connection_lost(self, protocol: SmscProtocol, undelivered: list) -> None:
        self.connections.remove(protocol)
        self._buckets.pop(protocol, None)
        if protocol.system_id is not None:
            receivers = self._receivers.get(protocol.system_id, [])
            if protocol in receivers:
                receivers.remove(protocol)
            for entry in undelivered:  # to another bind, now or when one comes
                self._route(protocol.system_id, entry)
            self._dirty.discard(protocol)
            self.flush_dirty()

    def check_bind(self, pdu: Any) -> int:
        config = self.config
        status = config.bind_status
        if not status and config.credentials is not None:
            expected = config.credentials.get(pdu.system_id)
            if expected is None:
                status = St.ESME_RINVSYSID
            elif expected != pdu.password:
                status = St.ESME_RINVPASWD
        if status:
            self.bind_refusals += 1
        return status

    def bound(self, protocol: SmscProtocol) -> None:
        self.binds += 1
        if self.config.throttle_tps > 0:
            self._buckets[protocol] = TokenBucket(self.config.throttle_tps,
                                                  now=self.clock.seconds())
        if protocol.kind in ("receiver", "transceiver"):
            self._receivers[protocol.system_id].append(protocol)
            waiting = self._waiting.pop(protocol.system_id, None)
            while waiting:
                protocol.send_deliver(waiting.popleft())

    # ---- submit_sm ----------------------------------------------------------------------------
    def answer_submit(self, protocol: SmscProtocol, frame: bytes, seq: int) -> bytes | None:
        """The submit_sm lane (``Session.answer_raw``): the response's bytes, or None
        for the normal path (error injection on, or a frame that does not decode)."""
        if self._injecting:
            return None
        view = scan_submit(frame)
        if view is None:
            return None
        self.submits += 1
        self.received.append(frame)
        message_id = self.next_id()
        self.responses[0] += 1
        if view.registered_delivery & 0x03:
            self._receipt(protocol, view, message_id)
        return submit_sm_resp(seq, message_id.encode("latin-1"))

    def on_submit(self, protocol: SmscProtocol, pdu: Any) -> None:
        self.submits += 1
        self.received.append(pdu)
        if self._injecting and self._misbehave(protocol, pdu):
            return
        message_id = self.next_id()
        self.responses[0] += 1
        protocol.respond(make_submit_sm_resp(message_id=message_id,
                                             sequence_number=pdu.sequence_number))
        if pdu.registered_delivery & 0x03:
            self._receipt(protocol, view_of(pdu), message_id)

    def on_query(self, protocol: SmscProtocol, pdu: Any) -> None:
        """query_sm: the message's state from the book (see ``queries``)."""
        self.queries += 1
        protocol.respond(self.book.answer(pdu, self.clock.seconds()))

    def _answer(self, protocol: SmscProtocol, response: Any) -> None:
        delay = self.config.response_delay
        if delay > 0:
            self.later(delay, self._answer_now, protocol, response)
        else:
            protocol.respond(response)  # written at the end of the chunk

    def _answer_now(self, protocol: SmscProtocol, response: Any) -> None:
        if not protocol.closed:
            protocol.respond(response)
            protocol.flush()

    # ---- receipts --------------------------------------------------------------------------------
    def _receipt(self, protocol: SmscProtocol, view: SubmitView, message_id: str,
                 after: float = 0.0, first: bool = False) -> None:
        """Decide the receipt of one accepted submit_sm; send it (see the module's
        rules) ``after`` seconds (a slow response) plus the receipt delay, or at
        once when it must come ``first``."""
        config = self.config
        stat = self._single or self._picker.pick(self.rng.random())
        batched = not (first or after or config.receipt_jitter > 0)
        delay = 0.0 if first else after + config.receipt_delay
        if config.receipt_jitter > 0 and not first:
            delay += config.receipt_jitter * self.rng.random()
        now = self.clock.seconds()
        self.book.remember(message_id, stat, now + delay)
        if view.registered_delivery & 0x03 == 2 and stat == "DELIVRD":
            return  # receipts on failure only
        if config.drop_receipt_ratio and self.rng.random() < config.drop_receipt_ratio:
            self.receipts_dropped += 1
            return
        if self._receipt_id is not None:
            message_id = self._receipt_id(message_id)
        raw_id = message_id.encode("latin-1")
        snippet = receipt_snippet(view.data_coding, view.esm_class, view.text)
        text, state, network_error = receipt_parts(raw_id, stat, now, now + delay, snippet)
        tlvs = _RECEIPT_TLVS % ((len(raw_id) + 1).to_bytes(2, "big"), raw_id, state,
                                network_error)
        deliver = make_encoded(DeliverSm, receipt_body(view, text, tlvs))
        self.receipts_sent += 1
        if first:
            self._release([(protocol, (deliver, None))])
            self.flush_dirty()
        elif batched:
            self._batch.append((protocol, (deliver, None)))  # after this chunk's responses
        else:
            self.later(delay, self._release, [(protocol, (deliver, None))])

    def end_of_chunk(self) -> None:
        """The responses of a chunk are written: its receipts leave now (a receipt
        delay of 0) or one receipt delay later; then write what was routed."""
        batch = self._batch
        if batch:
            self._batch = []
            if self.config.receipt_delay > 0:
                self.later(self.config.receipt_delay, self._release, batch)
            else:
                self._release(batch)
        if self._dirty:
            self.flush_dirty()

    def buildProtocol(self, addr: Any) -> SmscProtocol:
        return SmscProtocol(self)
