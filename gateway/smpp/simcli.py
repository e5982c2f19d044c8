"""Command-line front of the smpp simulator."""
from __future__ import annotations

import argparse
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    print("simulator not built yet", file=sys.stderr)
    return 2
