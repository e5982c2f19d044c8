"""BenchRunner against the simulator over the in-memory network: pacing on the
clock, TX+RX pairs, and receipts whose ids are spelled in another base."""
from __future__ import annotations

from typing import Any

from gateway.simulators.bench.load import BenchOptions, BenchRunner
from gateway.simulators.smsc.behaviours import behaviour
from gateway.simulators.smsc.config import SimConfig

from gateway.simulators.smsc.testing import MemNet


def run_bench(net: MemNet, options: BenchOptions, seconds: float = 30.0,
              **settings: Any) -> dict:
    runner = BenchRunner(net.reactor, net.settings(**settings), net.endpoint_factory, options)
    box: list = []
    runner.run().addBoth(box.append)
    elapsed = 0.0
    while not box and elapsed < seconds:
        net.advance(0.01)
        elapsed += 0.01
    assert box, "the bench did not finish"
    net.sim.stop()
    net.flush()
    assert net.reactor.getDelayedCalls() == []
    assert isinstance(box[0], dict), box[0]
    return box[0]


def test_rate_caps_the_total_on_the_clock():
    net = MemNet()
    result = run_bench(net, BenchOptions(count=100, binds=2, rate=40.0), window=10)
    assert result["sent"] == 100 and result["responses"] == {"ESME_ROK": 100}
    # 100 at 40/s in total (20/s per bind, after a burst of 2 each): about 2.4 s
    assert 2.2 <= result["elapsed_s"] <= 2.7
    assert 37.0 <= result["submit_sm_per_s"] <= 45.0
    assert [b["sent"] for b in result["binds"]] == [50, 50]


def test_without_rate_the_window_is_the_only_limit():
    net = MemNet(SimConfig(response_delay=0.1))
    result = run_bench(net, BenchOptions(count=100), window=50)
    assert result["responses"] == {"ESME_ROK": 100}
    assert result["elapsed_s"] <= 0.25  # two windows of 50, each answered after 0.1 s


def test_transmitter_receiver_pairs_get_receipts_on_the_receiver():
    net = MemNet()
    kinds: list = []
    original = net.sim.bound

    def bound(protocol: Any) -> None:
        kinds.append(protocol.kind)
        original(protocol)
    net.sim.bound = bound
    result = run_bench(net, BenchOptions(count=40, binds=2, bind="transmitter+receiver",
                                         receipts=True), window=10)
    assert sorted(kinds) == ["receiver", "receiver", "transmitter", "transmitter"]
    assert [b["name"] for b in result["binds"]] == ["bind-1-tx", "bind-2-tx"]
    assert result["receipts_received"] == result["receipts_matched"] == 40


def test_receipts_in_decimal_for_hex_ids_are_matched():
    net = MemNet(behaviour("decimal-receipt-ids").config(id_start=0xFFF0))
    seen: list = []
    original = net.sim._route

    def route(system_id: str, entry: Any) -> None:
        seen.append(entry[0].tlv(0x001E))
        original(system_id, entry)
    net.sim._route = route
    result = run_bench(net, BenchOptions(count=30, bind="transmitter+receiver", receipts=True),
                       window=5)
    assert seen[0] == str(0xFFF0)  # the receipt says 65520 for 0000fff0
    assert result["receipts_received"] == result["receipts_matched"] == 30


def test_hex_receipts_for_decimal_ids_on_a_transceiver():
    net = MemNet(SimConfig(id_format="decimal", receipt_id_format="hex", id_start=10))
    result = run_bench(net, BenchOptions(count=20, receipts=True), window=5)
    # each receipt (0000000a for 10, ...) follows its response on the same bind
    assert result["receipts_received"] == result["receipts_matched"] == 20
