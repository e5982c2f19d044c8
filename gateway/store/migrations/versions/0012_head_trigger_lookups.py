"""outbox head triggers look a message's rows up by message only (PostgreSQL)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

The head triggers asked for a message's pending rows with ``message_sid``
and ``state`` together, and the planner could AND ix_callback_outbox_message
with the ``state`` index, whose ``pending`` range grows with every callback
ever written (until VACUUM).  The functions now read the message's rows
through a subquery on ``message_sid`` alone (OFFSET 0: not merged) and test
the state on those.  Nothing on SQLite.
"""
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# Frozen copies of gateway.store.outbox_triggers' PostgreSQL functions: as
# of this revision (upgrade) and of 0005 (downgrade).
FUNCTIONS = [
    """CREATE OR REPLACE FUNCTION callback_outbox_head_insert() RETURNS trigger AS $$
    BEGIN
        NEW.head := CASE WHEN NEW.state = 'pending' AND NOT EXISTS (
            SELECT 1 FROM (SELECT id, state FROM callback_outbox
                           WHERE message_sid = NEW.message_sid OFFSET 0) AS c
            WHERE c.state = 'pending' AND c.id < NEW.id) THEN 1 ELSE 0 END;
        RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION callback_outbox_head_next() RETURNS trigger AS $$
    BEGIN
        UPDATE callback_outbox SET head = 1 WHERE id = (
            SELECT min(c.id) FROM (SELECT id, state FROM callback_outbox
                                   WHERE message_sid = NEW.message_sid OFFSET 0) AS c
            WHERE c.state = 'pending');
        RETURN NULL;
    END $$ LANGUAGE plpgsql""",
]
FUNCTIONS_0005 = [
    """CREATE OR REPLACE FUNCTION callback_outbox_head_insert() RETURNS trigger AS $$
    BEGIN
        NEW.head := CASE WHEN NEW.state = 'pending' AND NOT EXISTS (
            SELECT 1 FROM callback_outbox AS c WHERE c.message_sid = NEW.message_sid
            AND c.state = 'pending' AND c.id < NEW.id) THEN 1 ELSE 0 END;
        RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION callback_outbox_head_next() RETURNS trigger AS $$
    BEGIN
        UPDATE callback_outbox SET head = 1 WHERE id = (
            SELECT min(c.id) FROM callback_outbox AS c
            WHERE c.message_sid = NEW.message_sid AND c.state = 'pending');
        RETURN NULL;
    END $$ LANGUAGE plpgsql""",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in FUNCTIONS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in FUNCTIONS_0005:
            op.execute(statement)
