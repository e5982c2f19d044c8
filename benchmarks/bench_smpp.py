#!/usr/bin/env python3
"""SMPP throughput: `carrier-gateway bench` against `carrier-gateway simulate smsc`.

Starts the simulator on a free loopback port in its own process, then runs
the load tester (its own process) for each window of the sweep, with and
without receipts, and prints a markdown table (and, with --json, one JSON
object per run).  The load average is printed alongside: on a shared
machine the figures move with it.

    python benchmarks/bench_smpp.py                     # windows 1 10 100 1000
    python benchmarks/bench_smpp.py --windows 100 --count 300000 --repeat 3
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys


def start_simulator(extra: list[str]) -> tuple[subprocess.Popen, int]:
    sim = subprocess.Popen([sys.executable, "-m", "gateway", "simulate", "smsc", "--port", "0",
                            *extra], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = sim.stdout.readline()
    if "listening on" not in line:
        sim.kill()
        raise SystemExit(f"the simulator did not start: {line!r}")
    return sim, int(line.rsplit(":", 1)[1].split()[0])


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench(port: int, window: int, count: int, receipts: bool, binds: int) -> dict:
    cmd = [sys.executable, "-m", "gateway", "bench", "--port", str(port), "--window", str(window),
           "--count", str(count), "--binds", str(binds), "--json"]
    if receipts:
        cmd.append("--receipts")
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise SystemExit(f"bench failed: {out.stderr}")
    return json.loads(out.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, nargs="+", default=[1, 10, 100, 1000])
    parser.add_argument("--count", type=int, default=200000,
                        help="submit_sm per run (window 1 runs a tenth of it)")
    parser.add_argument("--binds", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="runs per cell; the best is shown")
    parser.add_argument("--no-receipts", action="store_true", help="skip the receipt runs")
    parser.add_argument("--json", action="store_true", help="also print every run as JSON")
    args = parser.parse_args()
    sim, port = start_simulator([])
    rows = []
    try:
        for receipts in ([False] if args.no_receipts else [False, True]):
            for window in args.windows:
                count = max(1000, args.count // 10) if window == 1 else args.count
                runs = []
                for _ in range(args.repeat):
                    before = cpu_seconds(sim.pid)
                    run = bench(port, window, count, receipts, args.binds)
                    run["sim_cpu_us_per_submit"] = round(
                        (cpu_seconds(sim.pid) - before) / run["sent"] * 1e6, 2)
                    runs.append(run)
                best = max(runs, key=lambda r: r["submit_sm_per_s"])
                load = os.getloadavg()[0]
                rows.append((window, receipts, best, load))
                if args.json:
                    for run in runs:
                        print(json.dumps({"window": window, "receipts": receipts, "load1": load, **run}))
    finally:
        sim.terminate()
        sim.wait(10)
    print(f"\n{os.cpu_count()} CPUs; simulator and load tester in separate processes, loopback TCP, "
          f"{args.binds} bind(s)\n")
    print("| window | receipts | submit_sm/s | p50 ms | p99 ms | receipts matched "
          "| CPU µs/msg bench | CPU µs/msg simulator | load avg |")
    print("|---:|:---:|---:|---:|---:|---:|---:|---:|---:|")
    for window, receipts, r, load in rows:
        print(f"| {window} | {'yes' if receipts else 'no'} | {r['submit_sm_per_s']:,.0f} | "
              f"{r['latency_ms']['p50']} | {r['latency_ms']['p99']} | "
              f"{r['receipts_matched'] if receipts else '-'} | {r['cpu_us_per_submit']} | "
              f"{r['sim_cpu_us_per_submit']} | {load:.1f} |")
    print("\nCPU µs/msg is each process's CPU time per submit_sm (and its receipt): "
          "1e6 / the larger of the two is the rate one bind could reach with a core each.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
