"""The real path: messages POSTed over HTTP and their status callbacks.

    python benchmarks/bench_real.py                          # SQLite, 20,000 messages, 16 clients
    python benchmarks/bench_real.py --db postgresql          # PostgreSQL (a fresh schema)
    python benchmarks/bench_real.py --count 200000 --json    # CPU per message as N grows

What runs, each in its own process, as customers and operators run them:
- the daemon, ``carrier-gateway run --config FILE`` (the production defaults:
  store writer thread, group commit), with one SMPP carrier;
- the SMSC simulator, ``carrier-gateway simulate smsc``, answering at once and
  sending a DELIVRD receipt for every submit_sm;
- a fast callback receiver (this file with ``--receive``, which runs
  ``callback_receiver.py``: an asyncio HTTP/1.1 keep-alive server answering
  204, not ``http.server``), which counts every status callback and the
  final ones;
- this process, with ``--clients`` keep-alive connections each POSTing one
  message after another to the SMS API, form-encoded as the SDKs send them,
  every message with a ``StatusCallback``.

Printed: msg/s from the first POST to the last final callback (the headline),
intake POST/s, callbacks/s, the backlog each second (messages accepted and
not final yet, callbacks due and not received), CPU per message of each
process (daemon with its store writer thread, simulator, receiver) and the
RSS of the daemon at the start, its peak and the end.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from callback_receiver import Watch, receive  # noqa: E402
from cpu_meter import PostgresBackends, cpu_seconds, interpreter, rss_mb  # noqa: E402
import run_stages  # noqa: E402
from scratch_db import database_url  # noqa: E402

ACCOUNT = "AC" + "7" * 32
TOKEN = "bench-real-token"
FROM = "+15005550006"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, default=20000, help="messages (default 20000)")
    p.add_argument("--clients", type=int, default=16, help="keep-alive HTTP clients (default 16)")
    p.add_argument("--db", default="sqlite", help='"sqlite", "postgresql" or an SQLAlchemy URL')
    p.add_argument("--window", type=int, default=100, help="the bind's window (default 100)")
    p.add_argument("--timeout", type=float, default=900.0, help="give up after this many seconds")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--receive", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


# -- processes ----------------------------------------------------------------
def spawn(*argv: str, cwd: str | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=cwd,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def wait_lines(proc: subprocess.Popen, *needles: str) -> list[str]:
    """The first line holding each needle, in any order (the process's own
    start-up bounds the wait: it exits, and its output ends, when it fails)."""
    found: dict[str, str] = {}
    for line in proc.stdout:
        for needle in needles:
            if needle in line and needle not in found:
                found[needle] = line
        if len(found) == len(needles):
            return [found[n] for n in needles]
    proc.kill()
    raise SystemExit(f"{proc.args} ended before printing {set(needles) - set(found)}")


def write_config(path: str, url: str, smsc_port: int, window: int) -> None:
    with open(path, "w") as f:
        f.write(f'[api]\nlisten = "127.0.0.1:0"\n[store]\nurl = "{url}"\n'
                f'[[accounts]]\nsid = "{ACCOUNT}"\nauth_token = "{TOKEN}"\n'
                f'[[numbers]]\nnumber = "{FROM}"\naccount = "{ACCOUNT}"\napi = "sms"\n'
                f'[[carriers]]\nname = "sim"\nprotocol = "smpp"\nhost = "127.0.0.1"\n'
                f'port = {smsc_port}\nsystem_id = "bench"\npassword = "bench"\n'
                f'bind = "transceiver"\nbinds = 1\nwindow = {window}\nmax_tps = 0\n'
                'registered_delivery = true\nroutes = ["+"]\n'
                '[callbacks]\nallow_hosts = ["127.0.0.1"]\n')


# -- the clients --------------------------------------------------------------
def _post(i: int, port: int, receiver_port: int) -> bytes:
    body = urllib.parse.urlencode({
        "To": f"+1415{i % 10_000_000:07d}", "From": FROM, "Body": f"Your code is {i % 1000000:06d}",
        "StatusCallback": f"http://127.0.0.1:{receiver_port}/status"}).encode()
    auth = base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
    return (f"POST /api/2012-04-24/Accounts/{ACCOUNT}/SMS/Messages.json HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\nAuthorization: Basic {auth}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


async def _client(port: int, receiver_port: int, numbers, stats: dict) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for i in numbers:
        writer.write(_post(i, port, receiver_port))
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        await reader.readexactly(length)
        status = head[9:12].decode()
        stats[status] = stats.get(status, 0) + 1
    stats["last_post"] = time.time()
    writer.close()


async def _drive(port: int, receiver_port: int, count: int, clients: int, stats: dict) -> None:
    stats["first_post"] = time.time()
    await asyncio.gather(*(_client(port, receiver_port, range(c, count, clients), stats)
                           for c in range(clients)))


# -- one run --------------------------------------------------------------------
def run(args) -> dict:
    workdir = tempfile.mkdtemp(prefix="bench_real_")
    url, drop = database_url(args.db, workdir)
    args.store_url = url
    procs: list[subprocess.Popen] = []
    try:
        sim = spawn("-m", "gateway", "simulate", "smsc", "--port", "0", "--window", "1000")
        procs.append(sim)
        smsc_port = int(wait_lines(sim, "listening on 127.0.0.1:")[0].rsplit(":", 1)[1].split()[0])
        receiver = spawn(__file__, "--receive")
        procs.append(receiver)
        receiver_port = int(receiver.stdout.readline())
        watch = Watch(receiver)
        config = os.path.join(workdir, "gateway.toml")
        write_config(config, url, smsc_port, args.window)
        if args.db != "sqlite":
            subprocess.run([sys.executable, "-m", "gateway", "db", "upgrade", "--config", config],
                           check=True, capture_output=True)
        daemon = spawn("-m", "gateway", "run", "--config", config, "--listen", "127.0.0.1:0",
                       cwd=workdir)
        procs.append(daemon)
        listening, _ = wait_lines(daemon, "API listening on 127.0.0.1:", "bind sim-1 up")
        port = int(listening.rsplit(":", 1)[1].split()[0])
        threading.Thread(target=lambda: [None for _ in daemon.stdout], daemon=True).start()
        return _measure(args, daemon, sim, receiver, watch, port, receiver_port)
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        if drop is not None:
            drop()
        shutil.rmtree(workdir, ignore_errors=True)


RSS_KINDS = ("daemon", "daemon anon")


def _sample_rss(rss: dict, daemon_pid: int) -> None:
    rss["daemon"].append(rss_mb(daemon_pid))
    rss["daemon anon"].append(rss_mb(daemon_pid, "RssAnon:"))


def _measure(args, daemon, sim, receiver, watch: Watch, port: int, receiver_port: int) -> dict:
    pids = {"daemon": [daemon.pid], "simulator": [sim.pid],
            "receiver": [receiver.pid]}
    backends = PostgresBackends(args.store_url) if args.db != "sqlite" else None
    cpu0 = {k: sum(cpu_seconds(p) for p in v) for k, v in pids.items()}
    if backends is not None:
        backends.sample()
    rss = {name: [] for name in RSS_KINDS}
    _sample_rss(rss, daemon.pid)
    stats: dict = {}
    thread = threading.Thread(target=lambda: asyncio.run(
        _drive(port, receiver_port, args.count, args.clients, stats)), daemon=True)
    thread.start()
    timeline = []
    started = time.time()
    while watch.latest["final"] < args.count and time.time() - started < args.timeout:
        time.sleep(1.0)
        accepted = stats.get("201", 0)
        counts = watch.latest
        timeline.append({"t": round(time.time() - started, 1), "accepted": accepted,
                         "callbacks": counts["callbacks"], "final": counts["final"],
                         "not_final": accepted - counts["final"],
                         "callbacks_due": 2 * accepted - counts["callbacks"]})
        _sample_rss(rss, daemon.pid)
        timeline[-1].update(daemon_cpu_s=round(cpu_seconds(daemon.pid) - cpu0["daemon"], 3),
                            daemon_rss_mb=round(rss["daemon"][-1], 1))
        if backends is not None:
            backends.sample()
        if not args.json:
            print("{t:7.1f} s  accepted {accepted:7d}  final {final:7d}  not final {not_final:6d}  "
                  "callbacks {callbacks:7d}  due {callbacks_due:6d}".format(**timeline[-1]),
                  file=sys.stderr, flush=True)
    thread.join(5)
    cpu = {k: sum(cpu_seconds(p) for p in v) - cpu0[k] for k, v in pids.items()}
    if backends is not None:
        cpu["postgres"] = backends.cpu()
        backends.engine.dispose()
    return _result(args, stats, watch, timeline, cpu, rss)


def _result(args, stats, watch: Watch, timeline, cpu, rss) -> dict:
    n = args.count
    first, last_post = stats.get("first_post", 0.0), stats.get("last_post", 0.0)
    final = watch.latest["final"]
    elapsed = (watch.last_final_at or time.time()) - first
    return {
        "db": args.db, "count": n, "clients": args.clients,
        "python": interpreter(),  # the daemon's too
        "accepted": stats.get("201", 0),
        "refused": {k: v for k, v in stats.items() if k.isdigit() and k != "201"},
        "final_callbacks": final, "callbacks": watch.latest["callbacks"],
        "msg_per_s": round(final / elapsed, 1) if elapsed > 0 else 0.0,
        "intake_post_per_s": round(stats.get("201", 0) / (last_post - first), 1)
        if last_post > first else 0.0,
        "callbacks_per_s": round(watch.latest["callbacks"] / elapsed, 1) if elapsed > 0 else 0.0,
        "elapsed_s": round(elapsed, 2),
        "cpu_ms_per_msg": {k: round(v / n * 1000, 3) for k, v in cpu.items()},
        "gateway_cpu_ms_per_msg": round(
            (cpu["daemon"] + cpu.get("postgres", 0.0)) / n * 1000, 3),
        "rss_mb": {k: {"start": round(v[0], 1), "peak": round(max(v), 1), "end": round(v[-1], 1)}
                   for k, v in rss.items()},
        "stages": run_stages.stages(timeline),
        "timeline": timeline,
    }


def human(r: dict) -> str:
    cpu = ", ".join(f"{k} {v}" for k, v in r["cpu_ms_per_msg"].items())
    mem = ", ".join(f"{k} {v['start']}→{v['peak']} (end {v['end']}) MB"
                    for k, v in r["rss_mb"].items())
    return (f"{r['db']}: {r['final_callbacks']}/{r['count']} final callbacks, "
            f"{r['accepted']} accepted {r['refused'] or ''}\n"
            f"  {r['msg_per_s']:,.0f} msg/s first POST to last final callback "
            f"({r['elapsed_s']} s)\n"
            f"  intake {r['intake_post_per_s']:,.0f} POST/s; callbacks {r['callbacks_per_s']:,.0f}/s"
            f" ({r['callbacks']} in all)\n"
            f"  CPU ms per message: {cpu}; gateway (daemon + postgres) "
            f"{r['gateway_cpu_ms_per_msg']}\n  RSS: {mem}\n"
            f"  interpreter {r['python']}\n"
            f"  by fifth of the messages:\n{run_stages.human(r['stages'])}")


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.receive:
        asyncio.run(receive())
        return 0
    result = run(args)
    print(json.dumps(result) if args.json else human(result))
    return 0 if result["final_callbacks"] >= args.count else 1


if __name__ == "__main__":
    sys.exit(main())
