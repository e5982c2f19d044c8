#!/usr/bin/env python3
"""SMPP flow control: how much of a throttling SMSC's capacity a bind uses.

Starts `carrier-gateway simulate smsc` in its own process, then drives one
bind of the real `SmppCarrier` (its queue, pacing and resends) over
loopback TCP, and prints per scenario:

* cap:   the simulator answers ESME_RTHROTTLED above --cap submit_sm/s
         (`--throttle-tps`); the figure is the share of the cap used once
         the bind has settled (after --warmup seconds).
* share: the simulator answers ESME_RTHROTTLED to a fixed --ratio of all
         submit_sm at any rate (`--throttle-ratio`), the bind's max_tps is
         --max-tps; the figures are the drain rate (messages accepted per
         second, over the whole run) and its share of the rate the SMSC
         accepts at that max_tps (max_tps x (1 - ratio)).

    python benchmarks/bench_throttle.py                       # cap 200, ratio 0.5
    python benchmarks/bench_throttle.py --cap 200 --ratio 0.5 --count 4000 --json
"""
from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from bench_smpp import start_simulator  # noqa: E402
from twisted.internet import defer, task  # noqa: E402

from gateway.carriers.smpp.carrier import SmppCarrier  # noqa: E402
from gateway.carriers.smpp.endpoints import endpoint_factory  # noqa: E402
from gateway.carriers.smpp.settings import BindSettings  # noqa: E402
from protocols.smpp.pdu import SubmitSm  # noqa: E402


def submit_sm() -> SubmitSm:
    return SubmitSm(source_addr_ton=1, source_addr_npi=1, source_addr="15550001111",
                    dest_addr_ton=1, dest_addr_npi=1, destination_addr="15550002222",
                    short_message=b"flow control benchmark")


async def drive(reactor, port: int, count: int, window: int, max_tps: float,
                time_limit: float) -> dict:
    settings = BindSettings(host="127.0.0.1", port=port, system_id="bench", password="x",
                            bind="transmitter", window=window, max_tps=max_tps)
    carrier = SmppCarrier("bench", settings, reactor, endpoint_factory(reactor))
    carrier.startService()
    while not carrier.is_up:
        await task.deferLater(reactor, 0.05, lambda: None)
    start = reactor.seconds()
    stamps: list[float] = []
    failed = 0
    finished: defer.Deferred = defer.Deferred()

    def answered():
        if len(stamps) + failed == count and not finished.called:
            finished.callback(None)

    def accepted(_):
        stamps.append(reactor.seconds())
        answered()

    def refused(_):
        nonlocal failed
        failed += 1
        answered()

    for _ in range(count):
        carrier.submit(submit_sm()).addCallbacks(accepted, refused)
    limit = reactor.callLater(time_limit, lambda: finished.called or finished.callback(None))
    await finished
    if limit.active():
        limit.cancel()
    elapsed = reactor.seconds() - start
    bind = carrier.stats["bench-1"]
    done, gave_up = list(stamps), failed
    await carrier.stopService()  # what is left fails NotSent: counted as unsent
    return {"stamps": [t - start for t in done], "elapsed": elapsed, "failed": gave_up,
            "unsent": count - len(done) - gave_up, "throttled": bind["throttled"], "tps_limit": bind["tps_limit"]}


def run(reactor, scenario: str, sim_args: list[str], args) -> dict:
    sim, port = start_simulator(sim_args)
    try:
        max_tps = args.max_tps if scenario == "share" else args.ceiling
        result = {}

        async def go():
            result.update(await drive(reactor, port, args.count, args.window, max_tps,
                                      args.time_limit))
        d = defer.ensureDeferred(go())
        d.addErrback(lambda f: result.update(error=f.getErrorMessage()))
        d.addBoth(lambda _: reactor.stop())
        reactor.run()
    finally:
        sim.kill()
        sim.wait()
    return result


def summarise(scenario: str, result: dict, args) -> dict:
    stamps, elapsed = result["stamps"], result["elapsed"]
    out = {"scenario": scenario, "count": args.count, "window": args.window,
           "elapsed_s": round(elapsed, 2), "failed": result["failed"],
           "accepted": len(stamps), "unsent_at_time_limit": result["unsent"],
           "throttled": result["throttled"], "drain_per_s": round(len(stamps) / elapsed, 1)}
    if scenario == "cap":
        settled = [t for t in stamps if t >= args.warmup]
        span = (stamps[-1] - args.warmup) if settled else 0.0
        rate = len(settled) / span if span > 0 else 0.0
        out.update(cap=args.cap, ceiling=args.ceiling, settled_per_s=round(rate, 1),
                   cap_used=round(rate / args.cap, 3))
    else:
        accepted_rate = args.max_tps * (1 - args.ratio) or None  # max_tps 0: unknown
        out.update(ratio=args.ratio, max_tps=args.max_tps, accepted_rate=accepted_rate,
                   drain_share=round(out["drain_per_s"] / accepted_rate, 3) if accepted_rate else None)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=("cap", "share", "both"), default="both")
    parser.add_argument("--cap", type=float, default=200.0, help="the SMSC's TPS cap")
    parser.add_argument("--ceiling", type=float, default=0.0,
                        help="the bind's max_tps in the cap scenario (0 = none)")
    parser.add_argument("--ratio", type=float, default=0.5, help="the throttled share")
    parser.add_argument("--max-tps", type=float, default=200.0,
                        help="the bind's max_tps in the share scenario")
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--window", type=int, default=10)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--time-limit", type=float, default=120.0,
                        help="stop a scenario after this many seconds and report what drained")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from twisted.internet import reactor

    scenarios = ("cap", "share") if args.scenario == "both" else (args.scenario,)
    if len(scenarios) > 1:  # one reactor run per process: the second goes in a child
        for name in scenarios:
            cmd = [sys.executable, __file__, *sys.argv[1:], "--scenario", name]  # the last wins
            os.spawnv(os.P_WAIT, sys.executable, cmd)
        return 0
    name = scenarios[0]
    sim_args = (["--throttle-tps", str(args.cap)] if name == "cap"
                else ["--throttle-ratio", str(args.ratio), "--seed", "1"])
    result = run(reactor, name, sim_args, args)
    if "error" in result:
        print(f"{name}: {result['error']}", file=sys.stderr)
        return 1
    out = summarise(name, result, args)
    if args.json:
        print(json.dumps(out))
    elif name == "cap":
        print(f"cap {args.cap:.0f}/s, bind max_tps {args.ceiling:g}: {out['settled_per_s']}/s "
              f"after {args.warmup:g}s = {out['cap_used']:.1%} of the cap used; drain "
              f"{out['drain_per_s']}/s over {out['elapsed_s']}s; {out['throttled']} throttled, "
              f"{out['failed']} failed, {out['unsent_at_time_limit']} not sent by the time limit")
    else:
        share = (f" = {out['drain_share']:.1%} of the accepted rate ({out['accepted_rate']:g}/s)"
                 if out["drain_share"] is not None else "")
        print(f"throttle ratio {args.ratio:g}, bind max_tps {args.max_tps:g}: drain "
              f"{out['drain_per_s']}/s{share}; {out['throttled']} throttled, {out['failed']} "
              f"failed, {out['unsent_at_time_limit']} not sent, in {out['elapsed_s']}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
