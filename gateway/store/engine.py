"""Engines for the store: SQLite (embedded, WAL) and PostgreSQL (psycopg 3).

SQLite rules of operation:

* WAL journal, so readers never block the writer and the writer never blocks
  readers; ``synchronous=NORMAL``.  In WAL mode NORMAL survives a crash or
  ``kill -9`` of the process (every commit is in the WAL file, which the OS
  holds); only a power loss or OS crash can roll back the last transactions.
  Set ``durability="full"`` (``synchronous=FULL``) where power loss must not
  lose an accepted message either; it costs one fsync per group commit.
* ``busy_timeout`` so a second process (``db upgrade``, a reader) waits
  instead of failing, and ``foreign_keys=ON``.
* pysqlite's own transaction handling is switched off (``isolation_level =
  None``) and we emit ``BEGIN`` ourselves, so SAVEPOINTs work as documented.
  The writer engine uses ``BEGIN IMMEDIATE``: it takes the write lock at the
  start and never has to upgrade a read lock (no SQLITE_BUSY deadlocks).

PostgreSQL rule of operation:

* Every connection plans each statement when it runs it
  (``plan_cache_mode = force_custom_plan``), with the tables' sizes as
  they are then.  The server caches plans (psycopg prepares a statement run
  a few times; PL/pgSQL prepares each statement of the outbox's triggers;
  each foreign-key check is a prepared statement) and after five runs may
  keep one generic plan for the life of the connection.  Made just after
  ``db upgrade``, while the tables were empty, that plan scans a whole
  table to find one row by its key, and goes on scanning it as it grows:
  the database's CPU per message grew with the messages stored.  The
  figures: README, "Throughput".
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url

BUSY_TIMEOUT_MS = 30_000
# Checkpoint the WAL every ~40 MB rather than every ~4 MB: fewer, larger
# checkpoints write hot index pages once instead of many times.
WAL_AUTOCHECKPOINT_PAGES = 10_000
PLAN_EACH_TIME = "SET plan_cache_mode = force_custom_plan"


@dataclass(frozen=True)
class WriterMemory:
    """What the SQLite writer connection may hold in memory: its page cache
    (KiB) and its memory-mapped window of the database file (bytes).  The
    defaults and their measurement: README "Failure behaviour"."""

    # Bounded: the writer's RSS levels off instead of growing with the
    # database file (README, "Writer memory").
    cache_kib: int = 32 * 1024
    mmap_bytes: int = 64 * 1024 * 1024


def connect_writer(engine: Engine, url: str, memory: WriterMemory = WriterMemory()):
    """The writer's connection.  On SQLite it gets a page cache big enough
    for the hot part of the indexes (the default 2 MB makes every batch
    re-read index pages the previous batch just wrote), memory-mapped
    reads, both bounded by ``memory``, and statement journals in memory
    (``temp_store``) instead of a temporary file opened for each
    transaction; none changes what is durable when.  If any of it fails,
    the connection goes back to the pool (the writer's pool holds one)."""
    conn = engine.connect()
    if not is_sqlite(url):
        return conn
    try:
        # Outside any transaction: SQLite refuses to change it inside one.
        conn.connection.dbapi_connection.execute("PRAGMA temp_store=MEMORY")
        conn.exec_driver_sql(f"PRAGMA cache_size=-{int(memory.cache_kib)}")
        conn.exec_driver_sql(f"PRAGMA mmap_size={int(memory.mmap_bytes)}")
        conn.commit()
    except BaseException:
        conn.close()
        raise
    return conn


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _ensure_sqlite_dir(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        directory = os.path.dirname(os.path.abspath(database))
        os.makedirs(directory, exist_ok=True)


def make_engine(url: str, *, writer: bool = False, durability: str = "normal",
                pool_size: int = 4) -> Engine:
    """Build an engine; ``writer=True`` gives the single writer's engine."""
    if not is_sqlite(url):
        if writer:
            engine = create_engine(url, pool_size=1, max_overflow=0, pool_pre_ping=True)
        else:
            engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size,
                                   pool_pre_ping=True)
        event.listen(engine, "connect", _plan_each_time)
        return engine
    _ensure_sqlite_dir(url)
    synchronous = {"normal": "NORMAL", "full": "FULL"}[durability]
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        pool_size=1 if writer else pool_size,
        max_overflow=0 if writer else pool_size,
    )
    begin = "BEGIN IMMEDIATE" if writer else "BEGIN"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql(begin)

    return engine


def _plan_each_time(dbapi_connection, _record) -> None:
    """PostgreSQL: no generic plan kept from when the tables were small (see
    the module's rules)."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute(PLAN_EACH_TIME)
    dbapi_connection.commit()


def truncate_wal(engine: Engine, url: str) -> tuple | None:
    """SQLite: copy the whole WAL into the database file and truncate the
    WAL to zero bytes (``wal_checkpoint(TRUNCATE)``), so the space a WAL grew
    into (e.g. during a disk-full episode) is given back.  It waits (busy
    timeout) for the writer and readers to reach the newest snapshot.
    Returns SQLite's ``(busy, wal_frames, frames_checkpointed)``; raises when
    it cannot write (the caller decides whether that matters).  None on
    PostgreSQL."""
    if not is_sqlite(url):
        return None
    connection = engine.raw_connection()
    try:
        return tuple(connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone())
    finally:
        connection.close()
