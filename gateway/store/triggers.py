"""The triggers that count messages per (account, channel) (see
``gateway.store.schema`` and ``gateway.store.counts``).

* SQLite (one writer): each row inserted or deleted moves its
  ``message_counts`` row by one, as migration 0002 made them.
* PostgreSQL (a cluster's writers commit side by side): a statement
  appends one ``message_count_deltas`` row per (account, channel) it
  touched, ``+k`` for k messages inserted and ``-k`` for k deleted.  An
  insert takes no lock on any existing row, so two nodes' batches neither
  wait on one counts row nor deadlock over two of them (they did when each
  insert updated the row).  A prune batch of 500 messages is one delta row
  per account, not 500 updates of one row.

Created by migrations 0002 and 0013 (which hold their own frozen copies),
and by ``metadata.create_all`` through a DDL event, for tests that use it.
A future SQLite "batch" migration that recreates ``messages`` must create
them again.
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
    ],
}
DROP_COUNT_TRIGGERS = {
    "sqlite": ["DROP TRIGGER IF EXISTS trg_messages_count_insert",
               "DROP TRIGGER IF EXISTS trg_messages_count_delete"],
    "postgresql": ["DROP TRIGGER IF EXISTS trg_messages_count_insert ON messages",
                   "DROP TRIGGER IF EXISTS trg_messages_count_delete ON messages",
                   "DROP FUNCTION IF EXISTS messages_count_insert()",
                   "DROP FUNCTION IF EXISTS messages_count_delete()"],
}


def create_count_triggers(target, connection, **_kw) -> None:
    """DDL event handler: create the triggers after ``message_count_deltas``."""
    for statement in COUNT_TRIGGERS.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)
