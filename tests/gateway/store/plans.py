"""The statements a store job runs, and the plans the database makes of them.

``statements(conn, job)`` records every statement (with its parameters) that
``job()`` sends on ``conn``; ``statement_plans(conn, job)`` plans each as the
database would (SQLite's ``EXPLAIN QUERY PLAN``, PostgreSQL's ``EXPLAIN``,
replaying the planner settings the job made on the way)."""
from __future__ import annotations

from typing import Any, Callable

from sqlalchemy import event


def statements(conn, job: Callable[[], Any]) -> list[tuple[str, Any]]:
    seen = []

    def record(_conn, _cursor, statement, parameters, _context, _many):
        seen.append((statement, parameters))

    event.listen(conn.engine, "before_cursor_execute", record)
    try:
        job()
    finally:
        event.remove(conn.engine, "before_cursor_execute", record)
    return seen


def statement_plans(conn, job: Callable[[], Any], *, sep: str = " | ") -> list[tuple[str, str]]:
    """(statement, plan) of every statement ``job`` runs, in order; a plan's
    lines joined by ``sep``."""
    seen = statements(conn, job)
    if conn.dialect.name == "sqlite":
        return [(st, sep.join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + st, p)))
                for st, p in seen]
    plans = []
    for st, p in seen:  # in order, with the planner settings the job made on the way
        if st.startswith("SET ") or "set_config(" in st:
            conn.exec_driver_sql(st, p)
        elif "current_setting(" not in st:
            plans.append((st, sep.join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + st, p))))
    return plans
