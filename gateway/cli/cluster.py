"""``carrier-gateway cluster status --config FILE [--json]``: the nodes of
the cluster on the config's store (id, alive, last heartbeat, bind slots
held, messages in flight).  ``--json`` prints one object
``{"nodes": [{"node_id", "alive", "last_heartbeat", "binds", "in_flight"}]}``.
Alive uses the config's ``[cluster] lease_timeout``.  Exit 2 on a bad
config or an unreachable store."""
from __future__ import annotations

import argparse
import json
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="cluster_command", metavar="ACTION")
    sub.required = True
    status = sub.add_parser("status", help="list the cluster's nodes",
                            description="list the cluster's nodes")
    status.add_argument("--config", metavar="FILE", required=True, help="the daemon's config file")
    status.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from datetime import datetime, timezone

    from sqlalchemy.exc import SQLAlchemyError

    from gateway.cluster.status import cluster_status, render_text
    from gateway.config.model import ConfigError, load
    from gateway.store.engine import make_engine

    try:
        config = load(args.config)
    except ConfigError as e:
        print(f"carrier-gateway cluster: {e}", file=sys.stderr)
        return 2
    engine = make_engine(config.store.url)
    try:
        with engine.connect() as conn:
            status = cluster_status(conn, datetime.now(timezone.utc), config.cluster.lease_timeout)
    except SQLAlchemyError as e:
        detail = " ".join(str(getattr(e, "orig", None) or e).split())
        print(f"carrier-gateway cluster: cannot read the store: {detail}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    sys.stdout.write(json.dumps(status) + "\n" if args.json else render_text(status))
    return 0
