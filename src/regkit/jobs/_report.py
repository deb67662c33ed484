"""The report job (``regkit report NAME``): record files in, regulator files out."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from regkit.jobs._common import (
    JobError,
    Progress,
    as_path,
    check_time,
    counted,
    optional_path,
    row_count,
    silent,
)
from regkit.jobs._inputs import checked_trades, load_firm, read_file
from regkit.jobs._ledger import LedgerRun, open_ledger, resubmit_from
from regkit.reports.registry import ReportOption, ReportType, report_type
from regkit.reports.values import Rendered
from regkit.schemas.account import Account
from regkit.schemas.firm import Firm
from regkit.schemas.trade import Trade

__all__ = ["report"]


def report(
    name: str,
    *,
    trades: str | os.PathLike[str],
    accounts: str | os.PathLike[str],
    firm: str | os.PathLike[str],
    out: str | os.PathLike[str],
    created_at: datetime | None = None,
    max_records: int | None = None,
    first_sequence: int = 1,
    validate: bool = True,
    progress: Progress | None = None,
    store: str | os.PathLike[str] | None = None,
    resubmit: bool = False,
    **options: Any,
) -> Rendered:
    """Write the regulator files of one report from record files (what ``regkit report
    NAME`` does); nothing is written when a row or a trade cannot be reported.

    Args:
        name: the report, a key of :data:`~regkit.reports.registry.REPORTS` (``emir``).
        trades: the trades file, streamed.
        accounts: the accounts of those trades.
        firm: the firm file (TOML or JSON).
        out: the folder to write the files to.
        created_at: the files' creation time (default: now).
        max_records: records in one file (default: the report's own limit).
        first_sequence: the first file's number (without a store).
        validate: validate every file against its schema before it appears.
        progress: told of each step and the trades rendered (of how many, from Parquet).
        store: a history store whose submissions ledger numbers the files (two runs never
            share a number) and records each file and record (:mod:`regkit.store.ledger`).
        resubmit: with ``store``: only what the ledger calls for sending again, from the
            trades given (rejected ones fixed, corrections, ``cancel``; never one the
            regulator holds as it is): a :class:`~regkit.jobs.Resubmitted` with its plan.
        **options: the report's own options (:attr:`ReportType.options`): ``cancel``
            and ``parameters`` for MiFIR; ``snapshots`` (a file), ``action``, ``check``
            and ``write_passing`` for EMIR (see :func:`regkit.reports.emir.render`).

    Returns:
        The files written, with what was reported and what was not.

    Raises:
        TypeError: an unknown option, or an argument of the wrong type.
        JobError: a missing file, a bad firm file, or bad account or snapshot rows.
        RenderError: an unknown report, or trades that cannot be reported (nothing written).
        PreSubmissionError: EMIR reports that break ESMA's validation rules (nothing
            written, unless ``write_passing``).
        RecordError: rows of the trades file that are not trades (nothing written).

    Examples:
        >>> import tempfile
        >>> from regkit.samples import SampleConfig, write_samples
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = write_samples(folder, SampleConfig(trades=40), "parquet")
        >>> files = report("emir", trades=folder / "trades.parquet",
        ...     accounts=folder / "accounts.parquet", firm=folder / "firm.json",
        ...     out=folder / "emir", created_at=datetime.fromisoformat("2026-11-20T18:00Z"))
        >>> [path.name for path in files]
        ['529900RKSAMPLEFIRM88_DATTAR_20261120_000001.xml']
    """
    kind = report_type(name)
    given = _options(kind, options)
    _check_ledger_arguments(store, resubmit, first_sequence, given, kind)
    paths = _files(kind, given, trades, accounts, firm)
    check_time("created_at", created_at)
    reporting_firm = load_firm(paths[2])
    (progress or silent)(f"reading {paths[1]}", 0, 0)
    _read_options(kind, given)
    holders = _read_accounts(paths[1])
    streamed = counted(checked_trades(paths[0], []), f"rendering {name}", row_count(paths[0]),
                       progress)  # fmt: skip
    if store is not None:
        ledger = _Ledger(kind, given, store, resubmit, created_at, max_records, validate)
        return ledger.render(streamed, holders, reporting_firm, as_path("out", out))
    return kind.render(streamed, holders, reporting_firm, as_path("out", out),
                       created_at=created_at, max_records=max_records, validate=validate,
                       first_sequence=first_sequence, **kind.keywords(given))  # fmt: skip


@dataclass(frozen=True)
class _Ledger:
    """A report run into a store's submissions ledger (:class:`LedgerRun`)."""

    kind: ReportType
    given: dict[str, Any]
    store: str | os.PathLike[str]
    resubmit: bool
    created_at: datetime | None
    max_records: int | None
    validate: bool

    def render(self, trades: Iterable[Trade], holders: list[Account], firm: Firm,
               out: Path) -> Rendered:  # fmt: skip
        created = self.created_at or datetime.now(UTC)
        keywords = self.kind.keywords(self.given)
        common: dict[str, Any] = {"max_records": self.max_records, "validate": self.validate}
        with open_ledger(self.store) as ledger:
            run = LedgerRun(self.kind.name, self.kind.render, holders, firm, created, ledger)
            if self.resubmit:
                return resubmit_from(run, trades, out, keywords,
                                     cancel=self.given.get("cancel") or [], **common)  # fmt: skip
            return run(trades, out, **common, **keywords)


