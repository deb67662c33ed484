"""Row validation: each raw row becomes a record or a :class:`~regkit.errors.RecordError`;
slices of a columnar source are checked column-wise by :mod:`regkit.schemas.io.columnar` and
assembled into records."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import polars as pl
from pydantic import ValidationError

from regkit.errors import RecordError
from regkit.schemas.base import Record
from regkit.schemas.io.columnar import assemble_records
from regkit.schemas.io.formats import (
    FileFormat,
    Source,
    _describe,
    _gc_paused,
    _is_path,
    _open_rows,
    _Row,
    _Slice,
    _with_defaults,
    reader_failure,
)
from regkit.schemas.layout import ModelLayout, layout_of

R = TypeVar("R", bound=Record)


#: Rows validated between two yields of the streaming reader.
CHUNK_ROWS = 50_000


# --- chunking and validation -------------------------------------------------------------


@dataclass
class _Chunk(Generic[R]):
    items: list[R | RecordError]
    rows: int

    @property
    def records(self) -> list[R]:
        return [item for item in self.items if not isinstance(item, RecordError)]

    @property
    def errors(self) -> list[RecordError]:
        return [item for item in self.items if isinstance(item, RecordError)]


def _guarded_chunks(
    source: Source, model: type[R], format: FileFormat | None
) -> Iterator[_Chunk[R]]:
    """:func:`_chunks` behind the reader boundary: a failure ends the read with an error."""
    rows = 0
    try:
        for chunk in _chunks(source, model, format):
            rows += chunk.rows
            yield chunk
    except BaseException as exc:
        error = reader_failure(exc, _describe(source), model, rows + 1)
        if error is None:
            raise
        yield _Chunk(items=[error], rows=0)


def _chunks(source: Source, model: type[R], format: FileFormat | None) -> Iterator[_Chunk[R]]:
    layout = layout_of(model)
    file = _describe(source)
    raw_rows, file_errors = _open_rows(source, layout, format)
    if file_errors:
        yield _Chunk(items=[_for_model(error, model) for error in file_errors], rows=0)
        return
    validator = _Validator(model, layout, file if _is_path(source) else None)
    pending: list[_Row] = []
    for raw in raw_rows:
        if isinstance(raw, _Slice):
            yield validator.frame_chunk(raw)
            continue
        pending.append(raw)
        if len(pending) >= CHUNK_ROWS:
            yield validator.chunk(pending)
            pending = []
    if pending:
        yield validator.chunk(pending)


def _key_getter(key_fields: tuple[str, ...]) -> Callable[[Any], str | None]:
    """The key of a validated record, fast for the usual one-field key."""
    if not key_fields:
        return lambda record: None
    if len(key_fields) == 1:
        return operator.attrgetter(key_fields[0])
    return lambda record: record.key


def _for_model(error: RecordError, model: type[Record]) -> RecordError:
    """The same error, naming the record class it was read for."""
    if error.model is not None:
        return error
    return RecordError(
        error.reason,
        file=error.file,
        line=error.line,
        row=error.row,
        key=error.key,
        field=error.field,
        value=error.value,
        model=model.__name__,
    )


class _Validator(Generic[R]):
    def __init__(self, model: type[R], layout: ModelLayout, file: str | None) -> None:
        self.model = model
        self.layout = layout
        self.file = file
        self.keys: dict[str, int] = {}
        self.shared: dict[str, dict[tuple[Any, ...], Any]] = {}

    def chunk(self, rows: list[_Row]) -> _Chunk[R]:
        with _gc_paused():
            items = [self.one(row) for row in rows]
        return _Chunk(items=items, rows=len(rows))

    def frame_chunk(self, part: _Slice) -> _Chunk[R]:
        """A slice of a columnar source: checked column-wise, records assembled from the
        checked columns; a row that fails a check is read again the careful way, so its
        error names the reason exactly as for any other source."""
        frame = _with_defaults(part.frame, self.layout)
        key_of = _key_getter(self.layout.key_fields)
        keys = self.keys
        items: list[R | RecordError] = []
        with _gc_paused():
            good, _ = assemble_records(frame, self.model, part.first_row, self.shared)
            checked = iter(good)  # in row order, like the rows
            next_good = next(checked, None)
            for index in range(frame.height):
                number = part.first_row + index
                if next_good is None or next_good[0] != number:
                    items.append(self._careful(frame, index, number))
                    continue
                record = next_good[1]
                next_good = next(checked, None)
                # The validated key, as the row path keeps it: " T1 " is T1, and one instant
                # written with two offsets is one snapshot time.
                key = key_of(record)
                if key is not None:
                    first = keys.setdefault(key, number)
                    if first != number:
                        items.append(self._duplicate({}, number, key, first))
                        continue
                items.append(record)
        return _Chunk(items=items, rows=frame.height)

    def _careful(self, frame: pl.DataFrame, index: int, number: int) -> R | RecordError:
        # Read the row again the careful way, so the error speaks of what the file says.
        flat = frame.row(index, named=True)
        return self.one(_Row(self.layout.from_flat(flat), number, flat=flat))

    def _duplicate(self, data: dict[str, Any], number: int, key: str, first: int) -> RecordError:
        reason = f"duplicate key (first seen in row {first})"
        return self._error(_Row(data, number), reason, None, key)

    def one(self, raw: _Row) -> R | RecordError:
        if raw.problem is not None or raw.data is None:
            return self._error(raw, raw.problem or "unreadable row", None, None)
        try:
            record = self.model.model_validate(raw.data)
        except ValidationError as exc:
            return self._validation_error(raw, exc)
        key = record.key
        if key:
            first = self.keys.setdefault(key, raw.row)
            if first != raw.row:
                return self._error(raw, f"duplicate key (first seen in row {first})", None, key)
        return record

    def _validation_error(self, raw: _Row, exc: ValidationError) -> RecordError:
        details = exc.errors(include_url=False)
        first = details[0]
        path = self.layout.field_path(first["loc"])
        reason = self._message(first)
        if len(details) > 1:
            others = "; ".join(
                f"{self.layout.field_path(d['loc']) or '(record)'}: {self._message(d)}"
                for d in details[1:4]
            )
            more = f" and {len(details) - 4} more" if len(details) > 4 else ""
            reason = f"{reason} (also {others}{more})"
        value = None if first["type"] in _NO_VALUE_TYPES else first.get("input")
        error = self._error(raw, reason, path, None, value)
        error.errors = [
            {
                "loc": self.layout.field_path(d["loc"]),
                "msg": d["msg"],
                "type": d["type"],
                "input": d.get("input"),
            }
            for d in details
        ]
        return error

    def _message(self, detail: Any) -> str:
        # pydantic prefixes the message of a ValueError raised in a validator; ours say it all.
        message = str(detail["msg"]).removeprefix("Value error, ")
        if detail["type"] == "extra_forbidden":  # a misspelt field: "did you mean ...?"
            message += self.layout._suggest(self.layout.field_path(detail["loc"]))
        return message

    def _error(
        self,
        raw: _Row,
        reason: str,
        path: str | None,
        key: str | None,
        value: Any = None,
    ) -> RecordError:
        if key is None:
            key = self.layout.raw_key(raw.data if raw.data is not None else raw.flat)
        return RecordError(
            reason,
            file=self.file,
            line=raw.line,
            row=raw.row,
            key=key,
            field=path or None,
            value=value,
            model=self.model.__name__,
        )


#: Error types whose ``input`` is the whole record or nothing useful to show.
_NO_VALUE_TYPES = frozenset({"missing", "value_error_model", "model_type", "dict_type"})
