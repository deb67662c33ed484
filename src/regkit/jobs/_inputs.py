"""Reading what a job works on: the firm file, record files (given, or found in a folder),
and the records of a period and an account."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any, get_args

from pydantic import ValidationError

from regkit.errors import RecordError
from regkit.jobs._common import JobError, as_path, check_date
from regkit.schemas.base import Record
from regkit.schemas.firm import Firm
from regkit.schemas.io import FileFormat, RecordBatch, iter_records, read_records
from regkit.schemas.kinds import KINDS, RecordKind
from regkit.schemas.trade import Trade

__all__ = [
    "checked_trades",
    "in_scope",
    "kind_of",
    "load_firm",
    "read_file",
    "read_files",
    "record_files",
]

#: The file extensions of record files, in the order a folder is searched.
_SUFFIXES: tuple[str, ...] = tuple(f".{name}" for name in get_args(FileFormat))
#: By plural (the ``check()`` keyword and file stem): the kind.
_BY_PLURAL: Mapping[str, RecordKind] = {kind.plural: kind for kind in KINDS.values()}


def load_firm(path: str | os.PathLike[str]) -> Firm:
    """The reporting firm from a TOML or JSON file (the keys of :class:`~regkit.Firm`).

    Raises:
        TypeError: ``path`` is not a path.
        JobError: the file is not TOML or JSON, or not a firm.
        OSError: the file cannot be read.

    Examples:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = (folder / "firm.toml").write_text(
        ...     'lei = "5493001KJTIIGC8Y1R12"\\nname = "Example Markets Ltd"\\ncountry = "CY"\\n'
        ... )
        >>> load_firm(folder / "firm.toml").name
        'Example Markets Ltd'
    """
    file = as_path("path", path)
    try:
        if file.suffix.lower() == ".toml":
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        else:
            data = json.loads(file.read_text(encoding="utf-8"))
        return Firm.model_validate(data)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, ValidationError) as exc:
        raise JobError(f"{file}: not a firm file: {exc}") from None


def kind_of(name: str) -> RecordKind:
    """The record kind of a plural (``trades``), or a :class:`TypeError` listing them."""
    found = _BY_PLURAL.get(name)
    if found is None:
        raise TypeError(f"unknown record files {name!r}; expected {', '.join(_BY_PLURAL)}")
    return found


def record_files(folder: str | os.PathLike[str]) -> dict[str, Path]:
    """The record files of a folder, by kind plural: ``trades.parquet`` (or ``.csv``,
    ``.jsonl``), ``accounts.*`` ...; kinds with no file are left out.

    Examples:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = (folder / "trades.csv").write_text("trade_id\\n")
        >>> {name: path.name for name, path in record_files(folder).items()}
        {'trades': 'trades.csv'}
    """
    root = as_path("folder", folder)
    if not root.is_dir():
        raise JobError(f"{root}: no such folder")
    found: dict[str, Path] = {}
    for kind in KINDS.values():
        for suffix in _SUFFIXES:
            path = root / f"{kind.plural}{suffix}"
            if path.is_file():
                found[kind.plural] = path
                break
    return found


def read_file(path: Path, model: type[Record], *, unreadable: str | None = None) -> list[Any]:
    """Every record of one file.

    Args:
        path: the file.
        model: the record class.
        unreadable: when given, the message for a file that cannot be read at all (its
            header is wrong); else such a file counts as bad rows.

    Raises:
        JobError: no such file, or bad rows (each one in ``record_errors``).
    """
    if not path.is_file():
        raise JobError(f"{path}: no such file")
    batch: RecordBatch[Any] = read_records(path, model)
    if unreadable is not None and any(error.row is None for error in batch.errors):
        raise JobError(unreadable, batch.errors)
    if batch.errors:
        raise JobError(f"{len(batch.errors)} bad row(s) in {path}", batch.errors)
    return list(batch.records)


def read_files(
    files: Mapping[str, str | os.PathLike[str]],
    *,
    account: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> dict[str, list[Record]]:
    """The records of each file given (by kind plural), those of the scope asked for.

    Args:
        files: the record files by kind plural (``{"trades": "trades.csv"}``); see
            :func:`record_files` for those of a folder.
        account: only this account's records.
        start: the first day (UTC, inclusive) of records that carry a time; accounts are
            kept whenever they were opened.
        end: the last day (UTC, inclusive).

    Raises:
        TypeError: an unknown kind, or an argument of the wrong type.
        JobError: a missing file, or bad rows (nothing is returned).

    Examples:
        >>> import tempfile
        >>> from regkit.samples import SampleConfig, write_samples
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = write_samples(folder, SampleConfig(trades=20), "csv")
        >>> read = read_files(record_files(folder), account="ACC000001")
        >>> {record.account_id for record in read["trades"]} <= {"ACC000001"}
        True
    """
    if account is not None and not isinstance(account, str):
        raise TypeError(f"account must be an account id (text), got {type(account).__name__}")
    check_date("start", start)
    check_date("end", end)
    paths = {kind_of(name).plural: as_path(name, path) for name, path in files.items()}
    inputs: dict[str, list[Record]] = {}
    for kind in KINDS.values():
        path = paths.get(kind.plural)
        if path is None:
            continue
        records = read_file(path, kind.model)
        inputs[kind.plural] = [
            record for record in records if in_scope(record, kind, account, start, end)
        ]
    return inputs


def in_scope(
    record: Record, kind: RecordKind, account: str | None, start: date | None, end: date | None
) -> bool:
    """Whether a record is in the period and account asked for (accounts: by id only)."""
    if account is not None and getattr(record, "account_id", None) != account:
        return False
    # Accounts are in a period whenever they were opened: a pack of a period keeps them all.
    moment = getattr(record, kind.event_time, None) if kind.name != "account" else None
    if moment is None:
        return True
    day = moment.date()
    return (start is None or day >= start) and (end is None or day <= end)


def checked_trades(path: Path, bad: list[RecordError]) -> Iterator[Trade]:
    """The trades of a file, streamed; after the last one, raise if any row was bad (so
    that nothing is written)."""
    for item in iter_records(path, Trade):
        if isinstance(item, RecordError):
            bad.append(item)
        else:
            yield item
    if bad:
        shown = "\n".join(f"  {error}" for error in bad[:50])
        more = f"\n  ... and {len(bad) - 50} more" if len(bad) > 50 else ""
        # A file-level error (its header) stands for the file, not for a row.
        what = f"{len(bad)} row(s) of {path} are not valid trades"
        if all(error.row is None for error in bad):
            what = f"{path} cannot be read as trades"
        raise RecordError(f"{what}; no file was written:\n{shown}{more}")