def _check_ledger_arguments(
    store: object,
    resubmit: object,
    first_sequence: object,
    given: dict[str, Any],
    kind: ReportType,
) -> None:
    """A store numbers the files itself; a resubmission needs a store; an EMIR
    cancellation (EROR) is a resubmission."""
    if not isinstance(resubmit, bool):
        raise TypeError(f"resubmit must be True or False, got {resubmit!r}")
    if store is not None and first_sequence != 1:
        raise JobError("first_sequence cannot be given with a store: the store numbers the files")
    if resubmit and store is None:
        raise JobError("resubmit needs the ledger: give a store (--store URL)")
    if kind.name == "emir" and given.get("cancel") and not resubmit:
        raise JobError("an EMIR cancellation (EROR) is made with --resubmit and a store")


def _files(kind: ReportType, given: dict[str, Any], *named: object) -> list[Path]:
    """The trades, accounts and firm files, then the report's own record files; each must
    exist."""
    paths = [as_path(label, value) for label, value in zip(_NAMED, named, strict=True)]
    paths += [path for option, path in _record_options(kind, given)]
    for path in paths:
        if not path.is_file():
            raise JobError(f"{path}: no such file")
    return paths


_NAMED = ("trades", "accounts", "firm")


def _options(kind: ReportType, options: dict[str, Any]) -> dict[str, Any]:
    """The report's options, each one known; defaults for those not given."""
    known = {option.name: option for option in kind.options}
    unknown = sorted(set(options) - set(known))
    if unknown:
        names = ", ".join(known) or "none"
        raise TypeError(
            f"report {kind.name}: unknown option(s) {', '.join(unknown)}; its own are {names}"
        )
    given: dict[str, Any] = {}
    for name, option in known.items():
        value = options.get(name, option.default)
        if option.kind in ("file", "records"):
            value = optional_path(name, value)
        elif option.kind == "texts":
            value = _texts(name, value)
        elif option.kind == "flag" and not isinstance(value, bool):
            raise TypeError(f"{name} must be True or False, got {value!r}")
        elif value is not None and option.choices and value not in option.choices:
            raise ValueError(f"{name} must be one of {', '.join(option.choices)}, got {value!r}")
        given[name] = value
    return given


def _texts(name: str, value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not all(isinstance(item, str) for item in value):
        raise TypeError(f"{name} must be a list of text, got {value!r}")
    return list(value)


def _record_options(kind: ReportType, given: dict[str, Any]) -> list[tuple[ReportOption, Path]]:
    """The options naming a file of records, with the file given."""
    return [
        (option, given[option.name])
        for option in kind.options
        if option.kind == "records" and isinstance(given.get(option.name), Path)
    ]


def _read_options(kind: ReportType, given: dict[str, Any]) -> None:
    """Read the files of the options that name a file of records, in place."""
    for option, path in _record_options(kind, given):
        assert option.model is not None
        try:
            given[option.name] = read_file(path, option.model)
        except JobError as exc:  # the rows are counted, not listed (as ever)
            raise JobError(str(exc)) from None


def _read_accounts(path: Path) -> list[Account]:
    """The accounts of a report: a file that cannot be read, or any bad row, stops it."""
    return read_file(path, Account, unreadable=f"{path} cannot be read as accounts")
