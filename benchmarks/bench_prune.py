"""Retention benchmark: pruning a store of millions of messages while intake goes on.

    python benchmarks/bench_prune.py                          # 2,000,000 messages, intake 500 msg/s
    python benchmarks/bench_prune.py --reuse                  # the database of the last run
    python benchmarks/bench_prune.py --messages 300000 --rate 0 --concurrency 64   # saturated intake
    python benchmarks/bench_prune.py --url postgresql+psycopg://postgres@127.0.0.1/prune_bench

The store (a SQLite file under ``--workdir``, or the empty PostgreSQL
database of ``--url``) is seeded with ``--messages`` messages as the
pipeline leaves them (``prune_seed.py``: 9 rows each, made by the database
with bulk ``INSERT ... SELECT`` through the real schema); ``--old`` of them
(80%) are final and ``--old-days`` (60) old, so the Pruner deletes them.

Then, on a Store as the daemon has it (one writer thread), intake inserts messages with the API's write (``insert_message``,
one store write per POST) at ``--rate`` messages a second (``--rate 0``:
``--concurrency`` writers back to back, as fast as the writer goes), in
``--rounds`` pairs of ``--window``-second windows, alternating (the machine's
load drifts, so neighbouring windows are what compares):

1. intake alone;
2. intake while the daemon's Pruner runs (its batch sizing, pauses and
   duty limit: ``--batch``, ``--pause``, ``--duty``, ``--target``), going on
   from where its run stopped in the previous window.

Each window prints intake msg/s asked and achieved and the commit latency
of its writes (p50, p99, max), the Pruner's messages and rows deleted and
rows/s, and the WAL (SQLite: the largest seen and at the end; PostgreSQL:
WAL bytes written so far).  Before and after: the store's size (SQLite:
the file and its free pages, space a prune gives back for reuse by new
rows, not to the file system; PostgreSQL: the database).  Last, the
medians.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from statistics import median

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

ACCOUNT = "AC0" + "0" * 31  # one of the seeded accounts
MB = 2 ** 20


def message_row() -> dict:
    from gateway.store.timeutil import utcnow

    now = utcnow()
    return {"sid": "SM" + uuid.uuid4().hex, "account_sid": ACCOUNT, "api": "messages",
            "direction": "outbound-api", "channel": "sms", "from_": "+15550001111",
            "to": "+15550002222", "body": "Your code is 123456. It expires in 10 minutes.",
            "status": "queued", "num_segments": 1, "media_list": [],
            "status_callback": "https://hooks.example.com/status", "status_callback_method": "POST",
            "date_created": now, "expires_at": now + timedelta(hours=4)}


def _pick(latencies: list[float], q: float) -> float:
    """The q-quantile in ms."""
    latencies = sorted(latencies) or [float("nan")]
    return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000


def percentiles(latencies: list[float]) -> str:
    return (f"p50 {_pick(latencies, 0.5):6.1f} ms  p99 {_pick(latencies, 0.99):6.1f} ms  "
            f"max {_pick(latencies, 1.0):6.0f} ms")


async def intake(store, rate: float, concurrency: int, seconds: float, stop) -> tuple[float, list[float]]:
    """Insert messages for ``seconds`` (or until ``stop()``), at ``rate`` a second
    (0: ``concurrency`` writers back to back).  Returns (achieved msg/s, latencies)."""
    from twisted.internet.defer import Deferred, DeferredList

    from gateway.messages.store import insert_message

    loop = asyncio.get_event_loop()
    latencies: list[float] = []
    started = time.monotonic()
    end = started + seconds

    def write():
        t0 = time.monotonic()
        d = store.write(insert_message, message_row())
        d.addCallback(lambda _: latencies.append(time.monotonic() - t0))
        return d

    if rate:
        issued, outstanding = 0, []
        while time.monotonic() < end and not stop():
            while issued < int((time.monotonic() - started) * rate):
                outstanding.append(write())
                issued += 1
            await asyncio.sleep(0.002)
        elapsed = time.monotonic() - started
        done = len(latencies)  # committed within the phase
        await Deferred.asFuture(DeferredList(outstanding, fireOnOneErrback=True), loop)
        return done / elapsed, latencies

    async def worker():
        while time.monotonic() < end and not stop():
            await Deferred.asFuture(write(), loop)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(latencies) / (time.monotonic() - started), latencies


async def prune(pruner, seconds: float, run: dict) -> float:
    """The daemon's Pruner, batch after batch with its pauses, for ``seconds``
    or until the run is done; returns the seconds it ran."""
    from twisted.internet.defer import Deferred

    loop = asyncio.get_event_loop()
    started = time.monotonic()
    while time.monotonic() < started + seconds and not run["done"]:
        await Deferred.asFuture(pruner.step(run), loop)
    return time.monotonic() - started


async def phase(name: str, store, sizes, args, pruner=None, state=None) -> None:
    """One intake phase (with the Pruner beside it if given); prints its figures."""
    seconds = args.window
    wal = [sizes.wal()]
    sampling = True

    async def sample():
        while sampling:
            wal.append(sizes.wal())
            await asyncio.sleep(0.25)

    sampler = asyncio.ensure_future(sample())
    before = dict(state) if state else None
    pruning = asyncio.ensure_future(prune(pruner, seconds, state)) if pruner else None
    stop = (lambda: pruning.done()) if pruning else (lambda: False)
    achieved, latencies = await intake(store, args.rate, args.concurrency, seconds, stop)
    took = await pruning if pruning else None
    sampling = False
    await sampler
    asked = f"{args.rate:,.0f}" if args.rate else f"as fast as {args.concurrency} writers go"
    print(f"{name:7} intake asked {asked} msg/s, achieved {achieved:7,.0f} msg/s  {percentiles(latencies)}"
          f"  (load average {os.getloadavg()[0]:.1f})", flush=True)
    if pruner:
        messages, rows = state["messages"] - before["messages"], state["rows"] - before["rows"]
        print(f"        pruned {messages:,} messages, {rows:,} rows in {took:,.1f} s: "
              f"{rows / took:,.0f} rows/s ({messages / took:,.0f} messages/s); "
              f"run done: {state['done']}; last batch size {pruner.size}")
    if sizes.path:
        print(f"        WAL: largest {max(wal) / MB:,.1f} MB, at the end {wal[-1] / MB:,.1f} MB")
    else:
        print(f"        WAL written in the window: {(wal[-1] - wal[0]) / MB:,.1f} MB")
    result = {"achieved": achieved, "p50": _pick(latencies, 0.5), "p99": _pick(latencies, 0.99)}
    if pruner:
        result.update({"rows/s": rows / took, "messages/s": messages / took})
    return result


async def run(args) -> None:
    from twisted.internet import reactor
    from twisted.internet.defer import Deferred

    from bench_prune_sizes import Sizes
    from gateway.store.retention import Pruner
    from gateway.store.store import Store

    url = args.url or f"sqlite:///{os.path.join(args.workdir, 'prune.db')}"
    sizes = Sizes(url)
    if not args.reuse:
        import prune_seed

        sizes.drop_sqlite_files()
        t0 = time.monotonic()
        rows = prune_seed.seed(url, args.messages, args.old, args.old_days,
                               progress=lambda m: print("\r" + m, end="", flush=True))
        print(f"\nseed: {args.messages:,} messages, {rows:,} rows in {time.monotonic() - t0:,.0f} s")
    print(f"store before: {sizes.describe()}")
    loop = asyncio.get_event_loop()
    store = Store(url, reactor)
    await Deferred.asFuture(store.start(), loop)
    pruner = Pruner(store, reactor, 30, batch=args.batch, pause=args.pause, duty=args.duty,
                    target=args.target)
    state = pruner.new_run()
    alone, beside = [], []
    try:
        for _ in range(args.rounds):
            if state["done"]:
                break
            alone.append(await phase("alone", store, sizes, args))
            beside.append(await phase("pruning", store, sizes, args, pruner, state))
    finally:
        await Deferred.asFuture(store.stop(), loop)
    print(f"store after: {sizes.describe()}")
    print(f"medians over {len(alone)} rounds: intake alone {_medians(alone)}; beside the Pruner "
          f"{_medians(beside)}; pruned {median(r['rows/s'] for r in beside):,.0f} rows/s "
          f"({median(r['messages/s'] for r in beside):,.0f} messages/s); "
          f"in all {state['messages']:,} messages, {state['rows']:,} rows")


def _medians(results: list[dict]) -> str:
    figure = lambda name: median(r[name] for r in results)  # noqa: E731
    return f"{figure('achieved'):,.0f} msg/s, p50 {figure('p50'):,.1f} ms, p99 {figure('p99'):,.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2_000_000)
    parser.add_argument("--old", type=float, default=0.8, help="share of old final messages")
    parser.add_argument("--old-days", type=float, default=60)
    parser.add_argument("--url", help="a PostgreSQL database (empty unless --reuse); default SQLite")
    parser.add_argument("--rate", type=float, default=500, help="intake msg/s; 0: as fast as it goes")
    parser.add_argument("--concurrency", type=int, default=64, help="writers when --rate 0")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--pause", type=float, default=0.01)
    parser.add_argument("--duty", type=float, default=0.25, help="the Pruner's share of the writer")
    parser.add_argument("--target", type=float, default=0.05, help="seconds a batch should take")
    parser.add_argument("--window", type=float, default=30.0, help="seconds of each window")
    parser.add_argument("--rounds", type=int, default=5, help="pairs of windows, alone and beside the Pruner")
    parser.add_argument("--workdir", default=tempfile.gettempdir())
    parser.add_argument("--reuse", action="store_true", help="keep the database of the last run")
    args = parser.parse_args()

    from twisted.internet import asyncioreactor

    asyncioreactor.install()
    from twisted.internet import defer, task

    task.react(lambda _reactor: defer.Deferred.fromFuture(asyncio.ensure_future(run(args))))


if __name__ == "__main__":
    main()
