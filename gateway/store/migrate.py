"""Alembic, driven from code (no alembic.ini).

``upgrade(url)`` brings a database to the head revision; ``current(url)``
reports where it is.  ``carrier-gateway db upgrade`` and ``Store.start()``
(for SQLite) call ``upgrade``.  The migration scripts live in
``gateway/store/migrations/versions`` and must stay equal to
``gateway.store.schema.metadata`` (a test compares them).  On PostgreSQL
an upgrade ends with ANALYZE of the gateway's tables.
"""
from __future__ import annotations

import os

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from .engine import make_engine

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", MIGRATIONS_DIR)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


class SchemaNotCurrent(RuntimeError):
    """The database is not at the head revision (and is not migrated here)."""


def check_at_head(connection: Connection) -> None:
    found = MigrationContext.configure(connection).get_current_revision()
    if found != head():
        raise SchemaNotCurrent(
            f"the database schema is at revision {found or '(empty)'}, this version needs "
            f"{head()}: run `carrier-gateway db upgrade --config FILE` first")


def upgrade_connection(connection: Connection, revision: str = "head") -> None:
    """Migrate; on PostgreSQL then ANALYZE the gateway's tables, so the
    planner has statistics even where autovacuum is off."""
    command.upgrade(alembic_config(connection), revision)
    if connection.dialect.name == "postgresql":
        analyze(connection)


def analyze(connection: Connection) -> None:
    """ANALYZE the gateway's tables (named: not every table of the database)."""
    from . import schema

    present = set(inspect(connection).get_table_names())
    names = [t.name for t in schema.metadata.sorted_tables if t.name in present]
    if names:
        connection.exec_driver_sql("ANALYZE " + ", ".join(f'"{name}"' for name in names))


def upgrade(url: str, revision: str = "head") -> str:
    """Migrate the database at ``url``; returns the revision it is now at."""
    engine = make_engine(url, writer=True)
    try:
        with engine.begin() as connection:
            upgrade_connection(connection, revision)
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def current(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
