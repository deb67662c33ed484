"""The audit report: one self-contained HTML page about a check result.

The page (``templates/audit_report.html.j2``) has inline CSS and inline SVG charts, no
scripts and no external resources, so it opens offline, in a browser or an archive viewer,
and prints to PDF (print CSS: A4 landscape, table headers repeated, no row cut across pages).
Every value is escaped by jinja2's autoescaping. Charts are computed here, in integers.

Sections: a table of contents; the summary (the scope asked for: accounts, period, as_of,
records in scope per kind; findings per severity; any warning), charts of findings per rule
and per day, the rules (id, title, severity, citation, count), the accounts of an
account-scoped pack, the findings (most serious first, up to ``max_rows``, with their
account; ``findings.csv`` holds them all), the regulator files with their validation, and
how to reproduce (:func:`rerun_script`) and verify the run. In print, every page has a
running header (firm and title) and its number.

Examples:
    >>> page = render(result, title="Q4 2026 review")  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

import jinja2
from markupsafe import Markup

from regkit._version import __version__
from regkit.rules.findings import CheckResult, Finding, Severity
from regkit.rules.policy import Policy
from regkit.schemas.account import Account
from regkit.schemas.kinds import KINDS

__all__ = [
    "DEFAULT_MAX_ROWS",
    "AccountDetails",
    "css_string",
    "render",
    "rerun_script",
    "shown_findings",
    "stream",
]

#: Findings listed in the report's table; all of them are in ``findings.csv``.
DEFAULT_MAX_ROWS: Final = 2000

_TEMPLATE: Final = "audit_report.html.j2"
_RULE_BARS: Final = 40
_MAX_DAYS: Final = 92
# The day chart: plot width and height, room for the y axis labels, widest bar, most labels.
_PLOT: Final = 700
_HEIGHT: Final = 160
_LEFT: Final = 50
_BAR_MAX: Final = 36
_TICKS: Final = 8
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


#: The class name of each kind's records, by plural (``trades`` → ``Trade``), for rerun.py.
_MODELS: Final = {kind.plural: kind.model.__name__ for kind in KINDS.values()}


@functools.cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("regkit.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["css_string"] = css_string
    environment.globals["shown_change"] = shown_change
    environment.globals["shown_rules"] = shown_rules
    return environment


def css_string(value: str) -> Markup:
    """A CSS string literal of any text (for ``content:`` in the print header).

    HTML escaping does not apply inside ``<style>``, so every character but ASCII letters
    and digits becomes a six-digit CSS escape: no quote, backslash, ``&`` or ``</style>``
    survives, and the result is safe to place in the page as it is.
    """
    escaped = "".join(
        char if char.isascii() and char.isalnum() else f"\\{ord(char):06X}" for char in value
    )
    return Markup(f'"{escaped}"')


@dataclass(frozen=True)
class AccountDetails:
    """An account as the report of an account-scoped pack names it.

    Attributes:
        account_id: the account.
        holder: the holder's name (``—`` when the pack has no account records).
        category: the MiFID II client category.
        kyc_status: where the account's customer due diligence stands.
    """

    account_id: str
    holder: str = "—"
    category: str = "—"
    kyc_status: str = "—"

    @classmethod
    def of(cls, account: Account) -> AccountDetails:
        """The details an account record gives."""
        holder = account.holder
        name = getattr(holder, "name", None) or " ".join(
            part for part in (getattr(holder, "first_name", ""), getattr(holder, "surname", ""))
        )
        return cls(
            account.account_id,
            holder=name or "—",
            category=str(account.category.value),
            kyc_status="—" if account.kyc is None else str(account.kyc.status.value),
        )


def render(
    result: CheckResult,
    *,
    title: str | None = None,
    organization: str | None = None,
    created_at: datetime | None = None,
    policies: Sequence[Policy] = (),
    policy_files: Sequence[Mapping[str, Any]] = (),
    regulator: Sequence[Mapping[str, Any]] = (),
    content_checks: Sequence[Mapping[str, Any]] = (),
    inputs: Mapping[str, Mapping[str, Any]] | None = None,
    scope: Mapping[str, Any] | None = None,
    notices: Sequence[str] = (),
    record_accounts: Mapping[tuple[str, str], str] | None = None,
    accounts: Sequence[AccountDetails] = (),
    rerun: str | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    signed: bool = False,
    run_times: bool = True,
) -> str:
    """The report as one HTML string (see :func:`stream` for the arguments)."""
    return "".join(
        stream(
            result,
            title=title,
            organization=organization,
            created_at=created_at,
            policies=policies,
            policy_files=policy_files,
            regulator=regulator,
            content_checks=content_checks,
            inputs=inputs,
            scope=scope,
            notices=notices,
            record_accounts=record_accounts,
            accounts=accounts,
            rerun=rerun,
            max_rows=max_rows,
            signed=signed,
            run_times=run_times,
        )
    )


def stream(
    result: CheckResult,
    *,
    title: str | None = None,
    organization: str | None = None,
    created_at: datetime | None = None,
    policies: Sequence[Policy] = (),
    policy_files: Sequence[Mapping[str, Any]] = (),
    regulator: Sequence[Mapping[str, Any]] = (),
    content_checks: Sequence[Mapping[str, Any]] = (),
    inputs: Mapping[str, Mapping[str, Any]] | None = None,
    scope: Mapping[str, Any] | None = None,
    notices: Sequence[str] = (),
    record_accounts: Mapping[tuple[str, str], str] | None = None,
    accounts: Sequence[AccountDetails] = (),
    rerun: str | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    signed: bool = False,
    run_times: bool = True,
    history: Mapping[str, Any] | None = None,
) -> Iterator[str]:
    """The report, piece by piece (for writing into a zip entry).

    Args:
        result: the check result.
        title: the page title; default names the policy.
        organization: the firm's name, in the page's ``<title>`` and the print header.
        created_at: when the report was made (default: the result's ``finished_at``).
        policies: the policies that ran, for rule titles and citations (default: the
            result's).
        policy_files: the pack's ``policies.json`` entries (file names and hashes).
        regulator: the pack's ``validation.json`` entries.
        content_checks: the pack's ``content-checks.json`` entries (the regulator's
            validation rules, run on the reports before they were written).
        inputs: the pack's ``inputs.json``: per input, records, fingerprint and file.
        scope: the pack's ``scope.json`` (default: all accounts, all time, the result's
            ``as_of`` and records).
        notices: warnings shown at the top of the report.
        record_accounts: the account of each listed finding's record, by ``(record_kind,
            record_id)``; findings not in it show the account their record or evidence
            names.
        accounts: the accounts of an account-scoped pack, with holder, category and KYC.
        rerun: the script that re-runs the check (default: :func:`rerun_script`).
        max_rows: the most findings the table lists.
        signed: whether the pack is signed (the verify instructions say so).
        run_times: show when the check ran (``started_at``, ``finished_at``); an audit
            pack leaves them out, so that a rebuild gives the same bytes.
        history: ``runs``, ``cases``, ``log`` and ``ledger`` of a pack from the store.
    """
    moment = (created_at or result.finished_at).astimezone(UTC)
    rows = _input_rows(result, inputs)
    heading = title or f"Audit report: {result.policy_id} {result.policy_version}"
    context = {
        "title": heading,
        "page_title": f"{heading} — {organization}" if organization else heading,
        "organization": organization,
        "created_at": _iso(moment),
        "result": result,
        "regkit_version": __version__,
        "started_at": _iso(result.started_at) if run_times else None,
        "finished_at": _iso(result.finished_at) if run_times else None,
        "summary": _summary(result),
        "scope": scope or _default_scope(result, rows),
        "notices": list(notices),
        "rules": _rule_rows(result, policies or result.policies),
        "rule_chart": _rule_chart(result),
        "day_chart": _day_chart(result.findings),
        "findings": _finding_rows(result.findings, max_rows, record_accounts or {}),
        "total_findings": len(result.findings),
        "max_rows": max_rows,
        "accounts": list(accounts),
        "policy_files": list(policy_files) or _bare_policies(result),
        "regulator": [{**_REGULATOR_DEFAULTS, **entry} for entry in regulator],
        "content_checks": list(content_checks),
        "inputs": rows,
        "rerun": rerun if rerun is not None else rerun_script(result, policy_files, inputs),
        "signed": signed,
        "history": _with_ledger(history, max_rows),
    }
    yield from _environment().get_template(_TEMPLATE).generate(context)


def shown_change(values: Mapping[str, Any] | None) -> str:
    """A case event's values in words: ``status: investigating; assignee: ana``."""
    if not values:
        return "—"
    return "; ".join(f"{name}: {'—' if value is None else value}" for name, value in values.items())


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- summary ---------------------------------------------------------------------------------


