"""The store writer's memory: what the process holding the store has after N messages.

    python benchmarks/bench_writer_memory.py                       # 150,000 messages
    python benchmarks/bench_writer_memory.py --count 300000 --settings 65536:268435456 16384:0

Each message goes through the store as the daemon's pipeline takes it: an
``insert_message`` job per message (the API's write), a claim of up to 1,000
(``claim_queued``), one ``record_outcomes`` per claim (a part and its match
keys), one ``apply_receipts`` for their DELIVRD receipts.  The writer is
the store's thread in this process, on a fresh SQLite file.  For each setting
``CACHE_KIB:MMAP_BYTES`` of the writer connection (``engine.WriterMemory``),
in alternating order over ``--repeat`` rounds, it prints this process's RSS,
its anonymous and file-backed parts (``/proc/PID/smaps_rollup``) after every
``--every`` messages, and messages per second.  Each setting runs in a
process of its own.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ACCOUNT = "AC" + "0" * 32


def rollup(pid: int) -> dict[str, int]:
    """RSS and its parts, in MB."""
    out = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name in ("Rss", "Anonymous", "Shared_Clean", "Private_Clean", "Private_Dirty"):
                out[name] = int(rest.split()[0]) // 1024
    out["File"] = out["Rss"] - out["Anonymous"]
    return out


def row(now):
    return {"sid": "SM" + uuid.uuid4().hex, "account_sid": ACCOUNT, "api": "messages",
            "direction": "outbound-api", "channel": "sms", "from_": "+15550001111",
            "to": "+15550002222", "body": "hello " * 20, "status": "queued", "num_segments": 1,
            "media_list": [], "status_callback": "http://127.0.0.1:9/cb", "status_callback_method": "POST",
            "date_created": now, "expires_at": now + timedelta(hours=4)}


async def one(memory, count: int, every: int, workdir: str):
    import asyncio

    from twisted.internet import reactor
    from twisted.internet.defer import Deferred, gatherResults

    from gateway.dispatch.store import record_outcomes
    from gateway.sms.receipts.batch import apply_receipts
    from gateway.messages.store import BRIEF_COLUMNS, insert_message
    from gateway.dispatch.claims import claim_queued
    from gateway.store.store import Store
    from gateway.store.timeutil import utcnow
    from protocols.smpp.receipt import Receipt

    loop = asyncio.get_event_loop()
    path = os.path.join(workdir, "memory.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)
    store = Store(f"sqlite:///{path}", reactor, memory=memory)
    await Deferred.asFuture(store.start(), loop)
    done, ids, started, lines = 0, 0, time.monotonic(), []
    try:
        while done < count:
            now = utcnow()
            await Deferred.asFuture(gatherResults(
                [store.write(insert_message, row(now)) for _ in range(1000)]), loop)
            claimed = await Deferred.asFuture(store.write(claim_queued, now, 1000), loop)
            outcomes = []
            for r in claimed:
                ids += 1
                outcomes.append({"kind": "sent", "sid": r["sid"], "account_sid": r["account_sid"],
                                 "carrier": "a", "parts": [(1, 1, "a-1", f"{ids:x}")],
                                 "row": {name: r[name] for name in BRIEF_COLUMNS}})
            await Deferred.asFuture(store.write(record_outcomes, outcomes, now), loop)
            receipts = [("a", "a-1", Receipt(message_id=o["parts"][0][3], stat="DELIVRD", err="000"))
                        for o in outcomes]
            await Deferred.asFuture(store.write(apply_receipts, receipts, now=now), loop)
            done += len(claimed)
            if done % every == 0 or done >= count:
                m = rollup(os.getpid())
                lines.append((done, m))
                print(f"  {done:>8,} messages: RSS {m['Rss']:4} MB = anonymous {m['Anonymous']:4} MB"
                      f" + file {m['File']:4} MB", flush=True)
    finally:
        await Deferred.asFuture(store.stop(), loop)
    return done / (time.monotonic() - started), lines[-1][1]


async def run_one(args):
    """One setting in this process (``--one``): its lines, then a JSON summary."""
    from gateway.store.engine import WriterMemory

    cache, mmap = (int(x) for x in args.one.split(":"))
    rate, last = await one(WriterMemory(cache, mmap), args.count, args.every, args.workdir)
    print(f"  {rate:,.0f} messages/s", flush=True)
    print(json.dumps([rate, last["Rss"], last["Anonymous"]]), flush=True)


def run(args) -> None:
    """Each setting in a fresh process: the writer's memory is its process's,
    and a process keeps what an earlier setting made it take."""
    results: dict[str, list] = {}
    for round_ in range(args.repeat):
        order = args.settings if round_ % 2 == 0 else list(reversed(args.settings))
        for setting in order:
            cache, mmap = (int(x) for x in setting.split(":"))
            print(f"cache {cache // 1024} MB, mmap {mmap // 2**20} MB:", flush=True)
            done = subprocess.run([sys.executable, __file__, "--one", setting, "--count", str(args.count),
                                   "--every", str(args.every), "--workdir", args.workdir],
                                  stdout=subprocess.PIPE, text=True, check=True)
            *lines, summary = done.stdout.splitlines()
            print("\n".join(lines), flush=True)
            results.setdefault(setting, []).append(tuple(json.loads(summary)))
    for setting, runs in results.items():
        cache, mmap = (int(x) for x in setting.split(":"))
        print(f"cache {cache // 1024:3} MB mmap {mmap // 2**20:3} MB: "
              + "; ".join(f"{r:,.0f} msg/s RSS {rss} MB (anon {anon})" for r, rss, anon in runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=150_000)
    parser.add_argument("--every", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--settings", nargs="+", default=["65536:268435456", "16384:0"],
                        help="CACHE_KIB:MMAP_BYTES of the writer connection")
    parser.add_argument("--workdir", default=tempfile.gettempdir())
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.one:
        run(args)
        return

    from twisted.internet import asyncioreactor

    asyncioreactor.install()
    import asyncio

    from twisted.internet import defer, task

    task.react(lambda _r: defer.Deferred.fromFuture(asyncio.ensure_future(run_one(args))))


if __name__ == "__main__":
    main()
