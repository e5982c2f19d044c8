"""message counts and covering to-from indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

An unfiltered list's total comes from message_counts (kept by triggers)
instead of a COUNT over every message of the account.
"""
from alembic import op
import sqlalchemy as sa



revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# Frozen copy of gateway.store.schema.COUNT_TRIGGERS as of this revision.
COUNT_TRIGGERS = {
    "sqlite": [
        """CREATE TRIGGER trg_messages_count_insert AFTER INSERT ON messages BEGIN
            INSERT INTO message_counts (account_sid, channel, n)
            VALUES (NEW.account_sid, NEW.channel, 1)
            ON CONFLICT (account_sid, channel) DO UPDATE SET n = n + 1;
        END""",
        """CREATE TRIGGER trg_messages_count_delete AFTER DELETE ON messages BEGIN
            UPDATE message_counts SET n = n - 1
            WHERE account_sid = OLD.account_sid AND channel = OLD.channel;
        END""",
    ],
    "postgresql": [
        """CREATE FUNCTION messages_count() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                INSERT INTO message_counts (account_sid, channel, n)
                VALUES (NEW.account_sid, NEW.channel, 1)
                ON CONFLICT (account_sid, channel) DO UPDATE SET n = message_counts.n + 1;
            ELSE
                UPDATE message_counts SET n = n - 1
                WHERE account_sid = OLD.account_sid AND channel = OLD.channel;
            END IF;
            RETURN NULL;
        END $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER trg_messages_count AFTER INSERT OR DELETE ON messages
            FOR EACH ROW EXECUTE FUNCTION messages_count()""",
    ],
}
DROP_COUNT_TRIGGERS = {
    "sqlite": ["DROP TRIGGER IF EXISTS trg_messages_count_insert",
               "DROP TRIGGER IF EXISTS trg_messages_count_delete"],
    "postgresql": ["DROP TRIGGER IF EXISTS trg_messages_count ON messages",
                   "DROP FUNCTION IF EXISTS messages_count()"],
}


def upgrade() -> None:
    op.create_table('message_counts',
    sa.Column('account_sid', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('n', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('account_sid', 'channel', name=op.f('pk_message_counts'))
    )
    op.execute("INSERT INTO message_counts (account_sid, channel, n) "
               "SELECT account_sid, channel, count(*) FROM messages GROUP BY account_sid, channel")
    for statement in COUNT_TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messages_account_from'))
        batch_op.create_index('ix_messages_account_from', ['account_sid', 'from_', 'date_created', 'sid', 'channel'], unique=False)
        batch_op.drop_index(batch_op.f('ix_messages_account_to'))
        batch_op.create_index('ix_messages_account_to', ['account_sid', 'to', 'date_created', 'sid', 'channel'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_account_to')
        batch_op.create_index(batch_op.f('ix_messages_account_to'), ['account_sid', 'to', 'date_created', 'sid'], unique=False)
        batch_op.drop_index('ix_messages_account_from')
        batch_op.create_index(batch_op.f('ix_messages_account_from'), ['account_sid', 'from_', 'date_created', 'sid'], unique=False)

    for statement in DROP_COUNT_TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)
    op.drop_table('message_counts')
