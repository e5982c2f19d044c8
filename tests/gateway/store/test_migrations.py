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
