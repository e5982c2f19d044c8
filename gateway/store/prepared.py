"""Hot statements run as prepared driver SQL: the writer's per-row fast path.

A Core statement is compiled ONCE per dialect; each run converts the rows'
values with the column types' own bind processors (so SQLite stores a
datetime exactly as SQLAlchemy would) and hands the rows to the driver's
``executemany`` through ``Connection.exec_driver_sql``.  That skips
SQLAlchemy's per-row parameter construction, which at thousands of rows
per second cost more than SQLite's own work.  Same SQL, same transaction,
same values: only the Python in between is shorter.

Use it for INSERT/UPDATE statements whose parameters are plain bind
parameters named by ``names`` (``bindparam`` in a WHERE, or the column
names of ``insert(table)`` / ``.values(...)``), and no JSON columns (a None
is passed as SQL NULL).
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from sqlalchemy.engine import Connection


class Prepared:
    def __init__(self, statement: Any, names: Sequence[str]) -> None:
        self.statement = statement
        self.names = tuple(names)
        self._by_dialect: dict[str, tuple] = {}

    def _compiled(self, conn: Connection) -> tuple:
        dialect = conn.dialect
        key = dialect.name
        found = self._by_dialect.get(key)
        if found is None:
            compiled = self.statement.compile(dialect=dialect,
                                              column_keys=list(self.names))
            binds = compiled.binds
            processors = {}
            for name in self.names:
                bind = binds[name]
                process = bind.type.dialect_impl(dialect).bind_processor(dialect)
                if process is not None:
                    processors[name] = process
            if dialect.positional:
                order = tuple(compiled.positiontup)
                unknown = set(order) - set(self.names)
                if unknown:
                    raise ValueError(f"statement has parameters {sorted(unknown)} not in names")
            else:
                order = None
            found = (str(compiled), order, processors)
            self._by_dialect[key] = found
        return found

    def run(self, conn: Connection, rows: Iterable[Mapping[str, Any]]) -> int:
        """Execute for every row (a mapping with every name); rows affected."""
        sql, order, processors = self._compiled(conn)
        rows = list(rows)
        if not rows:
            return 0
        params: list
        if processors:
            # All rows of a batch usually share their datetime objects (`now`):
            # convert each distinct value once.
            converted: dict[tuple[str, int], Any] = {}
            rows = [_convert(row, processors, converted) for row in rows]
        if order is not None:
            params = [tuple([row[name] for name in order]) for row in rows]
        else:
            params = [{name: row[name] for name in self.names} for row in rows]
        result = conn.exec_driver_sql(sql, params if len(params) > 1 else params[0])
        return result.rowcount


def _convert(row: Mapping[str, Any], processors: Mapping[str, Any],
             converted: dict[tuple[str, int], Any]) -> dict[str, Any]:
    out = dict(row)
    for name, process in processors.items():
        value = out[name]
        if value is None:  # NULL as is (no JSON columns here: see the module notes)
            continue
        key = (name, id(value))
        done = converted.get(key)
        if done is None or done[0] is not value:
            done = (value, process(value))
            converted[key] = done
        out[name] = done[1]
    return out
