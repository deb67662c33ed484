"""Writing a generated brokerage to files, streaming, with a manifest of their SHA-256."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from regkit.samples._brokerage import Brokerage
from regkit.samples._config import PLANTED_KINDS, SampleConfig
from regkit.samples._results import SampleFile, SampleManifest
from regkit.schemas.account import Account, AccountSnapshot
from regkit.schemas.cash import CashMovement
from regkit.schemas.io import FileFormat, atomic_path, write_records
from regkit.schemas.layout import layout_of
from regkit.schemas.trade import Trade

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
    streams: tuple[tuple[str, Iterable[Any], Sequence[str]], ...] = (
        ("accounts", book.accounts(), ACCOUNT_COLUMNS),
        ("trades", book.trades(), layout_of(Trade).columns),
        ("movements", book.movements(), layout_of(CashMovement).columns),
        ("snapshots", book.snapshots(), layout_of(AccountSnapshot).columns),
    )
    for stem, records, columns in streams:
        # Each stream is generated lazily, so trades run before snapshots ask for them.
        name = f"{stem}.{ext}"
        done(name, write_records(records, out / name, format=format, columns=columns))
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
