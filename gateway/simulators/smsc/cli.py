"""``carrier-gateway simulate smsc``: the SMPP 3.4 SMSC simulator on a TCP port.

A behaviour from the catalogue (``--behaviour``, ``--list-behaviours``) sets
the starting point; every other option given on the command line changes
that behaviour's values.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from types import MappingProxyType
from typing import Any


def _status(text: str) -> int:
    from protocols.smpp.constants import CommandStatus

    try:
        return int(text, 0)
    except ValueError:
        pass
    try:
        return int(CommandStatus[text.upper()])
    except KeyError:
        raise argparse.ArgumentTypeError(f"unknown command_status {text!r}") from None


def _account(text: str) -> tuple[str, str]:
    system_id, sep, password = text.partition(":")
    if not sep or not system_id:
        raise argparse.ArgumentTypeError("an account is SYSTEM_ID:PASSWORD")
    return system_id, password


def _ratio(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("a ratio is between 0 and 1")
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--port", type=int, default=2775, help="TCP port (default 2775; 0 = any free port)")
    add("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    add("--behaviour", "--behavior", default="normal",
        help="named behaviour from the catalogue (default normal; see --list-behaviours)")
    add("--list-behaviours", action="store_true", help="print the catalogue and exit")
    add("--account", type=_account, action="append", metavar="SYSTEM_ID:PASSWORD",
        help="accept only these credentials (repeatable; default: any)")
    add("--system-id", dest="smsc_system_id", help="system_id in bind responses")
    add("--id-format", choices=("hex", "decimal", "uuid"), help="message id form (default hex)")
    add("--receipt-id-format", choices=("same", "hex", "decimal"),
        help="receipts spell the id as the response does (same, default) or as this "
             "number form (hex ids answered, decimal in receipts, as many carriers do)")
    add("--id-start", type=int, help="first message id number (e.g. 18446744073709551616)")
    add("--receipt-delay", type=float,
        help="seconds from the written submit_sm_resp to its receipt (default 0.1; 0 = next write)")
    add("--receipt-jitter", type=float, help="plus a random 0..JITTER seconds")
    add("--receipts-any-bind", action="store_true", default=None,
        help="send receipts to any receiver bind of the account, not the submitting one")
    add("--drop-receipt-ratio", type=_ratio,
        help="ratio of receipts never sent (query_sm still answers with the message's state)")
    add("--outcomes", help='receipt outcome weights, e.g. "DELIVRD=90,UNDELIV=5,EXPIRED=3,REJECTD=2"')
    add("--error-ratio", type=_ratio, help="ratio of submit_sm answered with --error-status")
    add("--error-status", type=_status, help="status of injected errors (0x08, ESME_RSUBMITFAIL, ...)")
    add("--throttle-tps", type=float, help="answer ESME_RTHROTTLED above this rate per bind")
    add("--queue-full-ratio", type=_ratio, help="ratio of submit_sm answered ESME_RMSGQFUL")
    add("--throttle-ratio", type=_ratio,
        help="ratio of submit_sm answered ESME_RTHROTTLED, whatever the rate")
    add("--queue-full-after", type=int,
        help="start a queue-full episode after this many submit_sm (with --queue-full-for)")
    add("--queue-full-for", type=float,
        help="answer every submit_sm ESME_RMSGQFUL for this many seconds, once")
    add("--response-delay", type=float, help="seconds before each submit_sm_resp")
    add("--no-response-ratio", type=_ratio, help="ratio of submit_sm never answered")
    add("--drop-ratio", type=_ratio, dest="drop_on_submit",
        help="ratio of submit_sm that make the simulator drop the connection")
    add("--window", type=int, help="deliver_sm in flight per bind (default 1000)")
    add("--mo-every", type=float, help="send an MO deliver_sm every SECONDS to receiver binds")
    add("--mo-text", help="text of those MO messages (long text: concatenated parts)")
    add("--mo-concat", choices=("udh", "sar"), help="long MO parts tied by UDH (default) or SAR TLVs")
    add("--mo-from", dest="mo_source", help="MO source number (default +15550001111)")
    add("--mo-to", dest="mo_destination", help="MO destination number (default +15550002222)")
    add("--seed", type=int, help="random seed: reproducible outcomes and errors")
    add("--tls-cert", help="PEM certificate (with --tls-key): serve SMPP over TLS")
    add("--tls-key", help="PEM private key of --tls-cert")
    add("--stats-every", type=float, default=0.0, help="print counters as JSON every SECONDS")


_PASSTHROUGH = ("id_format", "receipt_id_format", "id_start", "receipt_delay", "receipt_jitter", "receipts_any_bind",
                "drop_receipt_ratio",
                "error_ratio",
                "error_status", "throttle_tps", "queue_full_ratio", "response_delay",
                "throttle_ratio", "queue_full_after", "queue_full_for",
                "no_response_ratio", "drop_on_submit", "window", "mo_every", "mo_text", "mo_concat",
                "mo_source", "mo_destination", "seed")


def config_from(args: argparse.Namespace) -> Any:
    from gateway.simulators.smsc.behaviours import behaviour
    from gateway.simulators.smsc.config import parse_outcomes

    changes: dict[str, Any] = {n: getattr(args, n) for n in _PASSTHROUGH
                               if getattr(args, n, None) is not None}
    if args.outcomes:
        changes["outcomes"] = parse_outcomes(args.outcomes)
    if args.account:
        changes["credentials"] = MappingProxyType(dict(args.account))
    if args.smsc_system_id:
        changes["system_id"] = args.smsc_system_id
    return behaviour(args.behaviour).config(**changes)


def list_behaviours() -> str:
    from gateway.simulators.smsc.behaviours import CATALOGUE

    width = max(len(n) for n in CATALOGUE)
    return "\n".join(f"{n:<{width}}  {b.class_name:<26} {b.description}"
                     for n, b in CATALOGUE.items())


def run(args: argparse.Namespace) -> int:
    if args.list_behaviours:
        print(list_behaviours())
        return 0
    try:
        config = config_from(args)
    except (KeyError, ValueError) as exc:
        print(f"simulate smsc: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2
    if bool(args.tls_cert) != bool(args.tls_key):
        print("simulate smsc: --tls-cert and --tls-key go together", file=sys.stderr)
        return 2
    from twisted.internet import reactor, task
    from twisted.internet.error import CannotListenError
    from twisted.logger import globalLogBeginner

    from gateway.daemon.logsetup import make_observer
    from gateway.simulators.smsc.smsc import SmscSimulator

    globalLogBeginner.beginLoggingTo([make_observer("info", os.environ, sys.stderr)],
                                     redirectStandardIO=False)
    tls = _tls_options(args.tls_cert, args.tls_key) if args.tls_cert else None
    sim = SmscSimulator(config, clock=reactor)
    try:
        port = sim.listen(reactor, args.port, args.host, tls=tls)
    except CannotListenError as exc:
        print(f"simulate smsc: cannot listen on {args.host}:{args.port}: {exc.socketError}",
              file=sys.stderr)
        return 1
    address = port.getHost()
    print(f"SMSC simulator ({args.behaviour}) listening on {address.host}:{address.port}"
          f"{' with TLS' if tls else ''}", flush=True)
    if args.stats_every > 0:
        task.LoopingCall(lambda: print(json.dumps(sim.stats), flush=True)).start(
            args.stats_every, now=False)
    reactor.addSystemEventTrigger("before", "shutdown", sim.stop)
    reactor.run()
    return 0


def _tls_options(cert_file: str, key_file: str) -> Any:
    from twisted.internet import ssl

    with open(cert_file, "rb") as f:
        cert = f.read()
    with open(key_file, "rb") as f:
        key = f.read()
    return ssl.PrivateCertificate.loadPEM(cert + b"\n" + key).options()
