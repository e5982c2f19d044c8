"""partial status index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27

The dispatcher index ``(status, next_attempt_at)`` keeps only queued
messages: the queue claim and the expiry sweep ask for those, and a
message's later transitions (sending, sent, delivered...) no longer move
an entry in it.
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

QUEUED = "status = 'queued'"


def upgrade() -> None:
    op.drop_index('ix_messages_status_next', table_name='messages')
    op.create_index('ix_messages_status_next', 'messages', ['status', 'next_attempt_at'], unique=False,
                    sqlite_where=sa.text(QUEUED), postgresql_where=sa.text(QUEUED))


def downgrade() -> None:
    op.drop_index('ix_messages_status_next', table_name='messages')
    op.create_index('ix_messages_status_next', 'messages', ['status', 'next_attempt_at'], unique=False)
