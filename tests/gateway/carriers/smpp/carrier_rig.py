"""SmppCarrier against the simulator over an in-memory network (iosim): the
rig the carrier tests here share, and the simulator's and the console's
tests that need a bound carrier."""
from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred

from gateway.carriers.smpp.carrier import SmppCarrier
from gateway.simulators.smsc.config import SimConfig
from protocols.smpp.pdu import SubmitSm

from gateway.simulators.smsc.testing import MemNet


def submit_sm(text: bytes = b"hello", registered_delivery: int = 0) -> SubmitSm:
    return SubmitSm(source_addr_ton=1, source_addr_npi=1, source_addr="15550001111",
                    dest_addr_ton=1, dest_addr_npi=1, destination_addr="15550002222",
                    registered_delivery=registered_delivery, short_message=text)


def outcome(d: Deferred) -> list:
    box: list = []
    d.addBoth(box.append)
    return box


class Rig:
    def __init__(self, config: SimConfig | None = None, handler: Any = None, **settings: Any):
        self.net = MemNet(config)
        self.delivered: list = []
        self.carrier = SmppCarrier("acme", self.net.settings(**settings), self.net.reactor,
                                   self.net.endpoint_factory,
                                   deliver_handler=handler or self._record)
        self.carrier.startService()
        self.net.flush()

    def _record(self, carrier: str, bind: str, pdu: Any) -> None:
        self.delivered.append((carrier, bind, pdu))

    @property
    def sim(self):
        return self.net.sim

    def stop(self) -> None:
        stopped = outcome(self.carrier.stopService())
        self.net.advance(30, step=1)
        assert stopped, "stopService did not finish"
        self.net.sim.stop()
        self.net.flush()
        assert self.net.reactor.getDelayedCalls() == []
