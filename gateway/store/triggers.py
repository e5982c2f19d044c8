"""The triggers that keep ``message_counts`` (see ``gateway.store.schema``).

Created by migration 0002 (which holds its own frozen copy), and by
``metadata.create_all`` through a DDL event, for tests that use it.  A
future SQLite "batch" migration that recreates ``messages`` must create them
again.
"""
from __future__ import annotations

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


def create_count_triggers(target, connection, **_kw) -> None:
    """DDL event handler: create the triggers after ``message_counts``."""
    for statement in COUNT_TRIGGERS.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)
