"""Writing a generated brokerage to files, streaming, with a manifest of their SHA-256.

Trades, movements and snapshots go into files column-wise: the generator gives plain rows,
a chunk of them becomes one polars frame (Parquet, CSV) or a block of JSON lines, and no
record model is built. Accounts (one per 40 trades, at most 200,000) are built as models
and written by :func:`regkit.schemas.io.write_records`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

from regkit.samples._brokerage import Brokerage
from regkit.samples._config import PLANTED_KINDS, SampleConfig
from regkit.samples._results import SampleFile, SampleManifest
from regkit.samples._tables import (
    Row,
    Table,
    json_lines,
    movement_table,
    snapshot_table,
    text_frame,
    trade_table,
)
from regkit.schemas.account import Account
from regkit.schemas.io import FileFormat, atomic_path, write_records
from regkit.schemas.layout import layout_of

__all__ = [
    "ACCOUNT_COLUMNS",
    "write_samples",
]

#: The national identifier columns accounts use, beside the model's own columns.
_NATIONAL_ID_COLUMNS = ("holder.national_ids.CCPT", "holder.national_ids.NIDN")

#: Every column of the accounts file, in file order.
ACCOUNT_COLUMNS: tuple[str, ...] = (*layout_of(Account).columns, *_NATIONAL_ID_COLUMNS)


_SUFFIX: Mapping[str, str] = {"parquet": "parquet", "csv": "csv", "jsonl": "jsonl"}


def write_samples(
    out_dir: str | os.PathLike[str],
    config: SampleConfig,
    format: FileFormat = "parquet",
    *,
    progress: Callable[[str, int], None] | None = None,
) -> SampleManifest:
    """Generate a brokerage and write it to files, streaming, in constant memory per record.

    Writes ``firm.json``, ``accounts.<ext>``, ``trades.<ext>``, ``movements.<ext>``,
    ``snapshots.<ext>``, ``planted.jsonl`` and ``manifest.json`` (counts, seed, format and
    every other file's SHA-256). The same config and format give the same bytes.

    Args:
        out_dir: the directory to write to (created if missing).
        config: what to generate.
        format: ``"parquet"``, ``"csv"`` or ``"jsonl"`` for the record files.
        progress: called with each file name and its record count once it is written.

    Returns:
        The manifest of what was written.

    Raises:
        ValueError: an unknown format.
        OSError: the directory or a file cannot be written.
    """
    if format not in _SUFFIX:
        raise ValueError(f"format must be one of parquet, csv, jsonl; got {format!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    book = Brokerage(config)
    ext = _SUFFIX[format]
    written: list[SampleFile] = []

    def done(name: str, records: int) -> None:
        written.append(_describe_file(out / name, records))
        if progress is not None:
            progress(name, records)

    _write_json(out / "firm.json", book.firm.model_dump(mode="json", exclude_none=True))
    done("firm.json", 1)
    name = f"accounts.{ext}"
    done(name, write_records(book.accounts(), out / name, format=format, columns=ACCOUNT_COLUMNS))
    # Each stream is generated lazily, so trades run before snapshots ask for them.
    name = f"trades.{ext}"
    done(name, write_rows(book.trade_rows(), trade_table(book.instruments), out / name, format))
    name = f"movements.{ext}"
    done(name, write_rows(book.movement_rows(), movement_table(), out / name, format))
    name = f"snapshots.{ext}"
    done(name, write_rows(book.snapshot_rows(), snapshot_table(), out / name, format))
    planted = book.planted()
    _write_jsonl(out / "planted.jsonl", (item.to_dict() for item in planted))
    done("planted.jsonl", len(planted))
    counts = {item.name.split(".")[0]: item.records for item in written}
    manifest = SampleManifest(
        out_dir=out,
        config=config,
        format=format,
        files=tuple(written),
        counts=counts,
        planted={kind: sum(1 for p in planted if p.kind == kind) for kind in PLANTED_KINDS},
    )
    _write_json(out / "manifest.json", manifest.to_dict())
    return manifest


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
    """Write ``rows`` to ``path`` in ``format``, chunk by chunk; return how many there were.

    The bytes are those :func:`regkit.schemas.io.write_records` writes for the records of
    the rows (a test holds the two to each other); the file appears under its name only
    when complete.
    """
    size = chunk_rows or CHUNK_ROWS[format]
    with atomic_path(path) as temporary:
        if format == "jsonl":
            return _rows_to_jsonl(rows, table, temporary, size)
        if format == "csv":
            return _rows_to_csv(rows, table, temporary, size)
        return _rows_to_parquet(rows, table, temporary, size)


Chunk = TypeVar("Chunk")


def _chunks(items: Iterable[Chunk], size: int) -> Iterator[list[Chunk]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _rows_to_jsonl(rows: Iterable[Row], table: Table[Row], path: Path, size: int) -> int:
    count = 0
    with open(path, "wb") as handle:
        for chunk in _chunks(rows, size):
            lines = json_lines(table.frame(chunk))
            handle.write("\n".join(lines.to_list()).encode())
            handle.write(b"\n")
            count += len(chunk)
    return count


def _rows_to_csv(rows: Iterable[Row], table: Table[Row], path: Path, size: int) -> int:
    count = 0
    with open(path, "wb") as handle:
        handle.write(_python_csv([table.columns]))
        for chunk in _chunks(rows, size):
            text = text_frame(table.frame(chunk))
            carriage = text.select(
                pl.any_horizontal(pl.all().str.contains("\r", literal=True)).any()
            ).item()
            if carriage:
                handle.write(_python_csv(text.iter_rows()))
            else:
                # Without a CR, polars quotes what Python's writer quotes (empty text is
                # null here, so neither quotes it).
                text.write_csv(handle, include_header=False)
            count += len(chunk)
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


def _rows_to_parquet(rows: Iterable[Row], table: Table[Row], path: Path, size: int) -> int:
    # As write_records: each chunk is written as its own Parquet part, then the parts are
    # streamed into one file; a column no part fills is text, as write_records makes it.
    count = 0
    parts: list[Path] = []
    filled: set[str] = set()
    try:
        for chunk in _chunks(rows, size):
            frame = table.frame(chunk)
            nulls = frame.null_count().row(0, named=True)
            filled.update(name for name, empty in nulls.items() if empty < frame.height)
            part = path.with_name(f"{path.name}.part{len(parts):05d}")
            frame.write_parquet(part)
            parts.append(part)
            count += len(chunk)
        if not parts:
            part = path.with_name(f"{path.name}.part00000")
            table.frame([]).write_parquet(part)
            parts.append(part)
        schema = pl.Schema(
            {name: table.dtypes[name] if name in filled else pl.String() for name in table.columns}
        )
        pl.concat([pl.scan_parquet(part).cast(schema) for part in parts]).sink_parquet(path)
    finally:
        for part in parts:
            part.unlink(missing_ok=True)
    return count


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text(
            json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )


def _write_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> None:
    with atomic_path(path) as temporary, open(temporary, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def _describe_file(path: Path, records: int) -> SampleFile:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return SampleFile(path.name, records, path.stat().st_size, digest.hexdigest())
