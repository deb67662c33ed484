"""Many rows at once, on the database's fastest path: ``COPY`` on PostgreSQL, one prepared
statement run over every row on SQLite (SQLAlchemy's per-row parameter handling would cost
more than the database's work). Values are bound as SQLAlchemy binds them (the columns'
own bind processors, the dialect's: SQLite's timestamps are text, compared as text), so a
row written here reads back, and compares, like one written through SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Connection, Table

from regkit.store.schema import UtcDateTime

__all__ = ["Bulk", "sqlite_time"]

Processor = Callable[[Any], Any]


def sqlite_time(value: datetime | None) -> str | None:
    """An aware time as SQLAlchemy writes a :class:`UtcDateTime` into SQLite (UTC, as
    ``YYYY-MM-DD HH:MM:SS.ffffff``), in one call instead of its two processors."""
    if value is None:
        return None
    return _aware(value).astimezone(UTC).isoformat(" ", "microseconds")[:26]


def _aware(value: datetime) -> datetime:
    """A time, refused when naive (as :class:`UtcDateTime` refuses it)."""
    if value.utcoffset() is None:
        raise ValueError(f"a naive timestamp cannot be stored: {value.isoformat()}")
    return value


class Bulk:
    """Bulk statements on one connection, in its transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"

    def _processors(self, columns: Sequence[Column[Any]]) -> list[tuple[int, Processor]]:
        dialect = self.connection.dialect
        found: list[tuple[int, Processor]] = []
        for number, column in enumerate(columns):
            if isinstance(column.type, UtcDateTime) and dialect.name == "sqlite":
                found.append((number, sqlite_time))
                continue
            processor = column.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                found.append((number, processor))
        return found

    def time(self, value: datetime | None) -> Any:
        """A time as this database takes it in a bound row (:meth:`insert` with ``bound``)."""
        if not self.postgres:
            return sqlite_time(value)
        return None if value is None else _aware(value)

    def insert(self, table: Table, rows: Sequence[Sequence[Any]], *, bound: bool = False) -> None:
        """Insert rows in order, each a value per column in the table's order (an
        autoincremented key left out: the database numbers the rows in their order);
        ``bound``: the rows' values are already as the database takes them (their times
        made by :meth:`time`)."""
        if not rows:
            return
        columns = [c for c in table.columns if not (c.primary_key and c.autoincrement is True)]
        names = ", ".join(f'"{column.name}"' for column in columns)
        if not bound:
            rows = self._bound_values(columns, rows)
        if self.postgres:
            cursor = self.connection.connection.cursor()
            with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join("?" for _ in columns)
        cursor = self.connection.connection.cursor()  # the DB-API's own: no check per row
        try:
            cursor.executemany(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', rows)
        finally:
            cursor.close()

    def rows_in(
        self, table: Table, column: str, values: Sequence[Any], wanted: Sequence[str]
    ) -> list[tuple[Any, ...]]:
        """Some columns of the rows whose ``column`` is one of some values."""
        if not values:
            return []
        names = ", ".join(f'"{name}"' for name in wanted)
        if self.postgres:
            result = self.connection.exec_driver_sql(
                f'SELECT {names} FROM "{table.name}" WHERE "{column}" = ANY(%s)',
                (list(values),),
            )
            return [tuple(row) for row in result]
        marks = ", ".join("?" for _ in values)
        cursor = self.connection.connection.cursor()
        try:
            cursor.execute(
                f'SELECT {names} FROM "{table.name}" WHERE "{column}" IN ({marks})', values
            )
            return [tuple(row) for row in cursor.fetchall()]
        finally:
            cursor.close()

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
