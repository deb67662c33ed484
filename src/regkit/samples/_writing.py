"""Writing record files column-wise: frames of a table in Parquet, CSV or JSON lines, and
files joined from parts (the blocks of accounts the workers write).

The bytes are those :func:`regkit.schemas.io.write_records` writes for the records of the
rows (a test holds the two to each other); a file appears under its name only when
complete.
"""

from __future__ import annotations

import csv
import io
import itertools
import shutil
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import polars as pl
from polars.io.plugins import register_io_source

from regkit.samples._tables import Row, Table, json_lines, text_frame
from regkit.schemas.io import FileFormat, atomic_path

__all__ = [
    "CHUNK_ROWS",
    "join_parts",
    "write_frames",
    "write_rows",
]

#: Rows per chunk: a chunk is one frame (and one Parquet part) in memory at a time. Parquet
#: parts have write_records' size (the file's row groups, so its bytes, follow them); CSV
#: and JSON lines are the same text whatever the chunks, and smaller ones take less memory.
CHUNK_ROWS: Mapping[str, int] = {"parquet": 200_000, "csv": 50_000, "jsonl": 50_000}


def write_rows(
    rows: Iterable[Row],
    table: Table[Row],
    path: Path,
    format: FileFormat,
    *,
    chunk_rows: int | None = None,
) -> int:
    """Write ``rows`` to ``path`` in ``format``, chunk by chunk; return how many there were."""
    size = chunk_rows or CHUNK_ROWS[format]
    frames = (table.frame(chunk) for chunk in _chunks(rows, size))
    return write_frames(frames, table, path, format)


def write_frames(
    frames: Iterable[pl.DataFrame], table: Table[Row], path: Path, format: FileFormat
) -> int:
    """Write frames of ``table``'s file columns to ``path`` in ``format``, one after the
    other (a Parquet part each); return how many rows there were."""
    with atomic_path(path) as temporary:
        if format == "jsonl":
            return _frames_to_jsonl(frames, temporary)
        if format == "csv":
            return _frames_to_csv(frames, table, temporary)
        return _frames_to_parquet(frames, table, temporary)


Chunk = TypeVar("Chunk")


def _chunks(items: Iterable[Chunk], size: int) -> Iterator[list[Chunk]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _frames_to_jsonl(frames: Iterable[pl.DataFrame], path: Path) -> int:
    count = 0
    with open(path, "wb") as handle:
        for frame in frames:
            if frame.height:
                handle.write("\n".join(json_lines(frame).to_list()).encode())
                handle.write(b"\n")
            count += frame.height
    return count


def _frames_to_csv(frames: Iterable[pl.DataFrame], table: Table[Row], path: Path) -> int:
    count = 0
    with open(path, "wb") as handle:
        handle.write(_python_csv([table.columns]))
        for frame in frames:
            text = text_frame(frame)
            carriage = text.select(
                pl.any_horizontal(pl.all().str.contains("\r", literal=True)).any()
            ).item()
            if carriage:
                handle.write(_python_csv(text.iter_rows()))
            elif text.height:
                # Without a CR, polars quotes what Python's writer quotes (empty text is
                # null here, so neither quotes it).
                text.write_csv(handle, include_header=False)
            count += frame.height
    return count


def _python_csv(rows: Iterable[Sequence[str | None]]) -> bytes:
    """Rows as ``write_records`` writes them: a row with a CR in a value is all quoted."""
    out = io.StringIO()
    plain = csv.writer(out, lineterminator="\n")
    quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    for row in rows:
        cells = ["" if cell is None else cell for cell in row]
        (quoted if any("\r" in cell for cell in cells) else plain).writerow(cells)
    return out.getvalue().encode()


def _frames_to_parquet(frames: Iterable[pl.DataFrame], table: Table[Row], path: Path) -> int:
    # One pass: polars streams the frames into the file as they come (an IO source), each
    # column typed as the table types it.
    schema = pl.Schema({name: table.dtypes[name] for name in table.columns})
    count = 0
    failed: list[BaseException] = []

    def source(
        with_columns: list[str] | None,
        predicate: pl.Expr | None,
        n_rows: int | None,
        batch_size: int | None,
    ) -> Iterator[pl.DataFrame]:
        nonlocal count
        try:
            for frame in frames:
                count += frame.height
                yield frame.cast(schema)
        except BaseException as error:
            failed.append(error)
            raise
        if not count:
            yield pl.DataFrame(schema=schema)

    try:
        register_io_source(source, schema=schema).sink_parquet(path)
    except BaseException:
        if failed:
            raise failed[0] from None
        raise
    return count


def _sink(parts: Sequence[Path], path: Path) -> None:
    """Parquet parts streamed into one file. A column all empty in a part is text there;
    it takes the type other parts give it (text when none does), as ``write_records``
    types a column by its values."""
    schemas = [pl.read_parquet_schema(part) for part in parts]
    names = list(schemas[0])
    dtypes: dict[str, pl.DataType] = {}
    for name in names:
        typed = [schema[name] for schema in schemas if schema[name] != pl.String()]
        dtypes[name] = typed[0] if typed else pl.String()
    target = pl.Schema(dtypes)
    pl.concat([pl.scan_parquet(part).cast(target) for part in parts]).sink_parquet(path)


def join_parts(parts: Sequence[Path], path: Path, format: FileFormat) -> None:
    """Join files of the same columns, written in ``format``, into one at ``path`` (CSV keeps
    the first part's header only); the parts are deleted."""
    try:
        with atomic_path(path) as temporary:
            if format == "parquet":
                _sink(parts, temporary)
                return
            with open(temporary, "wb") as out:
                for number, part in enumerate(parts):
                    with open(part, "rb") as handle:
                        if format == "csv" and number:
                            handle.readline()
                        shutil.copyfileobj(handle, out, 1 << 20)
    finally:
        for part in parts:
            part.unlink(missing_ok=True)
