"""The trigger that announces due queued messages on PostgreSQL.

A row that becomes a due ``queued`` message (inserted queued, or moved back
to ``queued`` due at once: a takeover, a restart's requeue) makes the
database ``NOTIFY`` the channel ``QUEUED_CHANNEL`` with the message's
channel (``sms`` or ``mms``) as payload.  PostgreSQL sends a transaction's
notifications at its COMMIT, never before, and folds identical ones into
one, so a group commit of a thousand intakes wakes each listening node
once, after the rows are visible.  ``gateway.cluster.listen`` listens and
wakes the dispatcher.  A requeue for later (no bind up: due in
``retry_delay``) is left to the periodic poll.  SQLite has no trigger here:
one node, woken in process.

Created by migration 0011 (which holds its own frozen copy), and by
``metadata.create_all`` through a DDL event, for tests that use it.
"""
from __future__ import annotations

QUEUED_CHANNEL = "gateway_queued"

NOTIFY_TRIGGERS = {
    "postgresql": [
        f"""CREATE FUNCTION messages_notify_queued() RETURNS trigger AS $$
        BEGIN
            PERFORM pg_notify('{QUEUED_CHANNEL}', NEW.channel);
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


def create_notify_triggers(target, connection, **_kw) -> None:
    """DDL event handler: create the triggers after ``messages``."""
    for statement in NOTIFY_TRIGGERS.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)
