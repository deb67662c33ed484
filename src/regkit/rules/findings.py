"""What a check found: Severity, Finding and CheckResult.

Findings are data. A :class:`CheckResult` holds every finding of a run together with what
was checked (records per kind, rules evaluated), with what (policy id, version and SHA-256,
the input fingerprints, the regkit version) and when, so an auditor can see the run again.
It writes JSON and CSV, converts to a polars DataFrame, and raises
:class:`~regkit.errors.ComplianceError` only when asked (:meth:`CheckResult.raise_for_findings`).

Examples:
    >>> from datetime import UTC, datetime
    >>> finding = Finding(rule_id="ESMA-CFD-LEV", severity="high", record_kind="trade",
    ...                   record_id="T1", message="leverage 50:1 above the 30:1 cap",
    ...                   evidence={"trade.leverage": Decimal("50")})
    >>> result = CheckResult(findings=[finding], policy_id="esma-cfd-retail",
    ...                      policy_version="2026.1", policy_sha256="0" * 64,
    ...                      started_at=datetime(2026, 11, 20, tzinfo=UTC),
    ...                      finished_at=datetime(2026, 11, 20, tzinfo=UTC))
    >>> result.counts_by_severity
    {'high': 1}
    >>> result.is_compliant(min_severity="critical")
    True
"""

from __future__ import annotations

import csv
import enum
import hashlib
import io
import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import polars as pl

from regkit._version import __version__
from regkit.errors import ComplianceError
from regkit.rules.severity import Severity
from regkit.schemas.base import Record
from regkit.schemas.io import atomic_path

if TYPE_CHECKING:
    from regkit.rules.policy import Policy

__all__ = ["CheckResult", "Finding", "Severity", "fingerprint"]


