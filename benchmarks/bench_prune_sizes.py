"""The store's size on disk, for ``bench_prune.py``: SQLite's file, its free
pages and its WAL; PostgreSQL's database size and the WAL it has written."""
from __future__ import annotations

import os

MB = 2 ** 20


class Sizes:
    def __init__(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        from gateway.store.engine import is_sqlite

        self.url = url
        self.path = make_url(url).database if is_sqlite(url) else None

    def drop_sqlite_files(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            if self.path and os.path.exists(self.path + suffix):
                os.unlink(self.path + suffix)

    def wal(self) -> int:
        """SQLite: the WAL file's size now; PostgreSQL: WAL bytes written so far."""
        if self.path:
            try:
                return os.path.getsize(self.path + "-wal")
            except FileNotFoundError:
                return 0
        return self._pg("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint")

    def describe(self) -> str:
        if not self.path:
            size = self._pg("SELECT pg_database_size(current_database())")
            return f"database {size / MB:,.0f} MB; WAL written so far {self.wal() / MB:,.0f} MB"
        import sqlite3

        db = sqlite3.connect(self.path)
        try:
            page = db.execute("PRAGMA page_size").fetchone()[0]
            free = db.execute("PRAGMA freelist_count").fetchone()[0] * page
        finally:
            db.close()
        return (f"file {os.path.getsize(self.path) / MB:,.0f} MB, of which free pages "
                f"{free / MB:,.0f} MB; WAL {self.wal() / MB:,.1f} MB")

    def _pg(self, sql: str) -> int:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                return int(conn.execute(text(sql)).scalar_one())
        finally:
            engine.dispose()
