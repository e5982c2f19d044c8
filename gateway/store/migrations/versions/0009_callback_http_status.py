"""callback_outbox.http_status

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

The HTTP status code of the answer to a callback's latest attempt (200,
204, 404, 503, ...), written by the same UPDATE that records the attempt;
null while no attempt got an answer (not sent yet, a connection error or
a timeout).  The console's message history and ``carrier-gateway messages
show`` print it.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("callback_outbox") as batch:
        batch.add_column(sa.Column("http_status", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("callback_outbox") as batch:
        batch.drop_column("http_status")
