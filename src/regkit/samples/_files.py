"""Writing a generated brokerage to files, streaming, with a manifest of their SHA-256.

The work is shared out by blocks of accounts (``_workers``): each worker writes its
blocks' accounts, movements and snapshots as parts, joined here in block order, and gives
its blocks' trades range by range as integers; here each range becomes one polars frame
(the text of every column built by expressions), written as a Parquet part, CSV text or
JSON lines. No record model is built but the accounts' (one per 40 trades, at most
200,000, by the workers), and no file is held in memory: a worker runs at most a few
ranges ahead of the writing.
"""

from __future__ import annotations

import hashlib
import json
import os
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import polars as pl

from regkit.samples._brokerage import order_planted, sample_firm, sample_instruments
from regkit.samples._config import PLANTED_KINDS, SampleConfig
from regkit.samples._results import Planted, SampleFile, SampleManifest
from regkit.samples._tables import trade_table
from regkit.samples._trades import block_count, range_count, trade_frame
from regkit.samples._workers import ACCOUNT_COLUMNS, Done, Workers, part_path
from regkit.samples._writing import join_parts, write_frames, write_rows
from regkit.schemas.io import FileFormat, atomic_path

__all__ = [
    "ACCOUNT_COLUMNS",
    "write_rows",
    "write_samples",
]

_SUFFIX: Mapping[str, str] = {"parquet": "parquet", "csv": "csv", "jsonl": "jsonl"}

#: Below this many trades the work runs in the calling process (starting processes costs
#: more than it saves).
_PARALLEL_FROM = 200_000


def default_workers(config: SampleConfig) -> int:
    """How many processes :func:`write_samples` uses unless told: one per core, at most
    one per block of accounts, and one for small sets."""
    if config.trades < _PARALLEL_FROM:
        return 1
    return max(1, min(os.cpu_count() or 1, block_count(config)))


def write_samples(
    out_dir: str | os.PathLike[str],
    config: SampleConfig,
    format: FileFormat = "parquet",
    *,
    progress: Callable[[str, int], None] | None = None,
    workers: int | None = None,
) -> SampleManifest:
    """Generate a brokerage and write it to files, streaming, in bounded memory.

    Writes ``firm.json``, ``accounts.<ext>``, ``trades.<ext>``, ``movements.<ext>``,
    ``snapshots.<ext>``, ``planted.jsonl`` and ``manifest.json`` (counts, seed, format and
    every other file's SHA-256). The same config and format give the same bytes, whatever
    the number of workers.

    Args:
        out_dir: the directory to write to (created if missing).
        config: what to generate.
        format: ``"parquet"``, ``"csv"`` or ``"jsonl"`` for the record files.
        progress: called with each file name and its record count once it is written.
        workers: processes to generate in (1: this one); by default one per core from
            200,000 trades, at most one per 2,000 accounts.

    Returns:
        The manifest of what was written.

    Raises:
        ValueError: an unknown format, or fewer than one worker.
        OSError: the directory or a file cannot be written.
        RuntimeError: a worker process failed (its traceback in the message).
    """
    if format not in _SUFFIX:
        raise ValueError(f"format must be one of parquet, csv, jsonl; got {format!r}")
    count = default_workers(config) if workers is None else workers
    if count < 1:
        raise ValueError(f"workers must be at least 1, got {count}")
    count = min(count, block_count(config))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[SampleFile] = []

    def done(name: str, records: int) -> None:
        written.append(_describe_file(out / name, records))
        if progress is not None:
            progress(name, records)

    pool = Workers(config, count, out, format)
    try:
        planted = _write_files(config, format, pool, out, done)
    finally:
        pool.close()
        _remove_parts(out)
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


def _write_files(
    config: SampleConfig,
    format: FileFormat,
    pool: Workers,
    out: Path,
    done: Callable[[str, int], None],
) -> list[Planted]:
    """Every file but the manifest, in order; what was planted."""
    ext = _SUFFIX[format]
    firm = sample_firm()
    _write_json(out / "firm.json", firm.model_dump(mode="json", exclude_none=True))
    done("firm.json", 1)
    blocks = range(block_count(config))
    name = f"accounts.{ext}"
    accounts = sum(pool.next(worker, "accounts") for worker in range(pool.count))
    join_parts([part_path(out, name, block) for block in blocks], out / name, format)
    done(name, accounts)
    name = f"trades.{ext}"
    table = trade_table(sample_instruments(config))
    finish = table.finish
    assert finish is not None
    frames = (finish(frame) for frame in _trade_frames(config, pool, firm.lei))
    done(name, write_frames(frames, table, out / name, format))
    results: list[Done] = [pool.next(worker, "done") for worker in range(pool.count)]
    totals = {
        "movements": sum(movements for movements, _, _ in results),
        "snapshots": sum(snapshots for _, snapshots, _ in results),
    }
    for stem, total in totals.items():
        name = f"{stem}.{ext}"
        join_parts([part_path(out, name, block) for block in blocks], out / name, format)
        done(name, total)
    planted = order_planted([item for result in results for item in result[2]])
    _write_jsonl(out / "planted.jsonl", (item.to_dict() for item in planted))
    done("planted.jsonl", len(planted))
    return planted


def _trade_frames(config: SampleConfig, pool: Workers, lei: str) -> Iterator[pl.DataFrame]:
    """The trades, range by range: every worker's piece of the range, as one frame."""
    for _ in range(range_count(config)):
        pieces: list[array[int]] = []
        for worker in range(pool.count):
            piece = array("q")
            piece.frombytes(pool.next(worker, "trades"))
            pieces.append(piece)
        yield trade_frame(pieces, lei)


def _remove_parts(out: Path) -> None:
    """Delete the parts a failed run left, and the temporary files of parts a stopped
    worker was writing (a finished run has joined and deleted them)."""
    for part in out.glob(".*.block[0-9][0-9][0-9][0-9][0-9]*"):
        part.unlink(missing_ok=True)


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
