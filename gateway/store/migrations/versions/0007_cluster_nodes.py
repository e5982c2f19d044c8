"""cluster nodes

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

A ``nodes`` table (id, host, pid, state, start, heartbeat, bind slots
held) and ``messages.claimed_by``: the node whose dispatcher claimed a
message, so each node resolves only its own messages caught mid-send and
a live node takes over a dead node's.
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'nodes',
        sa.Column('node_id', sa.String(length=128), nullable=False),
        sa.Column('host', sa.String(length=255), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=8), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_heartbeat', sa.DateTime(timezone=True), nullable=False),
        sa.Column('binds', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('node_id', name=op.f('pk_nodes')),
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('claimed_by')
    op.drop_table('nodes')
