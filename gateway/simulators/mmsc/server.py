"""The MMSC simulator (MM7 relay/server side) that ships in the product.

* ``POST`` any path but ``/control/*``: a SubmitReq.  It is checked against
  the MM7 + SOAP schemas (4004 fault when invalid), may be slowed
  (``slow``), failed (``fault_rate`` -> RSErrorRsp fault with ``fault_code``)
  or refused for size (``max_size`` -> 2004 "Message size exceeds limit"),
  and is otherwise answered SubmitRsp 1000 with a fresh MessageID.  When it
  asked for a delivery report, a DeliveryReportReq with an MMStatus drawn
  from ``status_mix`` is POSTed to ``report_url`` after ``report_delay``.
* ``send_deliver(...)`` (or ``POST /control/deliver?from=&to=&text=&image=1``)
  sends a DeliverReq — an inbound MMS — to ``deliver_url``.
* ``GET /control/stats``: the counters, as JSON.

Clock, HTTP client and randomness come in through the constructor, so tests
drive it in-process with ``Clock`` or over real loopback.
"""
from __future__ import annotations

import random
from collections import Counter, deque
from datetime import datetime, timezone

from twisted.internet.defer import inlineCallbacks, succeed
from twisted.internet.task import deferLater
from twisted.logger import Logger
from twisted.web.resource import Resource
from twisted.web.server import Site

from gateway.simulators.mmsc.config import MmscConfig
from gateway.simulators.mmsc.resource import SimulatorResource, sample_png  # noqa: F401  (sample_png: re-exported)
from protocols.mm7.content import MediaItem, mm_part
from protocols.mm7.envelope import Dialect, answering
from protocols.mm7.errors import Mm7Error
from protocols.mm7.messages import read_submit_request
from protocols.mm7.mimebuild import Part, multipart
from protocols.mm7.parse import parse_xml, read_envelope
from protocols.mm7.responses import deliver_req, delivery_report_req, fault, response
from protocols.mm7.schema import validate

log = Logger()


