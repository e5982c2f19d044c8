"""``carrier-gateway config reference``: every config key with its default,
bounds and a one-line doc, printed from the config model as a commented TOML
file (``conf/gateway.toml`` explains them at length)."""
from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="config_command", metavar="ACTION")
    sub.required = True
    sub.add_parser("reference", help="print every config key, its default and its bounds",
                   description="print every config key, its default and its bounds")


def run(args: argparse.Namespace) -> int:
    from gateway.config.reference import reference

    print(reference(), end="")
    return 0
