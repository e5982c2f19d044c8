"""A benchmark run's own database: a SQLite file in the run's work folder,
or a fresh schema in PostgreSQL, dropped after the run."""
from __future__ import annotations

import uuid
from typing import Callable

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def database_url(kind: str, workdir: str,
                 sqlite_name: str = "gateway.db") -> tuple[str, Callable[[], None] | None]:
    """The URL for ``--db`` *kind* ("sqlite", "postgresql" or an SQLAlchemy
    URL), and the function that drops the schema afterwards (None on SQLite)."""
    if kind == "sqlite":
        return f"sqlite:///{workdir}/{sqlite_name}", None
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    url = PG_URL if kind == "postgresql" else kind
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')

    def drop() -> None:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()

    # application_name marks this run's backends (cpu_meter.PostgresBackends)
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}",
                                              "application_name": schema})
    return scoped.render_as_string(hide_password=False), drop
