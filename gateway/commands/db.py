"""``carrier-gateway db``."""
from __future__ import annotations

import argparse
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    print("carrier-gateway db: not built yet", file=sys.stderr)
    return 2
