"""``bench_e2e.py --nodes N``: N real daemons on one PostgreSQL database.

What is measured: N ``carrier-gateway run`` processes share one database
(a fresh schema) and one SMSC simulator process; the carrier has ``binds``
binds for the whole cluster (at least N, so every node holds one).  Once the
bind slots are balanced (every node holds its share, the simulator has them
all), the clock starts and the messages are accepted into the store in
transactions of 1,000, as the API's group commit writes them; the commits'
NOTIFY wakes the nodes.  The clock stops when every message is `delivered`
(its receipt applied).  Printed: the aggregate msg/s from accepted to
delivered, each node's share of the messages, and each node's CPU per
message it sent (the daemon with all its threads).
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

from e2e_tree import config_text

CHUNK = 1000  # messages per accepting transaction
READY_TIMEOUT = 60.0
STALL = 30.0


def stop_nodes(procs: list[subprocess.Popen]) -> None:
    """SIGTERM (drain), then SIGKILL for a node that does not stop in 30 s
    (a node left running could go on holding row locks, and the schema
    could not be dropped)."""
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def start_nodes(url: str, port: int, args, workdir: str, binds: int) -> list[subprocess.Popen]:
    nodes = []
    for i in range(args.nodes):
        path = os.path.join(workdir, f"node-{i + 1}.toml")
        with open(path, "w") as f:
            f.write(config_text(url, port, args, binds=binds, node_id=f"bench-{i + 1}"))
        log = open(os.path.join(workdir, f"node-{i + 1}.log"), "w")
        nodes.append(subprocess.Popen([sys.executable, "-m", "gateway", "run", "--config", path],
                                      stdout=log, stderr=subprocess.STDOUT))
    return nodes


def wait_balanced(engine, nodes: int, binds: int, procs) -> dict[str, int]:
    """Every node live and holding its share of the slots (its heartbeat says)."""
    from sqlalchemy import select

    from gateway.store import schema as s

    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            raise SystemExit("a node exited during start (see its log)")
        with engine.connect() as conn:
            held = dict(conn.execute(select(s.nodes.c.node_id, s.nodes.c.binds)
                                     .where(s.nodes.c.state == "live")).all())
        if len(held) == nodes and sum(held.values()) == binds and min(held.values()) >= 1:
            return held
        time.sleep(0.2)
    raise SystemExit(f"bind slots not balanced over {nodes} nodes in {READY_TIMEOUT} s")


def message_rows(count: int, body: str, account: str):
    from gateway.messages.sids import new_sid

    for i in range(count):
        now = datetime.now(timezone.utc)
        yield {"sid": new_sid("SM", now), "account_sid": account, "api": "messages",
               "direction": "outbound-api", "channel": "sms", "from_": "+15005550006",
               "to": f"+1555{i:07d}", "body": body, "status": "queued", "num_segments": 1,
               "num_media": 0, "media_list": [], "date_created": now, "date_updated": now,
               "next_attempt_at": now, "expires_at": now + timedelta(hours=4), "attempts": 0,
               "incomplete": False}


def accept(engine, args) -> None:
    from sqlalchemy import insert

    from gateway.store import schema as s

    rows = message_rows(args.count, args.body, args.account)
    for _ in range(0, args.count, CHUNK):
        chunk = [row for _, row in zip(range(CHUNK), rows)]
        with engine.begin() as conn:
            conn.execute(insert(s.messages), chunk)
            conn.execute(insert(s.status_events), [
                {"message_sid": r["sid"], "status": "queued", "created_at": r["date_created"]}
                for r in chunk])


def wait_delivered(engine, args) -> tuple[float, dict]:
    from sqlalchemy import func, select

    from gateway.store import schema as s

    m = s.messages
    progress, last_change = None, time.monotonic()
    while True:
        time.sleep(0.1)
        with engine.connect() as conn:
            left = conn.execute(select(func.count()).select_from(m).where(
                m.c.account_sid == args.account, m.c.status.in_([s.QUEUED, s.SENDING, s.SENT]))).scalar_one()
        if left == 0:
            finished = time.perf_counter()
            with engine.connect() as conn:
                by_node = dict(conn.execute(select(m.c.claimed_by, func.count()).group_by(m.c.claimed_by)).all())
            return finished, by_node
        if left != progress:
            progress, last_change = left, time.monotonic()
        elif time.monotonic() - last_change > STALL:
            raise SystemExit(f"no progress for {STALL} s ({left} messages not delivered)")


def run_nodes(url: str, port: int, args, sim_pid: int, cpu_seconds) -> dict:
    from gateway.store import migrate
    from gateway.store.engine import make_engine

    migrate.upgrade(url)
    binds = max(args.binds, args.nodes)
    workdir = tempfile.mkdtemp(prefix="bench-nodes-")
    engine = make_engine(url, pool_size=2)
    procs = start_nodes(url, port, args, workdir, binds)
    try:
        held = wait_balanced(engine, args.nodes, binds, procs)
        cpu_before = [cpu_seconds(p.pid) for p in procs]
        sim_before = cpu_seconds(sim_pid)
        started = time.perf_counter()
        accept(engine, args)
        accepted = time.perf_counter() - started
        finished, by_node = wait_delivered(engine, args)
        elapsed = finished - started
        cpu = [cpu_seconds(p.pid) - before for p, before in zip(procs, cpu_before)]
        sim_cpu = cpu_seconds(sim_pid) - sim_before
    finally:
        stop_nodes(procs)
        engine.dispose()
    nodes = {}
    for i, spent in enumerate(cpu):
        node_id = f"bench-{i + 1}"
        sent = by_node.get(node_id, 0)
        nodes[node_id] = {"binds": held.get(node_id, 0), "messages": sent, "cpu_seconds": round(spent, 3),
                          "cpu_us_per_message": round(spent / sent * 1e6) if sent else None}
    return {"messages": args.count, "nodes": args.nodes, "binds": binds, "seconds": round(elapsed, 3),
            "accepted_after_s": round(accepted, 3), "messages_per_s": round(args.count / elapsed),
            "per_node": nodes, "simulator_cpu_us_per_message": round(sim_cpu / args.count * 1e6),
            "load_average": round(os.getloadavg()[0], 2), "logs": workdir}


def report(result: dict) -> None:
    print(f"end to end (postgresql, {result['nodes']} nodes, {result['binds']} binds in the cluster): "
          f"{result['messages']} messages")
    print(f"  {result['messages_per_s']} msg/s aggregate, accepted -> delivered (receipts applied); "
          f"all accepted after {result['accepted_after_s']} s, all delivered after {result['seconds']} s")
    for node_id, node in result["per_node"].items():
        print(f"  {node_id}: {node['binds']} bind(s), {node['messages']} messages, "
              f"CPU {node['cpu_seconds']} s = {node['cpu_us_per_message']} us per message "
              f"(the daemon, all its threads)")
    print(f"  SMSC simulator {result['simulator_cpu_us_per_message']} us per message; "
          f"load average {result['load_average']} on {os.cpu_count()} cores; node logs in {result['logs']}")
