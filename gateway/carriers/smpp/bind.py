"""One bind of a carrier: a ClientService that keeps one SMPP connection bound.

* The connection is made by ``ClientService`` with exponential backoff and
  jitter (``BindRetryPolicy``).  The bind is done in ``prepareConnection``,
  so a refused or unanswered bind is a failed attempt like a refused
  connection; we close the socket ourselves (ClientService does not).  Bad
  credentials (0x0E/0x0F) are logged as such and retried slowly.
* While bound, ``protocol`` is the live ``EsmeProtocol``; the carrier sends
  through it.  When it goes, the carrier hears ``bind_down``; ClientService
  reconnects.
* ``rate`` paces this bind (``max_tps`` and ESME_RTHROTTLED), and ``stats``
  counts what happened for /metrics.
"""
from __future__ import annotations

from typing import Any, Callable

from twisted.application.internet import ClientService
from twisted.application.service import Service
from twisted.internet.defer import Deferred, succeed
from twisted.internet.protocol import Factory
from twisted.logger import Logger

from gateway.carriers.smpp.backoff import BindRetryPolicy
from gateway.carriers.smpp.endpoints import GuardedEndpoint
from gateway.carriers.smpp.errors import BindFailed
from gateway.carriers.smpp.esme import EsmeListener, EsmeProtocol
from gateway.carriers.smpp.stats import BindStats
from gateway.carriers.smpp.throttle import AdaptiveRate

log = Logger()


class _Factory(Factory):
    def __init__(self, bind: "SmppBind") -> None:
        self.bind = bind

    def buildProtocol(self, addr: Any) -> EsmeProtocol:
        return self.bind._build_protocol()


class SmppBind(Service, EsmeListener):
    def __init__(self, name: str, kind: str, settings: Any, clock: Any, endpoint: Any, *,
                 carrier: Any = None, deliver_handler: Callable[[Any], Any] | None = None,
                 retry_policy: BindRetryPolicy | None = None, slot: int | None = None) -> None:
        self.name = name
        self.kind = kind
        self.slot = slot  # the carrier's bind slot (1..binds) this bind belongs to
        self.settings = settings
        self.clock = clock
        self.carrier = carrier
        self.deliver_handler = deliver_handler
        self.can_send = kind in ("transmitter", "transceiver")
        self.policy = retry_policy or BindRetryPolicy(
            initial=settings.reconnect_initial, maximum=settings.reconnect_max,
            auth_failure_delay=settings.auth_failure_delay)
        self.rate = AdaptiveRate(settings.max_tps, now=clock.seconds())
        self.stats = BindStats(clock.seconds())
        self.protocol: EsmeProtocol | None = None
        self.last_error: str | None = None
        # For the console: "down" | "binding" | "up", since when, and why (down).
        self.state, self.state_since, self.state_reason = "down", clock.seconds(), "not started"
        self._building: EsmeProtocol | None = None
        self._service = ClientService(GuardedEndpoint(endpoint), _Factory(self),
                                      retryPolicy=self.policy, clock=clock,
                                      prepareConnection=self._prepare)

    # ---- state for the carrier ----------------------------------------------------------
    @property
    def is_bound(self) -> bool:
        return self.protocol is not None

    def _set_state(self, state: str, reason: str | None = None) -> None:
        self.state, self.state_since, self.state_reason = state, self.clock.seconds(), reason

    def room(self) -> int:
        """Requests this bind may send now, window-wise (0 when not usable)."""
        protocol = self.protocol
        if protocol is None or not protocol.can_submit:
            return 0
        return protocol.window_available

    # ---- connecting ----------------------------------------------------------------------
    def _build_protocol(self) -> EsmeProtocol:
        handler = None
        if self.deliver_handler is not None:
            handler = self.deliver_handler
        protocol = EsmeProtocol(self.clock, self.settings, self.kind, name=self.name,
                                listener=self, deliver_handler=handler)
        self._building = protocol
        return protocol

    def _prepare(self, proxy: Any) -> Deferred:
        protocol = self._building
        self._building = None
        self.stats.bind_attempts += 1
        self._set_state("binding")
        return protocol.bind().addCallbacks(self._bound, self._bind_failed,
                                            callbackArgs=(protocol,), errbackArgs=(protocol,))

    def _bound(self, response: Any, protocol: EsmeProtocol) -> EsmeProtocol:
        if protocol.closed:  # lost between the bind_resp and now
            raise BindFailed(None, "connection lost right after the bind")
        self.protocol = protocol
        self.last_error = None
        self.stats.binds += 1
        self._set_state("up")
        log.info("bind {bind} up as {kind} to {system_id}@{host}:{port} (SMSC {smsc})",
                 bind=self.name, kind=self.kind, system_id=self.settings.system_id,
                 host=self.settings.host, port=self.settings.port,
                 smsc=getattr(response, "system_id", ""))
        if self.carrier is not None:
            self.carrier.bind_up(self)
        return protocol

    def _bind_failed(self, failure: Any, protocol: EsmeProtocol) -> Any:
        error = failure.value
        self.stats.bind_failures += 1
        self.last_error = str(error)
        self._set_state("down", f"bind failed: {error}")
        if isinstance(error, BindFailed) and error.is_auth_failure:
            self.policy.auth_failed()
            log.error("bind {bind}: the SMSC refused system_id {system_id!r}: {error}; "
                      "check the credentials (retrying in {delay:.0f}s)",
                      bind=self.name, system_id=self.settings.system_id, error=str(error),
                      delay=self.settings.auth_failure_delay)
        else:
            log.warn("bind {bind} failed: {error}", bind=self.name, error=str(error))
        if not protocol.closed:
            protocol.abort()
        return failure

    # ---- EsmeListener ------------------------------------------------------------------------
    def window_opened(self, protocol: EsmeProtocol) -> None:
        if protocol is self.protocol and self.carrier is not None:
            self.carrier.window_opened(self)

    def connection_lost(self, protocol: EsmeProtocol) -> None:
        if protocol is self.protocol:
            self.protocol = None
            self._set_state("down", "unbound" if not self.running else "connection lost")
            if not self.running:  # our own stop
                log.info("bind {bind} unbound", bind=self.name)
            else:
                self.stats.losses += 1
                log.warn("bind {bind} lost; reconnecting", bind=self.name)
            if self.carrier is not None:
                self.carrier.bind_down(self)

    # ---- service -------------------------------------------------------------------------
    def startService(self) -> None:
        Service.startService(self)
        self._set_state("down", "connecting")
        self._service.startService()

    def stopService(self) -> Deferred:
        """Drain (bounded), unbind and close; stop reconnecting."""
        Service.stopService(self)
        protocol = self.protocol
        drained = (protocol.drain_and_unbind(self.settings.drain_timeout)
                   if protocol is not None else succeed(None))
        return drained.addBoth(lambda _: self._service.stopService())
