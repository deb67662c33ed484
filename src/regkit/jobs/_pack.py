"""The pack job (``regkit pack``): read, scope, check, render, and write an audit pack."""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from regkit.errors import RecordError
from regkit.jobs._check import PolicyArgument, check_files, policy_of
from regkit.jobs._common import (
    JobError,
    Progress,
    as_path,
    check_period,
    check_time,
    counted,
    row_count,
    silent,
)
from regkit.jobs._inputs import checked_trades, kind_of, load_firm, read_file, read_files
from regkit.jobs._scoped import scoped_parquet
from regkit.reports import audit_pack
from regkit.reports.precheck import ContentCheck
from regkit.reports.registry import REPORTS, report_type
from regkit.rules.chunked import DEFAULT_CHUNK_ROWS
from regkit.rules.engine import check
from regkit.rules.findings import CheckResult
from regkit.schemas.account import Account
from regkit.schemas.base import Record
from regkit.schemas.firm import Firm
from regkit.schemas.kinds import KINDS
from regkit.schemas.trade import Trade
from regkit.schemas.types import TimeArgument

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

__all__ = ["PackResult", "pack", "signing_key"]


@dataclass(frozen=True)
class PackResult:
    """What the pack job wrote.

    Attributes:
        path: the audit pack.
        result: the check result the pack holds.
        records: the records in scope, by kind plural, in the order of the kinds.
        regulator_files: the names of the regulator files rendered into the pack.
        signed: whether the pack is signed.
        warnings: what deserves a reader's attention, in words (each
            :class:`~regkit.reports.audit_pack.PackWarning`); the pack's report says the same.
    """

    path: Path
    result: CheckResult
    records: Mapping[str, int]
    regulator_files: tuple[str, ...]
    signed: bool
    warnings: tuple[str, ...]


def signing_key(sign: str | os.PathLike[str] | bytes | Any | None) -> Ed25519PrivateKey | None:
    """The key to sign with: from a PEM file or PEM bytes, or a key as it is.

    Raises:
        PackError: not an unencrypted Ed25519 private key, or ``cryptography`` is missing.
        OSError: the file cannot be read.
    """
    if sign is None:
        return None
    if isinstance(sign, str | os.PathLike):
        sign = Path(sign).read_bytes()
    if isinstance(sign, bytes):
        return audit_pack.load_private_key(sign)
    if not callable(getattr(sign, "sign", None)):
        raise TypeError(f"sign must be a PEM file, PEM bytes or a private key, got {sign!r}")
    return sign  # type: ignore[no-any-return]  # audit_pack.build checks it is Ed25519


def pack(
    policy: PolicyArgument,
    *,
    out: str | os.PathLike[str],
    parameters: str | os.PathLike[str] | None = None,
    start: date | None = None,
    end: date | None = None,
    account: str | None = None,
    with_reports: Sequence[str] = (),
    firm: str | os.PathLike[str] | Firm | None = None,
    inputs: Literal["records", "fingerprints"] = "records",
    as_of: TimeArgument | None = None,
    created_at: datetime | None = None,
    title: str | None = None,
    sign: str | os.PathLike[str] | bytes | Ed25519PrivateKey | None = None,
    progress: Progress | None = None,
    **files: str | os.PathLike[str] | None,
) -> PackResult:
    """Build an audit pack (what ``regkit pack`` does): read the record files, keep those
    of the period and account asked for, check them, render the regulator files asked for,
    and write everything as a deterministic, self-verifying BagIt zip with an HTML report.
    Parquet files above 100,000 rows are packed in bounded memory (``docs/jobs.md``).

    Args:
        policy: a policy file, the name of a built-in pack, or loaded policies.
        out: the audit pack to write.
        parameters: a YAML file of parameter overrides (with a policy given by name or path).
        start: the first day of the period (UTC, inclusive); ``end``: the last.
        end: the last day of the period (UTC, inclusive).
        account: only this account's records.
        with_reports: reports of :data:`~regkit.reports.registry.REPORTS` to render of the
            period's trades; they need ``firm``, ``trades`` and ``accounts``.
        firm: the firm file (TOML or JSON), or the firm.
        inputs: the input records in the pack (``records``) or only their ``fingerprints``.
        as_of: the time rules read as ``as_of`` (default: now).
        created_at: the pack's date (default: now); the same files, ``as_of`` and
            ``created_at`` give the same pack, byte for byte.
        title: the report's title.
        sign: an Ed25519 private key (a PEM file, PEM bytes or the key) to sign the pack.
        progress: told of each step (reading, checking, rendering, writing the pack), with
            the records checked and the trades rendered.
        **files: the record files by kind plural (``trades=``, ``accounts=`` ...).

    Returns:
        The pack's path, the check result and what went into the pack.

    Raises:
        TypeError: an unknown keyword, or an argument of the wrong type.
        JobError: arguments that do not fit together, a missing file, bad rows, or no file.
        PackError: a bad signing key, or a pack that cannot be built.

    Examples:
        >>> import tempfile
        >>> from regkit.samples import SampleConfig, write_samples
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = write_samples(folder, SampleConfig(trades=30), "parquet")
        >>> done = pack("esma-cfd-retail", out=folder / "pack.zip", as_of="2026-12-01",
        ...             trades=folder / "trades.parquet", accounts=folder / "accounts.parquet")
        >>> done.path.name, dict(done.records)
        ('pack.zip', {'trades': 30, 'accounts': 5})
    """
    reports = _reports(with_reports, firm, files)
    written: dict[str, Any] = {"fingerprints": _fingerprints_only(inputs), "title": title}
    written["created"] = check_time("created_at", created_at)
    check_period(start, end)
    written["key"] = signing_key(sign)  # a bad key fails before minutes of checking
    loaded = policy_of(policy, parameters)
    large = _large_parquet(files)
    if large is not None:
        with tempfile.TemporaryDirectory(prefix="regkit-pack-") as folder:
            return _pack_streamed(loaded, as_path("out", out), large, Path(folder), account,
                                  start, end, as_of, reports, firm, progress,
                                  **written)  # fmt: skip
    (progress or silent)("reading the record files", 0, 0)
    scoped = _Scoped.of(_scoped_inputs(files, account, start, end))
    given: dict[str, Any] = dict(scoped.inputs)
    result = check(loaded, as_of=as_of, progress=_checking(progress), **given)
    scope = _scope(account, start, end, scoped)
    return _write(result, as_path("out", out), scoped, reports, firm, scope, progress=progress,
                  **written)  # fmt: skip


