"""Slow clients against the API listener: do real requests still get through?

    python benchmarks/bench_slow_clients.py                 # the listener as the daemon builds it
    python benchmarks/bench_slow_clients.py --no-limits     # twisted.web's plain HTTPChannel, no caps

The API (with a SQLite store) runs in its own process under an open-file
limit of 1,024, as a default shell gives.  This process opens ``--slow``
connections from 127.0.0.2 that each send one byte of a request head and
then one more byte every ``--trickle`` seconds (each byte resets Twisted's
idle timeout), then makes ``--real`` ordinary requests from 127.0.0.1 while
they hang on, and prints how many real requests succeeded, how the slow
connections ended (408, 503, still open) and how long it took.
"""
from __future__ import annotations

import argparse
import base64
import http.client
import os
import resource
import selectors
import socket
import subprocess
import sys
import tempfile
import time

ACCOUNT = "AC" + "0" * 32
TOKEN = "bench-token"
AUTH = base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()


def serve(url: str, limits: bool, header_timeout: float) -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))
    from twisted.internet import reactor
    from twisted.web.http import HTTPChannel

    from gateway.config import model as config
    from gateway.api.accounts import Accounts
    from gateway.api.app import MessagesApi
    from gateway.api.requests import make_site
    from gateway.daemon.parts import connection_limits
    from gateway.store.store import Store

    store = Store(url, reactor)

    def started(_):
        api = MessagesApi(store, Accounts([(ACCOUNT, TOKEN)]), clock=reactor)
        cfg = config.loads(f"[api]\nheader_timeout = {header_timeout}\n")
        site = make_site(api.resource(), limits=connection_limits(cfg.api), reactor=reactor)
        if not limits:
            site.protocol = HTTPChannel
            site.connections.limits = type(site.limits)(None, None, 0, 0)
        port = reactor.listenTCP(0, site, interface="0.0.0.0", backlog=2048)
        print(port.getHost().port, flush=True)

    store.start().addCallback(started)
    reactor.addSystemEventTrigger("before", "shutdown", store.stop)
    reactor.run()


def real_requests(port: int, count: int) -> int:
    ok = 0
    for _ in range(count):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", f"/api/2012-04-24/Accounts/{ACCOUNT}/Messages.json",
                         headers={"Authorization": f"Basic {AUTH}"})
            ok += conn.getresponse().status == 200
            conn.close()
        except OSError:
            pass
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--no-limits", action="store_true")
    parser.add_argument("--slow", type=int, default=1100)
    parser.add_argument("--real", type=int, default=18)
    parser.add_argument("--trickle", type=float, default=2.0)
    parser.add_argument("--header-timeout", type=float, default=10.0)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, not args.no_limits, args.header_timeout)
        return
    resource.setrlimit(resource.RLIMIT_NOFILE, (8192, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, __file__, "--serve", f"sqlite:///{tmp}/slow.db",
               "--header-timeout", str(args.header_timeout)] + (["--no-limits"] if args.no_limits else [])
        server = subprocess.Popen(cmd, stdout=subprocess.PIPE)
        try:
            port = int(server.stdout.readline())
            run(port, args)
        finally:
            server.terminate()
            server.wait()


def run(port: int, args) -> None:
    sel = selectors.DefaultSelector()
    slow = []
    for _ in range(args.slow):
        s = socket.socket()
        s.bind(("127.0.0.2", 0))
        s.connect(("127.0.0.2", port))
        s.setblocking(False)
        s.send(b"G")
        sel.register(s, selectors.EVENT_READ)
        slow.append(s)
    ended: dict[str, int] = {"408": 0, "503": 0, "closed": 0}
    answered: set = set()

    def pump(until: float) -> None:
        while time.monotonic() < until:
            for key, _ in sel.select(timeout=max(0.0, until - time.monotonic())):
                sock = key.fileobj
                try:
                    data = sock.recv(4096)
                except OSError:
                    data = b""
                kind = data[9:12].decode() if data.startswith(b"HTTP/1.1 ") else "closed"
                ended[kind if kind in ended else "closed"] += 1
                answered.add(sock)
                sel.unregister(sock)

    started = time.monotonic()
    pump(started + 0.5)  # over-cap connections are answered at once
    real_ok = real_requests(port, args.real)
    deadline = started + args.header_timeout + 2 * args.trickle
    while time.monotonic() < deadline and len(answered) < len(slow):
        for s in slow:
            if s not in answered:
                try:
                    s.send(b"E")
                except OSError:
                    pass
        pump(min(deadline, time.monotonic() + args.trickle))
    still_open = len(slow) - len(answered)
    mode = "plain twisted.web (no limits)" if args.no_limits else "the daemon's listener"
    print(f"{mode}: {real_ok} of {args.real} real requests OK while {args.slow} connections trickled; "
          f"slow connections: {ended['503']} refused with 503, {ended['408']} cut with 408, "
          f"{ended['closed']} closed otherwise, {still_open} still open after "
          f"{time.monotonic() - started:.0f} s")
    for s in slow:
        s.close()


if __name__ == "__main__":
    main()
