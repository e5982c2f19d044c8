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

from operator import itemgetter
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
            unknown = set(binds) - set(self.names)
            if unknown:
                raise ValueError(f"statement has parameters {sorted(unknown)} not in names")
            order = tuple(compiled.positiontup) if dialect.positional else None
            found = (str(compiled), order, processors)
            self._by_dialect[key] = found
        return found

    def run(self, conn: Connection, rows: Iterable[Mapping[str, Any]]) -> int:
        """Execute for every row (a mapping with every name); rows affected."""
        rows = list(rows)
        if not rows:
            return 0
        sql, order, processors = self._compiled(conn)
        names = order if order is not None else self.names
        get = itemgetter(*names)
        single = len(names) == 1
        # [index, process, last value, its conversion]: the rows of a batch
        # usually share their datetime objects (`now`), converted once.
        converting = [[index, processors[name], None, None]
                      for index, name in enumerate(names) if name in processors]
        positional = order is not None
        params = []
        for row in rows:
            values = get(row)
            if converting:
                values = [values] if single else list(values)
                for slot in converting:
                    value = values[slot[0]]
                    if value is None:  # NULL as is (no JSON columns: see the module notes)
                        continue
                    if value is not slot[2]:
                        slot[2], slot[3] = value, slot[1](value)
                    values[slot[0]] = slot[3]
            elif single:
                values = (values,)
            params.append(tuple(values) if positional else dict(zip(names, values)))
        result = conn.exec_driver_sql(sql, params if len(params) > 1 else params[0])
        return result.rowcount