def _scope(
    account: str | None, start: date | None, end: date | None, scoped: _Scoped
) -> audit_pack.PackScope:
    accounts = (account,) if account is not None else ()
    kinds = tuple(scoped.inputs)
    return audit_pack.PackScope(accounts=accounts, start=start, end=end, kinds=kinds)


def _large_parquet(files: Mapping[str, str | os.PathLike[str] | None]) -> dict[str, Path] | None:
    """The files by kind plural when they are all Parquet and one is larger than a chunk of
    the chunked check (then packed in bounded memory), else None."""
    given = {kind_of(name).plural: as_path(name, path)
             for name, path in files.items() if path is not None}  # fmt: skip
    if not given or any(path.suffix.lower() != ".parquet" or not path.is_file()
                        for path in given.values()):  # fmt: skip
        return None
    return given if max(row_count(path) for path in given.values()) > DEFAULT_CHUNK_ROWS else None


def _pack_streamed(
    policy: Any,
    out: Path,
    files: dict[str, Path],
    folder: Path,
    account: str | None,
    start: date | None,
    end: date | None,
    as_of: TimeArgument | None,
    reports: list[str],
    firm: str | os.PathLike[str] | Firm | None,
    progress: Progress | None,
    **written: Any,
) -> PackResult:
    """The pack of large Parquet files: the records of the scope written to Parquet files
    chunk by chunk (the files as they are, without a scope), checked in chunks, the reports
    rendered from a stream of the trades, and the files copied into the pack."""
    tell = progress or silent
    scoped: dict[str, Path] = {}
    errors: list[RecordError] = []
    for kind in KINDS.values():
        path = files.get(kind.plural)
        if path is None:
            continue
        if account is None and start is None and end is None:
            scoped[kind.plural] = path
            continue
        scoped[kind.plural] = folder / f"{kind.plural}.parquet"
        errors += scoped_parquet(path, kind, scoped[kind.plural], account=account, start=start,
                                 end=end, progress=tell)  # fmt: skip
    if errors:
        raise JobError(f"{len(errors)} input errors; nothing was packed", errors)
    given: dict[str, Any] = dict(scoped)
    try:
        result = check_files(policy, as_of=as_of, progress=_checking(progress),
                             chunk_rows=DEFAULT_CHUNK_ROWS, **given)  # fmt: skip
    except JobError as exc:
        if not exc.record_errors:
            raise
        found = len(exc.record_errors)
        raise JobError(f"{found} input errors; nothing was packed", exc.record_errors) from None
    records = _Scoped(
        inputs=scoped, counts={name: row_count(path) for name, path in scoped.items()}
    )
    scope = _scope(account, start, end, records)
    return _write(result, out, records, reports, firm, scope, progress=progress, **written)


