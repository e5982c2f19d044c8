"""notify listeners of due queued messages (PostgreSQL)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

On PostgreSQL, a message that becomes due in ``queued`` (inserted, or put
back due at once) makes the database NOTIFY ``gateway_queued`` at commit,
so every node's dispatcher wakes without waiting for its poll.  Nothing on
SQLite.
"""
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# Frozen copy of gateway.store.notify_triggers as of this revision.
NOTIFY_TRIGGERS = {
    "postgresql": [
        """CREATE FUNCTION messages_notify_queued() RETURNS trigger AS $$
        BEGIN
            PERFORM pg_notify('gateway_queued', NEW.channel);
            RETURN NULL;
        END $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER trg_messages_notify_insert AFTER INSERT ON messages
            FOR EACH ROW WHEN (NEW.status = 'queued')
            EXECUTE FUNCTION messages_notify_queued()""",
        """CREATE TRIGGER trg_messages_notify_requeue AFTER UPDATE OF status ON messages
            FOR EACH ROW WHEN (NEW.status = 'queued' AND OLD.status <> 'queued'
                               AND NEW.next_attempt_at <= NEW.date_updated)
            EXECUTE FUNCTION messages_notify_queued()""",
    ],
}
DROP_NOTIFY_TRIGGERS = {
    "postgresql": ["DROP TRIGGER IF EXISTS trg_messages_notify_requeue ON messages",
                   "DROP TRIGGER IF EXISTS trg_messages_notify_insert ON messages",
                   "DROP FUNCTION IF EXISTS messages_notify_queued()"],
}


def upgrade() -> None:
    for statement in NOTIFY_TRIGGERS.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP_NOTIFY_TRIGGERS.get(op.get_bind().dialect.name, []):
        op.execute(statement)
