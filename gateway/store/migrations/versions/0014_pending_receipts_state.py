"""pending_receipts by state

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

Receipts that arrived before their part was stored wait in
``pending_receipts``; once applied or given up they stay, marked
``applied`` or ``unmatched``.  Every batch of sent outcomes asks whether
anything waits (``EarlyReceipts``), and the retries read the waiting rows.
Without an index on ``state`` each of those read the whole table, every
receipt that ever waited: a cost that grew with the traffic carried.  With
it, the waiting rows alone.
"""
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_pending_receipts_state', 'pending_receipts', ['state', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_pending_receipts_state', table_name='pending_receipts')