def _default_scope(result: CheckResult, inputs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The scope of a report made outside a pack: all it was given."""
    return {
        "accounts": None,
        "period": "all time",
        "as_of": None if result.as_of is None else _iso(result.as_of),
        "records": {row["name"]: row["records"] for row in inputs},
    }


@dataclass(frozen=True)
class _Summary:
    period: str
    severities: list[tuple[str, int]]


def _summary(result: CheckResult) -> _Summary:
    times = [finding.at for finding in result.findings if finding.at is not None]
    if times:
        first, last = min(times).astimezone(UTC), max(times).astimezone(UTC)
        period = f"{first.date().isoformat()} to {last.date().isoformat()}"
    else:
        period = "no dated findings"
    counts = result.counts_by_severity
    return _Summary(
        period=period,
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
    top: int = 0
    """The count the tallest bar stands for (the y axis runs from 0 to it)."""


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
    return _Chart(label_width + bar_width + 90, max(row * len(bars), row), bars, note, [], top)


def _day_chart(findings: Sequence[Finding]) -> _Chart:
    """Vertical bars: findings per day (per month over longer spans), with the gaps.

    The plot keeps its width however few days there are: each bar sits in the middle of its
    day's slot and is at most ``_BAR_MAX`` wide, so one day reads as one bar, not a block.
    """
    per_day = Counter(finding.at.astimezone(UTC).date() for finding in findings if finding.at)
    undated = len(findings) - sum(per_day.values())
    note = f"{undated:,} findings have no time and are not shown." if undated else ""
    if not per_day:
        return _Chart(_PLOT + 70, 40, [], note or "No dated findings.", [])
    first, last = min(per_day), max(per_day)
    monthly = (last - first).days >= _MAX_DAYS
    buckets = _buckets(first, last, monthly)
    counts: Counter[str] = Counter()
    for day, count in per_day.items():
        counts[_bucket(day, monthly)] += count
    top = max(counts.values())
    slot = _PLOT / len(buckets)
    width = max(1, min(_BAR_MAX, int(slot * 0.8)))
    bars = []
    for index, key in enumerate(buckets):
        tall = counts[key] * _HEIGHT // top if counts[key] else 0
        middle = _LEFT + int(slot * index + slot / 2)
        bars.append(_Bar(key, counts[key], middle - width // 2, _HEIGHT - tall, width, tall))
    every = -(-len(buckets) // _TICKS)  # ceiling: at most _TICKS labels
    ticks = [
        dataclasses.replace(bar, x=bar.x + bar.width // 2)
        for index, bar in enumerate(bars)
        if index % every == 0
    ]
    unit = "month" if monthly else "day"
    note = " ".join(part for part in (f"Findings per {unit} (UTC).", note) if part)
    return _Chart(_LEFT + _PLOT + 20, _HEIGHT + 40, bars, note, ticks, top)


def _bucket(day: date, monthly: bool) -> str:
    return day.strftime("%Y-%m") if monthly else day.isoformat()


def _buckets(first: date, last: date, monthly: bool) -> list[str]:
    keys: list[str] = []
    day = first
    while day <= last:
        key = _bucket(day, monthly)
        if not keys or keys[-1] != key:
            keys.append(key)
        if day == last:  # the day after 9999-12-31 is no date
            break
        day += timedelta(days=1)
    return keys


# --- findings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _FindingRow:
    severity: str
    rule_id: str
    account: str
    record: str
    at: str
    message: str
    evidence: str
    citation: str


def shown_findings(findings: Sequence[Finding], limit: int) -> list[Finding]:
    """The findings the report lists: the most serious first (in their order within a
    severity), up to ``limit``."""
    kept: dict[Severity, list[Finding]] = {severity: [] for severity in Severity}
    for finding in findings:
        bucket = kept[Severity(finding.severity)]
        if len(bucket) < limit:
            bucket.append(finding)
    return [finding for severity in _SEVERITY_ORDER for finding in kept[severity]][:limit]


def _finding_rows(
    findings: Sequence[Finding], limit: int, accounts: Mapping[tuple[str, str], str]
) -> list[_FindingRow]:
    return [_finding_row(finding, accounts) for finding in shown_findings(findings, limit)]


def _account_of(finding: Finding, accounts: Mapping[tuple[str, str], str]) -> str:
    """The finding's account: from its record (as the inputs say), else from the finding."""
    found = accounts.get((finding.record_kind, finding.record_id))
    if found is not None:
        return found
    kind = KINDS.get(finding.record_kind)
    keys = kind.model.key_fields if kind is not None else ()
    if keys == ("account_id",):  # an account
        return finding.record_id
    if keys[:1] == ("account_id",):  # keyed by its account first: a snapshot, "account_id|at"
        return finding.record_id.split("|", 1)[0]
    for name, value in finding.evidence.items():
        if name.endswith("account_id") and isinstance(value, str):
            return value
    return "—"


def _finding_row(finding: Finding, accounts: Mapping[tuple[str, str], str]) -> _FindingRow:
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
        account=_account_of(finding, accounts),
        record=record,
        at=data["at"] or "—",
        message=finding.message,
        evidence=evidence or "—",
        citation=_citation(finding.reference),
    )


