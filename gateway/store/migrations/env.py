"""Alembic environment: always run from code with a live connection.

``gateway.store.migrate`` puts the connection in ``config.attributes``; the
scripts compare against ``gateway.store.schema.metadata``.
"""
from __future__ import annotations

from alembic import context

from gateway.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through gateway.store.migrate, not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
