"""Audit packs: one deterministic zip, laid out as a BagIt bag, that shows a check to an auditor.

A pack holds what a check found and everything needed to see it again (see
``docs/audit-packs.md``)::

    bagit.txt                   BagIt-Version 1.0, UTF-8
    data/findings.csv           every finding, one row each (CheckResult.to_csv)
    data/findings.json          the whole result (CheckResult.to_json) but its run's times
    data/inputs/...             the input records, or only their fingerprints
    data/policy/...             the exact policy files that ran, and policies.json
    data/regulator/...          the regulator files, validation.json, content-checks.json
    data/rerun.py               a script that re-runs the check from the pack's own files
    data/scope.json             what the pack covers: accounts, period, as_of, records per kind
    data/report.html            the audit report, one self-contained page
    bag-info.txt                who, when, scope, regkit version, policies, input fingerprints
    manifest-sha256.txt         the SHA-256 of every payload file
    tagmanifest-sha256.txt      the SHA-256 of every tag file above
    tagmanifest-sha256.txt.sig  optional: an Ed25519 signature of tagmanifest-sha256.txt

The zip sits at the bag's root, so unzipping it into a folder gives the bag, which any BagIt
tool validates (``bagit.py --validate folder``). The same result and inputs give the same
bytes: entries in a fixed order, every timestamp ``created_at``, permissions ``0644``, no
machine paths, Deflate at zlib's default level (or stored, for data Deflate would not
shrink). The check's wall-clock times (``started_at``, ``finished_at``) are in no file: they
differ on every run of the same check and are no part of what it found, so two checks of the
same inputs give the same pack. Large payloads stream through the zip with their hashes
taken as they are written, and the pack is written beside ``out_path`` and
renamed onto it only when complete.

:func:`verify` reads a pack without extracting it: each entry is hashed straight from the
zip and every mismatch, missing file, unexpected file and unsafe entry (absolute, ``..``, a
link) is reported by name, and every byte of the zip must be accounted for (see
:mod:`regkit.reports._zipread`).

Examples:
    >>> pack = build(result, "pack.zip", attachments=files)  # doctest: +SKIP
    >>> verify(pack).ok  # doctest: +SKIP
    True
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import stat
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any, BinaryIO, Final, Literal

import polars as pl

from regkit._version import __version__
from regkit.errors import PackError, PackIntegrityError, PolicyError, RenderError
from regkit.reports import _zipread, html
from regkit.reports.xml import validate
from regkit.rules.findings import CheckResult, Finding
from regkit.rules.policy import (
    Policy,
    builtin_policies,
    load_policy,
    parameter_overrides,
)
from regkit.schemas.account import Account
from regkit.schemas.base import Record
from regkit.schemas.io import FrameBatch, atomic_path
from regkit.schemas.kinds import KINDS
from regkit.schemas.layout import layout_of

if TYPE_CHECKING:  # cryptography is optional (the "sign" extra); imported when used
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

    from regkit.reports.precheck import ContentCheck

__all__ = [
    "BAGIT_TXT",
    "SIGNATURE_FILE",
    "InputValue",
    "PackHistory",
    "PackProblem",
    "PackScope",
    "PackWarning",
    "VerifyResult",
    "build",
    "load_private_key",
    "verify",
]

#: The exact text of every pack's ``bagit.txt``.
BAGIT_TXT: Final = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
#: The detached Ed25519 signature of ``tagmanifest-sha256.txt``, at the bag's root.
SIGNATURE_FILE: Final = "tagmanifest-sha256.txt.sig"

#: What ``inputs`` may hold for one record kind: records, a DataFrame of them, or a Parquet
#: file of them (copied into the pack as it is, a megabyte at a time).
InputValue = Iterable[Record] | pl.DataFrame | FrameBatch[Any] | Path

_MANIFEST: Final = "manifest-sha256.txt"
_TAGMANIFEST: Final = "tagmanifest-sha256.txt"
_BAG_INFO: Final = "bag-info.txt"
_CHUNK: Final = 1 << 20
_FILE_MODE: Final = (stat.S_IFREG | 0o644) << 16
_UNIX: Final = 3
#: The plural of each record kind (``trade`` → ``trades``), from the table of kinds.
_KINDS: Final = {kind.name: kind.plural for kind in KINDS.values()}
#: The key column of the kinds whose records one column identifies, by plural.
_KEY_COLUMNS: Final = {
    kind.plural: kind.model.key_fields[0]
    for kind in KINDS.values()
    if len(kind.model.key_fields) == 1
}
_UNSAFE_NAME: Final = re.compile(r"[^A-Za-z0-9._-]")


# --- building -------------------------------------------------------------------------------


class PackWarning(UserWarning):
    """A pack was built, but something in it deserves a reader's attention (the report and
    ``bag-info.txt`` say the same)."""


@dataclass(frozen=True)
class PackScope:
    """What a pack covers, as asked for: the pack states it in ``bag-info.txt``,
    ``data/scope.json`` and the report, so that an empty result reads as "nothing in this
    scope", not as "clean".

    Attributes:
        accounts: the accounts asked for; empty means all accounts.
        start: the first day asked for (UTC, inclusive); ``None``: from the first record.
        end: the last day asked for (UTC, inclusive); ``None``: to the last record.
        kinds: the record kinds given to the check (``trades``, ``accounts``, ``movements``,
            ``snapshots``), so that a kind with no record in scope is stated as 0; the
            kinds with records and those in ``inputs`` are stated anyway.

    Examples:
        >>> PackScope(accounts=("A1",), start=date(2026, 11, 2)).period
        'from 2026-11-02'
    """

    accounts: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None
    kinds: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.accounts, str) or not all(
            isinstance(item, str) for item in self.accounts
        ):
            raise PackError(f"scope.accounts must be account ids, got {self.accounts!r}")
        object.__setattr__(self, "accounts", tuple(sorted(set(self.accounts))))
        for name in ("start", "end"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, datetime) or not isinstance(value, date)):
                raise PackError(f"scope.{name} must be a date, got {value!r}")
        if self.start is not None and self.end is not None and self.end < self.start:
            raise PackError(f"scope: the last day {self.end} is before the first {self.start}")
        object.__setattr__(self, "kinds", tuple(sorted({_input_name(k) for k in self.kinds})))

    @property
    def period(self) -> str:
        """The period in words: ``2026-11-02 to 2026-11-03``, ``from …``, ``to …`` or
        ``all time``."""
        first = None if self.start is None else self.start.isoformat()
        last = None if self.end is None else self.end.isoformat()
        if first and last:
            return f"{first} to {last}"
        if first or last:
            return f"from {first}" if first else f"to {last}"
        return "all time"


@dataclass(frozen=True)
class PackHistory:
    """Where a pack of a past period comes from: the history store's runs and the cases that
    hold the period's findings (``regkit pack --store``; see :mod:`regkit.store.period`).
    The pack writes them under ``data/store/`` and its report gains the runs and a section
    per case with the timeline of its events.

    Attributes:
        runs: one entry per run (``data/store/runs.json``): its id, times, ``as_of``,
            regkit version, policies, inputs with their fingerprints, scope and counts.
        cases: one entry per case (``data/store/cases.json``): its state, the keys of its
            findings, and every event with who, when, what, before and after, and the
            event's SHA-256 chain (``previous``, ``digest``).
        findings: one entry per finding of the result, in its order
            (``data/store/findings.csv``): ``key``, ``state``, ``first_run``, ``gone_run``,
            ``runs`` and ``cases``.
        log: the case log: ``events``, the number of the cases' events; ``ok`` and
            ``problems``, what the check of the store's whole log found when the pack was
            built (:meth:`regkit.store.Store.verify`).
        ledger: the submissions ledger of the period (``data/store/submissions.json``,
            written with its keys sorted, and the report's "Submissions" section):
            ``submissions``, each file with its ``transmissions`` and each one's
            ``statuses``; ``transactions``, each with its ``state`` and its transmissions'
            ids; ``feedback``; ``unmatched`` (as ``regkit pack --store`` reads them from
            :meth:`regkit.store.Store.ledger_period`). Empty (the default): no such file,
            no such section.
    """

    runs: Sequence[Mapping[str, Any]]
    cases: Sequence[Mapping[str, Any]]
    findings: Sequence[Mapping[str, Any]]
    log: Mapping[str, Any]
    ledger: Mapping[str, Any] = field(default_factory=dict)


def build(
    result: CheckResult,
    out_path: str | Path,
    *,
    attachments: Iterable[str | Path] = (),
    inputs: Mapping[str, InputValue] | Literal["fingerprints"] | None = None,
    scope: PackScope | None = None,
    created_at: datetime | None = None,
    title: str | None = None,
    signer: Ed25519PrivateKey | bytes | None = None,
    policies: Policy | Sequence[Policy] | None = None,
    organization: str | None = None,
    max_rows: int = html.DEFAULT_MAX_ROWS,
    content_checks: Iterable[ContentCheck] = (),
    history: PackHistory | None = None,
) -> Path:
    """Write an audit pack of a check result: a deterministic BagIt zip.

    Args:
        result: the check result; its findings go to ``data/findings.json`` and ``.csv``.
        out_path: the zip to write (replaced only once the new pack is complete).
        attachments: regulator files (XML) to include, each validated against its schema.
        inputs: the records that were checked, by kind (``{"trades": records}``; ``trade``
            works too): records (any iterable, read once, so a generator streams), a
            DataFrame / :class:`~regkit.schemas.io.FrameBatch`, or a Parquet file's
            ``Path`` (copied as it is; its SHA-256 must match the fingerprint). ``None`` or
            ``"fingerprints"``: only the inputs' SHA-256 fingerprints and counts, for data
            that must not leave the firm.
        scope: the accounts and period the check was asked for (default: all accounts, all
            time), stated in ``bag-info.txt``, ``data/scope.json`` and the report.
        created_at: the pack's date (``Bagging-Date``) and every zip timestamp; default the
            result's ``finished_at``, so that the same result gives the same bytes. A date
            before the check finished is a :class:`PackWarning`, and the report says so.
        title: the report's title.
        signer: an Ed25519 private key (``cryptography``), or its unencrypted PEM bytes:
            sign ``tagmanifest-sha256.txt``.
        policies: the policies that ran, for their exact text; default ``result.policies``,
            else the built-in pack whose hash matches the result's. Without any, the pack
            names the policy by hash and states that its text is not included.
        organization: the firm's name (``Source-Organization``, the report's title).
        max_rows: findings shown in the report's table (all are in ``findings.csv``).
        content_checks: the ``content_check`` of each render's result (its pre-submission
            check): ``data/regulator/content-checks.json`` and the report.
        history: a past period's runs and cases (:class:`PackHistory`), without rerun.py.

    Returns:
        The path of the pack.

    Raises:
        PackError: a policy that does not match the result, inputs whose fingerprint is not
            the result's, a bad scope, two attachments with one file name, an attachment
            that cannot be read, or signing asked for without ``cryptography``.
    """
    _check_types(result, scope, history)
    target = Path(out_path)
    moment = _utc(created_at or result.finished_at)
    asked = scope or PackScope()
    notices = _date_notices(result, moment)
    ran = _policies_for(result, policies)
    key = _private_key(signer)
    regulator, checks = _regulator_files(attachments, content_checks)
    lookup = _AccountLookup(html.shown_findings(result.findings, max_rows), asked)
    with atomic_path(target) as temporary, zipfile.ZipFile(temporary, "w") as archive:
        bag = _BagWriter(archive, moment)
        bag.put("bagit.txt", BAGIT_TXT)
        _write_findings(bag, result)
        inputs_summary = _write_inputs(bag, result, inputs, asked, lookup)
        policy_summary = _write_policies(bag, result, ran)
        notices += _policy_notices(policy_summary)
        validations = _write_regulator(bag, regulator, checks)
        rerun = _write_rerun(bag, result, policy_summary, inputs_summary, history, notices)
        stated = _scope_data(result, asked, inputs_summary, notices)
        bag.put_json("data/scope.json", stated)
        report = _Report(title, organization, moment, ran, policy_summary, validations,
                         inputs_summary, checks, history)  # fmt: skip
        _write_report(bag, result, report, stated, lookup.of_record, lookup.details(asked), rerun,
                      max_rows=max_rows, signed=key is not None)  # fmt: skip
        info = _bag_info(result, moment, bag, organization, title, key, stated, history)
        _write_tags(bag, info, key)
    return target


def _check_types(result: object, scope: object, history: object) -> None:
    if not isinstance(result, CheckResult):
        raise TypeError(f"result must be a CheckResult, got {type(result).__name__}")
    if scope is not None and not isinstance(scope, PackScope):
        raise TypeError(f"scope must be a PackScope, got {type(scope).__name__}")
    if history is not None and not isinstance(history, PackHistory):
        raise TypeError(f"history must be a PackHistory, got {type(history).__name__}")
    if history is not None and len(history.findings) != len(result.findings):
        raise PackError(
            f"history: {len(history.findings)} findings' entries for a result of "
            f"{len(result.findings)} findings"
        )


def _write_rerun(
    bag: _BagWriter,
    result: CheckResult,
    policy_summary: Sequence[Mapping[str, Any]],
    inputs_summary: Mapping[str, Mapping[str, Any]],
    history: PackHistory | None,
    notices: list[str],
) -> str:
    """``data/rerun.py`` (returned), or for a pack from the store, its ``data/store/``
    files (the case log's problems added to ``notices``)."""
    rerun = html.rerun_script(result, policy_summary, inputs_summary)
    if history is None:
        bag.put("data/rerun.py", rerun.encode("utf-8"))
    else:
        _write_history(bag, result, history)
        notices += [f"The store's case log: {problem}" for problem in history.log["problems"]]
    return rerun


_HISTORY_COLUMNS: Final = ("position", "rule_id", "record_kind", "record_id", "key", "state",
                           "first_run", "gone_run", "runs", "cases")  # fmt: skip


def _write_history(bag: _BagWriter, result: CheckResult, history: PackHistory) -> None:
    """``data/store/``: the runs, the cases with their events, and each finding's identity
    and where the store saw it (a row per finding of ``findings.csv``, in its order)."""
    bag.put_json("data/store/runs.json", list(history.runs))
    bag.put_json("data/store/cases.json", {"log": dict(history.log), "cases": list(history.cases)})
    text = io.StringIO()
    table = csv.writer(text, lineterminator="\n")
    table.writerow(_HISTORY_COLUMNS)
    for position, (finding, entry) in enumerate(
        zip(result.findings, history.findings, strict=True)
    ):
        table.writerow([position, finding.rule_id, finding.record_kind, finding.record_id,
                        entry["key"], entry["state"], entry["first_run"], entry["gone_run"] or "",
                        " ".join(entry["runs"]), " ".join(map(str, entry["cases"]))])  # fmt: skip
    bag.put("data/store/findings.csv", text.getvalue().encode("utf-8"))
    if history.ledger:
        ledger = json.dumps(history.ledger, ensure_ascii=False, indent=2, sort_keys=True)
        bag.put("data/store/submissions.json", (ledger + "\n").encode("utf-8"))


@dataclass(frozen=True)
class _Report:
    """What the HTML report says besides the result, as the pack's files say it."""

    title: str | None
    organization: str | None
    created_at: datetime
    policies: Sequence[Policy]
    policy_files: Sequence[Mapping[str, Any]]
    regulator: Sequence[Mapping[str, Any]]
    inputs: Mapping[str, Mapping[str, Any]]
    content_checks: Sequence[Mapping[str, Any]] = ()
    history: PackHistory | None = None


def _write_report(
    bag: _BagWriter,
    result: CheckResult,
    report: _Report,
    scope: Mapping[str, Any],
    record_accounts: Mapping[tuple[str, str], str],
    accounts: Sequence[html.AccountDetails],
    rerun: str,
    *,
    max_rows: int,
    signed: bool,
) -> None:
    """``data/report.html``, streamed into the bag."""
    with bag.entry("data/report.html") as writer:
        for chunk in html.stream(
            result,
            title=report.title,
            organization=report.organization,
            created_at=report.created_at,
            policies=report.policies,
            policy_files=report.policy_files,
            regulator=report.regulator,
            content_checks=report.content_checks,
            inputs=report.inputs,
            scope=scope,
            notices=scope["warnings"],
            record_accounts=record_accounts,
            accounts=accounts,
            rerun=rerun,
            max_rows=max_rows,
            signed=signed,
            run_times=False,
            history=None if report.history is None else _history_context(report.history),
        ):
            writer.write(chunk.encode("utf-8"))


def _history_context(history: PackHistory) -> dict[str, Any]:
    """What the report shows of the store: the runs, each case with its events, and the
    ledger of the period (when there is one)."""
    return {"runs": list(history.runs), "cases": list(history.cases), "log": history.log,
            "ledger": history.ledger or None}  # fmt: skip


def _unstated_as_of(history: PackHistory | None) -> str:
    return "not recorded" if history is None else "each run's, in data/store/runs.json"


def _write_tags(bag: _BagWriter, info: str, key: Ed25519PrivateKey | None) -> None:
    """``bag-info.txt``, the manifests, and the signature of the tag manifest."""
    bag.put(_BAG_INFO, info.encode("utf-8"))
    bag.put(_MANIFEST, _manifest(bag.payload))
    tagmanifest = _manifest(bag.tags)
    bag.put(_TAGMANIFEST, tagmanifest, listed=False)
    if key is not None:
        bag.put(SIGNATURE_FILE, key.sign(tagmanifest), listed=False)


def _date_notices(result: CheckResult, moment: datetime) -> list[str]:
    """A pack dated before its check finished reads as if it predates its own findings.

    The pack's own notice leaves out the time the check finished, which would make every
    rebuild differ; the warning raised here names it."""
    if moment >= result.finished_at:
        return []
    text = f"This pack is dated {_iso(moment)}, before the check it reports finished."
    warnings.warn(f"{text[:-1]} ({_iso(result.finished_at)}).", PackWarning, stacklevel=3)
    return [text]


def _policy_notices(entries: Sequence[Mapping[str, Any]]) -> list[str]:
    return [
        f"The text of policy {entry['id']} {entry['version']} (sha256 {entry['sha256']}) is "
        "not included: the result does not carry it; build the pack from the result of "
        "rk.check, or pass policies=, to include it."
        for entry in entries
        if entry["file"] is None
    ]


def _scope_data(
    result: CheckResult,
    scope: PackScope,
    inputs: Mapping[str, Mapping[str, Any]],
    notices: Sequence[str],
) -> dict[str, Any]:
    """What ``data/scope.json`` says: the scope asked for, and what was in it."""
    return {
        "accounts": list(scope.accounts) or None,
        "from": None if scope.start is None else scope.start.isoformat(),
        "to": None if scope.end is None else scope.end.isoformat(),
        "period": scope.period,
        "as_of": None if result.as_of is None else _iso(result.as_of),
        "records": {name: int(entry["records"]) for name, entry in inputs.items()},
        "findings": len(result.findings),
        "warnings": list(notices),
    }


@dataclass
class _Written:
    """One file written to the pack: its name, SHA-256 and size."""

    name: str
    sha256: str
    size: int


class _HashingWriter:
    """Writes to a zip entry in large blocks, hashing and counting the bytes on the way."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._buffer: list[bytes] = []
        self._buffered = 0
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        """Write some bytes (kept until a block is full)."""
        self._buffer.append(data)
        self._buffered += len(data)
        if self._buffered >= _CHUNK:
            self.flush()

    def flush(self) -> None:
        """Write what is buffered."""
        if not self._buffer:
            return
        block = b"".join(self._buffer)
        self._buffer.clear()
        self._buffered = 0
        self.digest.update(block)
        self.size += len(block)
        self._stream.write(block)


class _BagWriter:
    """Adds entries to the zip in a fixed form and remembers each one's hash and size."""

    def __init__(self, archive: zipfile.ZipFile, moment: datetime) -> None:
        self.archive = archive
        self.date_time = _zip_time(moment)
        self.payload: list[_Written] = []
        self.tags: list[_Written] = []

    def _info(self, name: str, compress: bool) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, self.date_time)
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.create_system = _UNIX
        info.external_attr = _FILE_MODE
        return info

    @contextmanager
    def entry(
        self, name: str, *, compress: bool = True, listed: bool = True
    ) -> Iterator[_HashingWriter]:
        """Stream one entry; it is recorded for the manifests once written."""
        with self.archive.open(self._info(name, compress), "w", force_zip64=True) as stream:
            writer = _HashingWriter(stream)
            yield writer
            writer.flush()
        if listed:
            written = _Written(name, writer.digest.hexdigest(), writer.size)
            (self.payload if name.startswith("data/") else self.tags).append(written)

    def put(self, name: str, data: bytes, *, listed: bool = True) -> str:
        """Write one whole entry, Deflated or, when Deflate would not shrink it, stored;
        returns its SHA-256."""
        # Deflate stores such data (a signature, compressed Parquet) in stored blocks,
        # whose padding bits readers ignore; stored as is, every bit of it is the file's.
        shrinks = len(zlib.compress(data, wbits=-zlib.MAX_WBITS)) < len(data)
        with self.entry(name, listed=listed, compress=shrinks) as writer:
            writer.write(data)
        return writer.digest.hexdigest()

    def put_json(self, name: str, data: Any) -> str:
        """Write JSON data, indented, keys in the order given."""
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        return self.put(name, text.encode("utf-8"))


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    # A zip stores local time without a zone, from 1980 to 2107; regkit stores UTC.
    year = min(max(moment.year, 1980), 2107)
    return (year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise PackError(f"created_at must carry a time zone, got {moment.isoformat()}")
    return moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- findings --------------------------------------------------------------------------------


#: Keys of ``CheckResult.to_dict()`` left out of ``findings.json``: the run's wall-clock
#: times, which differ on every run of the same check (see the module docstring).
_RUN_TIMES: Final = ("started_at", "finished_at")


def _write_findings(bag: _BagWriter, result: CheckResult) -> None:
    """``findings.csv``, byte for byte ``to_csv()``, and ``findings.json``, the text of
    ``to_json()`` without the run's times; written a block of findings at a time."""
    with bag.entry("data/findings.csv") as writer:
        for piece in result.iter_csv():
            writer.write(piece.encode("utf-8"))
    with bag.entry("data/findings.json") as writer:
        for piece in result.iter_json(leave_out=_RUN_TIMES):
            writer.write(piece.encode("utf-8"))


# --- inputs ----------------------------------------------------------------------------------


def _input_name(key: str) -> str:
    if key in _KINDS.values():
        return key
    if key in _KINDS:
        return _KINDS[key]
    choices = ", ".join(_KINDS.values())
    raise PackError(f"inputs: unknown record kind {key!r}; expected one of {choices}")


def _write_inputs(
    bag: _BagWriter,
    result: CheckResult,
    inputs: Mapping[str, InputValue] | Literal["fingerprints"] | None,
    scope: PackScope,
    lookup: _AccountLookup,
) -> dict[str, dict[str, Any]]:
    """The inputs, or their fingerprints; returns what ``data/inputs/inputs.json`` says."""
    summary: dict[str, dict[str, Any]] = {}
    for kind, count in result.records_checked.items():
        name = _KINDS.get(kind, kind)
        summary[name] = {
            "records": count,
            "fingerprint": result.input_fingerprints.get(name),
            "file": None,
        }
    for name in scope.kinds:  # given to the check, but no record was in scope
        summary.setdefault(name, {"records": 0, "fingerprint": None, "file": None})
    if inputs is not None and inputs != "fingerprints":
        given = {_input_name(key): value for key, value in inputs.items()}
        for name in sorted(given):
            summary[name] = summary.get(name, {"records": 0, "fingerprint": None})
            summary[name] |= _write_input(bag, name, given[name], summary[name], lookup)
    ordered = {name: summary[name] for name in sorted(summary)}
    bag.put_json("data/inputs/inputs.json", ordered)
    return ordered


def _write_input(
    bag: _BagWriter,
    name: str,
    value: InputValue,
    expected: Mapping[str, Any],
    lookup: _AccountLookup,
) -> dict[str, Any]:
    if isinstance(value, Path):
        return _write_input_file(bag, name, value, expected, lookup)
    if isinstance(value, FrameBatch | pl.DataFrame):
        frame = _record_columns(value)
        lookup.see_frame(name, frame)
        buffer = io.BytesIO()
        frame.write_parquet(buffer, statistics=False)
        entry = f"data/inputs/{name}.parquet"
        sha256 = bag.put(entry, buffer.getvalue())
        return {"file": entry.removeprefix("data/"), "sha256": sha256, "rows": frame.height}
    entry = f"data/inputs/{name}.jsonl"
    count = 0
    with bag.entry(entry) as writer:
        for record in value:
            writer.write(record.to_json().encode("utf-8") + b"\n")
            lookup.see(name, record)
            count += 1
    sha256 = writer.digest.hexdigest()
    what = f"these {count:,} records are not the ones the check saw"
    advice = "; pass the same records in the same order, or inputs='fingerprints'"
    _same_as_checked(name, sha256, expected, what, advice)
    return {"file": entry.removeprefix("data/"), "sha256": sha256, "rows": count}


def _same_as_checked(
    name: str, sha256: str, expected: Mapping[str, Any], what: str, advice: str = ""
) -> None:
    """Refuse an input whose SHA-256 is not the fingerprint the check gave it."""
    fingerprint = expected.get("fingerprint")
    if fingerprint is not None and sha256 != fingerprint:
        raise PackError(
            f"inputs[{name!r}]: {what} (fingerprint {sha256[:16]}…, the result's "
            f"{fingerprint[:16]}…){advice}"
        )


def _write_input_file(
    bag: _BagWriter, name: str, path: Path, expected: Mapping[str, Any], lookup: _AccountLookup
) -> dict[str, Any]:
    """A Parquet file of one kind's records, copied into the pack as it is."""
    if path.suffix.lower() != ".parquet":
        raise PackError(f"inputs[{name!r}]: {path} is not a Parquet file (.parquet)")
    entry = f"data/inputs/{name}.parquet"
    with bag.entry(entry) as writer, open(path, "rb") as source:
        for block in iter(lambda: source.read(_CHUNK), b""):
            writer.write(block)
    sha256 = writer.digest.hexdigest()
    _same_as_checked(name, sha256, expected, f"{path} is not the file the check saw")
    lookup.see_file(name, path)
    rows = int(pl.scan_parquet(path).select(pl.len()).collect().item())
    return {"file": entry.removeprefix("data/"), "sha256": sha256, "rows": rows}


def _record_columns(value: FrameBatch[Any] | pl.DataFrame) -> pl.DataFrame:
    """The frame in the form ``rk.check`` reads back: a validated batch without the columns
    it derives (``Trade.notional``), which no record file has."""
    if isinstance(value, pl.DataFrame):
        return value
    model: type[Record] = value.model
    layout = layout_of(model)
    return value.frame.select(name for name in value.frame.columns if layout.is_known(name))


class _AccountLookup:
    """While the inputs stream into the pack, notes the account of each finding the report
    lists and the details (holder, category, KYC) of the accounts in scope: the findings
    name records, and only the records name their account."""

    def __init__(self, shown: Sequence[Finding], scope: PackScope) -> None:
        self.wanted: dict[str, set[str]] = {}
        for finding in shown:
            name = _KINDS.get(finding.record_kind, finding.record_kind)
            self.wanted.setdefault(name, set()).add(finding.record_id)
        self.scoped = set(scope.accounts)
        self.of_record: dict[tuple[str, str], str] = {}
        self.found: dict[str, html.AccountDetails] = {}

    def see(self, name: str, record: Record) -> None:
        """Note what a record says, if the report needs it."""
        account_id = getattr(record, "account_id", None)
        if not isinstance(account_id, str):
            return
        wanted = self.wanted.get(name)
        if wanted and record.key in wanted:
            self.of_record[(_singular(name), record.key)] = account_id
        if isinstance(record, Account) and account_id in self.scoped:
            self.found[account_id] = html.AccountDetails.of(record)

    def see_frame(self, name: str, frame: pl.DataFrame) -> None:
        """The same for records given as a frame: the rows needed are picked by key."""
        if "account_id" not in frame.columns:
            return
        wanted = self.wanted.get(name)
        column = _KEY_COLUMNS.get(name)
        if wanted and column in frame.columns:
            rows = frame.filter(pl.col(column).is_in(sorted(wanted))).select(column, "account_id")
            for key, account_id in rows.iter_rows():
                self.of_record[(_singular(name), str(key))] = str(account_id)
        layout = layout_of(Account)
        if name == "accounts" and self.scoped and all(map(layout.is_known, frame.columns)):
            scoped = frame.filter(pl.col("account_id").is_in(sorted(self.scoped)))
            for row in scoped.iter_rows(named=True):
                account = Account.model_validate(layout.from_flat(row))
                self.found[account.account_id] = html.AccountDetails.of(account)

    def see_file(self, name: str, path: Path) -> None:
        """The same for records in a Parquet file: only the rows needed are read."""
        lazy = pl.scan_parquet(path)
        columns = lazy.collect_schema().names()
        wanted = sorted(self.wanted.get(name, ()))
        column = _KEY_COLUMNS.get(name)
        needed: list[pl.Expr] = []
        if wanted and column in columns:
            needed.append(pl.col(column).is_in(wanted))
        if name == "accounts" and self.scoped and "account_id" in columns:
            needed.append(pl.col("account_id").is_in(sorted(self.scoped)))
        if needed:
            self.see_frame(name, lazy.filter(pl.any_horizontal(needed)).collect())

    def details(self, scope: PackScope) -> list[html.AccountDetails]:
        """The accounts in scope, each with what the inputs said about it."""
        return [self.found.get(item, html.AccountDetails(item)) for item in scope.accounts]


def _singular(name: str) -> str:
    return next((kind for kind, plural in _KINDS.items() if plural == name), name)


# --- policies --------------------------------------------------------------------------------


def _result_hashes(result: CheckResult) -> set[str]:
    if result.policy_versions:
        return {str(version["sha256"]) for version in result.policy_versions}
    return {result.policy_sha256}


def _policies_for(result: CheckResult, policies: Policy | Sequence[Policy] | None) -> list[Policy]:
    """The policies whose text goes into the pack, each checked against the result."""
    hashes = _result_hashes(result)
    if policies is None and result.policies:
        chosen, where = list(result.policies), "result.policies holds"
    elif policies is None:
        if result.policy_id not in builtin_policies():
            return []
        builtin = load_policy(result.policy_id)
        return [builtin] if builtin.sha256 in hashes else []
    else:
        chosen = [policies] if isinstance(policies, Policy) else list(policies)
        where = "policies:"
    for policy in chosen:
        if not isinstance(policy, Policy):
            raise TypeError(f"policies must be Policy objects, got {type(policy).__name__}")
        if policy.sha256 not in hashes:
            raise PackError(
                f"{where} policy {policy.id} {policy.version} (sha256 {policy.sha256[:16]}…), "
                f"which did not run in this check (it ran {result.policy_id} "
                f"{result.policy_version})"
            )
    return sorted({policy.sha256: policy for policy in chosen}.values(), key=_policy_order)


def _policy_order(policy: Policy) -> tuple[str, str, str]:
    return (policy.id, policy.version, policy.sha256)


def _policy_bytes(policy: Policy) -> bytes:
    """The policy file's bytes when they are still on disk and unchanged, else its text."""
    if not policy.source.startswith("builtin:"):
        path = Path(policy.source)
        try:
            raw = path.read_bytes()
        except OSError:
            raw = None
        if raw is not None and _universal(raw) == policy.text:
            return raw
    return policy.text.encode("utf-8")


def _universal(raw: bytes) -> str | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _write_policies(
    bag: _BagWriter, result: CheckResult, ran: Sequence[Policy]
) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    taken: set[str] = set()
    for policy in ran:
        stem = _UNSAFE_NAME.sub("_", f"{policy.id}-{policy.version}")
        name = f"policy/{stem}.yaml"
        if name in taken:
            name = f"policy/{stem}-{policy.sha256[:12]}.yaml"
        taken.add(name)
        data = _policy_bytes(policy)
        file_sha256 = bag.put(f"data/{name}", data)
        source = policy.source if policy.source.startswith("builtin:") else Path(policy.source).name
        overrides = _parameter_overrides(policy)
        parameters = None
        if overrides is not None:
            parameters = name.removesuffix(".yaml") + ".parameters.yaml"
            bag.put(f"data/{parameters}", overrides)
        entries.append(
            {
                "id": policy.id,
                "version": policy.version,
                "sha256": policy.sha256,
                "source": source,
                "file": name,
                "file_sha256": file_sha256,
                "parameters": parameters,
                "python_rules": [rule.id for rule in policy.python_rules],
            }
        )
    included = {entry["sha256"] for entry in entries}
    for version, sha256 in _versions_ran(result):
        if sha256 not in included:
            entries.append(
                {
                    "id": result.policy_id,
                    "version": version,
                    "sha256": sha256,
                    "source": None,
                    "file": None,
                    "file_sha256": None,
                    "parameters": None,
                    "python_rules": [],
                }
            )
    bag.put_json("data/policy/policies.json", entries)
    return entries


def _parameter_overrides(policy: Policy) -> bytes | None:
    """:func:`~regkit.rules.policy.parameter_overrides` as the bytes of a file in the pack."""
    try:
        text = parameter_overrides(policy)
    except PolicyError as exc:
        raise PackError(str(exc)) from None
    return None if text is None else text.encode("utf-8")


def _versions_ran(result: CheckResult) -> list[tuple[str, str]]:
    if result.policy_versions:
        return [(str(v["version"]), str(v["sha256"])) for v in result.policy_versions]
    return [(result.policy_version, result.policy_sha256)]


# --- regulator files -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Attachment:
    path: Path
    name: str
    validation: dict[str, Any]


def _attachment(path: Path) -> _Attachment:
    if not path.is_file():
        raise PackError(f"attachment {path}: no such file")
    name = path.name
    try:
        checked = validate(path)
    except RenderError as exc:  # not XML, or not a message regkit knows: say so, keep it
        validation: dict[str, Any] = {"file": name, "ok": False, "error": str(exc)}
        return _Attachment(path, name, validation)
    validation = {
        "file": name,
        "ok": checked.ok,
        "message": checked.message,
        "envelope": checked.envelope,
        "schemas": [schema.name for schema in checked.schemas],
        "problems": [
            {"line": problem.line, "path": problem.path, "reason": problem.reason}
            for problem in checked.problems
        ],
        "truncated": checked.truncated,
    }
    return _Attachment(path, name, validation)


def _regulator_files(
    attachments: Iterable[str | Path], content_checks: Iterable[object]
) -> tuple[list[_Attachment], list[dict[str, Any]]]:
    """The attachments, validated and of distinct names, and the content checks' data."""
    regulator = [_attachment(Path(item)) for item in attachments]
    _check_names([entry.name for entry in regulator])
    return regulator, [_content_check(item) for item in content_checks]


def _content_check(check: object) -> dict[str, Any]:
    """A pre-submission check as the pack holds it."""
    to_dict = getattr(check, "to_dict", None)
    if not callable(to_dict):
        raise TypeError(
            f"content_checks must hold the content_check of a render's result, got "
            f"{type(check).__name__}"
        )
    data = to_dict()
    assert isinstance(data, dict)
    return data


def _check_names(names: Sequence[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise PackError(f"two attachments are named {name!r}; rename one")
        seen.add(name)


def _write_regulator(
    bag: _BagWriter, attachments: Sequence[_Attachment], checks: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    validations: list[dict[str, Any]] = []
    for attachment in sorted(attachments, key=lambda item: item.name):
        entry = f"data/regulator/{attachment.name}"
        try:
            with bag.entry(entry) as writer, attachment.path.open("rb") as handle:
                for block in iter(lambda: handle.read(_CHUNK), b""):
                    writer.write(block)
        except OSError as exc:
            raise PackError(f"attachment {attachment.path}: cannot read ({exc.strerror})") from exc
        validations.append(
            attachment.validation | {"sha256": writer.digest.hexdigest(), "bytes": writer.size}
        )
    if attachments:
        bag.put_json("data/regulator/validation.json", validations)
    if checks:
        bag.put_json("data/regulator/content-checks.json", list(checks))
    return validations


# --- tag files -------------------------------------------------------------------------------


def _bag_info(
    result: CheckResult,
    moment: datetime,
    bag: _BagWriter,
    organization: str | None,
    title: str | None,
    key: Ed25519PrivateKey | None,
    scope: Mapping[str, Any],
    history: PackHistory | None = None,
) -> str:
    size = sum(item.size for item in bag.payload)
    lines: list[tuple[str, str]] = []
    if organization:
        lines.append(("Source-Organization", organization))
    lines += [
        ("Bagging-Date", moment.date().isoformat()),
        ("Bag-Software-Agent", f"regkit {__version__}"),
        ("Payload-Oxum", f"{size}.{len(bag.payload)}"),
    ]
    if title:
        lines.append(("External-Description", title))
    lines += [
        ("Regkit-Created-At", _iso(moment)),
        ("Regkit-Version", __version__),
        ("Regkit-Check-Version", result.regkit_version),
        ("Regkit-As-Of", scope["as_of"] or _unstated_as_of(history)),
        ("Regkit-Scope-Accounts", ", ".join(scope["accounts"] or ["all"])),
        ("Regkit-Scope-Period", scope["period"]),
    ]
    for name, count in scope["records"].items():
        lines.append(("Regkit-Records-In-Scope", f"{name} {count}"))
    for version, sha256 in _versions_ran(result):
        lines.append(("Regkit-Policy", f"{result.policy_id} {version} sha256:{sha256}"))
    for name in sorted(result.input_fingerprints):
        kind = next((k for k, v in _KINDS.items() if v == name), name)
        count = result.records_checked.get(kind, 0)
        fingerprint = result.input_fingerprints[name]
        lines.append(("Regkit-Input", f"{name} {count} sha256:{fingerprint}"))
    lines.append(("Regkit-Findings", str(len(result.findings))))
    if history is not None:
        lines.append(("Regkit-Store-Runs", str(len(history.runs))))
        lines.append(("Regkit-Store-Cases", str(len(history.cases))))
        if history.ledger:
            files = len(history.ledger.get("submissions", ()))
            lines.append(("Regkit-Store-Submissions", str(files)))
    if key is not None:
        lines.append(("Regkit-Signature", f"ed25519 {SIGNATURE_FILE} key {_key_id(key)}"))
    lines += [("Regkit-Warning", notice) for notice in scope["warnings"]]
    return "".join(f"{label}: {_one_line(value)}\n" for label, value in lines)


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _manifest(files: Sequence[_Written]) -> bytes:
    lines = sorted(f"{item.sha256}  {_encode_path(item.name)}\n" for item in files)
    return "".join(lines).encode("utf-8")


def _encode_path(name: str) -> str:
    return name.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _decode_path(text: str) -> str:
    return re.sub(
        "%(0D|0A|25)",
        lambda m: {"0D": "\r", "0A": "\n", "25": "%"}[m.group(1).upper()],
        text,
        flags=re.I,
    )


# --- signatures ------------------------------------------------------------------------------


def _need_cryptography(what: str) -> None:
    try:
        import cryptography  # noqa: F401
    except ImportError as exc:
        raise PackError(
            f"{what} needs the 'cryptography' package: pip install 'regkit-compliance[sign]'"
        ) from exc


def _private_key(signer: Ed25519PrivateKey | bytes | None) -> Ed25519PrivateKey | None:
    if signer is None:
        return None
    if isinstance(signer, bytes):
        return load_private_key(signer)
    _need_cryptography("signing an audit pack")
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if not isinstance(signer, Ed25519PrivateKey):
        raise PackError(f"signer must be an Ed25519 private key, got {type(signer).__name__}")
    return signer


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    """An Ed25519 private key from unencrypted PEM (``openssl genpkey -algorithm ed25519``).

    Raises:
        PackError: ``cryptography`` is missing, or the PEM is not an unencrypted Ed25519
            private key.
    """
    _need_cryptography("signing an audit pack")
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(pem, password=None)
    except TypeError as exc:  # cryptography's way of saying "encrypted"
        raise PackError(f"signing key: an encrypted key is not supported ({exc})") from exc
    except ValueError as exc:
        raise PackError(f"signing key: not a PEM private key ({exc})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise PackError(f"signing key: must be Ed25519, got {type(key).__name__}")
    return key


def _public_key(public_key: Ed25519PublicKey | bytes) -> Ed25519PublicKey:
    _need_cryptography("checking an audit pack's signature")
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    if isinstance(public_key, bytes):
        try:
            loaded = load_pem_public_key(public_key)
        except ValueError as exc:
            raise PackError(f"public_key: not a PEM public key ({exc})") from exc
        public_key = loaded  # type: ignore[assignment]
    if not isinstance(public_key, Ed25519PublicKey):
        raise PackError(f"public_key must be Ed25519, got {type(public_key).__name__}")
    return public_key


def _key_id(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """``sha256:`` of the raw public key: which key signed, for the auditor."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


# --- verifying -------------------------------------------------------------------------------

#: The kinds of :class:`PackProblem`.
ProblemKind = Literal[
    "mismatch",
    "missing",
    "unexpected",
    "unsafe",
    "corrupt",
    "malformed",
    "signature",
    "unaccounted",
    "structure",
]
#: What :attr:`VerifyResult.signature` says of a pack's signature.
SignatureState = Literal["unsigned", "not checked", "good", "bad"]


@dataclass(frozen=True)
class PackProblem:
    """One way a pack differs from its manifests, or from the zip regkit writes.

    Attributes:
        kind: ``mismatch`` (a file's SHA-256 is not the one listed), ``missing`` (listed,
            not in the zip), ``unexpected`` (in the zip, listed nowhere), ``unsafe`` (an
            absolute path, ``..``, a link or a duplicate name: never read), ``corrupt`` (the
            zip entry cannot be read back), ``malformed`` (a tag file that breaks BagIt or
            is not in the form regkit writes), ``signature`` (the signature is missing, does
            not match, or contradicts ``bag-info.txt``), ``unaccounted`` (bytes, or bits at
            the end of a Deflate stream, that belong to no file, nor to the zip's central
            directory or end record: a prepended stub, bytes between entries or after the
            end, a zip comment, data in a directory entry), ``structure`` (a zip header field
            other than regkit writes: an extra field, another compression method, a local
            header that disagrees with the central directory, an entry not dated as the
            pack).
        path: the file at fault, as named in the zip; ``""`` for the zip as a whole.
        detail: what is wrong, in words (with the byte offset, for the zip's own bytes).
        listed_in: the manifest that lists the file, when one does.
    """

    kind: ProblemKind
    path: str
    detail: str
    listed_in: str | None = None

    def __str__(self) -> str:
        return f"{self.path}: {self.detail}" if self.path else self.detail


@dataclass(frozen=True)
class VerifyResult:
    """What :func:`verify` found.

    Attributes:
        path: the pack verified.
        problems: every problem: the zip's own first, then payload files, in name order.
        files: zip entries hashed.
        payload_bytes: bytes of payload (``data/``) read.
        signed: whether the pack holds a signature.
        signature_ok: True or False when a public key was given and a signature was
            checked; None when not checked.
        info: ``bag-info.txt``, each label with its values in order.
    """

    path: str
    problems: tuple[PackProblem, ...]
    files: int = 0
    payload_bytes: int = 0
    signed: bool = False
    signature_ok: bool | None = None
    info: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every byte is accounted for and every file matches its manifest (and the
        signature, if checked). It says nothing of who made the pack unless
        :attr:`signature` is ``good``."""
        return not self.problems

    @property
    def signature(self) -> SignatureState:
        """``unsigned``; ``not checked`` (signed, but no public key was given, so anyone
        could have made the pack); ``good`` or ``bad`` (checked with the key given)."""
        if not self.signed:
            return "unsigned"
        if self.signature_ok is None:
            return "not checked"
        return "good" if self.signature_ok else "bad"

    def summary(self, key_hint: str = "public_key") -> str:
        """The verdict in words: ``intact; unsigned``, ``intact; signed, signature not checked
        (give public_key)``, ``intact; signature good`` or ``NOT intact: 2 problems``.

        Args:
            key_hint: how the reader gives a public key (the CLI says ``--public-key``).
        """
        if self.problems:
            count = len(self.problems)
            return f"NOT intact: {count} problem{'s' if count > 1 else ''}"
        said = {
            "unsigned": "unsigned",
            "not checked": f"signed, signature not checked (give {key_hint})",
            "good": "signature good",
            "bad": "signature bad",
        }
        return f"intact; {said[self.signature]}"

    def lines(self) -> list[str]:
        """One ``PACK: FILE: PROBLEM`` line per problem."""
        return [f"{self.path}: {problem}" for problem in self.problems]

    def raise_for_problems(self) -> None:
        """Raise :class:`~regkit.errors.PackIntegrityError` naming the first problem, if any."""
        if self.problems:
            first = self.problems[0]
            more = len(self.problems) - 1
            tail = f" (and {more} more problems)" if more else ""
            raise PackIntegrityError(
                f"{self.path}: {first}{tail}", problems=[str(p) for p in self.problems]
            )


@dataclass
class _Entry:
    sha256: str | None  # None: not read (its problems say why)
    size: int


#: Tag files (at the bag's root) are kept in memory to be parsed; they are a few kB.
_TAG_LIMIT: Final = 1 << 24


def verify(path: str | Path, *, public_key: Ed25519PublicKey | bytes | None = None) -> VerifyResult:
    """Check an audit pack against its manifests, without extracting anything.

    Every byte of the file must belong to a listed file's zip entry, the central directory
    or the end record, in the form regkit writes: bytes before, between or after the
    entries, a zip comment, extra fields, other compression methods, data in a directory
    entry and bits past the end of a Deflate stream are problems (``unaccounted``,
    ``structure``), each named with its offset. Every entry is hashed as it is read from
    the zip. Entries with an absolute path, a ``..`` part, a backslash, a link type or a
    duplicate name are reported as ``unsafe`` and never read.

    Without ``public_key``, a signed pack is not proven to come from its signer:
    :attr:`VerifyResult.signature` is then ``not checked`` (and :meth:`VerifyResult.summary`
    says so); a signature the pack's ``bag-info.txt`` announces but that is not there is a
    problem even so.

    Args:
        path: the pack (a zip).
        public_key: an Ed25519 public key (object, or PEM bytes): check the signature of
            ``tagmanifest-sha256.txt`` too; a pack without one is then a problem.

    Returns:
        The :class:`VerifyResult`; a changed pack is a result with problems, not an error
        (:meth:`VerifyResult.raise_for_problems` raises one).

    Raises:
        PackError: the file cannot be read or is not a zip, or the key is not Ed25519.
    """
    label = str(path)
    key = None if public_key is None else _public_key(public_key)
    problems: list[PackProblem] = []
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            layout = _zipread.read_layout(handle, size)
            problems += [_problem(flaw) for flaw in layout.flaws]
            reader = _EntryReader(handle, problems)
            for member in layout.members:
                reader.read(member)
    except (OSError, PackError) as exc:
        raise PackError(f"{label}: {_reason(exc)}") from exc
    checker = _Checker(reader.entries, problems)
    checker.texts = reader.texts
    checker.check_manifests()
    info = checker.bag_info()
    checker.check_oxum(info)
    checker.check_dates(reader.dated, info)
    signed = SIGNATURE_FILE in reader.entries
    checker.check_announced_signature(info, signed)
    signature_ok = None if key is None else checker.check_signature(key, info)
    payload = sum(e.size for name, e in reader.entries.items() if name.startswith("data/"))
    return VerifyResult(
        path=label,
        problems=tuple(sorted(problems, key=_problem_order)),
        files=len(reader.entries),
        payload_bytes=payload,
        signed=signed,
        signature_ok=signature_ok,
        info=info,
    )


def _reason(exc: OSError | PackError) -> str:
    if isinstance(exc, PackError):
        return str(exc)
    return f"not a readable zip ({exc})"


def _problem(flaw: _zipread.Flaw) -> PackProblem:
    return PackProblem(flaw.kind, flaw.path, flaw.detail)


def _problem_order(problem: PackProblem) -> tuple[int, str, str]:
    group = 0 if not problem.path else 1 if problem.path.startswith("data/") else 2
    return (group, problem.path, problem.kind)


def _unsafe_reason(name: str, mode: int) -> str | None:
    if stat.S_ISLNK(mode):
        return "a symbolic link entry"
    if "\\" in name or "\x00" in name:
        return "a name with a backslash or NUL"
    if name.startswith("/") or re.match(r"[A-Za-z]:", name):
        return "an absolute path"
    parts = PurePosixPath(name).parts
    if ".." in name.split("/"):
        return "a path with '..'"
    if not parts or "" in name.rstrip("/").split("/"):
        return "an empty path part"
    return None


class _EntryReader:
    """Hashes each safe entry straight from the file, keeping the tag files' text."""

    def __init__(self, handle: BinaryIO, problems: list[PackProblem]) -> None:
        self.handle = handle
        self.problems = problems
        self.entries: dict[str, _Entry] = {}
        self.texts: dict[str, bytes | None] = {}
        self.dated: list[_zipread.Member] = []
        self.seen: set[str] = set()

    def read(self, member: _zipread.Member) -> None:
        """Check one entry's name, then hash it (a directory: check it holds nothing)."""
        name = member.name
        reason = _unsafe_reason(name, member.mode)
        if reason is None and name in self.seen:
            reason = "a name that appears twice in the zip"
        self.seen.add(name)
        if reason is not None:
            self.entries.pop(name, None)
            self.texts.pop(name, None)
            self.problems.append(PackProblem("unsafe", name, f"refused: {reason}"))
            return
        self.problems += [_problem(flaw) for flaw in member.flaws]
        if member.is_dir:
            self._directory(member)
            return
        self.dated.append(member)
        if not member.readable:  # its flaws say why
            self.entries[name] = _Entry(None, 0)
            return
        keep = _TAG_LIMIT if "/" not in name else 0
        digest = _zipread.digest(self.handle, member, keep)
        self.problems += [_problem(flaw) for flaw in digest.flaws]
        self.entries[name] = _Entry(digest.sha256, digest.size)
        if "/" not in name:
            self.texts[name] = digest.data

    def _directory(self, member: _zipread.Member) -> None:
        # a directory entry is harmless only if empty: zipfile skips its data when reading
        size = member.size
        if member.readable:
            digest = _zipread.digest(self.handle, member, 0)
            self.problems += [_problem(flaw) for flaw in digest.flaws]
            size = max(size, digest.size)
        if size or (member.method == 0 and member.compressed):
            where = f" at offset {member.data_at}" if member.readable else ""
            shown = max(size, member.compressed)
            self.problems.append(
                PackProblem(
                    "unaccounted",
                    member.name,
                    f"unaccounted bytes{where}: a directory entry that carries {shown} bytes",
                )
            )


class _Checker:
    """Compares the hashed entries with the manifests, collecting problems."""

    def __init__(self, entries: dict[str, _Entry], problems: list[PackProblem]) -> None:
        self.entries = entries
        self.problems = problems
        self.texts: dict[str, bytes | None] = {}

    def add(self, kind: ProblemKind, path: str, detail: str, listed_in: str | None = None) -> None:
        self.problems.append(PackProblem(kind, path, detail, listed_in))

    def check_manifests(self) -> None:
        for name in ("bagit.txt", _MANIFEST, _TAGMANIFEST):
            if name not in self.entries:
                self.add("missing", name, "a required tag file is not in the pack")
        listed: set[str] = set()
        for manifest, payload in ((_MANIFEST, True), (_TAGMANIFEST, False)):
            for name, expected in self._lines(manifest):
                listed.add(name)
                self._compare(manifest, name, expected, payload)
        exempt = {_TAGMANIFEST, SIGNATURE_FILE}
        for name in self.entries:
            if name not in listed and name not in exempt:
                where = _MANIFEST if name.startswith("data/") else _TAGMANIFEST
                self.add("unexpected", name, f"in the pack but not listed in {where}")
        self._check_bagit_txt()

    def _lines(self, manifest: str) -> list[tuple[str, str]]:
        """A manifest's (path, SHA-256) lines. It must be exactly as regkit writes it: the
        tag manifest is hashed nowhere, so a looser reading (a tab for the two spaces, upper
        case hex, a blank line) would let a changed byte pass."""
        data = self.read(manifest)
        if data is None:
            return []
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            self.add("malformed", manifest, "not UTF-8 text")
            return []
        found: list[tuple[str, str]] = []
        for number, line in enumerate(text.splitlines(), start=1):
            parts = line.strip().split(None, 1)
            if len(parts) != 2 or not re.fullmatch(r"[0-9a-fA-F]{64}", parts[0]):
                self.add("malformed", manifest, f"line {number} is not 'SHA256  PATH': {line!r}")
                continue
            found.append((_decode_path(parts[1].lstrip("*")), parts[0].lower()))
        written = [_Written(name, sha256, 0) for name, sha256 in found]
        if len(found) == len(text.splitlines()) and _manifest(written) != data:
            self.add(
                "malformed",
                manifest,
                "not in the form a pack writes (one 'sha256  path' line per file, lower-case "
                "hex, two spaces, sorted, each ending in a line feed)",
            )
        return found

    def _compare(self, manifest: str, name: str, expected: str, payload: bool) -> None:
        if payload != name.startswith("data/"):
            where = "outside data/" if payload else "under data/"
            self.add("malformed", name, f"{manifest} lists a file {where}", manifest)
            return
        entry = self.entries.get(name)
        if entry is None:
            self.add("missing", name, f"listed in {manifest} but not in the pack", manifest)
        elif entry.sha256 is not None and entry.sha256 != expected:
            self.add(
                "mismatch",
                name,
                f"SHA-256 {entry.sha256} but {manifest} lists {expected}",
                manifest,
            )

    def read(self, name: str) -> bytes | None:
        """A tag file's bytes (kept small: tag files are a few kB)."""
        return self.texts.get(name)

    def _check_bagit_txt(self) -> None:
        data = self.read("bagit.txt")
        if data is not None and not data.startswith(b"BagIt-Version: "):
            self.add("malformed", "bagit.txt", "does not start with 'BagIt-Version: '")

    def bag_info(self) -> dict[str, tuple[str, ...]]:
        """``bag-info.txt`` as labels and values (folded lines joined)."""
        data = self.read(_BAG_INFO)
        info: dict[str, list[str]] = {}
        if data is None:
            return {}
        last: str | None = None
        for line in data.decode("utf-8", "replace").splitlines():
            if line[:1].isspace() and last is not None:
                info[last][-1] += " " + line.strip()
            elif ":" in line:
                label, value = line.split(":", 1)
                last = label.strip()
                info.setdefault(last, []).append(value.strip())
        return {label: tuple(values) for label, values in info.items()}

    def check_oxum(self, info: Mapping[str, tuple[str, ...]]) -> None:
        stated = info.get("Payload-Oxum")
        if not stated:
            return
        payload = [entry for name, entry in self.entries.items() if name.startswith("data/")]
        found = f"{sum(entry.size for entry in payload)}.{len(payload)}"
        if stated[0] != found:
            self.add(
                "mismatch",
                _BAG_INFO,
                f"Payload-Oxum {stated[0]} but the payload is {found} (bytes.files)",
            )

    def check_dates(
        self, members: Sequence[_zipread.Member], info: Mapping[str, tuple[str, ...]]
    ) -> None:
        """Every entry is dated ``created_at`` (``Regkit-Created-At``), as a pack writes."""
        expected = _dos_time(info.get("Regkit-Created-At", ("",))[0])
        if expected is None and members:
            expected = members[0].dos_time
        for member in members:
            if member.dos_time != expected:
                self.add(
                    "structure",
                    member.name,
                    f"dated {_shown_dos(member.dos_time)} in the zip, not "
                    f"{_shown_dos(expected)} as the pack's other entries and Regkit-Created-At",
                )

    def check_announced_signature(self, info: Mapping[str, tuple[str, ...]], signed: bool) -> None:
        """``bag-info.txt`` (which the manifests cover) says whether the pack is signed: a
        signature dropped or added since is caught without a key."""
        announced = info.get("Regkit-Signature")
        if announced and not signed:
            self.add(
                "signature",
                SIGNATURE_FILE,
                f"missing: {_BAG_INFO} says the pack is signed ({announced[0]}), but the "
                "pack holds no signature",
            )
        elif signed and not announced:
            self.add(
                "signature",
                SIGNATURE_FILE,
                f"a signature the pack's {_BAG_INFO} does not announce (no Regkit-Signature)",
            )
        signature = self.read(SIGNATURE_FILE)
        if signed and (signature is None or len(signature) != 64):
            self.add("signature", SIGNATURE_FILE, "not a 64-byte Ed25519 signature")

    def check_signature(self, key: Ed25519PublicKey, info: Mapping[str, tuple[str, ...]]) -> bool:
        from cryptography.exceptions import InvalidSignature

        signature = self.read(SIGNATURE_FILE)
        message = self.read(_TAGMANIFEST)
        if SIGNATURE_FILE not in self.entries:
            if not info.get("Regkit-Signature"):  # else check_announced_signature said so
                self.add("signature", SIGNATURE_FILE, "missing: the pack is not signed")
            return False
        if signature is None or message is None:
            return False
        try:
            key.verify(signature, message)
        except InvalidSignature:
            announced = info.get("Regkit-Signature", ("none",))[0]
            self.add(
                "signature",
                SIGNATURE_FILE,
                f"does not match {_TAGMANIFEST} under the key {_key_id(key)} "
                f"({_BAG_INFO} names: {announced})",
            )
            return False
        return True


def _dos_time(text: str) -> tuple[int, int] | None:
    """The (date, time) a zip stores for a ``Regkit-Created-At`` value."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    year, month, day, hour, minute, second = _zip_time(moment)
    return ((year - 1980) << 9 | month << 5 | day, hour << 11 | minute << 5 | second // 2)


def _shown_dos(stamp: tuple[int, int] | None) -> str:
    if stamp is None:
        return "unknown"
    day, time = stamp
    return (
        f"{(day >> 9) + 1980:04d}-{(day >> 5) & 15:02d}-{day & 31:02d} "
        f"{time >> 11:02d}:{(time >> 5) & 63:02d}:{(time & 31) * 2:02d}"
    )