# --- the submissions ledger ------------------------------------------------------------------

#: How the report names a regime.
_REGIMES: Final = {"mifir": "MiFIR", "emir": "EMIR"}
#: The order the "Submissions" table lists transactions' states in.
_STATE_ORDER: Final = ("rejected", "corrected", "cancelled", "awaiting", "accepted")
#: The states the table lists every transaction of (others: when sent more than once).
_NOTED_STATES: Final = frozenset({"rejected", "corrected", "cancelled"})


@dataclass(frozen=True)
class _SentRow:
    """One transmission of a listed transaction: its file, place, action, what it corrects,
    and each status it was given, in order."""

    file_name: str
    position: int
    action: str
    corrects: str | None
    statuses: list[Mapping[str, Any]]


@dataclass(frozen=True)
class _TransactionRow:
    regime: str
    reference: str
    trade_id: str | None
    state: str
    sent: list[_SentRow]


@dataclass(frozen=True)
class _LedgerView:
    """The report's "Submissions" section: the files by regime, the states counted, the
    transactions to note (up to the report's limit), the feedback and the unmatched."""

    files: list[tuple[str, list[Mapping[str, Any]]]]
    file_count: int
    states: list[tuple[str, int]]
    transactions: int
    noted: list[_TransactionRow]
    noted_total: int
    unlisted: list[tuple[str, int]]
    feedback: list[Mapping[str, Any]]
    unmatched: list[Mapping[str, Any]]


