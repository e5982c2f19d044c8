"""PostgreSQL: the database's CPU per message as the stored messages grow, in
one long-lived connection (as the store writer's).

    python benchmarks/bench_plans.py                        # 20,000 messages, in steps of 2,000
    python benchmarks/bench_plans.py --plan-cache-mode auto # the server's default, for comparison
    python benchmarks/bench_plans.py --db postgresql+psycopg://postgres@127.0.0.1:5432/other

What runs: a fresh schema (``db upgrade``: the tables are empty and
analyzed), then one connection of the gateway's engine moves messages one
by one as the writer does: insert, ``sending``, ``sent`` with one part
(its foreign-key check on ``messages``), the receipt's part update and
``delivered``, each transition with its status callback (the outbox's head
triggers), and the callbacks marked done.  Printed for each step: the
messages stored, the backend's CPU and the wall time per message in that
step, and the step's sequential scans of the three tables.

``--plan-cache-mode auto`` runs the same connection with the server's
default: after five executions of a statement it may keep one generic plan
made while the tables were empty, which scans them as they grow.  The
engine sets ``force_custom_plan`` (``gateway.store.engine``).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ACCOUNT = "AC" + "3" * 32
GROUP = 100  # messages per transaction, as the writer's group commits


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", default=PG_URL, help="a PostgreSQL SQLAlchemy URL (a schema is made in it)")
    p.add_argument("--count", type=int, default=20000, help="messages (default 20000)")
    p.add_argument("--step", type=int, default=2000, help="messages per printed step (default 2000)")
    p.add_argument("--plan-cache-mode", default=None, choices=("auto", "force_custom_plan"),
                   help="override the engine's setting for this connection")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p.parse_args(argv)


def backend_cpu(pid: int) -> float:
    """CPU seconds of a server backend so far (Linux /proc, same host)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def seq_scans(conn) -> int:
    return conn.exec_driver_sql(
        "SELECT coalesce(sum(seq_scan), 0) FROM pg_stat_xact_user_tables "
        "WHERE relname IN ('messages', 'segments', 'callback_outbox')").scalar_one()


def move_one(conn, i: int, now: datetime) -> None:
    """One message through its life, as the writer's jobs move it."""
    from sqlalchemy import select

    from gateway.callbacks.outbox import callbacks_done
    from gateway.messages.store import insert_message, transition
    from gateway.store import schema as s

    sid = "SM" + uuid.uuid4().hex
    insert_message(conn, {
        "sid": sid, "account_sid": ACCOUNT, "api": "messages", "direction": "outbound-api",
        "channel": "sms", "from_": "+15005550006", "to": f"+1555{i:07d}", "body": "code 123456",
        "status": "queued", "num_segments": 1, "status_callback": "http://127.0.0.1:9/status",
        "status_callback_method": "POST", "date_created": now})
    transition(conn, sid, s.SENDING, now=now)
    transition(conn, sid, s.SENT, now=now, carrier="sim")
    segment = conn.execute(s.segments.insert().values(
        message_sid=sid, seqno=1, total=1, carrier="sim", smsc_message_id=f"{i:x}")).inserted_primary_key[0]
    conn.execute(s.segments.update().where(s.segments.c.id == segment).values(status="delivered"))
    transition(conn, sid, s.DELIVERED, now=now)
    o = s.callback_outbox
    callbacks_done(conn, conn.execute(select(o.c.id).where(o.c.message_sid == sid)).scalars().all())


def run(args) -> dict:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from gateway.store import migrate
    from gateway.store.engine import make_engine

    schema = f"bench_plans_{uuid.uuid4().hex[:12]}"
    admin = create_engine(args.db)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = make_url(args.db).update_query_dict({"options": f"-csearch_path={schema}"})
    url = url.render_as_string(hide_password=False)
    steps = []
    try:
        migrate.upgrade(url)
        engine = make_engine(url, writer=True)
        with engine.connect() as conn:
            if args.plan_cache_mode:
                conn.exec_driver_sql(f"SET plan_cache_mode = {args.plan_cache_mode}")
                conn.commit()
            mode = conn.exec_driver_sql("SHOW plan_cache_mode").scalar_one()
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            conn.commit()
            now = datetime.now(timezone.utc)
            for start in range(0, args.count, args.step):
                cpu, wall = backend_cpu(pid), time.perf_counter()
                scans = 0
                for group in range(start, min(start + args.step, args.count), GROUP):
                    with conn.begin():
                        before = seq_scans(conn)
                        for i in range(group, min(group + GROUP, start + args.step, args.count)):
                            move_one(conn, i, now + timedelta(microseconds=i))
                        scans += seq_scans(conn) - before
                n = min(start + args.step, args.count) - start
                steps.append({"stored": start + n,
                              "backend_us_per_message": round((backend_cpu(pid) - cpu) / n * 1e6),
                              "wall_us_per_message": round((time.perf_counter() - wall) / n * 1e6),
                              "seq_scans": scans})
                if not args.json:
                    print("{stored:8d} stored  backend {backend_us_per_message:6d} us/msg  "
                          "wall {wall_us_per_message:6d} us/msg  seq scans {seq_scans}".format(**steps[-1]),
                          flush=True)
        engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()
    return {"plan_cache_mode": mode, "count": args.count, "steps": steps,
            "load_average": round(os.getloadavg()[0], 2)}


def main(argv=None) -> int:
    args = parse_args(argv)
    result = run(args)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"plan_cache_mode = {result['plan_cache_mode']}; load average {result['load_average']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
