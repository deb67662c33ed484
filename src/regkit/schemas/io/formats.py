"""The file formats at the bottom of the loaders: suffixes, the row sources of CSV, JSON Lines,
Parquet, DataFrames and mappings, the exact JSON decoder, header checks, the reader boundary and
the writers. Nothing here validates a record."""

from __future__ import annotations

import codecs
import csv
import enum
import gc
import itertools
import json
import operator
import os
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Literal

import polars as pl

from regkit._files import atomic_path
from regkit.errors import RecordError
from regkit.schemas.base import LIST_SEPARATOR, Record, flatten
from regkit.schemas.kinds import KINDS
from regkit.schemas.layout import ModelLayout, layout_of

ErrorMode = Literal["collect", "raise"]
FileFormat = Literal["csv", "jsonl", "parquet"]
Source = str | os.PathLike[str] | pl.DataFrame | Iterable[Mapping[str, Any]]


#: the fixed cost of each column pass; measured best at about this size).
FRAME_CHUNK_ROWS = 100_000

_SUFFIXES: dict[str, FileFormat] = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def detect_format(path: str | os.PathLike[str]) -> FileFormat:
    """The file format by suffix; a :class:`RecordError` for an unknown one."""
    suffix = Path(path).suffix.lower()
    try:
        return _SUFFIXES[suffix]
    except KeyError:
        raise RecordError(
            f"unknown file type {suffix or '(no suffix)'!r}; expected one of "
            f"{', '.join(sorted(_SUFFIXES))}",
            file=os.fspath(path),
        ) from None


# --- the header -----------------------------------------------------------------------------

#: The record files a brokerage hands over, by what they hold. A header that is one of these
#: kinds and not the one asked for gets one hint rather than a line per unknown column.
_FILE_KINDS: tuple[tuple[str, type[Record]], ...] = tuple(
    (kind.plural, kind.model) for kind in KINDS.values()
)


def header_problems(layout: ModelLayout, names: Sequence[str]) -> list[str]:
    """Problems with the columns of a file read as ``layout``'s model: duplicated, unknown
    or missing columns, or a single line when they are the columns of another record kind
    (``looks like a file of accounts, not trades: its columns match Account``)."""
    problems = layout.check_columns(names)
    if not problems:
        return problems
    hint = _wrong_kind(layout, names)
    return problems if hint is None else [hint]


def _wrong_kind(layout: ModelLayout, names: Sequence[str]) -> str | None:
    """What kind of record file ``names`` are the columns of, when not ``layout``'s."""
    if all(layout.is_known(name) for name in names):
        return None  # the right kind of file, perhaps with a column too few or twice
    matches = [
        (len(layout_of(model).check_columns(names)), noun, model)
        for noun, model in _FILE_KINDS
        if model is not layout.model and all(layout_of(model).is_known(name) for name in names)
    ]
    if not matches:
        return None
    _, noun, model = min(matches, key=operator.itemgetter(0))
    wanted = next((n for n, m in _FILE_KINDS if m is layout.model), f"{layout.model.__name__}s")
    return f"looks like a file of {noun}, not {wanted}: its columns match {model.__name__}"


@dataclass
class _Row:
    """One raw row before validation, with where it came from."""

    data: dict[str, Any] | None
    row: int
    line: int | None = None
    problem: str | None = None
    flat: Mapping[str, Any] | None = None


@contextmanager
def _gc_paused() -> Iterator[None]:
    # Building many small objects makes the cyclic collector run over and over while it
    # finds nothing (records hold no cycles); pausing it is the largest saving in bulk reads.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def reader_failure(
    exc: BaseException, file: str | None, model: type[Record], row: int | None = None
) -> RecordError | None:
    """The :class:`RecordError` for anything that went wrong while reading, or ``None`` for
    what must go on up (an interrupt, an exit, a closed generator).

    The reader boundary: a broken file may make polars raise any of its errors or panic
    (``pyo3_runtime.PanicException``, which is no ``Exception``), and Python raise
    ``OverflowError`` or ``RecursionError``; the caller gets one error naming the file.
    """
    if isinstance(exc, RecordError):
        return exc
    if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
        return None
    detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
    where = f"from row {row} on" if row is not None and row > 1 else "file"
    return RecordError(
        f"unreadable {where}: {type(exc).__name__}: {detail}", file=file, model=model.__name__
    )


