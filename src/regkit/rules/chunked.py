"""Checking record files larger than memory: record rules chunk by chunk, aggregate rules
over only the columns they read.

:func:`check_parquet` gives the findings :func:`regkit.check` gives for the same files,
in the same order, without holding a kind's records whole:

* each kind's Parquet file is read in chunks of ``chunk_rows`` rows (its row groups are
  read as they are needed); each chunk is validated by the record model's checks
  (column-wise, as :func:`regkit.read_frame` does) and its record rules run on it, on the
  engine asked for;
* aggregate (windowed) rules need every record of a group at once: they run over a frame of
  only the columns their expressions, event time and account read (a few columns of every
  row, not the whole records), and the records of the rows that have findings are read
  back from the file by their row number;
* the accounts are read whole, once: every record's account is looked up among them.

Each chunk is validated twice: a first pass over every file finds the bad rows (before
anything is checked) and each decimal column's scale over the whole file, and builds the
aggregate rules' columns; the second pass checks. At a million trades the two passes still
took less time than reading the files whole, in under half the memory
(``docs/performance.md``).

A row that is not a valid record is named, as :func:`regkit.read_frame` names it, and
nothing is checked (the check stops with every bad row listed, as the in-memory check
refuses a frame with bad rows). Beyond ``keep_in_memory`` findings, the result's findings
are kept on disk (:mod:`regkit.rules.spool`); ``max_findings_per_rule`` keeps only the
first of each rule (see :func:`regkit.check`). The result's ``input_fingerprints`` are the
SHA-256 of each file's bytes (``sha256sum`` gives the same), where the in-memory check
hashes the records it was given.

Examples:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from regkit.rules.policy import load_policy
    >>> from regkit.samples import SampleConfig, write_samples
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = write_samples(folder, SampleConfig(trades=300), "parquet")
    >>> files = {kind: folder / f"{kind}.parquet" for kind in ("trades", "accounts")}
    >>> result = check_parquet(load_policy("esma-cfd-retail"), files, as_of="2026-12-01",
    ...                        chunk_rows=100)
    >>> result.records_checked["trade"]
    300
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import polars as pl

from regkit.errors import RecordError
from regkit.rules.backends.base import CheckInputs, Progress
from regkit.rules.backends.checked import CheckedRules
from regkit.rules.backends.polars.records import kind_frame
from regkit.rules.backends.polars.rolling import polars_findings
from regkit.rules.backends.registry import get_backend
from regkit.rules.engine import Checker, result_of
from regkit.rules.findings import CheckResult, Finding, FindingsCap
from regkit.rules.inputs import INDEX, KindInput
from regkit.rules.policy import Policy
from regkit.rules.spool import KEEP_IN_MEMORY, FindingsSpool
from regkit.rules.windows import AggregateRule
from regkit.schemas.base import Record
from regkit.schemas.columnar import validate_frame
from regkit.schemas.io import read_frame, read_records
from regkit.schemas.kinds import KINDS
from regkit.schemas.types import TimeArgument

__all__ = ["DEFAULT_CHUNK_ROWS", "BadRowsError", "ParquetKind", "check_parquet"]

#: Rows checked together: enough to keep polars busy, few enough to stay well under a GB.
DEFAULT_CHUNK_ROWS: Final = 100_000

_DERIVED: Final = ("notional",)


class BadRowsError(RecordError):
    """Rows of the files that are not valid records: nothing was checked.

    Attributes:
        rows: every bad row's error, file by file in the order of the kinds.
    """

    def __init__(self, rows: Sequence[RecordError]) -> None:
        super().__init__(
            f"{len(rows)} rows are not valid records, so none are checked; the first: {rows[0]}"
        )
        self.rows = tuple(rows)
        self.errors = [item.as_dict() for item in rows]


class ParquetKind:
    """One kind's Parquet file, read in chunks of validated rows.

    Args:
        kind: the record kind (``trade``).
        path: the file.
        label: the file its rows came from, when ``path`` is a conversion of it (a CSV
            file): named in errors, and hashed as the input's fingerprint.
    """

    def __init__(self, kind: str, path: Path, label: Path | None = None) -> None:
        self.kind = kind
        self.path = path
        self.label = label or path
        self.model = KINDS[kind].model
        self.rows = int(pl.scan_parquet(path).select(pl.len()).collect().item())
        self.scales: dict[str, int] = {}
        """Each decimal column's scale over the whole file (set by :meth:`survey`)."""
        self.surveyed = False

    def chunks(self, size: int) -> Iterator[tuple[int, Any]]:
        """``(first row, validated batch)`` of each chunk, in file order (rows from 0), its
        decimal columns at the whole file's scales once :meth:`survey` has run."""
        for offset in range(0, self.rows, size):
            raw = pl.scan_parquet(self.path).slice(offset, size).collect()
            batch = validate_frame(raw, self.model, source=str(self.label), first_row=offset + 1)
            batch.frame = self.rescaled(batch.frame)
            yield offset, batch

    def survey(self, batch: Any) -> None:
        """Note a validated chunk's decimal scales: a whole frame's decimal column has the
        most places any of its values has, and a record built from a frame keeps them
        (``1.50000``), so every chunk is brought to the file's scale to give the records,
        and the findings' texts, of the whole file."""
        for name, dtype in batch.frame.schema.items():
            if isinstance(dtype, pl.Decimal):
                self.scales[name] = max(self.scales.get(name, 0), dtype.scale or 0)

    def rescaled(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The frame's decimal columns at the file's scales (once every chunk was surveyed)."""
        if not self.surveyed:
            return frame
        changes = [
            pl.col(name).cast(pl.Decimal(38, self.scales[name]))
            for name, dtype in frame.schema.items()
            if isinstance(dtype, pl.Decimal) and self.scales.get(name, 0) > (dtype.scale or 0)
        ]
        return frame.with_columns(changes) if changes else frame

    def pick(self, rows: Sequence[int]) -> list[Record]:
        """The records of some rows (by their place in the file, from 0), in that order."""
        if not rows:
            return []
        ordered = sorted(set(rows))
        low, high = ordered[0], ordered[-1]
        wanted = pl.Series(INDEX, ordered, dtype=pl.UInt32)
        # The bounds let polars skip the row groups outside them; the rows are filtered as
        # they are read (a slice would be read whole first).
        inside = pl.col(INDEX).is_between(low, high) & pl.col(INDEX).is_in(wanted.implode())
        part = pl.scan_parquet(self.path).with_row_index(INDEX).filter(inside).collect()
        batch = validate_frame(part.drop(INDEX), self.model, "raise", source=str(self.label))
        frame = self.rescaled(batch.frame.drop([c for c in _DERIVED if c in batch.frame.columns]))
        built = read_records(frame, self.model, "raise").records
        by_row = dict(zip(part.get_column(INDEX).to_list(), built, strict=True))
        return [by_row[row] for row in rows]


def check_parquet(
    policy: Policy | Sequence[Policy],
    files: Mapping[str, str | Path],
    *,
    as_of: TimeArgument | None = None,
    engine: str = "polars",
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Progress | None = None,
    max_findings_per_rule: int | None = None,
    keep_in_memory: int | None = None,
    labels: Mapping[str, Path] | None = None,
) -> CheckResult:
    """Check Parquet record files chunk by chunk (see the module): the findings of
    :func:`regkit.check` on the same records.

    Args:
        policy: the policy (or its versions).
        files: the files by kind plural (``{"trades": path, "accounts": path}``).
        as_of: the time rules read as ``as_of`` (default: now).
        engine: the backend that runs the record rules of each chunk.
        chunk_rows: rows read and checked together.
        progress: told of each kind's records checked against their number.
        max_findings_per_rule: keep the first N findings of each rule, count the rest.
        keep_in_memory: findings held in memory; beyond this number the result's findings
            are kept in a temporary file (:class:`~regkit.rules.spool.SpooledFindings`).
            Default: :data:`~regkit.rules.spool.KEEP_IN_MEMORY`.
        labels: by kind plural, the file a Parquet file was converted from (a CSV file):
            errors name it, and its SHA-256 is the input's fingerprint.

    Raises:
        BadRowsError: rows that are not valid records (every one in ``rows``; nothing is
            checked).
        RecordError: an accounts file with bad rows.
        ValueError: ``chunk_rows`` below 1.
    """
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, got {chunk_rows}")
    cap = FindingsCap(max_findings_per_rule)
    started = datetime.now(UTC)
    clock = time.perf_counter()
    checker = Checker(policy, as_of=started if as_of is None else as_of)
    assert checker.as_of is not None
    named = labels or {}
    by_kind = {kind: ParquetKind(kind, Path(files[item.plural]), named.get(item.plural))
               for kind, item in KINDS.items() if files.get(item.plural) is not None}  # fmt: skip
    accounts = _accounts(by_kind.get("account"))
    run = _Run(checker.checked, by_kind, accounts, checker.as_of, engine, chunk_rows)
    for kind in by_kind:
        run.survey(kind, progress)
    run.raise_errors()  # a bad row anywhere: nothing is checked
    spool = FindingsSpool(KEEP_IN_MEMORY if keep_in_memory is None else keep_in_memory)
    for kind, source in by_kind.items():
        if source.rows:
            for found in run.record_findings(kind, progress):
                spool.extend(cap.take(found))
        if any(each in by_kind and by_kind[each].rows
               for rule in checker.aggregate_rules(kind) for each in rule.kinds):  # fmt: skip
            spool.extend(cap.take(run.window_findings(kind)))
    findings = spool.findings()
    elapsed = time.perf_counter() - clock
    checked = {kind: source.rows for kind, source in by_kind.items() if source.rows}
    fingerprints = {KINDS[kind].plural: _file_sha256(source.label)
                    for kind, source in by_kind.items() if source.rows}  # fmt: skip
    return result_of(checker, findings, started, elapsed, cap, checked, fingerprints)


class _Run:
    """One chunked check: the record rules chunk by chunk, the projected frames of the
    kinds aggregate rules read (built once), and every bad row found."""

    def __init__(
        self,
        rules: CheckedRules,
        sources: Mapping[str, ParquetKind],
        accounts: KindInput | None,
        as_of: datetime,
        engine: str,
        chunk_rows: int,
    ) -> None:
        self.rules = rules
        self.sources = sources
        self.accounts = accounts
        self.as_of = as_of
        self.backend = get_backend(engine)
        self.chunk_rows = chunk_rows
        self.errors: list[RecordError] = []
        self._frames: dict[str, pl.DataFrame | None] = {}

    def inputs(self, kind: str, chunk: KindInput | None) -> CheckInputs:
        given = {name: KindInput(name, (), KINDS[name].plural) for name in KINDS}
        if self.accounts is not None:
            given["account"] = self.accounts
        if chunk is not None:
            given[kind] = chunk
        return CheckInputs(given)

    def record_findings(self, kind: str, progress: Progress | None) -> Iterator[list[Finding]]:
        """The findings of the record rules over a kind, chunk by chunk."""
        source = self.sources[kind]
        plural = KINDS[kind].plural
        checks = bool(self.rules.rules(kind) or self.rules.python_rules(kind))
        if progress is not None:
            progress(plural, 0, source.rows)
        for offset, batch in source.chunks(self.chunk_rows):
            if checks:
                chunk = KindInput(kind, batch, plural)
                run = self.backend.start(self.rules, self.inputs(kind, chunk), self.as_of)
                yield run.record_findings(kind, None)
            if progress is not None:
                progress(plural, min(offset + self.chunk_rows, source.rows), source.rows)

    def window_findings(self, kind: str) -> list[Finding]:
        rules = self.rules.aggregate_rules(kind)
        related = self.inputs(kind, None).related
        return polars_findings(rules, kind, self.frame, self.pick, related, self.as_of)

    def pick(self, kind: str) -> Callable[[Sequence[int]], list[Record]]:
        return self.sources[kind].pick

    def frame(self, kind: str) -> pl.DataFrame | None:
        """The kind's rows, only the columns its aggregate rules read, with their place in
        the file in ``__index`` (None: no records)."""
        return self._frames.get(kind)

    def survey(self, kind: str, progress: Progress | None) -> None:
        """Validate every chunk of a kind: its bad rows, its decimal scales, and, for a kind
        aggregate rules read, its frame of the columns they read."""
        source = self.sources[kind]
        wanted = _columns_read(self.rules, kind)
        aggregated = any(kind in rule.kinds for owner in KINDS
                         for rule in self.rules.aggregate_rules(owner))  # fmt: skip
        parts: list[pl.DataFrame] = []
        what = f"reading {KINDS[kind].plural}"
        for offset, batch in source.chunks(self.chunk_rows):
            self.errors += batch.errors
            source.survey(batch)
            if aggregated and not batch.errors:
                chunk = KindInput(kind, batch, KINDS[kind].plural)
                frame = kind_frame(self.rules, kind, chunk, self.accounts)
                keep = [name for name in frame.columns if name in wanted]
                parts.append(frame.select(keep).with_columns(pl.col(INDEX) + offset))
            if progress is not None:
                progress(what, min(offset + self.chunk_rows, source.rows), source.rows)
        source.surveyed = True
        if parts:
            self._frames[kind] = source.rescaled(pl.concat(parts, how="vertical_relaxed"))

    def raise_errors(self) -> None:
        if self.errors:
            raise BadRowsError(self.errors)


def _file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, read a megabyte at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _columns_read(rules: CheckedRules, kind: str) -> set[str]:
    """The frame columns the aggregate rules over a kind read: the names of their
    expressions (the kind's own fields without its prefix, the account's as ``account.*``),
    its event time, its account, its key (findings name their members by it) and the row's
    place."""
    prefix = f"{kind}."
    names = {INDEX, KINDS[kind].event_time, "account_id", *KINDS[kind].key}
    for owner in KINDS:
        for rule in rules.aggregate_rules(owner):
            if kind not in rule.kinds:
                continue
            for name in _names(rule):
                names.add(name[len(prefix) :] if name.startswith(prefix) else name)
    return names


def _names(rule: AggregateRule) -> set[str]:
    compiled = rule.rule
    exprs = [compiled.when, compiled.assertion, compiled.where, *compiled.evidence,
             *compiled.group_by, *compiled.aggregates.values(),
             *(part.value for part in compiled.message)]  # fmt: skip
    exprs += [expr for leg in compiled.legs for expr in leg.values()]
    return {name for expr in exprs if expr is not None for name in expr.names}


def _accounts(source: ParquetKind | None) -> KindInput | None:
    """The accounts, read whole (every record's account is looked up among them)."""
    if source is None:
        return None
    batch = read_frame(source.label, source.model)
    if batch.errors:
        error = RecordError(f"{len(batch.errors)} rows of {source.label} are not valid accounts; "
                            f"the first: {batch.errors[0]}")  # fmt: skip
        error.errors = [item.as_dict() for item in batch.errors]
        raise error
    accounts = KindInput("account", batch, "accounts")
    accounts.records()  # as the in-memory check does: every account is looked up by id
    return accounts
