"""Fill a store with millions of messages quickly, for ``bench_prune.py``.

Each message is written as the pipeline leaves it, through the real schema
(migrations, indexes, triggers): its ``messages`` row, one segment with
its SMSC id and the two match keys ``correlation.match_keys`` gives that id,
three status events, and two done callbacks: 9 rows.  The rows are made by
the database itself (one ``INSERT ... SELECT`` per table over a range of
numbers), not by Python, so a million messages take minutes, not hours.

Message ``i``:

* sid ``"SM" + 8 hex digits of a multiplicative hash of i + i in 24 hex
  digits``: unique, and in random order relative to i like a real uuid4
  sid, so the sid-keyed indexes take their rows at random places;
* account ``i % 10``; ``to`` ``i % 10,000,000``;
* created ``SPACING_US`` after message ``i - 1``, starting ``--old-days``
  ago for the share ``old`` (status delivered) and one day ago for the
  rest (delivered, or sent for every third);
* SMSC id ``"c" + 7 hex digits of i``, whose match keys are ``"s:" + id``
  and ``"n:" + id`` (checked against ``correlation.match_keys``).
"""
from __future__ import annotations

from gateway.sms.receipts import correlation

ACCOUNTS = 10
SPACING_US = 2000  # 500 messages a second
ROWS_PER_MESSAGE = 9  # the message, its segment, 2 match keys, 3 events, 2 callbacks
HASH = 2654435761  # Knuth's multiplicative hash, mod 2**32
CALLBACK_PARAMS = '[["MessageStatus", "delivered"]]'


def smsc_id(i: int) -> str:
    return f"c{i:07x}"


def check_keys() -> None:
    """The SQL below spells the match keys of ``smsc_id(i)``; make sure they are the real ones."""
    for i in (0, 1, 15, 4096, 9_999_999):
        assert correlation.match_keys(smsc_id(i)) == {"s:" + smsc_id(i), "n:" + smsc_id(i)}


def _sqlite_statements(old_pct: int) -> list[str]:
    old = f"(i % 100) < {old_pct}"
    t_us = f"(CASE WHEN {old} THEN :old_us ELSE :new_us END + i * {SPACING_US})"
    ts = (f"(strftime('%Y-%m-%d %H:%M:%S', {t_us} / 1000000, 'unixepoch')"
          f" || printf('.%06d', {t_us} % 1000000))")
    sid = f"('SM' || printf('%08x', (i * {HASH}) % 4294967296) || printf('%024x', i))"
    account = "('AC' || substr('0123456789', i % 10 + 1, 1) || printf('%031d', 0))"
    status = f"(CASE WHEN {old} OR i % 3 THEN 'delivered' ELSE 'sent' END)"
    mid = "('c' || printf('%07x', i))"
    rng = "WITH RECURSIVE n(i) AS (SELECT :lo UNION ALL SELECT i + 1 FROM n WHERE i + 1 < :hi) "
    return [
        rng + "INSERT INTO messages (sid, account_sid, api, direction, channel, from_, \"to\", body, status,"
        " num_segments, num_media, media_list, status_callback, status_callback_method, attempts,"
        " incomplete, date_created, date_updated, date_sent, carrier, price, price_unit)"
        f" SELECT {sid}, {account}, 'messages', 'outbound-api', 'sms', '+15550001111',"
        f" '+1555' || printf('%07d', i % 10000000), 'Your code is ' || printf('%06d', i % 1000000)"
        f" || '. It expires in 10 minutes.', {status}, 1, 0, '[]', 'https://hooks.example.com/status',"
        f" 'POST', 1, 0, {ts}, {ts}, {ts}, 'a', '-0.00750', 'USD' FROM n",
        rng + "INSERT INTO segments (id, message_sid, seqno, total, carrier, bind, smsc_message_id, status,"
        f" stat, err, submitted_at, receipt_at) SELECT i + 1, {sid}, 1, 1, 'a', 'a-1', {mid},"
        f" 'delivered', 'DELIVRD', '000', {ts}, {ts} FROM n",
        rng + f"INSERT INTO segment_ids (key, segment_id, account_sid) SELECT p.p || {mid}, i + 1, {account}"
        " FROM n, (SELECT 's:' AS p UNION ALL SELECT 'n:') AS p",
        rng + f"INSERT INTO status_events (message_sid, status, created_at) SELECT {sid}, e.st, {ts}"
        " FROM n, (SELECT 'sending' AS st UNION ALL SELECT 'sent' UNION ALL SELECT 'delivered') AS e",
        rng + "INSERT INTO callback_outbox (message_sid, kind, url, method, params, state, attempts,"
        f" next_attempt_at, created_at, head) SELECT {sid}, 'status', 'https://hooks.example.com/status',"
        f" 'POST', '{CALLBACK_PARAMS}', 'done', 1, {ts}, {ts}, 0 FROM n, (SELECT 1 UNION ALL SELECT 2) AS c",
    ]


