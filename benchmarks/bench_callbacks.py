"""Callback benchmark: status callbacks/s from the outbox to a fast receiver.

    python benchmarks/bench_callbacks.py                          # SQLite, 20,000 callbacks, 5,000 messages
    python benchmarks/bench_callbacks.py --db postgresql          # PostgreSQL (a fresh schema)
    python benchmarks/bench_callbacks.py --count 60000 --messages 20000 --backlog 100000 --json

What is measured: N callbacks for M messages (N/M per message, in order) are
put in the outbox in bulk before the clock starts, beside ``--backlog``
rows that must not go yet: other messages' callbacks waiting for a retry,
each holding back two more of its message that are due.
Then the daemon's real callback sender (store writer with group commit,
the guarded HTTP agent with its connection pool) sends them all to a
receiver in its own process: a minimal Twisted protocol answering every
request with 204 (not ``http.server``).  The clock stops when no due row is
left pending.  Printed: callbacks/s, and CPU per callback of the sender's
process (all threads but the store's writer thread) and of the writer thread.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_e2e import cpu_seconds, thread_cpu  # noqa: E402
from scratch_db import database_url  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, default=20000, help="callbacks (default 20000)")
    p.add_argument("--messages", type=int, default=5000, help="messages they belong to (default 5000)")
    p.add_argument("--backlog", type=int, default=0, help="rows held back in the outbox (a third wait for a retry)")
    p.add_argument("--db", default="sqlite", help='"sqlite", "postgresql" or an SQLAlchemy URL')
    p.add_argument("--concurrency", type=int, default=None, help="[callbacks] concurrency")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p.parse_args(argv)


def receiver(conn) -> None:
    """A keep-alive HTTP/1.1 server that answers every request 204."""
    from twisted.internet import protocol, reactor

    class Answer(protocol.Protocol):
        def connectionMade(self):
            self.buffer = b""

        def dataReceived(self, data):
            self.buffer += data
            while True:
                head, sep, rest = self.buffer.partition(b"\r\n\r\n")
                if not sep:
                    return
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                if len(rest) < length:
                    return
                self.buffer = rest[length:]
                self.transport.write(b"HTTP/1.1 204 No Content\r\n\r\n")

    factory = protocol.Factory.forProtocol(Answer)
    port = reactor.listenTCP(0, factory, interface="127.0.0.1", backlog=1024)
    conn.send(port.getHost().port)
    reactor.run()


def fill_outbox(url: str, count: int, messages: int, backlog: int, target: str) -> None:
    from sqlalchemy import insert

    from gateway.store import migrate
    from gateway.store import schema as s
    from gateway.store.engine import make_engine

    migrate.upgrade(url)
    engine = make_engine(url, writer=True)
    now = datetime.now(timezone.utc) - timedelta(seconds=1)
    later = now + timedelta(days=1)
    statuses = ("sending", "sent", "delivered")

    def row(sid, n, due):
        return {"message_sid": sid, "kind": "status", "url": target, "method": "POST",
                "params": [["MessageSid", sid], ["MessageStatus", statuses[n % 3]],
                           ["AccountSid", "AC" + "0" * 32], ["From", "+15005550006"], ["To", "+15551234567"]],
                "state": "pending", "attempts": 0, "next_attempt_at": due, "created_at": now}

    per = max(1, count // messages)
    # The backlog: messages whose first callback waits for a retry (due
    # tomorrow) and holds back two more that are due now.
    rows = [row(f"SMB{i:031d}", n, later if n == 0 else now) for i in range(backlog // 3) for n in range(3)]
    backlog = len(rows)
    rows += [row(f"SM{m:032d}", n, now) for n in range(per) for m in range(messages)][:count]
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(insert(s.callback_outbox), rows[start:start + 5000])
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:  # what a migration leaves; the gateway runs no ANALYZE per batch
            conn.exec_driver_sql("ANALYZE callback_outbox")
    engine.dispose()


def make_sender(store, reactor, config):
    from gateway.callbacks.sender import CallbackSender

    try:
        from gateway.callbacks.request import make_callback_agent
    except ImportError:  # the sender before it had its own agent
        from gateway.mms.client import make_http_client

        return CallbackSender(store, make_http_client(reactor), reactor, config)
    return CallbackSender(store, make_callback_agent(reactor, config), reactor, config)


def run(args, url: str) -> dict:
    from dataclasses import replace

    from twisted.internet import defer, reactor, task

    from gateway.config.model import CallbacksConfig
    from gateway.callbacks.outbox import pending_callbacks
    from gateway.store.store import Store

    spawn = multiprocessing.get_context("spawn")  # not a fork of a process holding a reactor
    parent, child = spawn.Pipe()
    proc = spawn.Process(target=receiver, args=(child,), daemon=True)
    proc.start()
    port = parent.recv()
    fill_outbox(url, args.count, args.messages, args.backlog, f"http://127.0.0.1:{port}/status")
    config = CallbacksConfig()
    if hasattr(config, "allow_hosts"):
        config = replace(config, allow_hosts=("127.0.0.1",))
    if args.concurrency:
        config = replace(config, concurrency=args.concurrency)
    result: dict = {}

    async def main():
        store = Store(url, reactor)
        await store.start()
        sender = make_sender(store, reactor, config)
        started, cpu0 = time.perf_counter(), time.process_time()
        writer0 = thread_cpu().get("store-writer", 0.0)
        receiver0 = cpu_seconds(proc.pid)
        sender.startService()
        while True:
            left = await store.read(pending_callbacks)
            if left <= args.backlog // 3 * 3:
                break
            await task.deferLater(reactor, 0.05, lambda: None)
        elapsed = time.perf_counter() - started
        writer_cpu = thread_cpu().get("store-writer", 0.0) - writer0
        cpu = time.process_time() - cpu0 - writer_cpu
        await defer.maybeDeferred(sender.stopService)
        await store.stop()
        result.update(
            callbacks=args.count, messages=args.messages, backlog=args.backlog, seconds=round(elapsed, 3),
            callbacks_per_second=round(args.count / elapsed),
            sender_cpu_us_per_callback=round(cpu / args.count * 1e6),
            writer_cpu_us_per_callback=round(writer_cpu / args.count * 1e6),
            receiver_cpu_us_per_callback=round((cpu_seconds(proc.pid) - receiver0) / args.count * 1e6),
            load_average=round(os.getloadavg()[0], 2))

    def go():
        d = defer.ensureDeferred(main())
        d.addErrback(lambda f: (f.printTraceback(), result.update(error=str(f.value))))
        d.addBoth(lambda _: reactor.stop())

    reactor.callWhenRunning(go)
    reactor.run()
    proc.kill()
    return result


def main(argv=None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory() as workdir:
        url, drop = database_url(args.db, workdir, "bench.db")
        try:
            result = run(args, url)
        finally:
            if drop is not None:
                drop()
    result["db"] = "sqlite" if args.db == "sqlite" else "postgresql"
    if args.json:
        print(json.dumps(result))
    else:
        print(f"callbacks: {result.get('callbacks')} for {result.get('messages')} messages "
              f"({result.get('db')}, backlog {result.get('backlog')} rows held back)")
        print(f"  {result.get('callbacks_per_second')} callbacks/s in {result.get('seconds')} s")
        print(f"  CPU per callback: sender {result.get('sender_cpu_us_per_callback')} us, store writer "
              f"{result.get('writer_cpu_us_per_callback')} us, receiver "
              f"{result.get('receiver_cpu_us_per_callback')} us (load average {result.get('load_average')})")
    return 0 if "error" not in result else 1


if __name__ == "__main__":
    sys.exit(main())
