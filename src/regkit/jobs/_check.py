"""The check job (``regkit check``) and the samples job (``regkit samples``)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final, Literal

import polars as pl

from regkit.errors import RecordError
from regkit.jobs._common import JobError, Progress, as_path, optional_path, row_count, silent
from regkit.jobs._inputs import kind_of
from regkit.rules.chunked import DEFAULT_CHUNK_ROWS, BadRowsError, check_parquet
from regkit.rules.engine import check
from regkit.rules.findings import CheckResult
from regkit.rules.policy import Policy, load_policy
from regkit.samples import DEFAULT_SEED, SampleConfig, SampleManifest, write_samples
from regkit.schemas.io import FileFormat, FrameBatch, read_frame, regular_csv
from regkit.schemas.kinds import KINDS
from regkit.schemas.types import TimeArgument

__all__ = ["PolicyArgument", "check_files", "policy_of", "sample_config", "samples"]

#: A policy as the jobs take it: a file or built-in name, or policies already loaded.
PolicyArgument = str | os.PathLike[str] | Policy | Sequence[Policy]


def policy_of(policy: PolicyArgument, parameters: str | os.PathLike[str] | None) -> Any:
    """The policy to check against: loaded (with ``parameters``) when given by name or path."""
    if isinstance(policy, Policy) or (
        isinstance(policy, Sequence)
        and not isinstance(policy, str)
        and all(isinstance(item, Policy) for item in policy)
    ):
        if parameters is not None:
            raise TypeError("parameters: give them to load_policy with the policy")
        return policy
    if not isinstance(policy, str | os.PathLike):
        raise TypeError(f"policy must be a path, a built-in name or a Policy, got {policy!r}")
    return load_policy(str(policy), parameters=optional_path("parameters", parameters))


def check_files(
    policy: PolicyArgument,
    *,
    parameters: str | os.PathLike[str] | None = None,
    engine: Literal["auto", "python", "polars"] = "auto",
    as_of: TimeArgument | None = None,
    progress: Progress | None = None,
    max_findings_per_rule: int | None = None,
    chunk_rows: int | None = None,
    **files: str | os.PathLike[str] | None,
) -> CheckResult:
    """Check record files against a policy (what ``regkit check`` does, before it writes
    the findings).

    Each file is read as validated columns, so that the polars engine checks it without a
    record per row and both engines see the same values.

    Args:
        policy: a policy file, the name of a built-in pack, or loaded policies.
        parameters: a YAML file of parameter overrides (with a policy given by name or path).
        engine: ``auto``, ``python`` or ``polars``.
        as_of: the time rules read as ``as_of`` (default: now).
        progress: told of each file read, of the check starting and of its progress.
        max_findings_per_rule: keep the first N findings of each rule, count the rest
            (see :func:`regkit.check`).
        chunk_rows: check Parquet and CSV files this many rows at a time
            (:func:`regkit.rules.chunked.check_parquet`, CSV files converted to Parquet
            first: the same findings, in bounded memory). Default: so when every file is
            Parquet or CSV and one has more than
            :data:`~regkit.rules.chunked.DEFAULT_CHUNK_ROWS` rows (a CSV file: more than
            :data:`CSV_CHUNKED_BYTES`); JSON Lines files, and CSV files with quotes or
            short lines, are read whole.
        **files: the record files by kind plural: ``trades=``, ``accounts=``,
            ``movements=``, ``snapshots=``; ``None`` is skipped.

    Returns:
        The check result.

    Raises:
        TypeError: an unknown keyword, or an argument of the wrong type.
        JobError: no file given, or rows that are not records (each in ``record_errors``;
            nothing is checked).

    Examples:
        >>> import tempfile
        >>> from pathlib import Path
        >>> from regkit.samples import SampleConfig, write_samples
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = write_samples(folder, SampleConfig(trades=50), "parquet")
        >>> result = check_files(
        ...     "esma-cfd-retail",
        ...     trades=folder / "trades.parquet",
        ...     accounts=folder / "accounts.parquet",
        ...     as_of="2026-12-01",
        ... )
        >>> result.records_checked["trade"]
        50
    """
    loaded = policy_of(policy, parameters)
    paths = {kind_of(name).plural: optional_path(name, path) for name, path in files.items()}
    given = {name: path for name, path in paths.items() if path is not None}
    size = _chunked(given, chunk_rows, engine)
    if size is not None:
        done = _check_chunked(loaded, given, size, as_of, engine, progress, max_findings_per_rule)
        if done is not None:
            return done
    tell = progress or silent
    inputs = _read_whole(given, tell)
    # Until the engine reports its first kind, a progress bar must not still say "reading".
    tell(f"checking against {_name(loaded)}", 0, 0)
    return check(
        loaded,
        as_of=as_of,
        engine=engine,
        progress=progress,
        max_findings_per_rule=max_findings_per_rule,
        **inputs,
    )


def _read_whole(paths: dict[str, Path], tell: Progress) -> dict[str, Any]:
    """Each file read whole as validated columns; every bad row of every file refused."""
    inputs: dict[str, Any] = {}
    errors: list[RecordError] = []
    for kind in KINDS.values():
        path = paths.get(kind.plural)
        if path is not None:
            tell(f"reading {path}", 0, 0)
            frames: FrameBatch[Any] = read_frame(path, kind.model)
            inputs[kind.plural] = frames
            errors += frames.errors
    if not inputs:
        raise JobError(f"give at least one of {', '.join(kind.plural for kind in KINDS.values())}")
    if errors:
        raise JobError(f"{len(errors)} input errors; nothing checked", errors)
    return inputs


def _chunked(paths: dict[str, Path], chunk_rows: int | None, engine: str) -> int | None:
    """The chunk size to check the files in, or None to read them whole: chunks when every
    file is Parquet or CSV and ``chunk_rows`` asks for them, or one file is larger than a
    chunk (a CSV file: larger than :data:`CSV_CHUNKED_BYTES`)."""
    if chunk_rows is not None and (isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int)):
        raise TypeError(f"chunk_rows must be a whole number, got {chunk_rows!r}")
    if not paths or any(path.suffix.lower() not in _CHUNKED for path in paths.values()):
        return None
    if chunk_rows is not None:
        return chunk_rows
    large = any(_large(path) for path in paths.values())
    return DEFAULT_CHUNK_ROWS if large and engine != "python" else None


#: The formats checked in chunks: Parquet, and CSV converted to Parquet first.
_CHUNKED: Final = (".parquet", ".csv")
#: A CSV file larger than this is checked in chunks (about 100,000 trades).
CSV_CHUNKED_BYTES: Final = 32 << 20


def _large(path: Path) -> bool:
    if path.suffix.lower() == ".csv":
        return path.is_file() and path.stat().st_size > CSV_CHUNKED_BYTES
    return row_count(path) > DEFAULT_CHUNK_ROWS


def _check_chunked(
    policy: Any,
    paths: dict[str, Path],
    size: int,
    as_of: TimeArgument | None,
    engine: str,
    progress: Progress | None,
    max_findings_per_rule: int | None,
) -> CheckResult | None:
    """:func:`check_parquet` of the files (CSV files converted to Parquet first), its bad
    rows as a :class:`JobError`; None when a CSV file is not one polars reads exactly
    (:func:`~regkit.schemas.io.regular_csv`), to be read whole."""
    for path in paths.values():
        if not path.is_file():
            raise JobError(f"{path}: no such file")
    tell = progress or silent
    with tempfile.TemporaryDirectory(prefix="regkit-csv-") as folder:
        parquet, labels = dict(paths), {}
        for name, path in paths.items():
            if path.suffix.lower() == ".csv":
                tell(f"converting {path.name} to Parquet", 0, 0)
                if not regular_csv(path):
                    return None
                parquet[name] = Path(folder) / f"{name}.parquet"
                if not _converted(path, parquet[name]):
                    return None
                labels[name] = path
        tell(f"checking against {_name(policy)}, {size:,} rows at a time", 0, 0)
        try:
            return check_parquet(
                policy, parquet, as_of=as_of, engine="polars" if engine == "auto" else engine,
                chunk_rows=size, progress=progress, max_findings_per_rule=max_findings_per_rule,
                labels=labels,
            )  # fmt: skip
        except BadRowsError as exc:
            rows = list(exc.rows)
            raise JobError(f"{len(rows)} input errors; nothing checked", rows) from None


def _converted(path: Path, out: Path) -> bool:
    """Convert a regular CSV file to Parquet, every column as text (as
    :func:`~regkit.schemas.io.read_frame` reads it); False when polars cannot (bad UTF-8),
    for the row reader to say what is wrong."""
    try:
        pl.scan_csv(path, infer_schema=False, encoding="utf8").sink_parquet(out)
    except pl.exceptions.PolarsError:
        return False
    return True


def _name(policy: Policy | Sequence[Policy]) -> str:
    first = policy if isinstance(policy, Policy) else policy[0]
    return f"{first.id} {first.version}"


def samples(
    out: str | os.PathLike[str],
    *,
    trades: int,
    format: FileFormat = "parquet",
    seed: int = DEFAULT_SEED,
    progress: Callable[[str, int], None] | None = None,
) -> SampleManifest:
    """Write a deterministic synthetic brokerage (what ``regkit samples`` does).

    Args:
        out: the folder to write to.
        trades: the number of trades.
        format: ``parquet``, ``csv`` or ``jsonl``.
        seed: the random seed.
        progress: told of each file written: ``progress("trades.parquet", 2_000)``.

    Raises:
        TypeError: an argument of the wrong type.
        JobError: a number of trades or a seed the generator refuses.

    Examples:
        >>> import tempfile
        >>> manifest = samples(tempfile.mkdtemp(), trades=20, format="csv")
        >>> manifest.counts["trades"]
        20
    """
    folder = as_path("out", out)
    for name, value in (("trades", trades), ("seed", seed)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{name} must be a whole number, got {type(value).__name__}")
    return write_samples(folder, sample_config(trades, seed), format, progress=progress)


def sample_config(trades: int, seed: int) -> SampleConfig:
    """The configuration of a sample set, or a :class:`JobError` saying what is wrong."""
    try:
        return SampleConfig(trades=trades, seed=seed)
    except ValueError as exc:
        raise JobError(str(exc)) from None