def _postgresql_statements(old_pct: int) -> list[str]:
    old = f"(i %% 100) < {old_pct}"
    ts = f"to_timestamp((CASE WHEN {old} THEN %(old_us)s ELSE %(new_us)s END + i * {SPACING_US}) / 1e6)"
    sid = f"('SM' || lpad(to_hex((i * {HASH}) %% 4294967296), 8, '0') || lpad(to_hex(i), 24, '0'))"
    account = "('AC' || (i %% 10)::text || repeat('0', 31))"
    status = f"(CASE WHEN {old} OR i %% 3 <> 0 THEN 'delivered' ELSE 'sent' END)"
    mid = "('c' || lpad(to_hex(i), 7, '0'))"
    rng = "FROM generate_series(%(lo)s::bigint, %(hi)s::bigint - 1) AS i"
    return [
        "INSERT INTO messages (sid, account_sid, api, direction, channel, from_, \"to\", body, status,"
        " num_segments, num_media, media_list, status_callback, status_callback_method, attempts,"
        " incomplete, date_created, date_updated, date_sent, carrier, price, price_unit)"
        f" SELECT {sid}, {account}, 'messages', 'outbound-api', 'sms', '+15550001111',"
        " '+1555' || lpad((i %% 10000000)::text, 7, '0'),"
        " 'Your code is ' || lpad((i %% 1000000)::text, 6, '0')"
        f" || '. It expires in 10 minutes.', {status}, 1, 0, '[]', 'https://hooks.example.com/status',"
        f" 'POST', 1, false, {ts}, {ts}, {ts}, 'a', '-0.00750', 'USD' {rng}",
        "INSERT INTO segments (id, message_sid, seqno, total, carrier, bind, smsc_message_id, status,"
        f" stat, err, submitted_at, receipt_at) SELECT i + 1, {sid}, 1, 1, 'a', 'a-1', {mid},"
        f" 'delivered', 'DELIVRD', '000', {ts}, {ts} {rng}",
        f"INSERT INTO segment_ids (key, segment_id, account_sid) SELECT p || {mid}, i + 1, {account}"
        f" {rng}, unnest(ARRAY['s:', 'n:']) AS p",
        f"INSERT INTO status_events (message_sid, status, created_at) SELECT {sid}, st, {ts}"
        f" {rng}, unnest(ARRAY['sending', 'sent', 'delivered']) AS st",
        "INSERT INTO callback_outbox (message_sid, kind, url, method, params, state, attempts,"
        f" next_attempt_at, created_at, head) SELECT {sid}, 'status', 'https://hooks.example.com/status',"
        f" 'POST', '{CALLBACK_PARAMS}', 'done', 1, {ts}, {ts}, 0 {rng}, generate_series(1, 2)",
    ]


def seed(url: str, n: int, old_share: float, old_days: float, chunk: int = 50_000, progress=print) -> int:
    """Insert n messages (9 rows each) into the migrated store at ``url``; returns the rows."""
    import time

    from sqlalchemy.engine import make_url

    from gateway.store import migrate
    from gateway.store.engine import is_sqlite, make_engine

    check_keys()
    migrate.upgrade(url)
    sqlite = is_sqlite(url)
    statements = (_sqlite_statements if sqlite else _postgresql_statements)(round(old_share * 100))
    now_us = int(time.time() * 1e6)
    params = {"old_us": now_us - int(old_days * 86400e6), "new_us": now_us - int(86400e6)}
    rows = 0
    if sqlite:
        run = _sqlite_runner(make_url(url).database)
    else:
        engine = make_engine(url, writer=True)
        conn = engine.connect()
        run = conn.exec_driver_sql
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        for statement in statements:
            run(statement, {**params, "lo": lo, "hi": hi})
        run("COMMIT", None)
        rows += (hi - lo) * ROWS_PER_MESSAGE
        progress(f"seeded {hi:,} messages ({rows:,} rows)")
    if sqlite:
        run("PRAGMA journal_mode=WAL", None)
    else:
        conn.close()
        engine.dispose()
    return rows


def _sqlite_runner(path: str):
    """A connection for seeding only: no WAL and no fsync (a crash loses the seed, nothing else)."""
    import sqlite3

    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=MEMORY")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-2097152")  # 2 GB while seeding
    db.execute("PRAGMA foreign_keys=ON")

    def run(statement: str, params: dict | None) -> None:
        if statement == "COMMIT" or statement.startswith("PRAGMA"):
            db.execute(statement)
            return
        if not db.in_transaction:
            db.execute("BEGIN")
        db.execute(statement, params or {})
    return run
