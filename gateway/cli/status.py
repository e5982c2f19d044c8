"""``carrier-gateway status --url http://HOST:PORT [--json]``: the console's
summary in a terminal (binds, rates, queue, callbacks, receipts).

It reads ``/console/api/summary`` with HTTP Basic operator credentials from
``[console] users``: the user from ``--user`` or ``CARRIER_GATEWAY_CONSOLE_USER``,
the password from ``--password-file`` or ``CARRIER_GATEWAY_CONSOLE_PASSWORD``
(or a prompt on a terminal); never on the command line, where ``ps`` shows it.
Exit 0 when shown, 1 when the console refused (401, 404: off, 429), 2 when
the daemon cannot be reached.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", required=True, help="the daemon's API address, e.g. http://127.0.0.1:8080")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--user", default=os.environ.get("CARRIER_GATEWAY_CONSOLE_USER", ""),
                        help="operator name (default: $CARRIER_GATEWAY_CONSOLE_USER)")
    parser.add_argument("--password-file", metavar="FILE",
                        help="read the password from FILE (default: $CARRIER_GATEWAY_CONSOLE_PASSWORD)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds (default 10)")


def _password(args) -> str:
    if args.password_file:
        with open(args.password_file, encoding="utf-8") as f:
            return f.readline().rstrip("\r\n")
    password = os.environ.get("CARRIER_GATEWAY_CONSOLE_PASSWORD")
    if password is None and sys.stdin.isatty():
        import getpass

        password = getpass.getpass(f"console password for {args.user}: ")
    return password or ""


def fetch(url: str, user: str, password: str, timeout: float) -> dict:
    import urllib.request

    request = urllib.request.Request(url.rstrip("/") + "/console/api/summary")
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    request.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)


def run(args: argparse.Namespace) -> int:
    import urllib.error

    from gateway.cli.status_text import render

    try:
        summary = fetch(args.url, args.user, _password(args), args.timeout)
    except urllib.error.HTTPError as error:
        detail = error.read().decode("utf-8", "replace").strip()
        print(f"status: {args.url} answered {error.code}: {detail}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError, ValueError) as error:
        print(f"status: cannot reach {args.url}: {getattr(error, 'reason', error)}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(summary, indent=2, sort_keys=True))
    else:
        sys.stdout.write(render(summary))
    return 0
