"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('callback_outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('message_sid', sa.String(length=34), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_outbox'))
    )
    with op.batch_alter_table('callback_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_callback_outbox_message', ['message_sid', 'id'], unique=False)
        batch_op.create_index('ix_callback_outbox_state_next', ['state', 'next_attempt_at'], unique=False)

    op.create_table('inbound_parts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('group_key', sa.String(length=200), nullable=False),
    sa.Column('carrier', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('destination', sa.String(length=64), nullable=False),
    sa.Column('reference', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('seqno', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_parts'))
    )
    with op.batch_alter_table('inbound_parts', schema=None) as batch_op:
        batch_op.create_index('ix_inbound_parts_group', ['group_key', 'seqno'], unique=False)

    op.create_table('media',
    sa.Column('sid', sa.String(length=34), nullable=False),
    sa.Column('message_sid', sa.String(length=34), nullable=False),
    sa.Column('account_sid', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=128), nullable=False),
    sa.Column('filename', sa.String(length=256), nullable=True),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sid', name=op.f('pk_media'))
    )
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.create_index('ix_media_message', ['message_sid'], unique=False)

    op.create_table('messages',
    sa.Column('sid', sa.String(length=34), nullable=False),
    sa.Column('account_sid', sa.String(length=64), nullable=False),
    sa.Column('api', sa.String(length=16), nullable=False),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('from_', sa.String(length=64), nullable=False),
    sa.Column('to', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('num_segments', sa.Integer(), nullable=False),
    sa.Column('num_media', sa.Integer(), nullable=False),
    sa.Column('media_list', sa.JSON(), nullable=False),
    sa.Column('status_callback', sa.Text(), nullable=True),
    sa.Column('status_callback_method', sa.String(length=8), nullable=True),
    sa.Column('validity_period', sa.Integer(), nullable=True),
    sa.Column('max_price', sa.String(length=32), nullable=True),
    sa.Column('price', sa.String(length=32), nullable=True),
    sa.Column('price_unit', sa.String(length=8), nullable=True),
    sa.Column('error_code', sa.Integer(), nullable=True),
    sa.Column('error_message', sa.Text(), nullable=True),
    sa.Column('carrier', sa.String(length=64), nullable=True),
    sa.Column('carrier_stat', sa.String(length=32), nullable=True),
    sa.Column('carrier_err', sa.String(length=64), nullable=True),
    sa.Column('mm7_message_id', sa.String(length=128), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('incomplete', sa.Boolean(), nullable=False),
    sa.Column('date_created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('date_updated', sa.DateTime(timezone=True), nullable=False),
    sa.Column('date_sent', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('sid', name=op.f('pk_messages'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_account_created', ['account_sid', 'date_created', 'sid'], unique=False)
        batch_op.create_index('ix_messages_account_direction', ['account_sid', 'direction', 'date_created', 'sid'], unique=False)
        batch_op.create_index('ix_messages_account_from', ['account_sid', 'from_', 'date_created', 'sid'], unique=False)
        batch_op.create_index('ix_messages_account_status', ['account_sid', 'status', 'date_created', 'sid'], unique=False)
        batch_op.create_index('ix_messages_account_to', ['account_sid', 'to', 'date_created', 'sid'], unique=False)
        batch_op.create_index('ix_messages_mm7_id', ['mm7_message_id'], unique=False)
        batch_op.create_index('ix_messages_status_expires', ['status', 'expires_at'], unique=False)
        batch_op.create_index('ix_messages_status_next', ['status', 'next_attempt_at'], unique=False)

    op.create_table('pending_receipts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('account_sid', sa.String(length=64), nullable=True),
    sa.Column('carrier', sa.String(length=64), nullable=False),
    sa.Column('message_id', sa.String(length=128), nullable=False),
    sa.Column('keys', sa.JSON(), nullable=False),
    sa.Column('receipt', sa.JSON(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_receipts'))
    )
    op.create_table('status_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('message_sid', sa.String(length=34), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error_code', sa.Integer(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_events'))
    )
    with op.batch_alter_table('status_events', schema=None) as batch_op:
        batch_op.create_index('ix_status_events_message', ['message_sid', 'id'], unique=False)

    op.create_table('segments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('message_sid', sa.String(length=34), nullable=False),
    sa.Column('seqno', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('carrier', sa.String(length=64), nullable=True),
    sa.Column('bind', sa.String(length=64), nullable=True),
    sa.Column('smsc_message_id', sa.String(length=128), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=True),
    sa.Column('error_code', sa.Integer(), nullable=True),
    sa.Column('stat', sa.String(length=32), nullable=True),
    sa.Column('err', sa.String(length=64), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('receipt_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['message_sid'], ['messages.sid'], name=op.f('fk_segments_message_sid_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_segments'))
    )
    with op.batch_alter_table('segments', schema=None) as batch_op:
        batch_op.create_index('ix_segments_message', ['message_sid', 'seqno'], unique=False)

    op.create_table('segment_ids',
    sa.Column('key', sa.String(length=160), nullable=False),
    sa.Column('segment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_sid', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['segment_id'], ['segments.id'], name=op.f('fk_segment_ids_segment_id_segments'))
    )
    with op.batch_alter_table('segment_ids', schema=None) as batch_op:
        batch_op.create_index('ix_segment_ids_key', ['key'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('segment_ids', schema=None) as batch_op:
        batch_op.drop_index('ix_segment_ids_key')

    op.drop_table('segment_ids')
    with op.batch_alter_table('segments', schema=None) as batch_op:
        batch_op.drop_index('ix_segments_message')

    op.drop_table('segments')
    with op.batch_alter_table('status_events', schema=None) as batch_op:
        batch_op.drop_index('ix_status_events_message')

    op.drop_table('status_events')
    op.drop_table('pending_receipts')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_status_next')
        batch_op.drop_index('ix_messages_status_expires')
        batch_op.drop_index('ix_messages_mm7_id')
        batch_op.drop_index('ix_messages_account_to')
        batch_op.drop_index('ix_messages_account_status')
        batch_op.drop_index('ix_messages_account_from')
        batch_op.drop_index('ix_messages_account_direction')
        batch_op.drop_index('ix_messages_account_created')

    op.drop_table('messages')
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.drop_index('ix_media_message')

    op.drop_table('media')
    with op.batch_alter_table('inbound_parts', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_parts_group')

    op.drop_table('inbound_parts')
    with op.batch_alter_table('callback_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_callback_outbox_state_next')
        batch_op.drop_index('ix_callback_outbox_message')

    op.drop_table('callback_outbox')
