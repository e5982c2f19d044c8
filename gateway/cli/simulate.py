"""``carrier-gateway simulate smsc|mmsc``: the carrier simulators that ship in the product."""
from __future__ import annotations

import argparse
import importlib

SIMULATORS = {
    "smsc": ("gateway.simulators.smsc.cli", "SMPP 3.4 SMSC simulator"),
    "mmsc": ("gateway.simulators.mmsc.cli", "MM7 MMSC (relay/server) simulator"),
}


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="simulator", metavar="KIND")
    sub.required = True
    for name, (module_name, summary) in SIMULATORS.items():
        module = importlib.import_module(module_name)
        sim_parser = sub.add_parser(name, help=summary, description=summary)
        module.configure(sim_parser)
        sim_parser.set_defaults(_simulator=module)


def run(args: argparse.Namespace) -> int:
    return int(args._simulator.run(args) or 0)