@dataclass
class _Slice:
    """A slice of a columnar source whose rows all have the model's plain shape."""

    frame: pl.DataFrame
    first_row: int


def _describe(source: Source) -> str:
    if _is_path(source):
        return os.fspath(source)  # type: ignore[arg-type]
    if isinstance(source, pl.DataFrame):
        return "<DataFrame>"
    return "<iterable>"


def _is_path(source: object) -> bool:
    return isinstance(source, str | os.PathLike)


def _open_rows(
    source: Source, layout: ModelLayout, format: FileFormat | None
) -> tuple[Iterator[_Row | _Slice], list[RecordError]]:
    if isinstance(source, pl.DataFrame):
        return _frame_rows(source, layout, None)
    if not _is_path(source):
        return _mapping_rows(source, layout), []  # type: ignore[arg-type]
    path = os.fspath(source)  # type: ignore[arg-type]
    try:
        kind = format or detect_format(path)
    except RecordError as exc:
        return iter(()), [exc]
    if not os.path.isfile(path):
        return iter(()), [RecordError("no such file", file=path)]
    if os.path.getsize(path) == 0:
        return iter(()), [RecordError("the file is empty: no header and no rows", file=path)]
    reader: Callable[[str, ModelLayout], tuple[Iterator[_Row | _Slice], list[RecordError]]]
    reader = {"csv": _csv_rows, "jsonl": _jsonl_rows, "parquet": _parquet_rows}[kind]
    return reader(path, layout)


def _mapping_rows(source: Iterable[Mapping[str, Any]], layout: ModelLayout) -> Iterator[_Row]:
    for number, item in enumerate(source, start=1):
        if not isinstance(item, Mapping):
            yield _Row(None, number, problem=f"expected a mapping, got {type(item).__name__}")
        elif any("." in name for name in item):
            yield _Row(layout.from_flat(item, lists_as_text=True), number, flat=item)
        else:
            # Nested as the records are. An empty string (a csv.DictReader's empty cell) is
            # a missing value, as in a CSV file.
            yield _Row({k: v for k, v in item.items() if not _is_empty(v)}, number)


def _is_empty(value: Any) -> bool:
    return value is None or (value.__class__ is str and not value)


# CSV ---------------------------------------------------------------------------------------


def _csv_rows(path: str, layout: ModelLayout) -> tuple[Iterator[_Row | _Slice], list[RecordError]]:
    handle = open(path, "rb")  # noqa: SIM115 - closed by the generator below
    lines = _DecodedLines(handle)
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        handle.close()
        return iter(()), [RecordError("the file is empty: no header and no rows", file=path)]
    except csv.Error as exc:
        handle.close()
        return iter(()), [RecordError(f"unreadable header: {exc}", file=path, line=1)]
    header = [name.strip() for name in header]
    problems = header_problems(layout, header)
    if lines.bad_lines:
        problems.insert(0, "the header is not valid UTF-8")
    if problems:
        handle.close()
        return iter(()), [
            RecordError(f"{problem}; no row of the file was read", file=path, line=1)
            for problem in problems
        ]
    return _csv_body(handle, reader, lines, header, layout), []


