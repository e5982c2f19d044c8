"""callback outbox due-row index

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

``callback_outbox.head`` marks the lowest pending row of each message (kept
by triggers), and a partial index on the heads' ``next_attempt_at`` makes
the sender's due query a range scan of due rows: no correlated NOT EXISTS
over every pending row, whatever the planner's statistics say.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

DUE_WHERE = "head = 1"
# Frozen copy of gateway.store.outbox_triggers as of this revision.
HEAD_TRIGGERS = {
    "sqlite": [
        """CREATE TRIGGER trg_callback_outbox_head_insert AFTER INSERT ON callback_outbox
        WHEN NEW.state = 'pending' AND NOT EXISTS (
            SELECT 1 FROM callback_outbox AS c WHERE c.message_sid = NEW.message_sid
            AND c.state = 'pending' AND c.id < NEW.id)
        BEGIN
            UPDATE callback_outbox SET head = 1 WHERE id = NEW.id;
        END""",
        """CREATE TRIGGER trg_callback_outbox_head_next AFTER UPDATE OF state ON callback_outbox
        WHEN OLD.state = 'pending' AND NEW.state <> 'pending'
        BEGIN
            UPDATE callback_outbox SET head = 0 WHERE id = NEW.id AND head <> 0;
            UPDATE callback_outbox SET head = 1 WHERE id = (
                SELECT min(c.id) FROM callback_outbox AS c
                WHERE c.message_sid = NEW.message_sid AND c.state = 'pending');
        END""",
    ],
    "postgresql": [
        """CREATE FUNCTION callback_outbox_head_insert() RETURNS trigger AS $$
        BEGIN
            NEW.head := CASE WHEN NEW.state = 'pending' AND NOT EXISTS (
                SELECT 1 FROM callback_outbox AS c WHERE c.message_sid = NEW.message_sid
                AND c.state = 'pending' AND c.id < NEW.id) THEN 1 ELSE 0 END;
            RETURN NEW;
        END $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER trg_callback_outbox_head_insert BEFORE INSERT ON callback_outbox
            FOR EACH ROW EXECUTE FUNCTION callback_outbox_head_insert()""",
        """CREATE FUNCTION callback_outbox_head_leave() RETURNS trigger AS $$
        BEGIN
            NEW.head := 0;
            RETURN NEW;
        END $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER trg_callback_outbox_head_leave BEFORE UPDATE OF state ON callback_outbox
            FOR EACH ROW WHEN (OLD.state = 'pending' AND NEW.state <> 'pending')
            EXECUTE FUNCTION callback_outbox_head_leave()""",
        """CREATE FUNCTION callback_outbox_head_next() RETURNS trigger AS $$
        BEGIN
            UPDATE callback_outbox SET head = 1 WHERE id = (
                SELECT min(c.id) FROM callback_outbox AS c
                WHERE c.message_sid = NEW.message_sid AND c.state = 'pending');
            RETURN NULL;
        END $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER trg_callback_outbox_head_next AFTER UPDATE OF state ON callback_outbox
            FOR EACH ROW WHEN (OLD.state = 'pending' AND NEW.state <> 'pending')
            EXECUTE FUNCTION callback_outbox_head_next()""",
    ],
}
DROP_HEAD_TRIGGERS = {
    "sqlite": ["DROP TRIGGER IF EXISTS trg_callback_outbox_head_insert",
               "DROP TRIGGER IF EXISTS trg_callback_outbox_head_next"],
    "postgresql": ["DROP TRIGGER IF EXISTS trg_callback_outbox_head_insert ON callback_outbox",
                   "DROP TRIGGER IF EXISTS trg_callback_outbox_head_leave ON callback_outbox",
                   "DROP TRIGGER IF EXISTS trg_callback_outbox_head_next ON callback_outbox",
                   "DROP FUNCTION IF EXISTS callback_outbox_head_insert()",
                   "DROP FUNCTION IF EXISTS callback_outbox_head_leave()",
                   "DROP FUNCTION IF EXISTS callback_outbox_head_next()"],
}


def upgrade() -> None:
    op.add_column('callback_outbox', sa.Column('head', sa.Integer(), nullable=False,
                                               server_default=sa.text('0')))
    op.execute("""UPDATE callback_outbox SET head = 1 WHERE id IN (
        SELECT min(id) FROM callback_outbox WHERE state = 'pending' GROUP BY message_sid)""")
    op.create_index('ix_callback_outbox_due', 'callback_outbox', ['next_attempt_at', 'id'], unique=False,
                    sqlite_where=sa.text(DUE_WHERE), postgresql_where=sa.text(DUE_WHERE))
    dialect = op.get_bind().dialect.name
    for statement in HEAD_TRIGGERS.get(dialect, []):
        op.execute(statement)
    if dialect == "postgresql":
        op.execute("ANALYZE callback_outbox")


def downgrade() -> None:
    for statement in DROP_HEAD_TRIGGERS.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    op.drop_index('ix_callback_outbox_due', table_name='callback_outbox')
    with op.batch_alter_table('callback_outbox', schema=None) as batch_op:
        batch_op.drop_column('head')
