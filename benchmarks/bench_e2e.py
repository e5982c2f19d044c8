"""End-to-end benchmark: messages/s per bind, from the store to `delivered`.

    python benchmarks/bench_e2e.py                         # SQLite, 20,000 messages, 1 bind
    python benchmarks/bench_e2e.py --db postgresql         # PostgreSQL (a fresh schema)
    python benchmarks/bench_e2e.py --count 50000 --binds 2 --window 200 --json
    python benchmarks/bench_e2e.py --db postgresql --nodes 3   # 3 daemons, one database

(``--nodes N``: N ``carrier-gateway run`` processes on one PostgreSQL;
``e2e_nodes.py`` says what that measures.)

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
import time
import uuid
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cpu_meter import cpu_seconds, postgres_backends, thread_cpu  # noqa: E402  (bench_callbacks imports cpu_seconds from here)
from smsc_process import start_simulator  # noqa: E402

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
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


def database_url(kind: str, workdir: str) -> tuple[str, object]:
    if kind == "sqlite":
        return f"sqlite:///{workdir}/bench.db", None
    url = PG_URL if kind == "postgresql" else kind
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')

    def drop():
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()

    # application_name marks this run's backends (cpu_meter.PostgresBackends)
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}",
                                              "application_name": schema})
    return scoped.render_as_string(hide_password=False), drop


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


def config_text(url: str, port: int, args) -> str:
    return f"""
[api]
listen = "127.0.0.1:0"
[store]
url = "{url}"
[pipeline]
poll_interval = 0.05
batch_size = {args.batch}
max_in_flight = {max(args.batch * 2, args.window * args.binds * 4)}
[[accounts]]
sid = "{ACCOUNT}"
auth_token = "bench"
[[carriers]]
name = "sim"
host = "127.0.0.1"
port = {port}
system_id = "bench"
password = "bench"
binds = {args.binds}
window = {args.window}
routes = ["+"]
registered_delivery = true
"""


def run_gateway(url: str, port: int, args, sim_pid: int) -> dict:
    from sqlalchemy import func, select
    from twisted.internet import defer, reactor, task

    from gateway.config import model as config

    from gateway.daemon import gctune
    from gateway.daemon.root import build
    from gateway.store import schema as s

    cfg = config.loads(config_text(url, port, args), source="bench")
    result: dict = {}

    def count(conn):
        rows = conn.execute(select(s.messages.c.status, func.count()).group_by(s.messages.c.status))
        return dict(rows.all())

    def unfinished(conn):
        # Progress probe: (account_sid, status) index ranges that shrink as
        # messages finish, so the probe itself costs the gateway little.
        return conn.execute(select(func.count()).select_from(s.messages).where(
            s.messages.c.account_sid == ACCOUNT,
            s.messages.c.status.in_([s.QUEUED, s.SENDING, s.SENT]))).scalar_one()

    async def main():
        tree = build(cfg, reactor, environ={})
        store = tree.parts.store
        await tree.start()
        gctune.settle()  # as the daemon does once its tree is up
        carrier = tree.parts.carriers["sim"]
        while carrier.bound_count < len(carrier.binds):
            await task.deferLater(reactor, 0.01, lambda: None)
        started = time.perf_counter()
        cpu_started = time.process_time()
        threads_started, sim_started = thread_cpu(), cpu_seconds(sim_pid)
        backends = postgres_backends(url)
        dispatcher = tree.parts.dispatcher
        receipts = tree.parts.deliver.stats  # counted after each receipt batch's commit
        dispatcher.wake()
        sent_at = None
        progress, last_change = None, time.monotonic()
        while True:
            await task.deferLater(reactor, 0.1, lambda: None)
            if backends is not None:
                backends.sample()
            if sent_at is None and dispatcher.stats["sent"] >= args.count:
                sent_at = time.perf_counter() - started
            # The store is asked only once every receipt has come back, so the
            # probe costs the database nothing while the messages flow.
            left = (await store.read(unfinished)
                    if receipts["receipts_applied"] + receipts["receipts_waiting"] >= args.count
                    else args.count - receipts["receipts_applied"] + 1)
            if left == 0:
                break
            if left != progress:
                progress, last_change = left, time.monotonic()
            elif time.monotonic() - last_change > 20:
                counts = await store.read(count)
                print(f"no progress for 20 s: {counts} {dispatcher.stats} "
                      f"{tree.parts.deliver.stats}", file=sys.stderr)
                result["error"] = "stalled"
                break
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        threads = {name: round((spent - threads_started.get(name, 0.0)) / args.count * 1e6)
                   for name, spent in thread_cpu().items()}
        sim_cpu = cpu_seconds(sim_pid) - sim_started
        if backends is not None:
            result["postgres_cpu_us_per_message"] = round(backends.cpu() / args.count * 1e6)
            backends.engine.dispose()
        counts = await store.read(count)
        if "error" in result:
            await tree.stop()
            return
        result.update(
            messages=args.count, seconds=round(elapsed, 3), statuses=counts,
            messages_per_s=round(args.count / elapsed), binds=args.binds,
            messages_per_s_per_bind=round(args.count / elapsed / args.binds),
            all_sent_after_s=round(sent_at or elapsed, 3),
            cpu_seconds=round(cpu, 3), cpu_us_per_message=round(cpu / args.count * 1e6),
            cpu_us_per_message_by_thread=threads,
            simulator_cpu_us_per_message=round(sim_cpu / args.count * 1e6),
            load_average=round(os.getloadavg()[0], 2),
            store_transactions=store.stats["transactions"], store_jobs=store.stats["jobs"],
            receipts=dict(tree.parts.deliver.stats))
        await tree.stop()

    def go():
        d = defer.ensureDeferred(main())
        d.addErrback(lambda f: (f.printTraceback(), result.setdefault("error", str(f.value))))
        d.addBoth(lambda _: reactor.stop())

    reactor.callWhenRunning(go)
    reactor.run()
    return result


def main(argv=None) -> int:
    args = parse_args(argv)
    workdir = tempfile.mkdtemp(prefix="bench-e2e-")
    url, drop = database_url(args.db, workdir)
    sim, port = start_simulator()
    try:
        if args.nodes:
            import e2e_nodes

            result = e2e_nodes.run_nodes(url, port, args, sim.pid, cpu_seconds)
        else:
            fill_queue(url, args.count, args.body)
            result = run_gateway(url, port, args, sim.pid)
    finally:
        sim.terminate()
        sim.wait(10)
        if drop is not None:
            drop()
        shutil.rmtree(workdir, ignore_errors=True)
    result["database"] = "sqlite" if url.startswith("sqlite") else "postgresql"
    if args.json:
        print(json.dumps(result, sort_keys=True))
    elif args.nodes:
        e2e_nodes.report(result)
    else:
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
    return 0 if "error" not in result else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
