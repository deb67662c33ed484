"""The audit report: one self-contained HTML page about a check result.

The page (``templates/audit_report.html.j2``) has inline CSS and inline SVG charts, no
scripts and no external resources, so it opens offline, in a browser or an archive viewer,
and prints to PDF (print CSS: A4 landscape, table headers repeated, no row cut across pages).
Every value is escaped by jinja2's autoescaping. Charts are computed here, in integers.

Sections: the summary (period, records checked per kind, findings per severity), charts of
findings per rule and per day, the rules (id, title, severity, citation, count), the findings
(most serious first, up to ``max_rows``; ``findings.csv`` holds them all), the regulator
files with their validation, and how to reproduce and verify the run.

Example:
    >>> page = render(result, title="Q4 2026 review")  # doctest: +SKIP
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

import jinja2

from regkit._version import __version__
from regkit.rules.findings import CheckResult, Finding, Severity
from regkit.rules.policy import Policy

__all__ = ["DEFAULT_MAX_ROWS", "render", "stream"]

#: Findings listed in the report's table; all of them are in ``findings.csv``.
DEFAULT_MAX_ROWS: Final = 2000

_TEMPLATE: Final = "audit_report.html.j2"
_RULE_BARS: Final = 40
_MAX_DAYS: Final = 92
_EVIDENCE_CHARS: Final = 240
_SEVERITY_ORDER: Final = tuple(sorted(Severity, key=lambda s: -s.rank))
_REGULATOR_DEFAULTS: Final[Mapping[str, Any]] = {
    "message": None,
    "envelope": None,
    "error": None,
    "problems": [],
    "bytes": 0,
    "sha256": None,
}


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("regkit.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(
    result: CheckResult,
    *,
    title: str | None = None,
    created_at: datetime | None = None,
    policies: Sequence[Policy] = (),
    policy_files: Sequence[Mapping[str, Any]] = (),
    regulator: Sequence[Mapping[str, Any]] = (),
    inputs: Mapping[str, Mapping[str, Any]] | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    signed: bool = False,
) -> str:
    """The report as one HTML string (see :func:`stream` for the arguments)."""
    return "".join(
        stream(
            result,
            title=title,
            created_at=created_at,
            policies=policies,
            policy_files=policy_files,
            regulator=regulator,
            inputs=inputs,
            max_rows=max_rows,
            signed=signed,
        )
    )


def stream(
    result: CheckResult,
    *,
    title: str | None = None,
    created_at: datetime | None = None,
    policies: Sequence[Policy] = (),
    policy_files: Sequence[Mapping[str, Any]] = (),
    regulator: Sequence[Mapping[str, Any]] = (),
    inputs: Mapping[str, Mapping[str, Any]] | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    signed: bool = False,
) -> Iterator[str]:
    """The report, piece by piece (for writing into a zip entry).

    Args:
        result: the check result.
        title: the page title; default names the policy.
        created_at: when the report was made (default: the result's ``finished_at``).
        policies: the policies that ran, for rule titles and citations.
        policy_files: the pack's ``policies.json`` entries (file names and hashes).
        regulator: the pack's ``validation.json`` entries.
        inputs: the pack's ``inputs.json``: per input, records, fingerprint and file.
        max_rows: the most findings the table lists.
        signed: whether the pack is signed (the verify instructions say so).
    """
    moment = (created_at or result.finished_at).astimezone(UTC)
    context = {
        "title": title or f"Audit report: {result.policy_id} {result.policy_version}",
        "created_at": _iso(moment),
        "result": result,
        "regkit_version": __version__,
        "started_at": _iso(result.started_at),
        "finished_at": _iso(result.finished_at),
        "summary": _summary(result),
        "rules": _rule_rows(result, policies),
        "rule_chart": _rule_chart(result),
        "day_chart": _day_chart(result.findings),
        "findings": _finding_rows(result.findings, max_rows),
        "total_findings": len(result.findings),
        "max_rows": max_rows,
        "policy_files": list(policy_files) or _bare_policies(result),
        "regulator": [{**_REGULATOR_DEFAULTS, **entry} for entry in regulator],
        "inputs": _input_rows(result, inputs),
        "signed": signed,
    }
    yield from _environment().get_template(_TEMPLATE).generate(context)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- summary ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Summary:
    period: str
    records: list[tuple[str, int]]
    severities: list[tuple[str, int]]


def _summary(result: CheckResult) -> _Summary:
    times = [finding.at for finding in result.findings if finding.at is not None]
    if times:
        first, last = min(times).astimezone(UTC), max(times).astimezone(UTC)
        period = f"{first.date().isoformat()} to {last.date().isoformat()} (dates of the findings)"
    else:
        period = "no dated findings"
    counts = result.counts_by_severity
    return _Summary(
        period=period,
        records=sorted(result.records_checked.items()),
        severities=[(str(s), counts.get(str(s), 0)) for s in _SEVERITY_ORDER],
    )


# --- rules -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _RuleRow:
    id: str
    title: str
    severity: str
    citation: str
    count: int


def _citation(reference: Mapping[str, str]) -> str:
    """A rule's reference in one line: regulator, document, article."""
    parts = [reference.get(key, "") for key in ("regulator", "document", "article")]
    return ", ".join(part for part in parts if part) or "—"


def _rule_rows(result: CheckResult, policies: Sequence[Policy]) -> list[_RuleRow]:
    known: dict[str, tuple[str, str, str]] = {}
    for policy in policies:
        for rule in policy.rules:
            known[rule.id] = (rule.title, str(rule.severity), _citation(rule.reference))
        for python_rule in policy.python_rules:
            known.setdefault(python_rule.id, (python_rule.id, "—", "—"))
    fired: dict[str, Finding] = {}
    for finding in result.findings:
        fired.setdefault(finding.rule_id, finding)
    counts = result.counts_by_rule
    rows = []
    for rule_id in dict.fromkeys([*result.rules_evaluated, *fired]):
        title, severity, cited = known.get(rule_id, ("—", "—", "—"))
        example = fired.get(rule_id)
        if example is not None:
            severity = severity if severity != "—" else str(example.severity)
            cited = cited if cited != "—" else _citation(example.reference)
        rows.append(_RuleRow(rule_id, title, severity, cited, counts.get(rule_id, 0)))
    return sorted(rows, key=lambda row: (-row.count, row.id))


# --- charts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Bar:
    label: str
    count: int
    x: int
    y: int
    width: int
    height: int
    css: str = ""


@dataclass(frozen=True)
class _Chart:
    width: int
    height: int
    bars: list[_Bar]
    note: str
    ticks: list[_Bar]


def _rule_chart(result: CheckResult) -> _Chart:
    """Horizontal bars: findings per rule, most first."""
    worst: dict[str, Severity] = {}
    for finding in result.findings:
        level = Severity(finding.severity)
        if finding.rule_id not in worst or level.rank > worst[finding.rule_id].rank:
            worst[finding.rule_id] = level
    counts = sorted(result.counts_by_rule.items(), key=lambda item: (-item[1], item[0]))
    shown = counts[:_RULE_BARS]
    top = max((count for _, count in shown), default=1)
    row, label_width, bar_width = 22, 230, 520
    bars = [
        _Bar(
            label=rule_id,
            count=count,
            x=label_width,
            y=index * row + 4,
            width=max(1, count * bar_width // top),
            height=row - 8,
            css=f"sev-{worst[rule_id]}",
        )
        for index, (rule_id, count) in enumerate(shown)
    ]
    hidden = len(counts) - len(shown)
    note = f"{hidden} more rules fired; see the table." if hidden > 0 else ""
    return _Chart(label_width + bar_width + 90, max(row * len(bars), row), bars, note, [])


def _day_chart(findings: Sequence[Finding]) -> _Chart:
    """Vertical bars: findings per day (per month over longer spans), with the gaps."""
    per_day = Counter(finding.at.astimezone(UTC).date() for finding in findings if finding.at)
    undated = len(findings) - sum(per_day.values())
    note = f"{undated:,} findings have no time and are not shown." if undated else ""
    if not per_day:
        return _Chart(760, 40, [], note or "No dated findings.", [])
    first, last = min(per_day), max(per_day)
    monthly = (last - first).days >= _MAX_DAYS
    buckets = _buckets(first, last, monthly)
    counts: Counter[str] = Counter()
    for day, count in per_day.items():
        counts[_bucket(day, monthly)] += count
    top = max(counts.values())
    plot, height, left = 700, 160, 50
    step = max(1, plot // len(buckets))
    bars = []
    for index, key in enumerate(buckets):
        tall = counts[key] * height // top if counts[key] else 0
        bars.append(_Bar(key, counts[key], left + index * step, height - tall, step, tall))
    every = max(1, len(buckets) // 8)
    ticks = [bar for index, bar in enumerate(bars) if index % every == 0]
    unit = "month" if monthly else "day"
    note = " ".join(
        part for part in (f"Findings per {unit} (UTC); the tallest bar is {top:,}.", note) if part
    )
    return _Chart(left + step * len(buckets) + 20, height + 40, bars, note, ticks)


def _bucket(day: date, monthly: bool) -> str:
    return day.strftime("%Y-%m") if monthly else day.isoformat()


def _buckets(first: date, last: date, monthly: bool) -> list[str]:
    keys: list[str] = []
    day = first
    while day <= last:
        key = _bucket(day, monthly)
        if not keys or keys[-1] != key:
            keys.append(key)
        day += timedelta(days=1)
    return keys


# --- findings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _FindingRow:
    severity: str
    rule_id: str
    record: str
    at: str
    message: str
    evidence: str
    citation: str


def _finding_rows(findings: Sequence[Finding], limit: int) -> list[_FindingRow]:
    """The most serious findings first (in their order within a severity), up to ``limit``."""
    kept: dict[Severity, list[Finding]] = {severity: [] for severity in Severity}
    for finding in findings:
        bucket = kept[Severity(finding.severity)]
        if len(bucket) < limit:
            bucket.append(finding)
    ordered = [finding for severity in _SEVERITY_ORDER for finding in kept[severity]][:limit]
    return [_finding_row(finding) for finding in ordered]


def _finding_row(finding: Finding) -> _FindingRow:
    data = finding.to_dict()
    evidence = "; ".join(f"{name} = {value}" for name, value in data["evidence"].items())
    if len(evidence) > _EVIDENCE_CHARS:
        evidence = evidence[: _EVIDENCE_CHARS - 1] + "…"
    record = f"{finding.record_kind} {finding.record_id}"
    if finding.member_ids:
        record += f" (+{len(finding.member_ids)} records)"
    return _FindingRow(
        severity=str(finding.severity),
        rule_id=finding.rule_id,
        record=record,
        at=data["at"] or "—",
        message=finding.message,
        evidence=evidence or "—",
        citation=_citation(finding.reference),
    )


# --- provenance ------------------------------------------------------------------------------


def _bare_policies(result: CheckResult) -> list[dict[str, Any]]:
    if result.policy_versions:
        return [
            {"id": result.policy_id, "version": v["version"], "sha256": v["sha256"], "file": None}
            for v in result.policy_versions
        ]
    return [
        {
            "id": result.policy_id,
            "version": result.policy_version,
            "sha256": result.policy_sha256,
            "file": None,
        }
    ]


def _input_rows(
    result: CheckResult, inputs: Mapping[str, Mapping[str, Any]] | None
) -> list[dict[str, Any]]:
    if inputs is not None:
        return [{"name": name} | dict(entry) for name, entry in inputs.items()]
    names = {"trade": "trades", "account": "accounts", "movement": "movements"}
    names["snapshot"] = "snapshots"
    return [
        {
            "name": names.get(kind, kind),
            "records": count,
            "fingerprint": result.input_fingerprints.get(names.get(kind, kind)),
            "file": None,
        }
        for kind, count in sorted(result.records_checked.items())
    ]
