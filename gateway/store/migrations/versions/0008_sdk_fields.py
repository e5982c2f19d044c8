"""messages.messaging_service_sid

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

The messaging service (``[[messaging_services]]``) that chose a message's
sender, shown as ``messaging_service_sid``; null otherwise.
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("messaging_service_sid", sa.String(length=34), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("messaging_service_sid")
