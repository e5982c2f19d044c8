"""Over real TCP, a TX+RX pair against ``carrier-gateway simulate smsc`` in its
own process (as a lab runs it): in the normal behaviour every submit_sm_resp
reaches the ESME before its receipt; ``receipt-before-response`` is the race,
on purpose (which shows this test can see it)."""
from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest_twisted
from twisted.internet import reactor
from twisted.internet.defer import Deferred, gatherResults

from gateway.carriers.smpp.carrier import SmppCarrier
from gateway.carriers.smpp.endpoints import endpoint_factory
from protocols.smpp.pdu import SubmitSm

from tests.gateway.carriers.smpp.test_loopback import settings, within

COUNT = 1000


def start_simulator(*options: str) -> tuple[subprocess.Popen, int]:
    sim = subprocess.Popen([sys.executable, "-m", "gateway", "simulate", "smsc", "--port", "0",
                            *options], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = sim.stdout.readline()
    assert "listening on" in line, line
    return sim, int(line.rsplit(":", 1)[1].split()[0])


class Order:
    """Records, per message id, whether its receipt came before its response."""

    def __init__(self) -> None:
        self.responded: set[str] = set()
        self.early = self.receipts = 0
        self.done: Deferred = Deferred()

    def response(self, resp: Any) -> Any:
        self.responded.add(resp.message_id)
        return resp

    def __call__(self, carrier: str, bind: str, pdu: Any) -> None:
        self.receipts += 1
        if pdu.tlv(0x001E) not in self.responded:
            self.early += 1
        if self.receipts == COUNT and not self.done.called:
            self.done.callback(None)


async def run_pair(*options: str) -> Order:
    sim, port = start_simulator(*options)
    order = Order()
    carrier = SmppCarrier("acme", settings(port, bind="transmitter+receiver", window=100),
                          reactor, endpoint_factory(reactor), deliver_handler=order)
    carrier.startService()
    try:
        pdu = SubmitSm(source_addr="15550001111", destination_addr="15550002222",
                       registered_delivery=1, short_message=b"order")
        await within(gatherResults([carrier.submit(pdu).addCallback(order.response)
                                    for _ in range(COUNT)]), 60)
        await within(order.done, 60)
    finally:
        await carrier.stopService()
        sim.terminate()
        sim.wait(10)
    return order


@pytest_twisted.ensureDeferred
async def test_tx_rx_pair_gets_every_response_before_its_receipt():
    order = await run_pair()
    assert (order.receipts, order.early) == (COUNT, 0)


@pytest_twisted.ensureDeferred
async def test_receipt_before_response_behaviour_sends_receipts_first():
    order = await run_pair("--behaviour", "receipt-before-response")
    assert order.receipts == COUNT and order.early > 0  # most, unless the ESME stalls