def _csv_body(
    handle: IO[bytes],
    reader: Any,
    lines: _DecodedLines,
    header: list[str],
    layout: ModelLayout,
) -> Iterator[_Row]:
    width = len(header)
    number = 0
    end_line = lines.count
    with handle:
        while True:
            start_line = end_line + 1
            lines.mark()
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                number += 1
                reason = _csv_problem(exc, lines, start_line)
                yield _Row(None, number, line=start_line, problem=reason)
                # A broken quote can swallow the lines after it; read them again as rows
                # so that no row is lost because of the bad one before it.
                lines.rewind()
                end_line = start_line
                continue
            end_line = lines.count
            if not cells or cells == [""]:
                continue  # a blank line is no row
            number += 1
            bad = lines.bad_between(start_line, end_line)
            if bad is not None:
                flat = dict(zip(header, cells, strict=False))
                yield _Row(None, number, line=start_line, problem=bad, flat=flat)
                continue
            if len(cells) != width:
                flat = dict(zip(header, cells, strict=False))
                yield _Row(
                    None,
                    number,
                    line=start_line,
                    flat=flat,
                    problem=_width_problem(len(cells), width, lines, end_line),
                )
                continue
            flat = dict(zip(header, cells, strict=True))
            yield _Row(
                layout.from_flat(flat, lists_as_text=True), number, line=start_line, flat=flat
            )


def _width_problem(got: int, width: int, lines: _DecodedLines, end_line: int) -> str:
    if got < width and lines.last_line_unterminated and end_line == lines.count:
        return f"truncated last line: {got} of {width} fields and no line end"
    return f"{got} fields where the header has {width}"


def _csv_problem(exc: csv.Error, lines: _DecodedLines, start_line: int) -> str:
    at_end = "unexpected end of data" in str(exc)
    if lines.count > start_line and at_end:
        return (
            f"a quoted field opened on line {start_line} is never closed "
            f"(it runs to line {lines.count}, the end of the file)"
        )
    if at_end or (lines.last_line_unterminated and lines.count == start_line):
        return f"truncated last line: {exc}"
    return f"unreadable CSV: {exc}"


