"""The ``carrier-gateway`` command line.

Each subcommand lives in ``gateway/cli/<name>.py`` and exposes two
functions: ``configure(parser)`` adds its arguments and ``run(args) -> int``
does the work.  Command modules import their heavy dependencies inside
``run`` so that ``carrier-gateway --help`` stays fast.
"""
from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = {
    "run": "run the gateway daemon (a self-contained demo without --config)",
    "db": "database schema management (db upgrade)",
    "segments": "show how a message body is encoded and billed",
    "receipt": "show how delivery receipts are parsed and translated",
    "simulate": "run a carrier simulator (smsc or mmsc)",
    "bench": "load-test an SMSC: submit_sm throughput per bind",
    "status": "print a running daemon's console summary (binds, rates, queue, callbacks)",
    "messages": "print one message's full history from the store (messages show SID)",
    "console": "console helpers (console hash-password)",
    "cluster": "the nodes of a cluster on one store (cluster status)",
    "config": "the config keys, their defaults and bounds (config reference)",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="carrier-gateway",
        description="SMPP 3.4 / MM7 gateway for the Messages API.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, summary in COMMANDS.items():
        module = importlib.import_module(f"gateway.cli.{name}")
        command_parser = sub.add_parser(name, help=summary, description=summary)
        module.configure(command_parser)
        command_parser.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args._module.run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
