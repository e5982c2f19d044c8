#!/usr/bin/env python3
"""CPU per submit_sm of each end of `bench` <-> `simulate smsc`, in one process, no sockets.

    python benchmarks/bench_smpp_lanes.py [--rounds 1000] [--receipts] [--json]

The simulator: chunks of 100 submit_sm (as a window of 100 sends them) into
one bound transceiver on a StringTransport, with and without its lane
(``SmscSimulator.fast_lane``); with --receipts every receipt is released on a
task.Clock and answered (the figure includes that harness).  The load
tester: ``BenchRunner`` on a StringTransport, fed what a simulator answers
(recorded first), so only its own ``dataReceived`` (reading, matching,
refilling the window) is timed.  The figures move
with the machine's load; for a stable comparison count instructions:

    valgrind --tool=callgrind python benchmarks/bench_smpp_lanes.py --rounds 100 --only sim
    (and --rounds 300; the difference / 20,000 is the cost per submit_sm)
"""
from __future__ import annotations

import argparse
import json
import os
import struct
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from twisted.internet.defer import succeed  # noqa: E402
from twisted.internet.task import Clock  # noqa: E402
from twisted.internet.testing import StringTransport  # noqa: E402

from gateway.simulators.bench.load import BenchOptions, BenchRunner  # noqa: E402
from gateway.carriers.smpp.settings import BindSettings  # noqa: E402
from gateway.simulators.smsc.smsc import SmscSimulator  # noqa: E402
from protocols.smpp import BindTransceiver, BindTransceiverResp, SubmitSm, encode  # noqa: E402

WINDOW = 100
HEADER = struct.Struct(">IIII")
SUBMIT = SubmitSm(source_addr="15550001111", destination_addr="15550002222",
                  short_message=b"carrier-gateway load test 0123456789")


def answers_to(out: bytes, command_id: int) -> bytes:
    """deliver_sm_resp / submit_sm_resp-shaped answers to every frame of ``command_id`` in ``out``."""
    parts, pos = [], 0
    while pos < len(out):
        length, cid, _, seq = HEADER.unpack_from(out, pos)
        if cid == command_id:
            parts.append(HEADER.pack(17, 0x80000000 | cid, 0, seq) + b"\0")
        pos += length
    return b"".join(parts)


def simulator(rounds: int, receipts: bool, lane: bool) -> float:
    clock = Clock()
    sim = SmscSimulator(clock=clock)
    sim.fast_lane = lane
    protocol, transport = sim.buildProtocol(None), StringTransport()
    protocol.makeConnection(transport)
    protocol.dataReceived(encode(BindTransceiver(system_id="bench"), 1))
    submit = encode(SubmitSm(source_addr="15550001111", destination_addr="15550002222",
                             registered_delivery=int(receipts),
                             short_message=SUBMIT.short_message), 0)
    chunks = [b"".join(submit[:12] + struct.pack(">I", 2 + r * WINDOW + i) + submit[16:]
                       for i in range(WINDOW)) for r in range(10)]
    transport.clear()
    started = time.process_time()
    for r in range(rounds):
        protocol.dataReceived(chunks[r % 10])
        if receipts:
            clock.advance(0.2)
            protocol.dataReceived(answers_to(transport.value(), 0x00000005))
        transport.clear()
    sim.stop()
    return (time.process_time() - started) / (rounds * WINDOW) * 1e6


def _bench_end(rounds: int, receipts: bool) -> tuple[Clock, BenchRunner, object, StringTransport]:
    clock, ends = Clock(), []

    class Endpoint:
        def connect(self, factory):
            protocol, transport = factory.buildProtocol(None), StringTransport()
            protocol.makeConnection(transport)
            ends.append((protocol, transport))
            return succeed(protocol)
    settings = BindSettings(system_id="bench", password="", window=WINDOW, response_timeout=60.0,
                            enquire_link_interval=60.0)
    runner = BenchRunner(clock, settings, lambda _: Endpoint(),
                         BenchOptions(count=rounds * WINDOW, receipts=receipts))
    runner.run()
    protocol, transport = ends[0]
    protocol.dataReceived(encode(BindTransceiverResp(system_id="S"), 1))
    return clock, runner, protocol, transport


def load_tester(rounds: int, receipts: bool) -> float:
    """Record what a simulator answers a first load tester, then time a second one
    fed the same chunks (both number alike), so the simulator's work is not timed."""
    clock, runner, protocol, transport = _bench_end(rounds, receipts)
    sim = SmscSimulator(clock=clock)
    peer, peer_transport = sim.buildProtocol(None), StringTransport()
    peer.makeConnection(peer_transport)
    peer.dataReceived(encode(BindTransceiver(system_id="bench"), 1))
    peer_transport.clear()
    total, recorded = rounds * WINDOW, []
    while sum(runner.statuses.values()) < total or (receipts and runner.receipts_received < total):
        peer.dataReceived(transport.value())
        transport.clear()
        clock.advance(0.2)
        recorded.append(peer_transport.value())
        peer_transport.clear()
        protocol.dataReceived(recorded[-1])
    sim.stop()
    clock, runner, protocol, transport = _bench_end(rounds, receipts)
    started = time.process_time()
    for chunk in recorded:
        transport.clear()
        clock.advance(0.2)
        protocol.dataReceived(chunk)
    elapsed = time.process_time() - started
    assert runner.statuses[0] == total and runner.receipts_matched == (total if receipts else 0)
    return elapsed / total * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1000, help="chunks of 100 submit_sm")
    parser.add_argument("--receipts", action="store_true", help="ask for receipts")
    parser.add_argument("--only", choices=("sim", "bench"), help="measure one end only")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = {}
    if args.only != "bench":
        figures["simulator_lane_us"] = simulator(args.rounds, args.receipts, lane=True)
        figures["simulator_pdu_path_us"] = simulator(args.rounds, args.receipts, lane=False)
    if args.only != "sim":
        figures["bench_us"] = load_tester(args.rounds, args.receipts)
    figures = {k: round(v, 2) for k, v in figures.items()}
    load = os.getloadavg()[0]
    if args.json:
        print(json.dumps({"receipts": args.receipts, "load1": load, **figures}))
    else:
        print(f"CPU µs per submit_sm{' with its receipt' if args.receipts else ''} "
              f"(the simulator's with the harness playing the ESME), load {load:.1f}:")
        for name, value in figures.items():
            print(f"  {name[:-3].replace('_', ' ')}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
