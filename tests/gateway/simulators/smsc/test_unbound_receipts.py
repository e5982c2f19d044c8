"""A receipt due on a transceiver that has unbound meanwhile goes to another
bind of its system_id, as an SMSC stores and forwards it; none is lost.

A cluster node gives a bind slot back (unbind, then close) while receipts
for its submits are still on the simulator's timers.  The simulator used to
write them to the unbound session: the session refused (ESME_RINVBNDSTS),
the timer call failed, and the receipts of that run were gone."""
from __future__ import annotations

from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport

from gateway.simulators.smsc.config import SimConfig
from gateway.simulators.smsc.smsc import SmscSimulator
from protocols.smpp.codec import decode, encode
from protocols.smpp.pdu import BindTransceiver, DeliverSm, SubmitSm, Unbind


class Esme:
    """One transceiver of system_id ``acme`` on the simulator, fed by hand."""

    def __init__(self, sim: SmscSimulator) -> None:
        self.protocol = sim.buildProtocol(None)
        self.transport = StringTransport()
        self.protocol.makeConnection(self.transport)
        self.protocol.dataReceived(encode(BindTransceiver(system_id="acme", password="pw"), 1))
        self.transport.clear()

    def pdus(self) -> list:
        data, out = self.transport.value(), []
        while data:
            size = int.from_bytes(data[:4], "big")
            out.append(decode(data[:size]))
            data = data[size:]
        return out


def _sim(clock: Clock) -> SmscSimulator:
    return SmscSimulator(SimConfig(receipt_delay=1.0), clock=clock)


def test_a_receipt_due_on_an_unbound_transceiver_goes_to_another_bind():
    clock = Clock()
    sim = _sim(clock)
    first, second = Esme(sim), Esme(sim)
    first.protocol.dataReceived(encode(SubmitSm(registered_delivery=1, short_message=b"hi"), 2))
    (response,) = first.pdus()
    first.protocol.dataReceived(encode(Unbind(), 3))  # the ESME gives the bind back
    first.transport.clear()
    clock.advance(1.0)  # the receipt falls due
    assert [p for p in first.pdus() if isinstance(p, DeliverSm)] == []
    (receipt,) = [p for p in second.pdus() if isinstance(p, DeliverSm)]
    assert receipt.tlv(0x001E) == response.message_id
    assert sim.receipts_sent == 1 and sim.delivers_dropped == 0
    sim.stop()


def test_a_receipt_due_when_no_bind_is_left_waits_for_the_next_one():
    clock = Clock()
    sim = _sim(clock)
    first = Esme(sim)
    first.protocol.dataReceived(encode(SubmitSm(registered_delivery=1, short_message=b"hi"), 2))
    first.protocol.dataReceived(encode(Unbind(), 3))
    clock.advance(1.0)
    assert sim.stats["waiting_for_receiver"] == 1
    later = Esme.__new__(Esme)  # binds after the receipt fell due
    later.protocol = sim.buildProtocol(None)
    later.transport = StringTransport()
    later.protocol.makeConnection(later.transport)
    later.protocol.dataReceived(encode(BindTransceiver(system_id="acme", password="pw"), 1))
    assert [type(p) for p in later.pdus()][-1] is DeliverSm
    sim.stop()
