"""nodes.slots

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

The bind slots a node holds, ``{carrier: [slot, ...]}``, written by its
heartbeat's UPDATE (no write of its own); null for a node that does not
share binds through slots (SQLite).  The console shows each bind slot's
owner from it.
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("nodes") as batch:
        batch.add_column(sa.Column("slots", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("nodes") as batch:
        batch.drop_column("slots")
