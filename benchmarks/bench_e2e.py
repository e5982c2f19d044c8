"""End-to-end benchmark: messages/s per bind, from the store to `delivered`.

    python benchmarks/bench_e2e.py                         # SQLite, 20,000 messages, 1 bind
    python benchmarks/bench_e2e.py --db postgresql         # PostgreSQL (a fresh schema)
    python benchmarks/bench_e2e.py --count 50000 --binds 2 --window 200 --json
    python benchmarks/bench_e2e.py --db postgresql --nodes 3   # 3 daemons, one database

(``--nodes N``: N ``carrier-gateway run`` processes on one PostgreSQL;
``e2e_nodes.py`` says what that measures.  Without it the tree runs in this
process: ``e2e_tree.py``.)

What is measured: N messages are put in the queue (as the API would, one
``insert_message`` each, in bulk before the clock starts).  Then the
daemon's real service tree (store writer with group commit, dispatcher,
segmentation, SmppCarrier over loopback TCP, deliver handler applying
receipts through the correlation tables) starts against the SMSC
simulator, which runs in its own process (``carrier-gateway simulate
smsc``) and sends a DELIVRD receipt for every submit_sm.  The clock stops
when every message is `delivered` in the store.  Printed: messages/s in
total and per bind, time to `sent` for all, the store's transactions and,
on PostgreSQL, the CPU of the run's database backends per message.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import shutil
import tempfile
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cpu_meter import cpu_seconds, interpreter, thread_cpu  # noqa: E402,F401  (bench_callbacks imports both from here)
from e2e_tree import run_gateway  # noqa: E402
from scratch_db import database_url  # noqa: E402
from smsc_process import start_simulator  # noqa: E402

ACCOUNT = "AC" + "0" * 32


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, default=20000, help="messages (default 20000)")
    p.add_argument("--db", default="sqlite", help='"sqlite", "postgresql" or an SQLAlchemy URL')
    p.add_argument("--binds", type=int, default=1)
    p.add_argument("--window", type=int, default=100)
    p.add_argument("--batch", type=int, default=1000, help="dispatcher claim batch")
    p.add_argument("--body", default="Your code is 123456", help="message body (one segment by default)")
    p.add_argument("--nodes", type=int, default=0,
                   help="run N daemons on one PostgreSQL database (default: one in-process tree)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args(argv)
    args.account = ACCOUNT
    if args.nodes and args.db == "sqlite":
        p.error("--nodes needs PostgreSQL (--db postgresql or a URL)")
    return args


def fill_queue(url: str, count: int, body: str) -> None:
    from sqlalchemy import insert

    from gateway.messages.sids import new_sid  # the API's sids
    from gateway.store import migrate
    from gateway.store import schema as s
    from gateway.store.engine import make_engine

    migrate.upgrade(url)
    engine = make_engine(url, writer=True)
    rows = []
    for i in range(count):
        # Stamped one by one, as the API stamps each message it accepts (its
        # sid carries the same creation time).
        now = datetime.now(timezone.utc)
        rows.append({
            "sid": new_sid("SM", now), "account_sid": ACCOUNT, "api": "messages",
            "direction": "outbound-api", "channel": "sms", "from_": "+15005550006",
            "to": f"+1555{i:07d}", "body": body, "status": "queued", "num_segments": 1,
            "num_media": 0, "media_list": [], "date_created": now, "date_updated": now,
            "next_attempt_at": now, "expires_at": now + timedelta(hours=4), "attempts": 0,
            "incomplete": False,
        })
    with engine.begin() as conn:
        for start in range(0, count, 5000):
            chunk = rows[start:start + 5000]
            conn.execute(insert(s.messages), chunk)
            conn.execute(insert(s.status_events), [
                {"message_sid": r["sid"], "status": "queued", "created_at": r["date_created"]}
                for r in chunk])
    engine.dispose()


def measure(url: str, port: int, args, sim_pid: int) -> dict:
    if args.nodes:
        import e2e_nodes

        return e2e_nodes.run_nodes(url, port, args, sim_pid, cpu_seconds)
    fill_queue(url, args.count, args.body)
    return run_gateway(url, port, args, sim_pid)


def print_human(result: dict, args) -> None:
    print(f"end to end ({result['database']}): {result.get('messages')} messages, "
          f"{args.binds} bind(s), window {args.window}")
    print(f"  {result.get('messages_per_s')} msg/s total, {result.get('messages_per_s_per_bind')} "
          f"msg/s per bind, store -> delivered (receipts applied)")
    print(f"  all sent after {result.get('all_sent_after_s')} s, all final after {result.get('seconds')} s")
    print(f"  gateway CPU {result.get('cpu_seconds')} s = {result.get('cpu_us_per_message')} us per message "
          f"(all threads; load average {result.get('load_average')} on {os.cpu_count()} cores)")
    print(f"  by thread (us per message): {result.get('cpu_us_per_message_by_thread')}; "
          f"SMSC simulator process {result.get('simulator_cpu_us_per_message')} us per message")
    if "postgres_cpu_us_per_message" in result:
        print(f"  PostgreSQL backends {result['postgres_cpu_us_per_message']} us per message")
    print(f"  statuses {result.get('statuses')}; store: {result.get('store_transactions')} "
          f"transactions for {result.get('store_jobs')} jobs")
    print(f"  interpreter {result.get('python')}")


def main(argv=None) -> int:
    args = parse_args(argv)
    workdir = tempfile.mkdtemp(prefix="bench-e2e-")
    url, drop = database_url(args.db, workdir, "bench.db")
    sim, port = start_simulator()
    try:
        result = measure(url, port, args, sim.pid)
    finally:
        sim.terminate()
        sim.wait(10)
        if drop is not None:
            drop()
        shutil.rmtree(workdir, ignore_errors=True)
    result["database"] = "sqlite" if url.startswith("sqlite") else "postgresql"
    result["python"] = interpreter()
    if args.json:
        print(json.dumps(result, sort_keys=True))
    elif args.nodes:
        import e2e_nodes

        e2e_nodes.report(result)
    else:
        print_human(result, args)
    return 0 if "error" not in result else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
