"""``bench_e2e.py`` without ``--nodes``: the daemon's service tree in this process.

The tree is built from the daemon's own config (``config_text``) and
started; once every bind is up the clock starts and the dispatcher is woken
to send the messages already queued.  Every 0.1 s the run checks its
progress: the deliver handler's receipt counts, then (once every receipt has
come back) the store.  It ends when no message is left queued, sending or
sent, or after 20 s without progress (``"error": "stalled"``).  What it
spent is metered from the clock's start (``_Meter``).
"""
from __future__ import annotations

import os
import sys
import time

from cpu_meter import cpu_seconds, postgres_backends, thread_cpu


def config_text(url: str, port: int, args, *, binds: int | None = None, node_id: str | None = None) -> str:
    """The daemon's config for a run: one simulator carrier of ``binds``
    binds (``args.binds`` by default).  With ``node_id``: a cluster node's
    (``e2e_nodes``), which the commits' NOTIFY wakes instead of a fast poll."""
    binds = args.binds if binds is None else binds
    cluster = (f'[cluster]\nnode_id = "{node_id}"\nheartbeat = 1.0\nlease_timeout = 10.0\n'
               if node_id is not None else "")
    poll = "" if node_id is not None else "poll_interval = 0.05\n"
    return f"""
[api]
listen = "127.0.0.1:0"
[store]
url = "{url}"
{cluster}[pipeline]
{poll}batch_size = {args.batch}
max_in_flight = {max(args.batch * 2, args.window * binds * 4)}
[[accounts]]
sid = "{args.account}"
auth_token = "bench"
[[carriers]]
name = "sim"
host = "127.0.0.1"
port = {port}
system_id = "bench"
password = "bench"
binds = {binds}
window = {args.window}
routes = ["+"]
registered_delivery = true
"""


def _statuses(conn) -> dict:
    from sqlalchemy import func, select

    from gateway.store import schema as s

    rows = conn.execute(select(s.messages.c.status, func.count()).group_by(s.messages.c.status))
    return dict(rows.all())


def _unfinished(conn, account: str) -> int:
    # Progress probe: (account_sid, status) index ranges that shrink as
    # messages finish, so the probe itself costs the gateway little.
    from sqlalchemy import func, select

    from gateway.store import schema as s

    return conn.execute(select(func.count()).select_from(s.messages).where(
        s.messages.c.account_sid == account,
        s.messages.c.status.in_([s.QUEUED, s.SENDING, s.SENT]))).scalar_one()


class _Meter:
    """What the run spends from its start: wall time, this process's CPU (in
    all and by thread), the simulator's and the database backends'."""

    def __init__(self, url: str, sim_pid: int) -> None:
        self.started = time.perf_counter()
        self.cpu_started = time.process_time()
        self.threads_started, self.sim_started = thread_cpu(), cpu_seconds(sim_pid)
        self.backends = postgres_backends(url)
        self.sim_pid = sim_pid

    def sample(self) -> None:
        if self.backends is not None:
            self.backends.sample()

    def spent(self, count: int, result: dict) -> tuple[float, float, dict, float]:
        """(elapsed, CPU, by thread in us per message, simulator CPU); the
        backends' share goes in ``result``."""
        elapsed = time.perf_counter() - self.started
        cpu = time.process_time() - self.cpu_started
        threads = {name: round((spent - self.threads_started.get(name, 0.0)) / count * 1e6)
                   for name, spent in thread_cpu().items()}
        sim_cpu = cpu_seconds(self.sim_pid) - self.sim_started
        if self.backends is not None:
            result["postgres_cpu_us_per_message"] = round(self.backends.cpu() / count * 1e6)
            self.backends.engine.dispose()
        return elapsed, cpu, threads, sim_cpu


async def _bound(reactor, carrier) -> None:
    from twisted.internet import task

    while carrier.bound_count < len(carrier.binds):
        await task.deferLater(reactor, 0.01, lambda: None)


async def _until_delivered(reactor, tree, args, meter: _Meter, result: dict) -> float | None:
    """Wait until every message is delivered (or 20 s pass without progress:
    ``result["error"]``); returns the seconds until all were sent."""
    from twisted.internet import task

    store, dispatcher = tree.parts.store, tree.parts.dispatcher
    receipts = tree.parts.deliver.stats  # counted after each receipt batch's commit
    sent_at = None
    progress, last_change = None, time.monotonic()
    while True:
        await task.deferLater(reactor, 0.1, lambda: None)
        meter.sample()
        if sent_at is None and dispatcher.stats["sent"] >= args.count:
            sent_at = time.perf_counter() - meter.started
        # The store is asked only once every receipt has come back, so the
        # probe costs the database nothing while the messages flow.
        left = (await store.read(_unfinished, args.account)
                if receipts["receipts_applied"] + receipts["receipts_waiting"] >= args.count
                else args.count - receipts["receipts_applied"] + 1)
        if left == 0:
            return sent_at
        if left != progress:
            progress, last_change = left, time.monotonic()
        elif time.monotonic() - last_change > 20:
            counts = await store.read(_statuses)
            print(f"no progress for 20 s: {counts} {dispatcher.stats} "
                  f"{tree.parts.deliver.stats}", file=sys.stderr)
            result["error"] = "stalled"
            return sent_at


async def _send_all(reactor, cfg, url: str, args, sim_pid: int, result: dict) -> None:
    from gateway.daemon import gctune
    from gateway.daemon.root import build

    tree = build(cfg, reactor, environ={})
    store = tree.parts.store
    await tree.start()
    gctune.settle()  # as the daemon does once its tree is up
    await _bound(reactor, tree.parts.carriers["sim"])
    meter = _Meter(url, sim_pid)
    tree.parts.dispatcher.wake()
    sent_at = await _until_delivered(reactor, tree, args, meter, result)
    elapsed, cpu, threads, sim_cpu = meter.spent(args.count, result)
    counts = await store.read(_statuses)
    if "error" not in result:
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


def run_gateway(url: str, port: int, args, sim_pid: int) -> dict:
    """The daemon's service tree in this process, until every message is delivered."""
    from twisted.internet import defer, reactor

    from gateway.config import model as config

    cfg = config.loads(config_text(url, port, args), source="bench")
    result: dict = {}

    def go():
        d = defer.ensureDeferred(_send_all(reactor, cfg, url, args, sim_pid, result))
        d.addErrback(lambda f: (f.printTraceback(), result.setdefault("error", str(f.value))))
        d.addBoth(lambda _: reactor.stop())

    reactor.callWhenRunning(go)
    reactor.run()
    return result
