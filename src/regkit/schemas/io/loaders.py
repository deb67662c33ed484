"""Read records from CSV, JSON Lines, Parquet, iterables of dicts and polars DataFrames.

Every row read becomes either a record or a :class:`~regkit.errors.RecordError` that names
the file, the line or row, the record key, the field and the reason. Nothing is dropped.

* CSV: a header row of field names, dotted for nested fields (``instrument.symbol``,
  ``holder.national_ids.NIDN``); list items separated by ``;``; an empty cell is a missing
  value. UTF-8, with or without a byte-order mark.
* JSON Lines: one JSON object a line, nested as the records are; blank lines are skipped.
  Numbers are read as exact decimals.
* Parquet (and polars DataFrames): one column a field, dotted names as in CSV, or struct
  columns for the nested records.

Example:
    >>> import regkit as rk
    >>> batch = rk.read_records(
    ...     [{"movement_id": "M1", "account_id": "A1", "kind": "deposit", "amount": "100",
    ...       "currency": "EUR", "at": "2026-11-20T10:00:00Z"},
    ...      {"movement_id": "M2", "account_id": "A1", "kind": "deposit", "amount": "-5",
    ...       "currency": "EUR", "at": "2026-11-20T11:00:00Z"}],
    ...     rk.CashMovement,
    ... )
    >>> len(batch.records), str(batch.errors[0])
    (1, "CashMovement: row 2, key 'M2', field 'amount': Input should be greater than 0 (got '-5')")
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import polars as pl

from regkit.errors import RecordError
from regkit.schemas.base import Record, flatten
from regkit.schemas.io.columnar import (
    _ROW,
    FrameBatch,
    Kind,
    _finish,
    _plain,
    _Spec,
    _spec,
    validate_frame,
)
from regkit.schemas.io.formats import (
    ErrorMode,
    FileFormat,
    Source,
    _describe,
    _gc_paused,
    decode_json,
    detect_format,
    reader_failure,
    unnest_structs,
)
from regkit.schemas.io.rows import _guarded_chunks

R = TypeVar("R", bound=Record)


@dataclass
class RecordBatch(Generic[R]):
    """What a read returned: the good records and an error for every row that was not one.

    Attributes:
        model: the record class read.
        records: the records, in file order.
        errors: one :class:`RecordError` per rejected row, plus any file-level error.
        source: the file name, or a description of an in-memory source.
        rows: how many rows (data lines, objects, dicts) were seen.
    """

    model: type[R]
    records: list[R] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)
    source: str | None = None
    rows: int = 0

    @property
    def ok(self) -> bool:
        """True when every row became a record."""
        return not self.errors

    def raise_for_errors(self) -> None:
        """Raise the first error, if any (the others stay in :attr:`errors`)."""
        if self.errors:
            raise self.errors[0]

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[R]:
        return iter(self.records)


def read_records(
    source: Source,
    model: type[R],
    errors: ErrorMode = "collect",
    *,
    format: FileFormat | None = None,
) -> RecordBatch[R]:
    """Read every row of ``source`` into ``model`` records.

    Args:
        source: a path (``.csv``, ``.jsonl``/``.ndjson``, ``.parquet``), a polars DataFrame,
            or an iterable of mappings (nested, or flat with dotted keys).
        model: the record class, e.g. :class:`regkit.Trade`.
        errors: ``"collect"`` returns every bad row in :attr:`RecordBatch.errors`;
            ``"raise"`` raises the first :class:`RecordError`.
        format: overrides the format guessed from the file suffix.

    Returns:
        A :class:`RecordBatch` with the records and the errors.
    """
    batch = RecordBatch(model=model, source=_describe(source))
    with _gc_paused():  # the whole batch: records hold no cycles for the collector to find
        for chunk in _guarded_chunks(source, model, format):
            batch.rows += chunk.rows
            batch.records.extend(chunk.records)
            if chunk.errors:
                if errors == "raise":
                    raise chunk.errors[0]
                batch.errors.extend(chunk.errors)
    return batch


def iter_records(
    source: Source,
    model: type[R],
    errors: ErrorMode = "collect",
    *,
    format: FileFormat | None = None,
) -> Iterator[R | RecordError]:
    """Stream ``source`` as records and errors in file order, in constant memory.

    With ``errors="collect"`` each bad row is yielded as a :class:`RecordError` in its
    place (test with ``isinstance``); with ``errors="raise"`` the first one is raised.
    The duplicate-key check keeps one key per record in memory.
    """
    for chunk in _guarded_chunks(source, model, format):
        for item in chunk.items:
            # Raise in place: the records before the bad row are yielded first, in order.
            if errors == "raise" and isinstance(item, RecordError):
                raise item
            yield item


# --- sources ----------------------------------------------------------------------------


def read_frame(
    source: str | os.PathLike[str] | pl.DataFrame,
    model: type[R],
    errors: ErrorMode = "collect",
    *,
    format: FileFormat | None = None,
) -> FrameBatch[R]:
    """Read a file (or take a DataFrame) into a validated columnar batch.

    CSV is read with every column as text, so decimals keep every digit; Parquet columns
    may be typed or text; JSON Lines goes through the exact-decimal JSON reader of
    :func:`regkit.read_records` (every fast JSON reader turns a number into binary floating point).
    A CSV that polars cannot parse (broken encoding, a truncated quote) is read row by row,
    so each bad row gets its own error and the good ones survive.
    """
    name = "<DataFrame>" if isinstance(source, pl.DataFrame) else os.fspath(source)
    try:
        batch = _read_frame(source, model, format)
    except BaseException as exc:  # the reader boundary: see reader_failure
        error = reader_failure(exc, name, model)
        if error is None:
            raise
        batch = FrameBatch(model, pl.DataFrame(), [error], 0, name)
    return _finish(batch, errors)


def _read_frame(
    source: str | os.PathLike[str] | pl.DataFrame, model: type[R], format: FileFormat | None
) -> FrameBatch[R]:
    if isinstance(source, pl.DataFrame):
        return validate_frame(source, model, source="<DataFrame>")
    path = os.fspath(source)
    try:
        kind = format or detect_format(path)
    except RecordError as exc:
        return FrameBatch(model, pl.DataFrame(), [exc], 0, path)
    frame, early = _read_raw(path, kind, model)
    if frame is None or frame.width == 0:
        rows = len({error.row for error in early if error.row is not None})
        return FrameBatch(model, pl.DataFrame(), early, rows, path)
    batch = validate_frame(frame, model, "collect", source=path)
    batch.errors = sorted([*early, *batch.errors], key=lambda e: e.row or 0)
    batch.rows += len(early)
    return batch


def _read_raw(
    path: str, kind: FileFormat, model: type[Record]
) -> tuple[pl.DataFrame | None, list[RecordError]]:
    if not os.path.isfile(path):
        return None, [RecordError("no such file", file=path)]
    if os.path.getsize(path) == 0:
        return None, [RecordError("the file is empty: no header and no rows", file=path)]
    if kind == "parquet":
        try:
            return pl.read_parquet(path), []
        except Exception as exc:  # polars raises several error types for a broken file
            return None, [RecordError(f"not a readable Parquet file: {exc}", file=path)]
    if kind == "csv" and _regular_csv(path):
        try:
            return pl.read_csv(path, infer_schema=False, encoding="utf8"), []
        except Exception:  # the row reader below says what is wrong
            pass
    if kind == "jsonl":
        frame = _exact_ndjson(path, model)
        if frame is not None:
            return frame, []
    return _rows_to_frame(path, model)


def _regular_csv(path: str) -> bool:
    """Whether polars reads the CSV file row for row as the row reader does: no quotes, a
    line end after every line, no blank line, every line as wide as the header. polars
    would read a short or truncated line with empty cells and a blank line as a row of
    them, where the row reader reports the first and skips the second.

    polars refuses a line wider than the header, so when the file has exactly the header's
    commas on every line in all, no line has fewer (a blank line has none). The file is
    read a few megabytes at a time.
    """
    counts = {b'"': 0, b"\r": 0, b"\r\n": 0, b",": 0, b"\n": 0}
    header: int | None = None
    seen = b""
    last = b""
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_CSV_BLOCK), b""):
            for token in counts:
                counts[token] += block.count(token)
            counts[b"\r\n"] += last == b"\r" and block.startswith(b"\n")
            last = block[-1:]
            if header is None:
                seen += block
                if b"\n" in seen:
                    header = seen[: seen.index(b"\n")].count(b",")
    lone_cr = counts[b"\r"] != counts[b"\r\n"]
    if counts[b'"'] or lone_cr or last != b"\n" or header is None:
        return False
    return header > 0 and counts[b","] == header * counts[b"\n"]


#: Bytes of a CSV file read at a time to see whether it is regular.
_CSV_BLOCK = 4 << 20


def regular_csv(path: str | os.PathLike[str]) -> bool:
    """Whether a CSV file is one polars reads exactly as regkit's row reader does (no
    quotes, no blank or short line, a line end after the last): such a file can be
    converted to Parquet by polars' streaming engine (``pl.scan_csv(path,
    infer_schema=False)``) and checked in chunks, its rows numbered as they are here."""
    return _regular_csv(os.fspath(path))


def _exact_ndjson(path: str, model: type[Record]) -> pl.DataFrame | None:
    """The JSON Lines file read by polars, when that reads what the row reader reads: every
    line is a JSON object :func:`regkit.schemas.io.formats.decode_json` accepts, with no blank line,
    and every value is one polars keeps as the model reads it (text, a bool for a flag, a
    whole number for a number, a list of text for a list). Otherwise ``None``, and the exact
    row reader takes over: polars keeps the first of a key given twice, turns a list or a
    number in a text field into text and a fraction into binary floating point."""
    if not _plain_json(path, _spec(model)):
        return None
    try:
        frame = unnest_structs(pl.read_ndjson(path, infer_schema_length=None))
    except Exception:
        return None
    decimals = {c.path for c in _spec(model).columns if c.kind == "decimal"}
    inexact = [name for name in decimals & set(frame.columns) if frame.schema[name].is_float()]
    return None if inexact else frame


def _plain_json(path: str, spec: _Spec) -> bool:
    kinds = {column.path: column.kind for column in spec.columns}
    with open(path, "rb") as handle:
        for line in handle:
            try:
                data = decode_json(line.decode("utf-8"))
            except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
                return False
            if not isinstance(data, dict):
                return False
            for name, value in flatten(data).items():
                kind = kinds.get(name, "text" if spec.layout.is_known(name) else None)
                # An unknown column is the header check's to refuse, for the whole file.
                if kind is not None and not _kept(kind, value):
                    return False
    return True


def _kept(kind: Kind, value: Any) -> bool:
    """Whether polars reads a JSON value as the model does."""
    if value is None or value.__class__ is str:
        return True
    if value.__class__ is bool:
        return kind == "bool"
    if value.__class__ is int:
        return kind in ("decimal", "int") and -(2**63) <= value < 2**63
    if value.__class__ is list:
        return kind == "list" and all(item.__class__ is str for item in value)
    return False


def _rows_to_frame(path: str, model: type[Record]) -> tuple[pl.DataFrame | None, list[RecordError]]:
    """Read row by row (exact, forgiving), keeping good rows as flat text for the checks."""
    rows: list[dict[str, Any]] = []
    found: list[RecordError] = []
    for number, item in enumerate(iter_records(path, model, "collect"), start=1):
        if isinstance(item, RecordError):
            if item.row is None:
                return None, [item]
            found.append(item)
        else:
            rows.append({_ROW: number} | {k: _plain(v) for k, v in item.to_row().items()})
    if not rows:
        return pl.DataFrame(), found
    return pl.DataFrame(rows, infer_schema_length=None), found
