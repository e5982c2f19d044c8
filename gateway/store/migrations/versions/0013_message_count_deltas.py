"""message counts by appended deltas (PostgreSQL)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

On PostgreSQL the count triggers updated one ``message_counts`` row per
(account, channel) on every insert and delete of a message, so two nodes'
writers waited on each other's row, and deadlocked when they inserted for
two accounts in opposite orders.  They now append ``message_count_deltas``
rows (one per account and channel per statement) that a periodic fold
moves into ``message_counts`` (``gateway.store.counts``).  The table is
created on SQLite too (one schema) and stays empty there: SQLite's triggers
are unchanged.  The downgrade folds every delta back first.
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# Frozen copies of gateway.store.triggers' PostgreSQL count triggers: as of
# this revision (upgrade) and of 0002 (downgrade).
TRIGGERS = [
    """CREATE FUNCTION messages_count_insert() RETURNS trigger AS $$
    BEGIN
        INSERT INTO message_count_deltas (account_sid, channel, n)
        SELECT account_sid, channel, count(*) FROM inserted GROUP BY account_sid, channel;
        RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    """CREATE FUNCTION messages_count_delete() RETURNS trigger AS $$
    BEGIN
        INSERT INTO message_count_deltas (account_sid, channel, n)
        SELECT account_sid, channel, -count(*) FROM deleted GROUP BY account_sid, channel;
        RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER trg_messages_count_insert AFTER INSERT ON messages
        REFERENCING NEW TABLE AS inserted
        FOR EACH STATEMENT EXECUTE FUNCTION messages_count_insert()""",
    """CREATE TRIGGER trg_messages_count_delete AFTER DELETE ON messages
        REFERENCING OLD TABLE AS deleted
        FOR EACH STATEMENT EXECUTE FUNCTION messages_count_delete()""",
]
DROP_TRIGGERS = ["DROP TRIGGER IF EXISTS trg_messages_count_insert ON messages",
                 "DROP TRIGGER IF EXISTS trg_messages_count_delete ON messages",
                 "DROP FUNCTION IF EXISTS messages_count_insert()",
                 "DROP FUNCTION IF EXISTS messages_count_delete()"]
TRIGGERS_0002 = [
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
]
DROP_TRIGGERS_0002 = ["DROP TRIGGER IF EXISTS trg_messages_count ON messages",
                      "DROP FUNCTION IF EXISTS messages_count()"]
FOLD_ALL = """INSERT INTO message_counts (account_sid, channel, n)
    SELECT account_sid, channel, sum(n) FROM message_count_deltas WHERE true
    GROUP BY account_sid, channel
    ON CONFLICT (account_sid, channel) DO UPDATE SET n = message_counts.n + EXCLUDED.n"""


def upgrade() -> None:
    op.create_table('message_count_deltas',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('account_sid', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('n', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_count_deltas'))
    )
    op.create_index('ix_message_count_deltas_account_sid_channel', 'message_count_deltas',
                    ['account_sid', 'channel'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for statement in DROP_TRIGGERS_0002 + TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # DROP TRIGGER locks ``messages`` against writes until the commit:
        # no delta is appended after the fold below.
        for statement in DROP_TRIGGERS + TRIGGERS_0002:
            op.execute(statement)
    op.execute(FOLD_ALL)
    op.drop_index('ix_message_count_deltas_account_sid_channel', table_name='message_count_deltas')
    op.drop_table('message_count_deltas')
