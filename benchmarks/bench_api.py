"""Messages API benchmark: intake (POST/s with keep-alive) and list latency.

    python benchmarks/bench_api.py                  # intake + listing (1M rows)
    python benchmarks/bench_api.py --rows 100000    # smaller listing table
    python benchmarks/bench_api.py --skip-list      # intake only
    python benchmarks/bench_api.py --skip-list --postgresql postgresql+psycopg://postgres@127.0.0.1/test
                                                    # intake on PostgreSQL too (own schema)
    python benchmarks/bench_api.py --skip-list --floor
                                                    # and twisted.web's own cost per request

``--floor`` serves the same POSTs with the API's Site (``make_site``) and a
resource that reads the body and answers a fixed 201 JSON: no auth, no
validation, no store.  What it costs per request is the HTTP server's own
floor, under everything the API does.

The API runs in its own process (``--serve``) on a fresh SQLite file, as the
daemon runs it; this process drives it over loopback with a bounded number of
keep-alive connections (a small asyncio HTTP/1.1 client: one request in
flight per connection) and counts 201s.  Listing: a table of ``--rows``
messages for one account is built once (kept under ``--workdir``), then each
list request shape is timed through the API.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from statistics import median

ACCOUNT = "AC" + "0" * 32
TOKEN = "bench-token"
BASE = f"/api/2012-04-24/Accounts/{ACCOUNT}"
FLOOR = "floor"  # start_server: the bare HTTP server (serve_floor)
AUTH = base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()


# -- the server process ------------------------------------------------------
def serve(url: str) -> None:
    from twisted.internet import reactor

    from gateway.api.accounts import Accounts
    from gateway.api.app import MessagesApi
    from gateway.daemon import gctune
    from gateway.api.requests import make_site
    from gateway.store.store import Store

    store = Store(url, reactor)

    def started(_):
        gctune.settle()  # as the daemon does once it is up
        api = MessagesApi(store, Accounts([(ACCOUNT, TOKEN)]), clock=reactor)
        port = reactor.listenTCP(0, make_site(api.resource()), interface="127.0.0.1",
                                 backlog=512)
        print(port.getHost().port, flush=True)

    def failed(failure):
        print(failure.getTraceback(), file=sys.stderr, flush=True)
        reactor.stop()

    store.start().addCallbacks(started, failed)
    reactor.addSystemEventTrigger("before", "shutdown", store.stop)
    reactor.run()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(url: str) -> tuple[subprocess.Popen, int]:
    argv = ["--serve-floor"] if url == FLOOR else ["--serve", url]
    proc = subprocess.Popen([sys.executable, __file__, *argv],
                            stdout=subprocess.PIPE)
    line = proc.stdout.readline()
    if not line:
        raise SystemExit("the API server did not start")
    return proc, int(line)


def serve_floor() -> None:
    from twisted.internet import reactor
    from twisted.web.resource import Resource

    from gateway.api.requests import make_site
    from gateway.daemon import gctune

    answer = json.dumps({"sid": "SM" + "0" * 32, "status": "queued"}).encode()

    class Floor(Resource):
        isLeaf = True

        def render_POST(self, request):
            request.content.read()
            request.setResponseCode(201)
            request.setHeader(b"content-type", b"application/json")
            return answer

    gctune.settle()
    port = reactor.listenTCP(0, make_site(Floor()), interface="127.0.0.1", backlog=512)
    print(port.getHost().port, flush=True)
    reactor.run()


# -- the client --------------------------------------------------------------
async def _exchange(reader, writer, request: bytes) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return status, await reader.readexactly(length)


def post_request(i: int) -> bytes:
    body = json.dumps({"from": "sms:+14155550100", "to": f"sms:+1415{i % 10_000_000:07d}",
                       "body": f"benchmark message {i}",
                       "status_callback": "http://127.0.0.1:9/status"}).encode()
    return (f"POST {BASE}/Messages.json HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Basic {AUTH}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def get_request(path: str) -> bytes:
    return (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Basic {AUTH}\r\n\r\n").encode()


async def intake(port: int, total: int, connections: int) -> tuple[float, int, list[float]]:
    counter = iter(range(total))
    latencies: list[float] = []
    failures = 0

    async def worker():
        nonlocal failures
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for i in counter:
            t = time.perf_counter()
            status, _ = await _exchange(reader, writer, post_request(i))
            latencies.append(time.perf_counter() - t)
            failures += status != 201
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return time.perf_counter() - start, failures, latencies


async def timed_get(port: int, path: str, repeat: int = 5) -> tuple[float, dict]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    times, body = [], {}
    for _ in range(repeat):
        t = time.perf_counter()
        status, raw = await _exchange(reader, writer, get_request(path))
        times.append(time.perf_counter() - t)
        body = json.loads(raw)
        if status != 200:
            raise SystemExit(f"GET {path}: {status} {body}")
    writer.close()
    return median(times), body


# -- the listing table -------------------------------------------------------
def build_table(db: str, rows: int) -> None:
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import insert

    from gateway.store import migrate, schema
    from gateway.store.engine import make_engine

    migrate.upgrade(f"sqlite:///{db}")
    engine = make_engine(f"sqlite:///{db}", writer=True)
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    statuses = ["delivered"] * 8 + ["undelivered", "failed"]
    batch = 20_000
    with engine.connect() as conn:
        for first in range(0, rows, batch):
            values = []
            for i in range(first, min(rows, first + batch)):
                created = t0 + timedelta(seconds=i * 15)
                status = statuses[i % 10]
                values.append({
                    "sid": f"SM{i:032x}", "account_sid": ACCOUNT, "api": "messages",
                    "direction": "outbound-api", "channel": "mms" if i % 7 == 0 else "sms",
                    "from_": f"+1800555{i % 100:04d}", "to": f"+{1 + i % 9}415{i % 9999991:07d}",
                    "body": f"order {i} has shipped", "status": status, "num_segments": 1,
                    "num_media": 0, "media_list": [], "attempts": 1, "incomplete": False,
                    "error_code": 30003 if status == "undelivered" else None,
                    "date_created": created, "date_updated": created, "date_sent": created,
                    "next_attempt_at": created})
            with conn.begin():
                conn.execute(insert(schema.messages), values)
        with conn.begin():
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()


LIST_SHAPES = [
    ("first page (50, newest first)", "/Messages.json"),
    ("page 100 by number (OFFSET)", "/Messages.json?Page=100"),
    ("middle page by number", "/Messages.json?Page={mid}"),
    ("last page by number", "/Messages.json?Page={last}"),
    ("To prefix filter mms:+1%", "/Messages.json?To=mms:%2B1%25"),
    ("Status=undelivered", "/Messages.json?Status=undelivered"),
    ("StartTime..EndTime one day", "/Messages.json?StartTime=2026-02-01&EndTime=2026-02-01"),
    ("SortBy=To:asc", "/Messages.json?SortBy=To:asc"),
    ("Body search", "/Messages.json?Body=order%20123456%20"),
]


async def listing(port: int, rows: int) -> None:
    pages = -(-rows // 50)
    print(f"\nList latency, {rows:,} messages in one account (median of 5, ms):")
    first_ms, page = await timed_get(port, BASE + "/Messages.json")
    for label, path in LIST_SHAPES:
        ms, page_body = await timed_get(port, BASE + path.format(mid=pages // 2, last=pages - 1))
        print(f"  {label:40s} {ms * 1000:8.1f}   total={page_body['total']:,}")
    deep = page
    for _ in range(3):  # follow next_page_uri (keyset) a few pages deep
        _ms, deep = await timed_get(port, deep["next_page_uri"], repeat=1)
    ms, _ = await timed_get(port, deep["next_page_uri"])
    print(f"  {'next_page_uri (keyset PageToken)':40s} {ms * 1000:8.1f}")


def run_intake(url: str, label: str, args) -> None:
    proc, port = start_server(url)
    try:
        asyncio.run(intake(port, 1000, args.connections))  # warm up
        cpu0, client0 = cpu_seconds(proc.pid), time.process_time()
        elapsed, failures, lat = asyncio.run(intake(port, args.requests, args.connections))
        server_cpu = cpu_seconds(proc.pid) - cpu0
        client_cpu = time.process_time() - client0
    finally:
        proc.terminate()
        proc.wait()
    lat.sort()
    print(f"API intake, {label}: {args.requests:,} POST /Messages.json over {args.connections} "
          f"keep-alive connections in {elapsed:.2f}s = {args.requests / elapsed:,.0f} POST/s "
          f"(p50 {lat[len(lat) // 2] * 1000:.1f} ms, p99 {lat[int(len(lat) * .99)] * 1000:.1f} ms, "
          f"non-201: {failures}); every 201 was committed first")
    print(f"  CPU per POST: server (with its store writer thread) {server_cpu / args.requests * 1e6:.0f} us "
          f"(= {args.requests / server_cpu:,.0f} POST per server CPU-second), "
          f"load generator {client_cpu / args.requests * 1e6:.0f} us; "
          f"load average {os.getloadavg()[0]:.2f}")


@contextlib.contextmanager
def postgresql_schema(url: str):
    """A fresh schema on ``url``, migrated; dropped afterwards."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from gateway.store import migrate

    schema = f"bench_api_{os.getpid()}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    scoped = scoped.render_as_string(hide_password=False)
    try:
        migrate.upgrade(scoped)
        yield scoped
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--postgresql", metavar="URL",
                        help="also measure intake on this PostgreSQL database (in a new schema)")
    parser.add_argument("--serve-floor", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--floor", action="store_true",
                        help="also measure the HTTP server alone (no auth, validation or store)")
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-list", action="store_true")
    parser.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "gateway-bench"))
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return 0
    if args.serve_floor:
        serve_floor()
        return 0
    os.makedirs(args.workdir, exist_ok=True)
    intake_db = os.path.join(args.workdir, "intake.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(intake_db + suffix):
            os.remove(intake_db + suffix)
    run_intake(f"sqlite:///{intake_db}", "SQLite (WAL)", args)
    if args.floor:
        run_intake(FLOOR, "HTTP server alone (twisted.web, the API's Site, fixed answer)", args)
    if args.postgresql:
        with postgresql_schema(args.postgresql) as url:
            run_intake(url, "PostgreSQL", args)
    if args.skip_list:
        return 0
    list_db = os.path.join(args.workdir, f"list-{args.rows}.db")
    if not os.path.exists(list_db):
        t = time.perf_counter()
        build_table(list_db, args.rows)
        print(f"(built {args.rows:,}-row table in {time.perf_counter() - t:.0f}s: {list_db})")
    proc, port = start_server(f"sqlite:///{list_db}")
    try:
        asyncio.run(listing(port, args.rows))
    finally:
        proc.terminate()
        proc.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
