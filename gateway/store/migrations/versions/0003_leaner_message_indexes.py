"""leaner message indexes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

Fewer index writes per accepted message: the expiry sweep shares the
dispatcher index, and only MMS rows enter the MM7 id index.
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messages_status_expires'))
        batch_op.drop_index('ix_messages_mm7_id')
    op.create_index('ix_messages_mm7_id', 'messages', ['mm7_message_id'], unique=False,
                    sqlite_where=sa.text('mm7_message_id IS NOT NULL'),
                    postgresql_where=sa.text('mm7_message_id IS NOT NULL'))

def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messages_status_expires'), ['status', 'expires_at'], unique=False)
        batch_op.drop_index('ix_messages_mm7_id')
        batch_op.create_index('ix_messages_mm7_id', ['mm7_message_id'], unique=False)

