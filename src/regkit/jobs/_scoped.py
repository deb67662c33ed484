"""The records of a period and an account, from large Parquet files, in bounded memory:
the pack job's inputs when the files are too large to read whole."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Final

import polars as pl

from regkit.errors import RecordError
from regkit.jobs._common import Progress
from regkit.schemas.columnar import validate_frame
from regkit.schemas.io import atomic_path
from regkit.schemas.kinds import RecordKind

__all__ = ["scoped_parquet"]

#: Rows validated and filtered together.
_CHUNK_ROWS: Final = 100_000


def scoped_parquet(
    path: Path,
    kind: RecordKind,
    out: Path,
    *,
    account: str | None,
    start: date | None,
    end: date | None,
    progress: Progress,
) -> list[RecordError]:
    """Validate a Parquet file of records chunk by chunk and write those of the scope to
    ``out``, as validated record columns (what :func:`regkit.read_frame` reads back), in
    file order; the scope is that of :func:`regkit.jobs.read_files`.

    Returns:
        Every row that is not a valid record, named by its row in ``path``; when there is
        one, nothing is written.
    """
    rows = int(pl.scan_parquet(path).select(pl.len()).collect().item())
    errors: list[RecordError] = []
    what = f"reading {path.name}"
    with tempfile.TemporaryDirectory(prefix="regkit-scope-", dir=out.parent) as folder:
        parts: list[Path] = []
        for offset in range(0, rows, _CHUNK_ROWS):
            raw = pl.scan_parquet(path).slice(offset, _CHUNK_ROWS).collect()
            batch = validate_frame(raw, kind.model, source=str(path), first_row=offset + 1)
            errors += batch.errors
            progress(what, min(offset + _CHUNK_ROWS, rows), rows)
            if errors:
                continue
            # The rows as the file has them (validated columns would carry each decimal
            # column's largest scale into the records, and the regulator files).
            inside = batch.frame.select(_in_scope(batch.frame, kind, account, start, end))
            parts.append(Path(folder) / f"part{len(parts):06d}.parquet")
            raw.filter(inside.to_series()).write_parquet(parts[-1])
        if errors:
            return errors
        with atomic_path(out) as temporary:
            if parts:
                pl.concat([pl.scan_parquet(part) for part in parts]).sink_parquet(temporary)
            else:
                pl.scan_parquet(path).head(0).sink_parquet(temporary)
    return []


def _in_scope(
    frame: pl.DataFrame, kind: RecordKind, account: str | None, start: date | None, end: date | None
) -> pl.Expr:
    """Whether a row is of the account and the period (accounts: by id only; a row without
    a time is in every period), as :func:`regkit.jobs.in_scope` keeps records."""
    inside = pl.lit(True)
    if account is not None:
        if "account_id" not in frame.columns:
            return pl.repeat(False, pl.len())
        inside = inside & (pl.col("account_id") == account).fill_null(False)
    moment = kind.event_time
    if kind.name == "account" or moment not in frame.columns:
        return pl.repeat(True, pl.len()) & inside
    day = pl.col(moment).dt.date()
    period = pl.lit(True)
    if start is not None:
        period = period & (day >= start)
    if end is not None:
        period = period & (day <= end)
    return pl.repeat(True, pl.len()) & inside & (pl.col(moment).is_null() | period)