def _checking(progress: Progress | None) -> Progress | None:
    """The check's progress, its counted steps said as checking (``checking trades``)."""
    if progress is None:
        return None
    told = progress

    def checking(what: str, done: int, total: int) -> None:
        told(f"checking {what}" if total else what, done, total)

    return checking


def _reports(with_reports: Sequence[str], firm: object, files: Mapping[str, object]) -> list[str]:
    """The reports asked for, each known; they need the firm, trades and accounts."""
    if isinstance(with_reports, str) or not all(isinstance(name, str) for name in with_reports):
        raise TypeError(f"with_reports must be a list of report names, got {with_reports!r}")
    unknown = sorted(set(with_reports) - set(REPORTS))
    if unknown:
        raise JobError(
            f"with_reports: unknown report(s) {', '.join(unknown)}; the reports are: "
            f"{', '.join(REPORTS)}"
        )
    needs = (firm, files.get("trades"), files.get("accounts"))
    if with_reports and any(item is None for item in needs):
        raise JobError("with_reports needs firm, trades and accounts")
    return list(with_reports)


def _fingerprints_only(inputs: str) -> bool:
    if inputs not in ("records", "fingerprints"):
        raise ValueError(f"inputs must be 'records' or 'fingerprints', got {inputs!r}")
    return inputs == "fingerprints"


def _scoped_inputs(
    files: Mapping[str, str | os.PathLike[str] | None],
    account: str | None,
    start: date | None,
    end: date | None,
) -> dict[str, list[Record]]:
    """The records of the files given, those in scope; at least one file."""
    given = {name: path for name, path in files.items() if path is not None}
    try:
        scoped = read_files(given, account=account, start=start, end=end)
    except JobError as exc:
        if not exc.record_errors:
            raise
        raise JobError(f"{exc}; nothing was packed", exc.record_errors) from None
    if not scoped:
        raise JobError(f"give at least one of {', '.join(kind.plural for kind in KINDS.values())}")
    return scoped


@dataclass(frozen=True)
class _Scoped:
    """The records of the scope, by kind plural: in lists, or in Parquet files (large
    inputs); with their counts."""

    inputs: Mapping[str, list[Record] | Path]
    counts: Mapping[str, int]

    @classmethod
    def of(cls, records: dict[str, list[Record]]) -> _Scoped:
        return cls(inputs=records, counts={name: len(items) for name, items in records.items()})

    def trades(self) -> Iterator[Trade]:
        """The trades, streamed from a file."""
        given = self.inputs["trades"]
        if isinstance(given, Path):
            return checked_trades(given, [])
        return (trade for trade in given if isinstance(trade, Trade))

    def accounts(self) -> list[Account]:
        given = self.inputs["accounts"]
        if isinstance(given, Path):
            return read_file(given, Account)
        return [item for item in given if isinstance(item, Account)]


def _write(
    result: CheckResult,
    out: Path,
    scoped: _Scoped,
    reports: list[str],
    firm: str | os.PathLike[str] | Firm | None,
    scope: audit_pack.PackScope,
    *,
    created: datetime | None,
    title: str | None,
    key: Ed25519PrivateKey | None,
    fingerprints: bool,
    progress: Progress | None = None,
) -> PackResult:
    """Render the reports into a temporary folder and build the pack with them."""
    created = created or datetime.now(UTC)  # now: after the check, which it must not predate
    with tempfile.TemporaryDirectory() as folder:
        reporting = _firm(firm)
        attachments: list[Path] = []
        checks: list[ContentCheck] = []
        for name in reports:
            assert reporting is not None
            total = scoped.counts["trades"]
            rendered = report_type(name).render(
                counted(scoped.trades(), f"rendering {name}", total, progress),
                scoped.accounts(),
                reporting,
                Path(folder) / name,
                created_at=created,
            )
            attachments += rendered
            if rendered.content_check is not None:
                checks.append(rendered.content_check)
        (progress or silent)(f"writing {out.name}", 0, 0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", audit_pack.PackWarning)
            path = audit_pack.build(
                result,
                out,
                attachments=attachments,
                inputs="fingerprints" if fingerprints else dict(scoped.inputs),
                scope=scope,
                created_at=created,
                title=title,
                signer=key,
                organization=reporting.name if reporting is not None else None,
                content_checks=checks,
            )
    return PackResult(
        path=path,
        result=result,
        records=dict(scoped.counts),
        regulator_files=tuple(item.name for item in attachments),
        signed=key is not None,
        warnings=tuple(str(warning.message) for warning in caught),
    )


def _firm(firm: str | os.PathLike[str] | Firm | None) -> Firm | None:
    if firm is None or isinstance(firm, Firm):
        return firm
    return load_firm(as_path("firm", firm))
