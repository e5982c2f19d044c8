"""``carrier-gateway console hash-password``: make a ``[console] users`` entry.

Reads the password twice from the terminal (or one line from stdin when it
is not a terminal) and prints the scrypt hash to paste into the config::

    [console.users]
    alice = "scrypt$16384$8$1$..."
"""
from __future__ import annotations

import argparse
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="console_command", metavar="ACTION")
    sub.required = True
    sub.add_parser("hash-password", help="print a password hash for [console] users",
                   description="print a password hash for [console] users")


def run(args: argparse.Namespace) -> int:
    from gateway.console.passwords import hash_password

    if sys.stdin.isatty():
        import getpass

        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            print("console: the passwords differ", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        print("console: empty password refused", file=sys.stderr)
        return 1
    print(hash_password(password))
    return 0
