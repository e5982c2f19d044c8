"""``carrier-gateway run [--config FILE]``: the gateway daemon.

With ``--config`` it runs the configured gateway (under systemd as
Type=notify: READY=1 once the store is open and the API listens, WATCHDOG=1
while the reactor turns, STOPPING=1 at shutdown).  Without it, it runs the
self-contained demo (see ``gateway.daemon.demo``).

Signals: SIGHUP re-reads the config and applies accounts, numbers and routes
without touching a bind; SIGTERM / SIGINT stop taking work, drain the
windows, unbind and close the store.
"""
from __future__ import annotations

import argparse
import os
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE",
                        help="gateway config (TOML, see conf/gateway.toml); without it: the demo")
    parser.add_argument("--check", action="store_true",
                        help="only check the config (print problems, exit 0 when good)")
    parser.add_argument("--listen", metavar="HOST:PORT",
                        help='override [api] listen (demo default "127.0.0.1:8080")')
    parser.add_argument("--data-dir", metavar="DIR", default="var",
                        help="demo only: where the SQLite store and demo account live (default ./var)")
    parser.add_argument("--log-level", choices=("debug", "info", "warn", "error"),
                        help="override [log] level")


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from gateway.config import model as c

    listen = None
    if args.listen:
        try:
            listen = _parse_listen(args.listen)
        except c.ConfigError as e:
            print(f"carrier-gateway run: --listen: {e}", file=sys.stderr)
            return 2
    if args.config:
        try:
            cfg = c.load(args.config)
            from gateway.daemon.parts import receipt_profiles, receipt_settings

            receipt_profiles(cfg)
            receipt_settings(cfg)
        except (c.ConfigError, ValueError) as e:
            print(f"carrier-gateway: config error: {e}", file=sys.stderr)
            return 2
        from gateway.config.check import config_warnings

        for warning in config_warnings(cfg):
            print(f"carrier-gateway: warning: {args.config}: {warning}", file=sys.stderr)
        if args.check:
            print(f"{args.config}: OK ({len(cfg.accounts)} accounts, {len(cfg.numbers)} numbers, "
                  f"{len(cfg.carriers)} carriers)")
            return 0
        if listen is not None:
            cfg = replace(cfg, api=replace(cfg.api, host=listen[0], port=listen[1]))
    elif args.check:
        print("carrier-gateway run: --check needs --config", file=sys.stderr)
        return 2
    else:
        cfg = None
    level = args.log_level or (cfg.log_level if cfg else "info")

    from twisted.internet import reactor

    from gateway.daemon.process import Daemon
    from gateway.daemon.logsetup import start_logging

    start_logging(level, os.environ)
    daemon = Daemon(reactor, os.environ, config=cfg, config_path=args.config,
                    demo_dir=args.data_dir, demo_listen=listen or ("127.0.0.1", 8080),
                    listen_override=listen if cfg is not None else None)
    return daemon.run()


def _parse_listen(value: str) -> tuple[str, int]:
    from gateway.config.read import Table, parse_listen

    return parse_listen(Table({"listen": value}, "--listen", ""), "listen", value)
