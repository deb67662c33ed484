"""Many rows at once, on the database's fastest path: ``COPY`` on PostgreSQL, one prepared
statement run over every row on SQLite (SQLAlchemy's per-row parameter handling would cost
more than the database's work). Values are bound as SQLAlchemy binds them (the columns'
own bind processors, the dialect's: SQLite's timestamps are text, compared as text), so a
row written here reads back, and compares, like one written through SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Column, Connection, Table

__all__ = ["Bulk"]

Processor = Callable[[Any], Any]


class Bulk:
    """Bulk statements on one connection, in its transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"

    def _processors(self, columns: Sequence[Column[Any]]) -> list[tuple[int, Processor]]:
        dialect = self.connection.dialect
        found: list[tuple[int, Processor]] = []
        for number, column in enumerate(columns):
            processor = column.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                found.append((number, processor))
        return found

    def insert(self, table: Table, rows: Sequence[Sequence[Any]]) -> None:
        """Insert rows in order, each a value per column in the table's order (an
        autoincremented key left out: the database numbers the rows in their order)."""
        if not rows:
            return
        columns = [c for c in table.columns if not (c.primary_key and c.autoincrement is True)]
        names = ", ".join(f'"{column.name}"' for column in columns)
        bound = self._bound_values(columns, rows)
        if self.postgres:
            cursor = self.connection.connection.cursor()
            with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                for row in bound:
                    copy.write_row(row)
            return
        marks = ", ".join("?" for _ in columns)
        self.connection.exec_driver_sql(
            f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', bound
        )

    def existing(self, table: Table, column: str, values: Sequence[str]) -> set[str]:
        """Which of some text values a column holds."""
        if not values:
            return set()
        if self.postgres:
            result = self.connection.exec_driver_sql(
                f'SELECT "{column}" FROM "{table.name}" WHERE "{column}" = ANY(%s)',
                (list(values),),
            )
        else:
            marks = ", ".join("?" for _ in values)
            result = self.connection.exec_driver_sql(
                f'SELECT "{column}" FROM "{table.name}" WHERE "{column}" IN ({marks})',
                tuple(values),
            )
        return {row[0] for row in result}

    def update(self, table: Table, key: str, values: dict[str, Any], keys: Sequence[Any]) -> None:
        """Set the same values on the rows of some keys."""
        if not keys:
            return
        columns = [table.c[name] for name in values]
        (bound,) = self._bound_values(columns, [list(values.values())])
        if self.postgres:
            sets = ", ".join(f'"{name}" = %s' for name in values)
            self.connection.exec_driver_sql(
                f'UPDATE "{table.name}" SET {sets} WHERE "{key}" = ANY(%s)',
                (*bound, list(keys)),
            )
            return
        sets = ", ".join(f'"{name}" = ?' for name in values)
        self.connection.exec_driver_sql(
            f'UPDATE "{table.name}" SET {sets} WHERE "{key}" = ?',
            [(*bound, item) for item in keys],
        )

    def _bound_values(
        self, columns: Sequence[Column[Any]], rows: Iterable[Sequence[Any]]
    ) -> list[tuple[Any, ...]]:
        processors = self._processors(columns)
        bound = []
        for row in rows:
            values = list(row)
            for number, processor in processors:
                values[number] = processor(values[number])
            bound.append(tuple(values))
        return bound
