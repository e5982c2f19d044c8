"""failed messages by update time

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03

The console's recent failures (every 3 s while a console is open) are the
newest failed and undelivered messages by ``date_updated``.  No index gave
that order, so each refresh read every message and sorted the failures.
A partial index holds the failed and undelivered messages only, in that
order: a message that ends delivered never enters it.
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

FAILED = "status IN ('failed', 'undelivered')"


def upgrade() -> None:
    op.create_index('ix_messages_failed_updated', 'messages', ['date_updated', 'sid'], unique=False,
                    sqlite_where=sa.text(FAILED), postgresql_where=sa.text(FAILED))


def downgrade() -> None:
    op.drop_index('ix_messages_failed_updated', table_name='messages')
