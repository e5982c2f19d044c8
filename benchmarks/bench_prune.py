"""Retention benchmark: how fast pruning deletes, and what it does to intake.

    python benchmarks/bench_prune.py                      # 300,000 messages (~2.75 M rows)
    python benchmarks/bench_prune.py --reuse              # the database of the last run
    python benchmarks/bench_prune.py --messages 1000000   # a bigger store
    python benchmarks/bench_prune.py --writer thread

A SQLite store (under ``--workdir``) is seeded with ``--messages`` messages,
each as the pipeline leaves it: one segment, its match keys, three status
events, two done callbacks (~11 rows a message); ``--old`` of them (80%)
are final and older than the retention period.  Then, on a Store with the
daemon's writer (``--writer``, process by default), in alternating windows
of ``--window`` seconds:

* intake alone: ``--concurrency`` writers insert messages back to back
  (the API's write per POST), counted per second, with write latency;
* intake while the daemon's Pruner runs (its batches, pauses and duty
  cycle: ``--batch``, ``--pause``, ``--duty``, ``--target``), counted
  alike, and the rows the Pruner deleted per second.

for ``--rounds`` pairs of windows or until the run is done; then one
window of pruning alone at full speed (no pause, no duty limit).

Prints the seed size, each window's figures and the medians.  Figures vary
with the machine and its load: compare runs on the same machine.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from statistics import median

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ACCOUNTS = ["AC" + c * 32 for c in "0123456789"]
CHUNK = 5000


def seed(url: str, n: int, old_share: float) -> int:
    """Insert n messages with their rows; returns the number of rows."""
    from sqlalchemy import insert

    from gateway import correlation
    from gateway.store import migrate
    from gateway.store import schema as s
    from gateway.store.engine import make_engine
    from gateway.store.timeutil import utcnow

    migrate.upgrade(url)
    engine = make_engine(url, writer=True)
    now = utcnow()
    rows = 0
    segment_id = 0
    with engine.connect() as conn:
        for start in range(0, n, CHUNK):
            msgs, segs, keys, events, callbacks = [], [], [], [], []
            for i in range(start, min(n, start + CHUNK)):
                old = (i % 100) < old_share * 100
                created = now - timedelta(days=60 if old else 1, seconds=n - i)
                sid = "SM" + uuid.uuid4().hex
                account = ACCOUNTS[i % len(ACCOUNTS)]
                msgs.append({"sid": sid, "account_sid": account, "api": "messages",
                             "direction": "outbound-api", "channel": "sms", "from_": "+15550001111",
                             "to": f"+1555{i % 10_000_000:07d}", "body": "hello " * 10,
                             "status": "delivered" if old or i % 3 else "sent", "num_segments": 1,
                             "num_media": 0, "media_list": [], "attempts": 1,
                             "incomplete": False, "date_created": created, "date_updated": created,
                             "date_sent": created})
                segment_id += 1
                message_id = f"{i:08x}"
                segs.append({"id": segment_id, "message_sid": sid, "seqno": 1, "total": 1,
                             "carrier": "a", "bind": "a-1", "smsc_message_id": message_id,
                             "status": "delivered", "submitted_at": created, "receipt_at": created})
                keys += [{"key": key, "segment_id": segment_id, "account_sid": account}
                         for key in correlation.match_keys(message_id)]
                events += [{"message_sid": sid, "status": st, "created_at": created}
                           for st in ("sending", "sent", "delivered")]
                callbacks += [{"message_sid": sid, "kind": "status", "url": "http://127.0.0.1:9/cb",
                               "method": "POST", "params": [["MessageStatus", st]], "state": "done",
                               "attempts": 1, "next_attempt_at": created, "created_at": created}
                              for st in ("sent", "delivered")]
            with conn.begin():
                for table, batch in ((s.messages, msgs), (s.segments, segs), (s.segment_ids, keys),
                                     (s.status_events, events), (s.callback_outbox, callbacks)):
                    conn.execute(insert(table), batch)
                    rows += len(batch)
            print(f"\rseeded {min(n, start + CHUNK):,} messages ({rows:,} rows)", end="", flush=True)
    print()
    engine.dispose()
    return rows


def count_rows(url: str) -> int:
    from sqlalchemy import func, select

    from gateway.store import schema as s
    from gateway.store.engine import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        n = sum(conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (s.messages, s.segments, s.segment_ids, s.status_events, s.callback_outbox))
    engine.dispose()
    return n


def message_row() -> dict:
    from gateway.store.timeutil import utcnow

    now = utcnow()
    return {"sid": "SM" + uuid.uuid4().hex, "account_sid": ACCOUNTS[0], "api": "messages",
            "direction": "outbound-api", "channel": "sms", "from_": "+15550001111",
            "to": "+15550002222", "body": "hello", "status": "queued", "num_segments": 1,
            "media_list": [], "status_callback": None, "status_callback_method": None,
            "date_created": now, "expires_at": now + timedelta(hours=4)}


async def intake(store, seconds: float, concurrency: int) -> tuple[float, float, float]:
    """Writes per second, p50 and p99 latency (ms) over ``seconds``."""
    import asyncio

    from twisted.internet.defer import Deferred

    from gateway.store.messages import insert_message

    latencies: list[float] = []
    end = time.monotonic() + seconds

    async def worker():
        while time.monotonic() < end:
            t0 = time.monotonic()
            await Deferred.asFuture(store.write(insert_message, message_row()), asyncio.get_event_loop())
            latencies.append(time.monotonic() - t0)

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.monotonic() - started
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    return len(latencies) / elapsed, pick(0.5), pick(0.99)


async def prune_for(pruner, seconds: float, run: dict) -> float:
    """The daemon's Pruner, batch after batch (with its pauses), for ``seconds``; rows/s."""
    import asyncio

    from twisted.internet.defer import Deferred

    loop = asyncio.get_event_loop()
    end = time.monotonic() + seconds
    started, rows = time.monotonic(), run["rows"]
    while time.monotonic() < end and not run["done"]:
        await Deferred.asFuture(pruner.step(run), loop)
    return (run["rows"] - rows) / (time.monotonic() - started)