class MmscSimulator:
    def __init__(self, clock, http, config: MmscConfig = MmscConfig(), *, rng: random.Random | None = None):
        self.clock, self.http, self.config = clock, http, config
        self.rng = rng or random.Random(config.seed)
        self.dialect = Dialect(config.version)
        self.stats: Counter = Counter()
        self.submissions: deque = deque(maxlen=1000)  # (message_id, SubmitRequestInfo)
        self.reports: deque = deque(maxlen=1000)  # (message_id, MMStatus, HTTP status or None)
        self._counter = 0
        self._calls: set = set()

    # -- SubmitReq ---------------------------------------------------------
    def handle_submit(self, content_type: str | None, body: bytes, auth: tuple[str, str] | None):
        """Deferred[(HTTP status, body bytes)] for one POSTed request."""
        self.stats["requests"] += 1
        cfg = self.config
        if cfg.username and auth != (cfg.username, cfg.password):
            self.stats["auth_failures"] += 1
            return succeed((401, b"authentication required\n"))
        try:
            env = read_envelope(content_type, body)
            info = read_submit_request(env)
            if cfg.validate:
                errors = validate(parse_xml(_envelope_bytes(content_type, body)))
                if errors:
                    raise Mm7Error("schema validation failed: " + "; ".join(errors[:3]), 4004)
        except Mm7Error as exc:
            self.stats["invalid"] += 1
            log.warn("mmsc-sim: refused SubmitReq: {why}", why=str(exc))
            return succeed((500, fault(self.dialect, None, exc.status_code, str(exc), error_element="RSErrorRsp")))
        answer = self._decide(env, info)
        if cfg.slow > 0:
            return deferLater(self.clock, cfg.slow, lambda: answer)
        return succeed(answer)

    def _decide(self, env, info):
        cfg, tid = self.config, env.transaction_id or "0"
        dialect = answering(env.version, env.namespace, self.dialect)  # answer as the VASP spoke
        if cfg.fault_rate and self.rng.random() < cfg.fault_rate:
            self.stats["faults"] += 1
            return 500, fault(dialect, tid, cfg.fault_code, "injected fault", error_element="RSErrorRsp")
        size = sum(len(leaf.data) for leaf in info.content.leaves()) if info.content else 0
        if cfg.max_size is not None and size > cfg.max_size:
            self.stats["size_rejections"] += 1
            return 500, fault(dialect, tid, 2004, f"Message size exceeds limit ({size} > {cfg.max_size})",
                              error_element="RSErrorRsp")
        self._counter += 1
        message_id = f"{self._counter:06d}{self.rng.getrandbits(40):010x}"
        self.submissions.append((message_id, info))
        self.stats["accepted"] += 1
        if info.delivery_report and cfg.report_url:
            self._later(cfg.report_delay, self.send_report, message_id, info, 1)
        return 200, response(dialect, "SubmitRsp", tid, message_id=message_id)

    # -- outbound requests to the gateway -----------------------------------
    def _later(self, delay, fn, *args):
        call = None

        def fire():
            self._calls.discard(call)
            fn(*args)

        call = self.clock.callLater(delay, fire)
        self._calls.add(call)

    def pick_status(self) -> str:
        names, weights = zip(*self.config.status_mix)
        return self.rng.choices(names, weights)[0]

    def send_report(self, message_id: str, info, attempt: int = 1):
        status = self.pick_status()
        payload = delivery_report_req(
            self.dialect, f"dr-{message_id}-{attempt}", message_id=message_id,
            recipient=(info.recipients or ("+0",))[0], sender=info.sender or "+0", date=self._now(),
            mm_status=status, relay_server_id=self.config.relay_server_id)
        d = self._post(self.config.report_url, 'text/xml; charset="utf-8"', payload)

        def done(code):
            self.reports.append((message_id, status, code))
            self.stats["reports_ok" if code == 200 else "reports_failed"] += 1
            if code != 200 and attempt < self.config.report_attempts:
                self._later(max(self.config.report_delay, 0.1), self.send_report, message_id, info, attempt + 1)
            return code

        return d.addCallback(done)

    def send_deliver(self, sender: str, recipient: str, text: str = "", media: list[MediaItem] = (),
                     subject: str | None = None):
        """POST a DeliverReq (an inbound MMS); Deferred[HTTP status or None]."""
        self._counter += 1
        tid = f"mo-{self._counter}"
        soap = deliver_req(self.dialect, tid, sender=sender, recipient=recipient, subject=subject,
                           timestamp=self._now(), relay_server_id=self.config.relay_server_id)
        mm = mm_part(text, list(media), f"sim-mm-{self._counter}", content_id="mm7-content")
        ctype, body = multipart([Part('text/xml; charset="utf-8"', soap, content_id="mm7-soap"), mm],
                                f"sim-{self._counter}", params=(("type", "text/xml"), ("start", "<mm7-soap>")))
        url = self.config.deliver_url or self.config.report_url
        d = self._post(url, ctype, body)
        d.addCallback(lambda code: self.stats.update(["delivers_ok" if code == 200 else "delivers_failed"]) or code)
        return d

    @inlineCallbacks
    def _post(self, url, content_type, body):
        if not url:
            return None
        try:
            cfg = self.config
            auth = (cfg.gateway_username, cfg.gateway_password) if cfg.gateway_username else None
            response_ = yield self.http.post(url, data=body, auth=auth,
                                             headers={"Content-Type": [content_type], "SOAPAction": ['""']})
            yield response_.content()
            return response_.code
        except Exception as exc:
            log.warn("mmsc-sim: POST {url} failed: {why}", url=url, why=str(exc))
            return None

    def _now(self) -> str:
        return datetime.fromtimestamp(self.clock.seconds(), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def stop(self) -> None:
        """Cancel every pending report (end of a test, shutdown)."""
        for call in list(self._calls):
            if call.active():
                call.cancel()
        self._calls.clear()

    # -- serving ------------------------------------------------------------
    def resource(self) -> Resource:
        return SimulatorResource(self)

    def listen(self, reactor, port: int = 0, interface: str = "127.0.0.1"):
        """Deferred[IListeningPort] serving the simulator over HTTP."""
        from twisted.internet.endpoints import TCP4ServerEndpoint

        return TCP4ServerEndpoint(reactor, port, interface=interface).listen(Site(self.resource()))


def _envelope_bytes(content_type, body) -> bytes:
    from protocols.mm7.mime import split_soap

    return split_soap(content_type, body)[0]
