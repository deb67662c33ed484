"""Recording a check of record files in a history store (what ``regkit check --store``
does after the check): the run, and each finding's account read from the files."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from regkit.jobs._common import Progress
from regkit.rules.findings import CheckResult, Finding
from regkit.schemas.io.formats import detect_format
from regkit.schemas.kinds import KINDS

if TYPE_CHECKING:  # the store (SQLAlchemy) is imported only when a run is recorded
    from regkit.store import RecordedRun

__all__ = ["accounts_of", "record_check", "span_of"]


def record_check(
    result: CheckResult,
    files: Mapping[str, str | os.PathLike[str] | None],
    *,
    store: str | os.PathLike[str] | None = None,
    period: tuple[date, date] | None = None,
    accounts: Sequence[str] | None = None,
    cases_from: str | None = "high",
    by: str | None = None,
    progress: Progress | None = None,
    keep_inputs: bool = False,
    inputs_dir: str | os.PathLike[str] | None = None,
) -> RecordedRun:
    """Record a check of record files in a store (see :meth:`regkit.store.Store.record`):
    each finding's account is read from the files (the records name their account).

    Args:
        result: what :func:`check_files` returned for the files.
        files: the record files checked, by kind plural (``{"trades": path}``).
        store: the store's URL or path (default: ``REGKIT_STORE``, else ``./regkit.db``).
        period: the first and last day the run covered (default: the first and last UTC
            day of the files' records, :func:`span_of`; a run closes as gone only the
            findings of its days, so a day's file leaves the other days' findings open).
        accounts: the accounts the run covered.
        cases_from: the lowest severity of a new finding that opens a case (None: none).
        by: who the cases' events name (default: the user running this).
        progress: told of reading the findings' accounts, then of each step of recording.
        keep_inputs: keep a copy of each record file in the store's folder of inputs
            (named by its SHA-256), not only its fingerprint.
        inputs_dir: that folder, or an object-store URL (``s3://bucket/prefix``); default:
            ``<file>.inputs`` beside a SQLite store; a server store needs one to keep inputs.
    """
    named = {name: Path(path) for name, path in files.items() if path is not None}
    if progress is not None:
        progress("reading the findings' accounts", 0, 0)
    found = accounts_of(result.findings, named)
    if period is None:
        period = span_of(named)

    def account_of(finding: Finding) -> str | None:
        return found.get((finding.record_kind, finding.record_id))

    from regkit.store import open_store

    kept = named if keep_inputs else None
    with open_store(store, inputs_dir=inputs_dir) as opened:
        return opened.record(
            result, period=period, accounts=accounts, account_of=account_of,
            cases_from=cases_from, by=by, progress=progress, inputs=kept,
        )  # fmt: skip


def span_of(files: Mapping[str, Path]) -> tuple[date, date] | None:
    """The first and last UTC day of the records of some record files, by their kinds'
    event times (accounts have none); None when no file places its records in time, or
    they hold no record."""
    days: list[date] = []
    for name, path in files.items():
        kind = KINDS.get(name) or next((k for k in KINDS.values() if k.plural == name), None)
        if kind is None or kind.name == "account":
            continue
        days += _days(_scan(path), kind.event_time)
    return (min(days), max(days)) if days else None


def _days(frame: pl.LazyFrame, column: str) -> list[date]:
    """The first and last UTC day of a file's event times (typed, or ISO 8601 text)."""
    schema = frame.collect_schema()
    if column not in schema.names():
        return []
    kind = schema[column]
    if isinstance(kind, pl.Datetime):
        moment = pl.col(column)
        if kind.time_zone is not None:
            moment = moment.dt.convert_time_zone("UTC")
        row = frame.select(moment.min().alias("a"), moment.max().alias("b")).collect().row(0)
        return [value.date() for value in row if value is not None]
    texts = frame.select(pl.col(column).cast(pl.String)).collect().to_series()
    moments = [_utc(text) for text in texts if text]
    return [min(moments).date(), max(moments).date()] if moments else []


def _utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def accounts_of(
    findings: Sequence[Finding], files: Mapping[str, Path]
) -> dict[tuple[str, str], str]:
    """The account of each finding's record, by (kind, record key), read from the record
    files: only the key and account columns of the rows the findings name."""
    wanted: dict[str, set[str]] = {}
    for finding in findings:
        wanted.setdefault(finding.record_kind, set()).add(finding.record_id)
    found: dict[tuple[str, str], str] = {}
    for kind, keys in wanted.items():
        if kind == "account":
            found.update({(kind, key): key for key in keys})
            continue
        item = KINDS.get(kind)
        path = files.get(item.plural) if item is not None else None
        if item is None or path is None:
            continue
        found.update(_accounts_in(path, kind, item.key, keys))
    return found


def _accounts_in(
    path: Path, kind: str, key: tuple[str, ...], keys: set[str]
) -> dict[tuple[str, str], str]:
    """The account of each of some records of one file, by (kind, key)."""
    frame = _scan(path)
    names = frame.collect_schema().names()
    if "account_id" not in names or any(field not in names for field in key):
        return {}
    if len(key) == 1:
        text = pl.col(key[0]).cast(pl.String)
        rows = frame.select(text.alias("key"), pl.col("account_id").cast(pl.String))
        rows = rows.filter(pl.col("key").is_in(sorted(keys)))
        return {(kind, k): a for k, a in rows.collect().iter_rows() if a is not None}
    # A key of several fields (a snapshot's account and time): its account is in the key.
    place = key.index("account_id") if "account_id" in key else None
    if place is None:
        return {}
    return {(kind, k): k.split("|")[place] for k in keys}


def _scan(path: Path) -> pl.LazyFrame:
    kind = detect_format(path)
    if kind == "parquet":
        return pl.scan_parquet(path)
    if kind == "csv":
        return pl.scan_csv(path, infer_schema=False)
    return pl.scan_ndjson(path, infer_schema_length=None)