@dataclass(frozen=True)
class Finding:
    """One rule that did not hold for one record (or, for an aggregate rule, one group).

    Attributes:
        rule_id: the rule's stable id (``ESMA-CFD-LEV``).
        severity: how serious the finding is.
        record_kind: ``trade``, ``account``, ``movement`` or ``snapshot``.
        record_id: the key of the record; for an aggregate rule, of the record that closed
            the episode.
        message: the rule's message, filled in with the record's values.
        evidence: the values the rule looked at, by dotted name (``trade.leverage``).
        reference: where the rule comes from (regulator, document, article, text).
        rule_version: the version of the policy the rule belongs to.
        group_key: for an aggregate rule, the values of its ``group_by`` fields.
        member_ids: for an aggregate rule, every record of the episode (a running total's
            failing records; the record alone for a rule with ``episodes: false``).
        at: the event time of the record (or of the episode's last record).
    """

    rule_id: str
    severity: Severity | str
    record_kind: str
    record_id: str
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    reference: Mapping[str, str] = field(default_factory=dict)
    rule_version: str | None = None
    group_key: tuple[Any, ...] | None = None
    member_ids: tuple[str, ...] = ()
    at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "severity", Severity.parse(self.severity))

    @property
    def level(self) -> Severity:
        """The severity as a :class:`Severity`."""
        return Severity(self.severity)

    def to_dict(self) -> dict[str, Any]:
        """The finding as JSON-ready data: decimals and times as text, fields in a fixed order."""
        return {
            "rule_id": self.rule_id,
            "rule_version": self.rule_version,
            "severity": str(self.severity),
            "record_kind": self.record_kind,
            "record_id": self.record_id,
            "message": self.message,
            "evidence": {name: _plain(value) for name, value in self.evidence.items()},
            "reference": dict(self.reference),
            "group_key": None if self.group_key is None else [_plain(v) for v in self.group_key],
            "member_ids": list(self.member_ids),
            "at": _plain(self.at),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """A finding from :meth:`to_dict` data (values stay as written there)."""
        at = data.get("at")
        group_key = data.get("group_key")
        return cls(
            rule_id=data["rule_id"],
            rule_version=data.get("rule_version"),
            severity=data["severity"],
            record_kind=data["record_kind"],
            record_id=data["record_id"],
            message=data["message"],
            evidence=dict(data.get("evidence") or {}),
            reference=dict(data.get("reference") or {}),
            group_key=None if group_key is None else tuple(group_key),
            member_ids=tuple(data.get("member_ids") or ()),
            at=None if at is None else datetime.fromisoformat(at),
        )


def template(**fields: Any) -> dict[str, Any]:
    """The fields of a finding, checked once by the constructor, for :func:`quick`.

    The engine builds one per rule when it compiles a policy; ``record_id``, ``message``,
    ``evidence`` and ``at`` are then filled in per finding.
    """
    return dict(vars(Finding(**fields)))


_new = object.__new__
_set = object.__setattr__


def quick(
    template: dict[str, Any], record_id: str, at: datetime | None, evidence: Any, message: str
) -> Finding:
    """A finding from a :func:`template` and its per-record fields, without ``__init__``.

    The same finding ``Finding(**template | {...})`` would give (the template's fields were
    checked when it was made), at a fraction of the cost: the embedded checker's hot path.
    """
    fields = template.copy()
    fields["record_id"] = record_id
    fields["message"] = message
    fields["evidence"] = evidence
    fields["at"] = at
    finding: Finding = _new(Finding)
    _set(finding, "__dict__", fields)
    return finding


# The names the engine used before they were public (tests and other areas may hold them).
_template = template
_quick = quick

_CSV_COLUMNS = (
    "rule_id",
    "rule_version",
    "severity",
    "record_kind",
    "record_id",
    "message",
    "evidence",
    "reference",
    "group_key",
    "member_ids",
    "at",
)


@dataclass
class CheckResult:
    """Every finding of one check run, and what the run checked, with what and when.

    Attributes:
        findings: the findings, in the order the engine produced them: a list, or for a
            run with very many, a :class:`~regkit.rules.spool.SpooledFindings` read back
            from disk (``len``, iteration and indexing work alike).
        policy_id, policy_version, policy_sha256: the policy that ran. When several versions
            ran (each record against the version in force at its time), the versions joined
            by ", " and the SHA-256 of their hashes; ``policy_versions`` lists each.
        policy_versions: each version that ran, when there were several: its ``version``,
            ``sha256``, ``effective_from`` and ``effective_to``.
        rules_evaluated: the ids of the rules that ran.
        records_checked: records checked per kind (``{"trade": 200000}``).
        input_fingerprints: SHA-256 of each input, by name (see :func:`fingerprint`).
        regkit_version: the regkit that ran the check.
        started_at, finished_at: when the run started and ended (UTC).
        as_of: the time the rules read as ``as_of`` (UTC), so the run can be repeated.
        policies: the policy objects that ran (their exact text is ``policy.text``), so an
            audit pack built from the result holds them; not part of ``to_dict``.
        unlisted: per rule, the findings found beyond ``max_findings_per_rule`` and not
            kept (empty when the check kept every finding); the counts include them.
        unlisted_severity: the severity of each rule with unlisted findings.
    """

    findings: Sequence[Finding]
    policy_id: str
    policy_version: str
    policy_sha256: str
    started_at: datetime
    finished_at: datetime
    rules_evaluated: tuple[str, ...] = ()
    policy_versions: tuple[Mapping[str, Any], ...] = ()
    records_checked: Mapping[str, int] = field(default_factory=dict)
    input_fingerprints: Mapping[str, str] = field(default_factory=dict)
    regkit_version: str = __version__
    as_of: datetime | None = None
    policies: tuple[Policy, ...] = field(default=(), compare=False, repr=False)
    unlisted: Mapping[str, int] = field(default_factory=dict)
    unlisted_severity: Mapping[str, str] = field(default_factory=dict)

    def tally(self) -> Counter[tuple[str, str, str]]:
        """The findings kept, counted by ``(rule id, severity, record kind)`` (a large run's
        spooled findings keep this count, so it is not read from disk again)."""
        kept = getattr(self.findings, "tally", None)
        if isinstance(kept, Counter):
            return kept
        return Counter((f.rule_id, str(f.severity), f.record_kind) for f in self.findings)

    @property
    def counts_by_rule(self) -> dict[str, int]:
        """Findings per rule id (rules with none are left out), those not kept included."""
        counted: Counter[str] = Counter()
        for (rule_id, _, _), count in self.tally().items():
            counted[rule_id] += count
        counted.update(self.unlisted)
        return dict(counted)

    @property
    def counts_by_severity(self) -> dict[str, int]:
        """Findings per severity, from the least to the most serious (those not kept
        included)."""
        counted: Counter[Severity] = Counter()
        for (_, severity, _), count in self.tally().items():
            counted[Severity.parse(severity)] += count
        for rule_id, count in self.unlisted.items():
            counted[Severity.parse(self.unlisted_severity[rule_id])] += count
        return {str(severity): counted[severity] for severity in Severity if counted[severity]}

    @property
    def total_findings(self) -> int:
        """Every finding of the run, those not kept (:attr:`unlisted`) included."""
        return len(self.findings) + sum(self.unlisted.values())

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        """Both counts: ``{"by_rule": ..., "by_severity": ...}``."""
        return {"by_rule": self.counts_by_rule, "by_severity": self.counts_by_severity}

    def iter_findings(self, min_severity: str | Severity = Severity.INFO) -> Iterator[Finding]:
        """The findings at or above a severity."""
        threshold = Severity.parse(min_severity).rank
        return (f for f in self.findings if Severity(f.severity).rank >= threshold)

    def is_compliant(self, min_severity: str | Severity = Severity.INFO) -> bool:
        """True when no finding reaches ``min_severity``."""
        threshold = Severity.parse(min_severity).rank
        return all(Severity.parse(name).rank < threshold for name in self.counts_by_severity)

    def raise_for_findings(self, min_severity: str | Severity = Severity.HIGH) -> None:
        """Raise :class:`~regkit.errors.ComplianceError` if a finding reaches ``min_severity``."""
        found = list(self.iter_findings(min_severity))
        if found:
            first = found[0]
            raise ComplianceError(
                f"{len(found)} finding(s) at or above {Severity.parse(min_severity)}; first: "
                f"{first.rule_id} on {first.record_kind} {first.record_id}: {first.message}",
                result=self,
                findings=found,
            )

    def to_dict(self) -> dict[str, Any]:
        """The whole result as JSON-ready data."""
        return self._summary() | {"findings": [finding.to_dict() for finding in self.findings]}

    def _summary(self) -> dict[str, Any]:
        """:meth:`to_dict` but the findings."""
        return {
            "policy": {
                "id": self.policy_id,
                "version": self.policy_version,
                "sha256": self.policy_sha256,
            }
            | self._versions(),
            "regkit_version": self.regkit_version,
            "started_at": _plain(self.started_at),
            "finished_at": _plain(self.finished_at),
            "as_of": _plain(self.as_of),
            "rules_evaluated": list(self.rules_evaluated),
            "records_checked": dict(self.records_checked),
            "input_fingerprints": dict(self.input_fingerprints),
            "counts": self.counts,
            **({"unlisted": dict(self.unlisted)} if self.unlisted else {}),
        }

    def _versions(self) -> dict[str, Any]:
        if not self.policy_versions:
            return {}
        return {"versions": [dict(version) for version in self.policy_versions]}

    def to_json(self, path: str | os.PathLike[str] | None = None) -> str:
        """The result as JSON (same result, same bytes); also written to ``path`` if given.
        :meth:`write_json` writes the same bytes without holding the text."""
        text = "".join(self.iter_json())
        if path is not None:
            _write_text(Path(path), text)
        return text

    def write_json(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_json`'s bytes to ``path`` a finding at a time (atomically: under a
        temporary name, then renamed)."""
        _write_parts(Path(path), self.iter_json())

    def iter_json(self, *, leave_out: Sequence[str] = ()) -> Iterator[str]:
        """The text of :meth:`to_json` in parts, a finding at a time, without the top-level
        keys in ``leave_out`` (an audit pack leaves out the run's wall-clock times)."""
        head = {k: v for k, v in self._summary().items() if k not in leave_out}
        text = json.dumps(head | {"findings": []}, ensure_ascii=False, indent=2) + "\n"
        if not self.findings:
            yield text
            return
        # "findings" is the last key; each finding is indented as json.dumps indents it
        # inside the whole.
        closing = '"findings": []\n}\n'
        yield text[: -len(closing)] + '"findings": [\n'
        separator = ""
        for finding in self.findings:
            yield separator + "    " + indented(finding.to_dict(), "    ")
            separator = ",\n"
        yield "\n  ]\n}\n"

    def to_csv(self, path: str | os.PathLike[str] | None = None) -> str:
        """One row per finding; evidence, reference and lists as JSON text in their cells.

        A cell that a spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``,
        ``@``, a tab or a carriage return) gets a leading ``'``, as OWASP's guidance on CSV
        injection recommends: record ids and messages come from the checked files, which an
        outsider may have written. ``to_json`` and ``to_polars`` keep the text as it is.
        :meth:`write_csv` writes the same bytes without holding the text.
        """
        text = "".join(self.iter_csv())
        if path is not None:
            _write_text(Path(path), text)
        return text

    def write_csv(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_csv`'s bytes to ``path`` a block of findings at a time
        (atomically)."""
        _write_parts(Path(path), self.iter_csv())

    def iter_csv(self) -> Iterator[str]:
        """The text of :meth:`to_csv` in parts, a block of findings at a time."""
        buffer = io.StringIO(newline="")
        # RFC 4180 line ends: the writer then quotes a cell holding a bare carriage return
        # too (with "\n" alone it did not, and such a message broke the file).
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(_CSV_COLUMNS)
        cells = _Cells()
        for number, finding in enumerate(self.findings, 1):
            writer.writerow([_spreadsheet_safe(cell) for cell in cells.of(finding)])
            if number % _CSV_BLOCK == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    def to_polars(self) -> pl.DataFrame:
        """One row per finding; evidence, reference and group key as JSON text columns."""
        return _frame(self.findings)

    def write_parquet(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_polars`'s rows to a Parquet file (atomically), a block of
        findings at a time when there are many."""
        target = Path(path)
        if len(self.findings) <= _PARQUET_BLOCK:
            with atomic_path(target) as temporary:
                self.to_polars().write_parquet(temporary)
            return
        with tempfile.TemporaryDirectory(prefix="regkit-parquet-") as folder:
            parts: list[Path] = []
            block: list[Finding] = []
            for finding in self.findings:
                block.append(finding)
                if len(block) == _PARQUET_BLOCK:
                    parts.append(_write_part(block, Path(folder), len(parts)))
                    block = []
            if block:
                parts.append(_write_part(block, Path(folder), len(parts)))
            with atomic_path(target) as temporary:
                pl.scan_parquet(parts).sink_parquet(temporary)


#: Findings turned into a frame together when a large result is written to Parquet.
_PARQUET_BLOCK = 100_000
#: Findings in one part of :meth:`CheckResult.iter_csv`.
_CSV_BLOCK = 10_000


def _frame(findings: Iterable[Finding]) -> pl.DataFrame:
    """One row per finding, in :meth:`CheckResult.to_polars`'s columns."""
    columns: list[list[str]] = [[] for _ in _CSV_COLUMNS]
    cells = _Cells()
    for finding in findings:
        for column, cell in zip(columns, cells.of(finding), strict=True):
            column.append(cell)
    frame = pl.DataFrame(
        dict(zip(_CSV_COLUMNS, columns, strict=True)),
        schema=dict.fromkeys(_CSV_COLUMNS, pl.String()),
    )
    # The members as a list column: decoded from their JSON text by polars (a list per row
    # built from Python took most of the time of a large result).
    members = pl.col("member_ids").str.json_decode(pl.List(pl.String()))
    return frame.with_columns(members)


class _Cells:
    """A finding's cells in :data:`_CSV_COLUMNS` order: each value of ``to_dict()`` as
    text (``""`` for none, JSON for a dict or list), made without the dict; a rule's
    reference, shared by its findings, is written as JSON once."""

    def __init__(self) -> None:
        self._references: dict[int, tuple[Mapping[str, str], str]] = {}

    def of(self, finding: Finding) -> list[str]:
        at, group_key = finding.at, finding.group_key
        evidence = {name: _plain(value) for name, value in finding.evidence.items()}
        return [
            finding.rule_id,
            finding.rule_version or "",
            str(finding.severity),
            finding.record_kind,
            finding.record_id,
            finding.message,
            _CELL_JSON.encode(evidence),
            self._reference(finding.reference),
            "" if group_key is None else _CELL_JSON.encode([_plain(v) for v in group_key]),
            _CELL_JSON.encode(list(finding.member_ids)),
            "" if at is None else _plain(at),
        ]

    def _reference(self, reference: Mapping[str, str]) -> str:
        known = self._references.get(id(reference))
        if known is not None and known[0] is reference:
            return known[1]
        text = _CELL_JSON.encode(dict(reference))
        if len(self._references) > 10_000:
            self._references.clear()
        self._references[id(reference)] = (reference, text)  # held: its id is not reused
        return text


def _write_part(block: list[Finding], folder: Path, number: int) -> Path:
    part = folder / f"part{number:06d}.parquet"
    _frame(block).write_parquet(part)
    return part


class FindingsCap:
    """Keeps at most ``limit`` findings of each rule, in the order given, and counts the
    rest exactly (``limit`` None: keeps every finding).

    Examples:
        >>> cap = FindingsCap(1)
        >>> kept = cap.take([Finding("R", "low", "trade", "T1", "m"),
        ...                  Finding("R", "low", "trade", "T2", "m")])
        >>> [f.record_id for f in kept], cap.unlisted
        (['T1'], {'R': 1})
    """

    def __init__(self, limit: int | None) -> None:
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
            raise TypeError(f"max_findings_per_rule must be a whole number, got {limit!r}")
        if limit is not None and limit < 1:
            raise ValueError(f"max_findings_per_rule must be at least 1, got {limit}")
        self.limit = limit
        self.kept: Counter[str] = Counter()
        self.unlisted: dict[str, int] = {}
        self.severity: dict[str, str] = {}

    def take(self, findings: list[Finding]) -> list[Finding]:
        """The findings to keep of ``findings`` (the next ones of the run)."""
        if self.limit is None:
            return findings
        kept: list[Finding] = []
        for finding in findings:
            rule_id = finding.rule_id
            if self.kept[rule_id] < self.limit:
                self.kept[rule_id] += 1
                kept.append(finding)
            else:
                self.unlisted[rule_id] = self.unlisted.get(rule_id, 0) + 1
                self.severity[rule_id] = str(finding.severity)
        return kept


def fingerprint(records: Iterable[Record]) -> str:
    """SHA-256 of records in their JSON form, one line each, in the order given.

    The same records in the same order give the same fingerprint on any machine, so a
    result can name exactly which inputs it saw without carrying them.
    """
    digest = hashlib.sha256()
    for record in records:
        digest.update(record.to_json().encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


#: Scalars as ``json.dumps(value, ensure_ascii=False)`` writes them (C-accelerated).
_SCALAR = json.JSONEncoder(ensure_ascii=False)


def indented(value: Any, margin: str = "") -> str:
    """``json.dumps(value, ensure_ascii=False, indent=2)`` of JSON-ready data, each line
    after the first starting with ``margin``: the same text, written about twice as fast
    (``json.dumps`` with an indent runs Python's pure-Python encoder; this writes each
    scalar with the C one)."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = margin + "  "
        items = [f"{_SCALAR.encode(_key_text(key))}: {indented(item, inner)}"
                 for key, item in value.items()]  # fmt: skip
        return "{\n" + inner + (",\n" + inner).join(items) + "\n" + margin + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        inner = margin + "  "
        items = [indented(item, inner) for item in value]
        return "[\n" + inner + (",\n" + inner).join(items) + "\n" + margin + "]"
    return _SCALAR.encode(value)


def _key_text(key: Any) -> str:
    """A dict key as JSON writes it: text as it is, ``true``, ``false``, ``null``, numbers."""
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, bool):
        return _SCALAR.encode(key)
    if isinstance(key, int | float):
        return _SCALAR.encode(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def plain_value(value: Any) -> Any:
    """A value as :meth:`Finding.to_dict` writes it: a decimal as its text, a time in ISO
    8601 (``Z`` for UTC), a date in ISO 8601, an enum as its value, a tuple as a list, a
    mapping with text keys; anything else as it is."""
    return _plain(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


#: JSON text of a cell: keys sorted, no escapes (``json.dumps(value, ensure_ascii=False,
#: sort_keys=True)``, without making an encoder per call).
_CELL_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)


# OWASP, "CSV Injection": cells starting with these are formulas to Excel, LibreOffice and
# Google Sheets (tab and carriage return too, as they can precede one).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _spreadsheet_safe(text: str) -> str:
    """The cell text, with a leading ``'`` when a spreadsheet would run it as a formula."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _write_parts(path: Path, parts: Iterable[str]) -> None:
    with atomic_path(path) as temporary, open(temporary, "w", encoding="utf-8", newline="") as out:
        out.writelines(parts)


def _write_text(path: Path, text: str) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8", newline="")