def _with_ledger(history: Mapping[str, Any] | None, limit: int) -> dict[str, Any] | None:
    """A pack's history with its ``ledger`` as the report shows it (None: none)."""
    if history is None:
        return None
    return {**history, "ledger": _ledger_view(history.get("ledger"), limit)}


def _ledger_view(ledger: Mapping[str, Any] | None, limit: int) -> _LedgerView | None:
    """The "Submissions" section of a pack from the store with a ledger (``data/store/
    submissions.json``): each regime's files, and the transactions rejected, corrected or
    cancelled, or sent more than once, with every status of each transmission."""
    if not ledger:
        return None
    files = list(ledger.get("submissions", ()))
    by_regime: dict[str, list[Mapping[str, Any]]] = {}
    sent: dict[int, tuple[str, Mapping[str, Any]]] = {}
    for item in files:
        by_regime.setdefault(item["regime"], []).append(item)
        for record in item["transmissions"]:
            sent[record["transmission_id"]] = (item["file_name"], record)
    transactions = list(ledger.get("transactions", ()))
    noted = [item for item in transactions if _noted(item, sent)]
    noted.sort(key=lambda item: (_state_rank(item["state"]), _regime_rank(item["regime"]),
                                 item["reference"]))  # fmt: skip
    counts = Counter(item["state"] for item in transactions)
    others = Counter(item["state"] for item in transactions if not _noted(item, sent))
    return _LedgerView(
        files=[
            (_REGIMES.get(name, name), by_regime[name])
            for name in sorted(by_regime, key=_regime_rank)
        ],
        file_count=len(files),
        states=sorted(counts.items(), key=lambda pair: _state_rank(pair[0])),
        transactions=len(transactions),
        noted=[_transaction_row(item, sent) for item in noted[:limit]],
        noted_total=len(noted),
        unlisted=sorted(others.items(), key=lambda pair: _state_rank(pair[0])),
        feedback=list(ledger.get("feedback", ())),
        unmatched=list(ledger.get("unmatched", ())),
    )


