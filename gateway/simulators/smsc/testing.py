"""An in-memory network for the SMPP client and the SMSC simulator, shipped
for tests as Twisted ships ``MemoryReactorClock``.

:class:`MemNet` holds a ``MemoryReactorClock``, an ``SmscSimulator``
listening on it, and the connections between them, completed by
``twisted.test.iosim`` and pumped by hand.  No sockets, no real time:

* ``endpoint_factory`` is what an ``SmppCarrier`` takes to connect (its
  connections land on the simulator); ``settings(**changes)`` are bind
  settings pointing at it;
* ``flush()`` moves bytes until nothing moves; ``advance(seconds)`` lets
  time pass and flushes at each step; ``connect_pending`` and
  ``refuse_pending`` complete or refuse the connection attempts made so far.
"""
from __future__ import annotations

from typing import Any

from twisted.internet.endpoints import TCP4ClientEndpoint
from twisted.internet.testing import MemoryReactorClock
from twisted.test.iosim import ConnectionCompleter

from gateway.carriers.smpp.settings import BindSettings
from gateway.simulators.smsc.config import SimConfig
from gateway.simulators.smsc.smsc import SmscSimulator

SIM_PORT = 2775  # a number in the memory reactor only: nothing is bound


class MemNet:
    """The simulator, the memory reactor both sides run on, and the pumps."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self.reactor = MemoryReactorClock()
        self.sim = SmscSimulator(config or SimConfig(), clock=self.reactor)
        self.port = self.sim.listen(self.reactor, SIM_PORT)
        self.completer = ConnectionCompleter(self.reactor)
        self.pumps: list[Any] = []

    def endpoint_factory(self, settings: Any) -> TCP4ClientEndpoint:
        """An endpoint toward ``settings.port`` on the memory reactor."""
        return TCP4ClientEndpoint(self.reactor, "127.0.0.1", settings.port)

    def settings(self, **kw: Any) -> BindSettings:
        """Bind settings for the simulator (``kw`` changes any of them)."""
        values = dict(host="127.0.0.1", port=SIM_PORT, system_id="acme", password="secret",
                      enquire_link_interval=30.0, response_timeout=5.0,
                      reconnect_initial=1.0, reconnect_max=8.0)
        values.update(kw)
        return BindSettings(**values)

    def connect_pending(self) -> int:
        """Complete every connection attempt made so far; return how many."""
        n = 0
        while self.reactor.tcpClients:
            pump = self.completer.succeedOnce(greet=False)
            if pump is None:
                break
            self.pumps.append(pump)
            n += 1
        return n

    def refuse_pending(self) -> int:
        """Refuse every connection attempt made so far; return how many."""
        n = 0
        while self.reactor.tcpClients:
            self.completer.failOnce()
            n += 1
        return n

    def flush(self) -> None:
        """Move bytes until nothing moves (connections completed on the way)."""
        for _ in range(1000):
            self.connect_pending()
            moved = False
            for pump in list(self.pumps):
                if pump.pump(advanceClock=False):
                    moved = True
                if pump.clientIO.disconnected and pump.serverIO.disconnected:
                    self.pumps.remove(pump)
            if not moved:
                return
        raise RuntimeError("the network never went quiet")

    def advance(self, seconds: float, step: float | None = None) -> None:
        """Let time pass (in steps), flushing the network at each step."""
        self.flush()
        remaining = seconds
        step = step or seconds
        while remaining > 1e-9:
            dt = min(step, remaining)
            self.reactor.advance(dt)
            remaining -= dt
            self.flush()