class _DecodedLines:
    """Lines of a byte stream decoded as UTF-8, remembering which ones were not valid."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.count = 0
        self.bad_lines: dict[int, str] = {}
        self.last_line_unterminated = False
        self._mark = 0
        self._resume_at: int | None = None

    def __iter__(self) -> Iterator[str]:
        return self

    def mark(self) -> None:
        """Note that a row starts at the next line (see :meth:`rewind`)."""
        self._mark = self.count
        self._resume_at = None

    def rewind(self) -> None:
        """Go back to the line after the first line of the marked row, if it ran past it."""
        if self._resume_at is not None and self.count > self._mark + 1:
            self.handle.seek(self._resume_at)
            self.count = self._mark + 1
            self.last_line_unterminated = False

    def __next__(self) -> str:
        raw = self.handle.readline()
        if not raw:
            raise StopIteration
        self.count += 1
        if self.count == self._mark + 1:
            self._resume_at = self.handle.tell()
        if self.count == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        self.last_line_unterminated = not raw.endswith(b"\n")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.bad_lines[self.count] = _utf8_problem(raw, exc)
            return raw.decode("utf-8", errors="replace")

    def bad_between(self, first: int, last: int) -> str | None:
        if not self.bad_lines:
            return None
        for number in range(first, last + 1):
            if number in self.bad_lines:
                return self.bad_lines[number]
        return None


def _utf8_problem(raw: bytes, exc: UnicodeDecodeError) -> str:
    return f"not valid UTF-8: byte 0x{raw[exc.start]:02x} at column {exc.start + 1}"


# JSON Lines --------------------------------------------------------------------------------


def _jsonl_rows(
    path: str, layout: ModelLayout
) -> tuple[Iterator[_Row | _Slice], list[RecordError]]:
    rows = _jsonl_body(path)
    first = next(rows, None)
    if first is None:
        return iter(()), []
    # JSON Lines has no header: the first object's fields say what kind of record file it is.
    hint = None if first.data is None else _wrong_kind(layout, list(flatten(first.data)))
    if hint is not None:
        rows.close()
        return iter(()), [
            RecordError(f"{hint}; no row of the file was read", file=path, line=first.line)
        ]
    return itertools.chain([first], rows), []


def _jsonl_body(path: str) -> Generator[_Row, None, None]:
    number = 0
    with open(path, "rb") as handle:
        for line_number, raw in enumerate(handle, start=1):
            if line_number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            if not raw.strip():
                continue
            number += 1
            unterminated = not raw.endswith(b"\n")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield _Row(
                    None,
                    number,
                    line=line_number,
                    problem=_utf8_problem(raw, exc),
                )
                continue
            try:
                data = decode_json(text)
            except json.JSONDecodeError as exc:
                prefix = "truncated last line: " if unterminated else "not valid JSON: "
                yield _Row(
                    None,
                    number,
                    line=line_number,
                    problem=f"{prefix}{exc.msg} (column {exc.colno})",
                )
                continue
            except ValueError as exc:  # what the hooks of decode_json refuse
                yield _Row(None, number, line=line_number, problem=f"not valid JSON: {exc}")
                continue
            if not isinstance(data, dict):
                yield _Row(
                    None,
                    number,
                    line=line_number,
                    problem=f"expected a JSON object, got {type(data).__name__}",
                )
                continue
            yield _Row(data, number, line=line_number)


def decode_json(text: str) -> Any:
    """One JSON value as both readers read it: numbers exact, and refused where JSON and
    Python part ways.

    A key given twice in one object is an error (Python keeps the last, polars the first);
    ``NaN`` and ``Infinity`` are no JSON; an object nested too deep for the decoder is an
    error, not a ``RecursionError``.

    Raises:
        ValueError: the text is not such JSON (a :class:`json.JSONDecodeError` for syntax).
    """
    try:
        return json.loads(
            text,
            parse_float=Decimal,
            parse_int=_json_int,
            parse_constant=_json_constant,
            object_pairs_hook=_json_object,
        )
    except RecursionError:
        raise ValueError("nested too deeply to read") from None


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) != len(pairs):
        names = [name for name, _ in pairs]
        twice = next(name for name in names if names.count(name) > 1)
        raise ValueError(f"the key {twice!r} is given twice in one object")
    return data


def _json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


#: Python makes no int of more digits (sys.int_info.default_max_str_digits is 4,300).
_INT_DIGITS = 4_000


def _json_int(text: str) -> int | Decimal:
    # A longer integer is read as a decimal: the field's digit limits then refuse it by name.
    return int(text) if len(text) <= _INT_DIGITS else Decimal(text)


# Parquet and DataFrames ----------------------------------------------------------------------


def _parquet_rows(
    path: str, layout: ModelLayout
) -> tuple[Iterator[_Row | _Slice], list[RecordError]]:
    try:
        schema = pl.read_parquet_schema(path)
    except Exception as exc:  # polars raises several error types for a broken file
        return iter(()), [RecordError(f"not a readable Parquet file: {exc}", file=path)]
    columns = _flat_columns(schema)
    problems = header_problems(layout, columns)
    if problems:
        return iter(()), [
            RecordError(f"{problem}; no row of the file was read", file=path)
            for problem in problems
        ]
    return _lazy_rows(pl.scan_parquet(path), layout), []


def _frame_rows(
    frame: pl.DataFrame, layout: ModelLayout, file: str | None
) -> tuple[Iterator[_Row | _Slice], list[RecordError]]:
    problems = header_problems(layout, _flat_columns(frame.schema))
    if problems:
        return iter(()), [RecordError(problem, file=file) for problem in problems]
    return _lazy_rows(frame.lazy(), layout), []


def _flat_columns(schema: Mapping[str, Any]) -> list[str]:
    names: list[str] = []
    for name, dtype in schema.items():
        if isinstance(dtype, pl.Struct):
            names.extend(_flat_columns({f"{name}.{f.name}": f.dtype for f in dtype.fields}))
        else:
            names.append(name)
    return names


def _lazy_rows(
    frame: pl.LazyFrame, layout: ModelLayout, slice_rows: int = FRAME_CHUNK_ROWS
) -> Iterator[_Row | _Slice]:
    number = 0
    offset = 0
    while True:
        part = unnest_structs(frame.slice(offset, slice_rows).collect())
        part = _beyond_calendar_as_text(floats_as_text(part, layout))
        if part.height == 0:
            return
        offset += part.height
        if layout.plain:
            yield _Slice(part, number + 1)
            number += part.height
        else:
            for flat in part.iter_rows(named=True):
                number += 1
                yield _Row(layout.from_flat(flat, lists_as_text=True), number, flat=flat)
        if part.height < slice_rows:
            return


def unnest_structs(frame: pl.DataFrame) -> pl.DataFrame:
    """Struct columns as dotted columns (``instrument`` → ``instrument.symbol`` ...)."""
    structs = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.Struct)]
    while structs:
        frame = frame.with_columns(
            pl.col(name).name.prefix_fields(f"{name}.") for name in structs
        ).unnest(structs)
        structs = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.Struct)]
    return frame


def floats_as_text(frame: pl.DataFrame, layout: ModelLayout) -> pl.DataFrame:
    """Float columns of decimal fields as the shortest text of each value at the column's
    own width, on every path: a Float32 1.085 is ``1.085``, not the binary fraction
    1.08500003814697265625 nor its float64 spelling 1.0850000381469727."""
    floats = [
        pl.col(name).cast(pl.String)
        for name, dtype in frame.schema.items()
        if name in layout.decimals and dtype.is_float()
    ]
    return frame.with_columns(floats) if floats else frame


def _beyond_calendar_as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Datetime and date columns holding a value outside years 1 to 9999 as text: polars
    holds such instants, Python's datetime does not, and the row is refused for it."""
    timed = [n for n, t in frame.schema.items() if isinstance(t, pl.Datetime | pl.Date)]
    if not timed:
        return frame
    found = frame.select(
        (~pl.col(name).dt.year().is_between(1, 9999)).any().alias(name) for name in timed
    ).row(0, named=True)
    beyond = [name for name in timed if found[name]]
    return frame.with_columns(pl.col(beyond).cast(pl.String)) if beyond else frame