async def run(args) -> None:
    import asyncio

    from twisted.internet import reactor
    from twisted.internet.defer import Deferred

    from gateway.store.retention import Pruner
    from gateway.store.store import Store

    path = os.path.join(args.workdir, "prune.db")
    url = f"sqlite:///{path}"
    if args.reuse and os.path.exists(path):
        print(f"reusing {path}: {count_rows(url):,} rows; file {os.path.getsize(path) / 2**20:,.0f} MB")
    else:
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.unlink(path + suffix)
        t0 = time.monotonic()
        rows = seed(url, args.messages, args.old)
        print(f"seed: {args.messages:,} messages, {rows:,} rows in {time.monotonic() - t0:.0f}s; "
              f"file {os.path.getsize(path) / 2**20:,.0f} MB")
    loop = asyncio.get_event_loop()
    store = Store(url, reactor, writer=args.writer)
    await Deferred.asFuture(store.start(), loop)
    pruner = Pruner(store, reactor, 30, batch=args.batch, pause=args.pause, duty=args.duty,
                    target=args.target)
    state = pruner.new_run()
    alone, beside, rates = [], [], []
    try:
        for _ in range(args.rounds):
            if state["done"]:
                break
            rate, p50, p99 = await intake(store, args.window, args.concurrency)
            alone.append(rate)
            print(f"intake alone          {rate:7,.0f} writes/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms")
            pruning = asyncio.ensure_future(prune_for(pruner, args.window, state))
            rate, p50, p99 = await intake(store, args.window, args.concurrency)
            deleted = await pruning
            beside.append(rate)
            rates.append(deleted)
            print(f"intake while pruning  {rate:7,.0f} writes/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms"
                  f"   pruned {deleted:7,.0f} rows/s")
        fast = Pruner(store, reactor, 0.5, batch=args.batch, pause=0, duty=1.0, target=10)
        fast.size = args.batch
        solo = await prune_for(fast, args.window, fast.new_run())
        print(f"prune alone at full speed, batches of {args.batch}: {solo:,.0f} rows/s")
    finally:
        await Deferred.asFuture(store.stop(), loop)
    print(f"pruned beside intake: {state['messages']:,} messages, {state['rows']:,} rows; "
          f"median {median(rates):,.0f} rows/s (the Pruner's batch size ended at {pruner.size})")
    print(f"median intake alone {median(alone):,.0f} writes/s; while pruning {median(beside):,.0f} writes/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300_000)
    parser.add_argument("--old", type=float, default=0.8, help="share of old final messages")
    parser.add_argument("--writer", choices=("process", "thread"), default="process")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--pause", type=float, default=0.01)
    parser.add_argument("--duty", type=float, default=0.25, help="the Pruner's share of the writer")
    parser.add_argument("--target", type=float, default=0.05, help="seconds a batch should take")
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--workdir", default=tempfile.gettempdir())
    parser.add_argument("--reuse", action="store_true", help="keep the database of the last run")
    args = parser.parse_args()

    from twisted.internet import asyncioreactor

    asyncioreactor.install()
    from twisted.internet import defer, task

    task.react(lambda _reactor: defer.Deferred.fromFuture(__import__("asyncio").ensure_future(run(args))))


if __name__ == "__main__":
    main()
