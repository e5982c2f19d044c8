"""``carrier-gateway bench``: load-test an SMSC, one or more binds.

Prints submit_sm/s per bind and in total, response latency p50/p99, the
count of each response status, and receipts received and matched; with
``--json`` one JSON object (keys: submit_sm_per_s, sent, responses,
latency_ms {p50, p99}, receipts_received, receipts_matched, and more).
On a terminal a progress line a second goes to stderr; ``--report FILE.html``
writes a self-contained page.  Exit status 1 when no submit_sm was accepted,
or receipts were asked for and none matched.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from gateway.simulators.bench.progress import progress_line
from gateway.simulators.bench.report import render

_BINDS = {"trx": "transceiver", "tx": "transmitter", "tx+rx": "transmitter+receiver",
          "rx": "receiver", "transceiver": "transceiver", "transmitter": "transmitter",
          "transmitter+receiver": "transmitter+receiver", "receiver": "receiver"}


def configure(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="SMSC host (default 127.0.0.1)")
    add("--port", type=int, default=2775, help="SMSC port (default 2775)")
    add("--system-id", default="bench", help="bind system_id")
    add("--password", default="", help="bind password")
    add("--system-type", default="", help="bind system_type")
    add("--bind", default="trx", choices=sorted(_BINDS),
        help="bind type: trx (default), tx, or tx+rx (a pair per bind: submits on the "
             "transmitter, receipts on the receiver); rx alone cannot submit")
    add("--binds", type=int, default=1, help="binds (connections) in parallel (default 1)")
    add("--window", type=int, default=100, help="outstanding submit_sm per bind (default 100)")
    add("--count", type=int, default=100000, help="submit_sm to send in total (default 100000)")
    add("--rate", type=float, default=0.0, help="cap in submit_sm/s in total (default: none)")
    add("--receipts", action="store_true", help="ask for receipts and wait for them")
    add("--receipt-timeout", type=float, default=10.0,
        help="stop waiting for receipts after this many quiet seconds (default 10)")
    add("--timeout", type=float, default=10.0, help="response timeout in seconds (default 10)")
    add("--text", default="carrier-gateway load test 0123456789", help="short_message text")
    add("--source", default="15550001111", help="source_addr")
    add("--destination", default="15550002222", help="destination_addr")
    add("--tls", action="store_true", help="connect with TLS, verifying the certificate")
    add("--tls-ca", help="PEM file of CAs to trust (default: the system store)")
    add("--insecure", action="store_true", help="with --tls: do not verify the certificate")
    add("--json", action="store_true", help="print one JSON object (and no progress lines)")
    add("--report", metavar="FILE.html",
        help="also write a self-contained HTML page: summary, throughput over time and "
             "the latency histogram (for attaching to a carrier ticket)")
    add("--progress", choices=("auto", "always", "never"), default="auto",
        help="a progress line every second on stderr: auto (default) when stderr is a "
             "terminal and without --json")


def _check(args: argparse.Namespace) -> str | None:
    if args.binds < 1 or args.window < 1 or args.count < 1:
        return "--binds, --window and --count must be at least 1"
    if args.rate < 0:
        return "--rate must not be negative"
    if _BINDS[args.bind] == "receiver":
        return ("--bind rx cannot send submit_sm; use tx+rx to submit on a transmitter "
                "and take receipts on a receiver")
    if args.receipts and _BINDS[args.bind] == "transmitter":
        return "--receipts needs a bind that receives: --bind trx or tx+rx"
    return None


def run(args: argparse.Namespace) -> int:
    problem = _check(args)
    if problem:
        print(f"bench: {problem}", file=sys.stderr)
        return 2
    from twisted.internet import reactor
    from twisted.logger import globalLogBeginner

    from gateway.daemon.logsetup import make_observer
    from gateway.simulators.bench.load import BenchOptions, BenchRunner
    from gateway.simulators.bench.progress import Sampler
    from gateway.carriers.smpp.endpoints import endpoint_factory
    from gateway.carriers.smpp.settings import BindSettings

    globalLogBeginner.beginLoggingTo([make_observer("warn", os.environ, sys.stderr)],
                                     redirectStandardIO=False)
    settings = BindSettings(
        host=args.host, port=args.port, system_id=args.system_id, password=args.password,
        system_type=args.system_type, window=args.window, response_timeout=args.timeout,
        enquire_link_interval=30.0, tls=args.tls, tls_ca=args.tls_ca,
        tls_verify=not args.insecure)
    options = BenchOptions(count=args.count, binds=args.binds, bind=_BINDS[args.bind],
                           rate=args.rate, receipts=args.receipts,
                           receipt_timeout=args.receipt_timeout, source=args.source,
                           destination=args.destination, text=args.text)
    runner = BenchRunner(reactor, settings, endpoint_factory(reactor), options)
    sampler = Sampler(reactor, runner, on_sample=_printer(args))
    outcome: dict[str, Any] = {}

    def done(result: dict) -> None:
        outcome["result"] = result

    def failed(failure: Any) -> None:
        outcome["error"] = str(failure.value) or failure.type.__name__

    def start() -> None:
        sampler.start()
        d = runner.run().addCallbacks(done, failed)
        d.addBoth(lambda _: sampler.stop())
        d.addBoth(lambda _: reactor.stop())

    reactor.callWhenRunning(start)
    reactor.run()
    if "error" in outcome:
        print(f"bench: {outcome['error']}", file=sys.stderr)
        return 1
    result = outcome.get("result")
    if result is None:
        return 1
    print(json.dumps(result) if args.json else human(result, args))
    if args.report:
        _write_report(args, result, sampler, runner)
    return verdict(result, args)


def verdict(result: dict, args: argparse.Namespace) -> int:
    """1 when the run proved nothing worked: no submit_sm accepted, or receipts
    asked for and none matched; the reason goes to stderr."""
    if not result.get("accepted"):
        print("bench: no submit_sm was accepted (see responses above)", file=sys.stderr)
        return 1
    if args.receipts and not result.get("receipts_matched"):
        print("bench: receipts were asked for and none matched a submit_sm", file=sys.stderr)
        return 1
    return 0


def _printer(args: argparse.Namespace):
    show = args.progress == "always" or (
        args.progress == "auto" and not args.json and sys.stderr.isatty())
    if not show:
        return None

    def printed(previous: Any, sample: Any) -> None:
        print(progress_line(previous, sample), file=sys.stderr, flush=True)
    return printed


def _write_report(args: argparse.Namespace, result: dict, sampler: Any, runner: Any) -> None:
    title = (f"carrier-gateway bench: {args.host}:{args.port} as {args.system_id}, "
             f"{args.binds} bind(s), window {args.window}")
    page = render(result, sampler.samples, runner.latencies, title)
    with open(args.report, "w", encoding="utf-8") as out:
        out.write(page)
    if not args.json:
        print(f"report written to {args.report}")


def human(result: dict, args: argparse.Namespace) -> str:
    latency = result["latency_ms"]
    lines = [f"{result['sent']} submit_sm over {len(result['binds'])} bind(s), "
             f"window {result['window']}: {result['submit_sm_per_s']:.0f} submit_sm/s "
             f"in {result['elapsed_s']:.2f} s"]
    for b in result["binds"]:
        lines.append(f"  {b['name']}: {b['sent']} sent, {b['submit_sm_per_s']:.0f}/s")
    if latency["p50"] is None:
        lines.append("latency: no submit_sm was answered")
    else:
        lines.append(f"latency p50 {latency['p50']} ms, p99 {latency['p99']} ms")
    lines.append("responses: " + ", ".join(f"{k} {v}" for k, v in result["responses"].items()))
    if args.receipts:
        lines.append(f"receipts: {result['receipts_received']} received, "
                     f"{result['receipts_matched']} matched "
                     f"({result['receipts_per_s']:.0f}/s)")
    return "\n".join(lines)