def _with_defaults(frame: pl.DataFrame, layout: ModelLayout) -> pl.DataFrame:
    """Fill the empty cells of columns whose field has a default, as leaving it out would."""
    fills = [
        pl.col(name).fill_null(pl.lit(_parquet_value(default)).cast(frame.schema[name]))
        for name, default in layout.defaults.items()
        if name in frame.columns and frame.schema[name] != pl.Null
    ]
    return frame.with_columns(fills) if fills else frame


# --- writing -------------------------------------------------------------------------------


def write_records(
    records: Iterable[Record],
    path: str | os.PathLike[str],
    *,
    format: FileFormat | None = None,
    model: type[Record] | None = None,
    columns: Sequence[str] | None = None,
) -> int:
    """Write records to a CSV, JSON Lines or Parquet file; return how many were written.

    The file is written under a temporary name beside ``path`` and renamed into place only
    when complete, so a failed write never leaves a half-written file under the real name.
    CSV and Parquet use dotted columns; ``columns`` fixes them (and their order) for a
    stream of records, otherwise they are the model's columns in model order plus the
    mapping keys the records use. Decimals are written as text in every format, so no
    digit is lost and the source precision is kept.
    """
    target = Path(path)
    kind = format or detect_format(target)
    items = records if columns is not None or kind == "jsonl" else list(records)
    record_model = model or _first_model(items)
    if kind != "jsonl" and columns is None and record_model is None:
        raise ValueError(f"write_records: pass model= to write an empty {kind} file")
    with atomic_path(target) as temporary:
        if kind == "jsonl":
            return _write_jsonl(items, temporary)
        names = list(columns) if columns is not None else _columns_for(items, record_model)
        if kind == "csv":
            return _write_csv(items, temporary, names)
        return _write_parquet(items, temporary, names)


def _first_model(items: Iterable[Record]) -> type[Record] | None:
    if isinstance(items, list) and items:
        return type(items[0])
    return None


