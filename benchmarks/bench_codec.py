"""Codec cost per message: encode a submit_sm + decode its submit_sm_resp + decode a
delivery-receipt deliver_sm, for our codec and for smpplib's.

    python benchmarks/bench_codec.py [--seconds 1.0] [--json]

Prints microseconds per message (best of 5 runs) for each step and the total.
Target for ours: about 10 µs or less in total on the 2-core reference machine.
It also prints what the whole sans-IO ESME session costs per submit_sm (numbering,
window, pending table, encode, framing, decode and matching of the response), in
batches of 100 as a window of 100 would send them.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from protocols.smpp import (BindTransceiver, DeliverSm, Role, Session,  # noqa: E402
                            SubmitSm, SubmitSmResp, Tag, build_tlvs, decode, encode)

RECEIPT = (b"id:1a2b3c4d5e sub:001 dlvrd:001 submit date:2611271200 done date:2611271201"
           b" stat:DELIVRD err:000 text:Hello from the gateway")
SUBMIT = SubmitSm(source_addr_ton=1, source_addr_npi=1, source_addr="15551230000",
                  dest_addr_ton=1, dest_addr_npi=1, destination_addr="447700900123",
                  registered_delivery=1, short_message=b"Hello from the gateway, message 1")
RESP_BYTES = encode(SubmitSmResp(message_id="1a2b3c4d5e", sequence_number=7))
DELIVER_BYTES = encode(DeliverSm(
    source_addr_ton=1, source_addr_npi=1, source_addr="447700900123", dest_addr_ton=1,
    dest_addr_npi=1, destination_addr="15551230000", esm_class=4, short_message=RECEIPT,
    tlvs=build_tlvs([(Tag.RECEIPTED_MESSAGE_ID, "1a2b3c4d5e"), (Tag.MESSAGE_STATE, 2),
                     (Tag.NETWORK_ERROR_CODE, (3, 0))]),
    sequence_number=9))


def ours() -> dict[str, Callable[[], object]]:
    return {
        "encode submit_sm": lambda: encode(SUBMIT, 7),
        "decode submit_sm_resp": lambda: decode(RESP_BYTES),
        "decode deliver_sm": lambda: decode(DELIVER_BYTES),
    }


def smpplib_steps() -> dict[str, Callable[[], object]] | None:
    try:
        from smpplib import consts
        from smpplib.smpp import make_pdu, parse_pdu
    except ImportError:
        return None

    class Numbering:  # smpplib asks its client for sequence numbers
        sequence = 0

        def next_sequence(self) -> int:
            return 1

    client = Numbering()

    def submit() -> bytes:
        pdu = make_pdu("submit_sm", source_addr_ton=1, source_addr_npi=1,
                       source_addr="15551230000", dest_addr_ton=1, dest_addr_npi=1,
                       destination_addr="447700900123", registered_delivery=1,
                       short_message=b"Hello from the gateway, message 1",
                       data_coding=consts.SMPP_ENCODING_DEFAULT, esm_class=0, sequence=7, client=client)
        return pdu.generate()

    return {
        "encode submit_sm": submit,
        "decode submit_sm_resp": lambda: parse_pdu(RESP_BYTES, client=client),
        "decode deliver_sm": lambda: parse_pdu(DELIVER_BYTES, client=client),
    }


def measure(fn: Callable[[], object], seconds: float) -> float:
    """Best of 5 runs, each about seconds/5 long: microseconds per call."""
    n = 1
    while True:  # calibrate
        start = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed > seconds / 50:
            break
        n *= 2
    per_run = max(1, int(n * (seconds / 5) / elapsed))
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(per_run):
            fn()
        best = min(best, (time.perf_counter() - start) / per_run)
    return best * 1e6


def session_round_trip(seconds: float) -> float:
    """µs per submit_sm for an ESME session: send_request + data_to_send, then
    receive_data of its submit_sm_resp (the responses are built outside the clock)."""
    session = Session(Role.ESME, window=100)
    session.send_request(BindTransceiver(system_id="bench", password="bench"))
    session.receive_data(encode(BindTransceiver().response(), 1))
    session.data_to_send()
    best = float("inf")
    for _ in range(5):
        spent, count, deadline = 0.0, 0, time.perf_counter() + seconds / 5
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            seqs = [session.send_request(SUBMIT) for _ in range(100)]
            session.data_to_send()
            spent += time.perf_counter() - start
            answers = b"".join([encode(SubmitSmResp(message_id="%x" % s), s) for s in seqs])
            start = time.perf_counter()
            session.receive_data(answers)
            spent += time.perf_counter() - start
            count += 100
        best = min(best, spent / count)
    return round(best * 1e6, 2)


def run(steps: dict[str, Callable[[], object]], seconds: float) -> dict[str, float]:
    result = {name: round(measure(fn, seconds), 2) for name, fn in steps.items()}
    result["total"] = round(sum(result.values()), 2)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time per step (default 1)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    results = {"ours": run(ours(), args.seconds)}
    theirs = smpplib_steps()
    if theirs is not None:
        results["smpplib"] = run(theirs, args.seconds)
    session_us = session_round_trip(args.seconds)
    if args.json:
        print(json.dumps({"unit": "us_per_message", **results, "session_round_trip": session_us}))
        return 0
    names = list(results["ours"])
    print("%-24s" % "µs per message" + "".join("%12s" % codec for codec in results))
    for name in names:
        print("%-24s" % name + "".join("%12.2f" % results[c][name] for c in results))
    if "smpplib" in results:
        print("speed-up: %.1fx" % (results["smpplib"]["total"] / results["ours"]["total"]))
    print("ESME session round trip (send_request .. ResponseReceived): %.2f µs per submit_sm"
          % session_us)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