def _regime_rank(regime: str) -> tuple[int, str]:
    return (list(_REGIMES).index(regime) if regime in _REGIMES else len(_REGIMES), regime)


def _state_rank(state: str) -> int:
    return _STATE_ORDER.index(state) if state in _STATE_ORDER else len(_STATE_ORDER)


def _noted(item: Mapping[str, Any], sent: Mapping[int, tuple[str, Mapping[str, Any]]]) -> bool:
    """Whether the table lists a transaction: rejected, corrected or cancelled, sent more
    than once, or a correction of a transmission before the period."""
    ids = item["transmissions"]
    return (
        item["state"] in _NOTED_STATES
        or len(ids) > 1
        or any(sent[one][1]["corrects"] is not None for one in ids if one in sent)
    )


def _transaction_row(
    item: Mapping[str, Any], sent: Mapping[int, tuple[str, Mapping[str, Any]]]
) -> _TransactionRow:
    rows = []
    for one in item["transmissions"]:
        if one not in sent:
            continue
        file_name, record = sent[one]
        corrects = record["corrects"]
        shown = None
        if corrects is not None:
            where = corrects["file_name"] or f"transmission {corrects['transmission_id']}"
            shown = where if corrects["position"] is None else f"{where} #{corrects['position']}"
        rows.append(_SentRow(file_name, record["position"], record["action"], shown,
                             list(record["statuses"])))  # fmt: skip
    regime = _REGIMES.get(item["regime"], item["regime"])
    return _TransactionRow(regime, item["reference"], item["trade_id"], item["state"], rows)


def shown_rules(rules: Sequence[Sequence[Any]]) -> str:
    """A status's rules in one line: ``CON-472: The underlying …; CON-070``."""
    return "; ".join(f"{rule[0]}: {rule[1]}" if rule[1] else str(rule[0]) for rule in rules)


# --- provenance ------------------------------------------------------------------------------


def _bare_policies(result: CheckResult) -> list[dict[str, Any]]:
    if result.policy_versions:
        return [
            {
                "id": result.policy_id,
                "version": v["version"],
                "sha256": v["sha256"],
                "file": None,
                "parameters": None,
            }
            for v in result.policy_versions
        ]
    return [
        {
            "id": result.policy_id,
            "version": result.policy_version,
            "sha256": result.policy_sha256,
            "file": None,
            "parameters": None,
        }
    ]


def _input_rows(
    result: CheckResult, inputs: Mapping[str, Mapping[str, Any]] | None
) -> list[dict[str, Any]]:
    if inputs is not None:
        return [{"name": name} | dict(entry) for name, entry in inputs.items()]
    names = {kind.name: kind.plural for kind in KINDS.values()}
    return [
        {
            "name": names.get(kind, kind),
            "records": count,
            "fingerprint": result.input_fingerprints.get(names.get(kind, kind)),
            "file": None,
        }
        for kind, count in sorted(result.records_checked.items())
    ]


# --- re-running ------------------------------------------------------------------------------


