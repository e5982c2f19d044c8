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
"""
from __future__ import annotations

import os

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url

BUSY_TIMEOUT_MS = 30_000
# Checkpoint the WAL every ~40 MB rather than every ~4 MB: fewer, larger
# checkpoints write hot index pages once instead of many times.
WAL_AUTOCHECKPOINT_PAGES = 10_000


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
            return create_engine(url, pool_size=1, max_overflow=0, pool_pre_ping=True)
        return create_engine(url, pool_size=pool_size, max_overflow=pool_size,
                             pool_pre_ping=True)
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
