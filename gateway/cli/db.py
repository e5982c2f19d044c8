"""``carrier-gateway db upgrade [--url URL | --config FILE]``: migrate the
store's schema to the newest revision (Alembic, run from code).

The URL comes from ``--url``, else ``[store] url`` of ``--config``, else the
``GATEWAY_DATABASE_URL`` environment variable, else the demo default
``sqlite:///var/gateway.db``.  SQLite databases are also migrated by the
daemon on start; PostgreSQL ones are migrated by this command (run it from
the deploy step, before starting the new version).

A SQLite database whose directory does not exist is refused (exit 2): a
typo in the path must not create a tree of directories and an empty
database somewhere else.  ``db upgrade --create-dirs`` creates them on
purpose.

``carrier-gateway db prune [--url URL | --config FILE] [--days N] [--batch N]``
deletes the final messages older than ``--days`` (else ``[store]
retention_days`` of ``--config``) with their segments, status events,
callbacks and media, in transactions of ``--batch`` messages (500), so a
running daemon's intake keeps going meanwhile (``gateway.store.prune``).
It prints what it deleted and how fast.
"""
from __future__ import annotations

import argparse
import os
import sys

DEFAULT_URL = "sqlite:///var/gateway.db"


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="db_command", metavar="ACTION")
    sub.required = True
    for name, summary in (("upgrade", "migrate the database to the newest schema revision"),
                          ("current", "print the database's current schema revision"),
                          ("prune", "delete final messages older than the retention period")):
        action = sub.add_parser(name, help=summary, description=summary)
        source = action.add_mutually_exclusive_group()
        source.add_argument("--url", help="SQLAlchemy URL, e.g. sqlite:///var/gateway.db or "
                                          "postgresql+psycopg://user@host/db")
        source.add_argument("--config", metavar="FILE", help="read [store] url from this config")
        if name == "upgrade":
            action.add_argument("--create-dirs", action="store_true",
                                help="create a SQLite database's missing parent directories")
        if name == "prune":
            action.add_argument("--days", type=float, help="retention in days (default: [store] "
                                                           "retention_days of --config)")
            action.add_argument("--batch", type=int, default=500, help="messages per transaction")


def _url(args: argparse.Namespace) -> str:
    if args.url:
        return args.url
    if args.config:
        from gateway.config.model import load
        return load(args.config).store.url
    return os.environ.get("GATEWAY_DATABASE_URL", DEFAULT_URL)


def missing_sqlite_dir(url: str) -> str | None:
    """The parent directory of a SQLite database file when it does not exist."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" \
            or database.startswith("file:"):
        return None
    directory = os.path.dirname(os.path.abspath(database))
    return None if os.path.isdir(directory) else directory


def _check_dir(url: str, args: argparse.Namespace) -> bool:
    directory = missing_sqlite_dir(url)
    if directory is None:
        return True
    if getattr(args, "create_dirs", False):
        os.makedirs(directory, exist_ok=True)
        print(f"created {directory}")
        return True
    fix = "create it, or pass --create-dirs" if args.db_command == "upgrade" else "check the URL"
    print(f"carrier-gateway db: {_safe(url)}: the directory {directory} does not exist; {fix}",
          file=sys.stderr)
    return False


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url
    return make_url(url).render_as_string(hide_password=True)


def run(args: argparse.Namespace) -> int:
    try:
        url = _url(args)
    except Exception as exc:  # config errors name the file, key and problem
        print(f"carrier-gateway db: {exc}", file=sys.stderr)
        return 2
    try:
        if not _check_dir(url, args):
            return 2
    except OSError as exc:
        print(f"carrier-gateway db: {_safe(url)}: {exc}", file=sys.stderr)
        return 1
    from sqlalchemy.exc import SQLAlchemyError
    from gateway.store import migrate
    if args.db_command == "prune":
        return _prune(args, url)
    try:
        if args.db_command == "current":
            print(migrate.current(url) or "(empty database)")
            return 0
        before = migrate.current(url)
        after = migrate.upgrade(url)
    except (SQLAlchemyError, OSError) as exc:
        print(f"carrier-gateway db: {_safe(url)}: {exc}", file=sys.stderr)
        return 1
    if before == after:
        print(f"{_safe(url)}: already at revision {after} (head)")
    else:
        print(f"{_safe(url)}: upgraded {before or '(empty)'} -> {after} (head)")
    return 0


def _prune(args: argparse.Namespace, url: str) -> int:
    import time

    from sqlalchemy.exc import SQLAlchemyError

    from gateway.store import migrate
    from gateway.store.engine import make_engine
    from gateway.store.prune import cutoff, prune_batch
    from gateway.store.timeutil import utcnow

    days = args.days
    if days is None and args.config:
        from gateway.config.model import load
        days = load(args.config).store.retention_days
    if not days or days <= 0 or args.batch < 1:
        print("carrier-gateway db prune: give --days N (> 0), or [store] retention_days in --config",
              file=sys.stderr)
        return 2
    started = time.monotonic()
    before = cutoff(utcnow(), days)
    messages = rows = 0
    engine = make_engine(url, writer=True)
    try:
        with engine.connect() as conn:
            migrate.check_at_head(conn)
        cursor, done = None, False
        while not done:
            with engine.begin() as conn:  # one short transaction per batch
                result = prune_batch(conn, before, cursor, args.batch)
            messages, rows = messages + result["messages"], rows + result["rows"]
            cursor, done = result["cursor"], result["done"]
    except (SQLAlchemyError, OSError, RuntimeError) as exc:
        print(f"carrier-gateway db prune: {_safe(url)}: {exc} ({messages} messages deleted before)",
              file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    seconds = time.monotonic() - started
    print(f"{_safe(url)}: {messages} messages ({rows} rows) older than {days:g} days deleted "
          f"in {seconds:.1f}s ({rows / seconds if seconds else 0:,.0f} rows/s)")
    return 0