def rerun_script(
    result: CheckResult,
    policy_files: Sequence[Mapping[str, Any]] = (),
    inputs: Mapping[str, Mapping[str, Any]] | None = None,
) -> str:
    """A Python script that re-runs the check from a pack's own files and compares what it
    finds with the pack's ``findings.json``; run it in the pack's ``data/`` folder.

    It loads each policy file (with its parameter overrides), reads every input kind,
    passes the result's ``as_of``, and prints whether the policy, the inputs and the
    findings are the pack's. What the pack does not hold (a policy's text, fingerprint-only
    inputs, Python rules) is named in a comment where it must be supplied.

    Args:
        result: the check result.
        policy_files: the pack's ``policies.json`` entries.
        inputs: the pack's ``inputs.json``.
    """
    rows = _input_rows(result, inputs)
    parquet = any(str(row["file"] or "").endswith(".parquet") for row in rows)
    lines = [
        "# Re-runs the check of this pack and compares what it finds with findings.json.",
        "# Run it in the pack's data/ folder: python rerun.py",
        "import json",
        "from datetime import datetime",
        "from pathlib import Path",
        "",
        *(["import polars as pl"] if parquet else []),
        "import regkit as rk",
        "",
        *_policy_lines(list(policy_files) or _bare_policies(result)),
    ]
    passed: list[str] = []
    for row in rows:
        line = _input_line(row)
        if line:
            lines.append(line)
            passed.append(row["name"])
    as_of = (
        f"datetime.fromisoformat({_literal(_iso(result.as_of))})"
        if result.as_of is not None
        else "None  # the result does not record its as_of: give the time of the run"
    )
    lines += [
        "result = rk.check(",
        "    policy,",
        *(f"    {name}={name}," for name in passed),
        f"    as_of={as_of},",
        ")",
        'packed = json.loads(Path("findings.json").read_text(encoding="utf-8"))',
        "same = {",
        '    "policy": result.policy_sha256 == packed["policy"]["sha256"],',
        '    "inputs": result.input_fingerprints == packed["input_fingerprints"],',
        '    "findings": result.to_dict()["findings"] == packed["findings"],',
        "}",
        "for what, ok in same.items():",
        '    print(f"{what} as in the pack: {ok}")',
    ]
    return "\n".join(lines) + "\n"


def _literal(text: str) -> str:
    """A Python string literal (JSON's escapes are Python's)."""
    return json.dumps(text)


def _comment(text: str) -> str:
    """Text for a ``#`` comment: on one line, with control characters escaped, so a policy
    id cannot end the comment and become code in a script an auditor runs."""
    line = " ".join(text.split())
    return "".join(char if char.isprintable() else f"\\u{ord(char):04x}" for char in line)


def _policy_lines(entries: Sequence[Mapping[str, Any]]) -> list[str]:
    lines: list[str] = []
    calls: list[str] = []
    for entry in entries:
        file = entry.get("file")
        if file is None:
            lines.append(
                _comment(
                    f"# not in this pack: the text of policy {entry['id']} {entry['version']} "
                    f"(sha256 {entry['sha256']}); give its file"
                )
            )
            file = f"{entry['id']}.yaml"
        call = f"rk.load_policy({_literal(str(file))}"
        if entry.get("parameters"):
            call += f", parameters={_literal(str(entry['parameters']))}"
        if entry.get("python_rules"):
            names = ", ".join(entry["python_rules"])
            lines.append(_comment(f"# add the Python rules {names}: load_policy(..., rules=[...])"))
        calls.append(call + ")")
    if len(calls) == 1:
        return [*lines, f"policy = {calls[0]}"]
    return [*lines, "policy = [", *(f"    {call}," for call in calls), "]"]


def _input_line(row: Mapping[str, Any]) -> str | None:
    name, file = str(row["name"]), row.get("file")
    model = _MODELS.get(name)
    if file is not None and str(file).endswith(".parquet"):
        return f"{name} = pl.read_parquet({_literal(str(file))})"
    if model is None:
        return None
    if file is not None:
        return f"{name} = rk.read_records({_literal(str(file))}, rk.{model}).records"
    if not row.get("records"):
        return None
    note = _comment(
        f"# not in this pack: the {row['records']:,} records of fingerprint "
        f"sha256:{row.get('fingerprint')}"
    )
    return f"{name} = rk.read_records({_literal(name + '.jsonl')}, rk.{model}).records  {note}"