def _columns_for(items: Iterable[Record], model: type[Record] | None) -> list[str]:
    if model is None:
        return []
    layout = layout_of(model)
    extra: dict[str, None] = {}
    for item in items:
        for name in item.to_row():
            if name not in layout.known:
                extra[name] = None
    return [*layout.columns, *sorted(extra)]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple | list):
        return LIST_SEPARATOR.join(str(item) for item in value)
    if isinstance(value, datetime | date):
        return _iso(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _iso(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value.isoformat()


def _write_csv(items: Iterable[Record], path: Path, names: list[str]) -> int:
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        plain = csv.writer(handle, lineterminator="\n")
        quoted = csv.writer(handle, lineterminator="\n", quoting=csv.QUOTE_ALL)

        def write(cells: list[str]) -> None:
            # Python 3.11's writer quotes only the characters of the line terminator, so a
            # lone CR in a value would go out bare and break the row when read back.
            (quoted if any("\r" in cell for cell in cells) else plain).writerow(cells)

        write(names)
        allowed = frozenset(names)
        for item in items:
            row = _row_within(item, allowed)
            write([_cell(row.get(name)) for name in names])
            count += 1
    return count


def _row_within(item: Record, names: frozenset[str]) -> dict[str, Any]:
    """The record's flat row; a ValueError rather than a silently dropped field."""
    row = item.to_row()
    if not row.keys() <= names:
        missing = sorted(set(row) - names)
        raise ValueError(f"write_records: {item.key or 'a record'} has {missing}, not in columns")
    return row


def _write_jsonl(items: Iterable[Record], path: Path) -> int:
    count = 0
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        for item in items:
            handle.write(item.to_json())
            handle.write("\n")
            count += 1
    return count


def _write_parquet(
    items: Iterable[Record], path: Path, names: list[str], chunk_rows: int = 200_000
) -> int:
    # Each chunk is written as its own Parquet part, then the parts are streamed into one
    # file: memory stays bounded by the chunk, however many records there are.
    count = 0
    parts: list[Path] = []
    chunk: list[dict[str, Any]] = []
    allowed = frozenset(names)
    try:
        for item in items:
            chunk.append(_row_within(item, allowed))
            if len(chunk) >= chunk_rows:
                parts.append(_write_part(chunk, names, path, len(parts)))
                count += len(chunk)
                chunk = []
        if chunk or not parts:
            parts.append(_write_part(chunk, names, path, len(parts)))
            count += len(chunk)
        # A column empty in one part (Null) may hold datetimes in another: give every part
        # the column's one type, so the parts concatenate (and all-empty columns are text).
        schemas = [pl.read_parquet_schema(part) for part in parts]
        types = {
            name: next((s[name] for s in schemas if s[name] != pl.Null()), pl.String())
            for name in names
        }
        schema = pl.Schema(types)
        pl.concat([pl.scan_parquet(part).cast(schema) for part in parts]).sink_parquet(path)
    finally:
        for part in parts:
            part.unlink(missing_ok=True)
    return count


def _write_part(rows: list[dict[str, Any]], names: list[str], path: Path, index: int) -> Path:
    columns = {name: [_parquet_value(row.get(name)) for row in rows] for name in names}
    frame = pl.DataFrame(columns, schema={name: _parquet_dtype(columns[name]) for name in names})
    part = path.with_name(f"{path.name}.part{index:05d}")
    frame.write_parquet(part)
    return part


def _parquet_value(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Decimal | enum.Enum):
        return str(value)
    return value


def _parquet_dtype(values: list[Any]) -> pl.DataType:
    sample = next((value for value in values if value is not None), None)
    if sample is None:
        return pl.Null()
    if isinstance(sample, bool):
        return pl.Boolean()
    if isinstance(sample, int):
        return pl.Int64()
    if isinstance(sample, datetime):
        return pl.Datetime("us", "UTC")
    if isinstance(sample, date):
        return pl.Date()
    if isinstance(sample, list):
        return pl.List(pl.String())
    return pl.String()
