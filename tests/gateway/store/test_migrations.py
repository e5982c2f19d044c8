from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from gateway.store import migrate
from gateway.store.schema import metadata


def test_upgrade_reaches_head_and_is_idempotent(db_url):
    assert migrate.current(db_url) is None
    assert migrate.upgrade(db_url) == migrate.head()
    assert migrate.upgrade(db_url) == migrate.head()
    assert migrate.current(db_url) == migrate.head()


def test_migration_head_equals_schema_metadata(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    assert diff == []


def test_sqlite_runs_in_wal_mode(tmp_path):
    url = f"sqlite:///{tmp_path}/wal.db"
    migrate.upgrade(url)
    from gateway.store.engine import make_engine
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    engine.dispose()


def test_message_counts_follow_inserts_and_deletes(engine):
    from sqlalchemy import delete, select

    from gateway.store import counts, schema as s
    from gateway.messages.store import insert_message
    from gateway.messages.queries import ListQuery, count_messages

    from .factories import message_row

    account = "AC" + "1" * 32
    with engine.begin() as conn:
        for channel in ("sms", "sms", "mms"):
            insert_message(conn, message_row(channel=channel))
        insert_message(conn, message_row(account_sid="AC2"))
    with engine.begin() as conn:
        assert count_messages(conn, account, ListQuery()) == 3
        assert count_messages(conn, account, ListQuery(channel="sms")) == 2
        assert count_messages(conn, account, ListQuery(channel="mms", status="queued")) == 1
        conn.execute(delete(s.messages).where(s.messages.c.channel == "mms"))
        assert count_messages(conn, account, ListQuery()) == 2
        counts.fold(conn)  # PostgreSQL's deltas into message_counts
        assert count_messages(conn, account, ListQuery()) == 2
        assert conn.execute(select(s.message_count_deltas)).all() == []
        rows = conn.execute(select(s.message_counts)).all()
        assert sorted((r.account_sid, r.channel, r.n) for r in rows) == sorted([
            ("AC2", "sms", 1), (account, "mms", 0), (account, "sms", 2)])


def test_upgrade_from_0001_backfills_counts(db_url):
    from gateway.store.engine import make_engine
    from gateway.messages.store import insert_message
    from gateway.messages.queries import ListQuery, count_messages

    from .factories import message_row

    migrate.upgrade(db_url, "0001")
    engine = make_engine(db_url, writer=True)
    with engine.begin() as conn:
        for _ in range(3):
            insert_message(conn, message_row())
    migrate.upgrade(db_url)
    with engine.begin() as conn:
        insert_message(conn, message_row())
        assert count_messages(conn, "AC" + "1" * 32, ListQuery()) == 4
    engine.dispose()


def _triggers(engine) -> dict[str, str]:
    """Every trigger of the store, and on PostgreSQL every function, by
    name: its definition with the whitespace folded (and the schema left out)."""
    schema = ""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all()
        else:
            schema = conn.exec_driver_sql("SELECT current_schema()").scalar_one() + "."
            rows = conn.exec_driver_sql(
                "SELECT t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c "
                "ON c.oid = t.tgrelid WHERE NOT t.tgisinternal "
                "AND c.relnamespace = current_schema()::regnamespace UNION ALL "
                "SELECT proname, prosrc FROM pg_proc WHERE pronamespace = current_schema()::regnamespace").all()
    return {name: " ".join(sql.replace(schema, "").split()) for name, sql in rows}


def test_migration_head_has_the_triggers_of_the_schema_module(engine, tmp_path):
    """What the migrations create equals what gateway.store's trigger
    modules create (through create_all, as some tests build a store)."""
    from sqlalchemy import create_engine

    from tests.db_backends import database_url

    backend = engine.dialect.name
    with database_url(backend, tmp_path / "created.db", prefix="gw_created") as url:
        created = create_engine(url)
        metadata.create_all(created)
        try:
            assert _triggers(engine) == _triggers(created) != {}
        finally:
            created.dispose()
