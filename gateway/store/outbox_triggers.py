"""The triggers that keep ``callback_outbox.head`` (see ``gateway.callbacks.outbox``).

``head = 1`` marks the lowest *pending* row of each message: the only row of
the message that may be sent now.  The database keeps the mark whoever
writes the table, so every insert path (transitions, claims, inbound) and
every state change (done, dead, by the sender or by anything else) keeps it
right without knowing about it:

* a row inserted while its message has no earlier pending row is the head;
* a row that leaves ``pending`` drops the mark, and the message's next
  pending row (if any) takes it.

Created by migration 0005 and, on PostgreSQL, rewritten by 0012 (each holds
its own frozen copy), and by ``metadata.create_all`` through a DDL event,
for tests that use it.
"""
from __future__ import annotations

# PostgreSQL: the message's rows, found through ix_callback_outbox_message
# alone.  Asked for ``message_sid`` and ``state`` together, the planner may
# AND that index with the ``state`` index, whose ``pending`` range holds
# every pending row and, until VACUUM, an entry for every row that was ever
# pending: a look-up that costs more with every callback written.  OFFSET 0
# keeps the subquery from being merged into the outer query, so the state
# test applies to the message's few rows only.
PG_MESSAGE_ROWS = ("(SELECT id, state FROM callback_outbox "
                   "WHERE message_sid = NEW.message_sid OFFSET 0)")

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
        f"""CREATE FUNCTION callback_outbox_head_insert() RETURNS trigger AS $$
        BEGIN
            NEW.head := CASE WHEN NEW.state = 'pending' AND NOT EXISTS (
                SELECT 1 FROM {PG_MESSAGE_ROWS} AS c
                WHERE c.state = 'pending' AND c.id < NEW.id) THEN 1 ELSE 0 END;
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
        f"""CREATE FUNCTION callback_outbox_head_next() RETURNS trigger AS $$
        BEGIN
            UPDATE callback_outbox SET head = 1 WHERE id = (
                SELECT min(c.id) FROM {PG_MESSAGE_ROWS} AS c WHERE c.state = 'pending');
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
# The rows that are heads, for backfilling an existing table.
BACKFILL_HEADS = """UPDATE callback_outbox SET head = 1 WHERE id IN (
    SELECT min(id) FROM callback_outbox WHERE state = 'pending' GROUP BY message_sid)"""
DUE_WHERE = "head = 1"  # the due-row index keeps only heads


def create_head_triggers(target, connection, **_kw) -> None:
    """DDL event handler: create the triggers after ``callback_outbox``."""
    for statement in HEAD_TRIGGERS.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)
