"""The pre-submission check: ESMA's validation rules on every EMIR report before it is written.

A trade repository checks each report it receives against ESMA's EMIR REFIT validation rules
(ESMA74-362-2683, rule ids ``EMIR-VR-<table><field>-<nn>``) and rejects those that break
one. regkit ships those rules as the built-in policy pack ``emir-refit-vr`` over
:class:`~regkit.schemas.emir.EmirReport` records, and :func:`~regkit.reports.emir.render`
runs it on every report it builds, before the report is written:

* by default, a report that breaks a rule refuses the batch: nothing is written, and one
  :class:`~regkit.errors.PreSubmissionError` names every trade, UTI, REFIT field and VR id;
* with ``write_passing=True``, the reports that pass are written and the rest are listed
  (:attr:`ContentCheck.failures`, :attr:`ContentCheck.withheld`).

Every rule of the pack is an ESMA rejection (severity ``high``; ESMA's workbook marks all 480
as errors), so any finding of ``high`` or above refuses a report; a rule that crashes on a
report (``error``) refuses it too, as it proves nothing. A lower severity (a firm's own
pack) is listed and does not refuse.

The result of the check (:class:`ContentCheck`: the pack, its version and hash, how many
reports were checked and what failed) is on the render's result and goes into the audit
pack (``data/regulator/content-checks.json``).

Examples:
    >>> refit_field("EMIR-VR-2114-01"), refit_field("EMIR-VR-1010-02")
    ('2.114', '1.10')
    >>> field_names("2.114")
    ('forward_exchange_rate',)
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from regkit.rules.findings import Finding
from regkit.rules.policy import CompiledRule, Policy, load_policy
from regkit.rules.severity import Severity
from regkit.schemas.emir import EmirReport

if TYPE_CHECKING:
    from regkit.rules.engine import Checker

__all__ = [
    "PACK",
    "PER_REPORT",
    "ContentCheck",
    "PreSubmission",
    "VrFailure",
    "field_names",
    "refit_field",
]

#: The built-in pack the check runs.
PACK: Final = "emir-refit-vr"

#: Findings at or above this severity refuse a report.
REFUSING: Final = Severity.HIGH

#: Sets of shared values remembered at once (a batch has a few hundred).
_MEMO_LIMIT: Final = 10_000

#: ``EMIR-VR-<table><field>-<nn>``: table 1 (counterparty data), 2 (common data) or 3
#: (margins), then the field number in three digits (ESMA74-362-2683).
_VR_ID: Final = re.compile(r"EMIR-VR-([1-3])(\d{3})-\d{2}")


def refit_field(rule_id: str) -> str | None:
    """The REFIT field a VR id is about (``EMIR-VR-2114-01`` is field ``2.114``); None for
    an id of another form or one that names no field (``EMIR-VR-0000-00``)."""
    found = _VR_ID.fullmatch(rule_id)
    if found is None or int(found[2]) == 0:
        return None
    return f"{found[1]}.{int(found[2])}"


@functools.cache
def _fields_by_number() -> dict[str, tuple[str, ...]]:
    """The report record's fields by REFIT number, from their docstrings (``2.114 ...``)."""
    numbers: dict[str, list[str]] = {}
    for name, info in EmirReport.model_fields.items():
        number = (info.description or "").split(" ", 1)[0]
        if re.fullmatch(r"[12]\.\d{1,3}", number):
            numbers.setdefault(number, []).append(name)
    return {number: tuple(names) for number, names in numbers.items()}


def field_names(number: str | None) -> tuple[str, ...]:
    """The :class:`~regkit.schemas.emir.EmirReport` fields of a REFIT field number."""
    if number is None:
        return ()
    return _fields_by_number().get(number, ())


@dataclass(frozen=True)
class VrFailure:
    """One validation rule one report breaks.

    Attributes:
        trade_id: the trade the report is of.
        uti: the report's UTI.
        action_type: the report's action type (NEWT, MODI ...).
        rule_id: the rule broken: ESMA's VR id (``EMIR-VR-2114-01``).
        field: the REFIT field it is about (``2.114``), or None for a rule of another form.
        record_fields: the report record's fields of that number.
        severity: the rule's severity.
        message: what is wrong, with the report's values.
    """

    trade_id: str
    uti: str
    action_type: str
    rule_id: str
    field: str | None
    record_fields: tuple[str, ...]
    severity: str
    message: str

    @property
    def refuses(self) -> bool:
        """Whether the failure refuses the report (severity ``high`` or above)."""
        return Severity(self.severity).rank >= REFUSING.rank

    def __str__(self) -> str:
        where = "" if self.field is None else f" field {self.field}"
        names = "/".join(self.record_fields)
        named = f" ({names})" if names else ""
        return (
            f"{self.trade_id} (UTI {self.uti}, {self.action_type}): {self.rule_id}{where}"
            f"{named}: {self.message}"
        )

    def to_dict(self) -> dict[str, Any]:
        """The failure as JSON-ready data, fields in a fixed order."""
        return {
            "trade_id": self.trade_id,
            "uti": self.uti,
            "action_type": self.action_type,
            "rule_id": self.rule_id,
            "field": self.field,
            "record_fields": list(self.record_fields),
            "severity": self.severity,
            "message": self.message,
        }


@dataclass(frozen=True)
class ContentCheck:
    """What the pre-submission check of one render found.

    Attributes:
        report: the report checked (``emir``).
        policy_id: the pack that ran (``emir-refit-vr``).
        policy_version: its version.
        policy_sha256: the SHA-256 of its canonical form (as in an audit pack).
        rules: how many rules it holds.
        checked: how many reports were checked.
        failures: every rule every report broke, in the trades' order.
        withheld: the trades whose reports were not written because they broke a rule
            (with ``write_passing``; with the default, the whole batch was refused).
    """

    report: str
    policy_id: str
    policy_version: str
    policy_sha256: str
    rules: int
    checked: int
    failures: tuple[VrFailure, ...] = ()
    withheld: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> int:
        """Reports that broke no rule that refuses."""
        return self.checked - len({item.trade_id for item in self.failures if item.refuses})

    @property
    def ok(self) -> bool:
        """Whether every report passed."""
        return self.passed == self.checked

    def to_dict(self) -> dict[str, Any]:
        """The check as JSON-ready data (what the audit pack holds)."""
        return {
            "report": self.report,
            "policy": {
                "id": self.policy_id,
                "version": self.policy_version,
                "sha256": self.policy_sha256,
                "rules": self.rules,
            },
            "checked": self.checked,
            "passed": self.passed,
            "failures": [item.to_dict() for item in self.failures],
            "withheld": list(self.withheld),
        }


#: The report fields a trade's own data sets, which differ from report to report (its
#: UTI, times, amounts, valuation, client). The other fields come from the action, the
#: firm, the instrument and the kind of client, and take few values in a batch.
PER_REPORT: Final = frozenset(
    {
        "uti", "subsequent_position_uti", "trade_id", "account_id", "counterparty_2",
        "counterparty_2_country", "collateral_portfolio_code",
        "execution_timestamp", "confirmation_timestamp", "effective_date", "event_date",
        "early_termination_date", "price", "notional_amount_leg_1", "notional_amount_leg_2",
        "total_notional_quantity_leg_1", "forward_exchange_rate", "valuation_amount",
        "valuation_timestamp", "delta", "option_premium_amount", "option_premium_payment_date",
    }
)  # fmt: skip


class _Pack(NamedTuple):
    """The pack as the check runs it: the rules that read only fields outside
    :data:`PER_REPORT` (``shared``, whose findings are the same for every report with the
    same values of the fields they read, so each set of values is checked once) and the
    others (``own``), each compiled, with the rules' order."""

    policy: Policy
    shared: Checker
    shared_fields: tuple[str, ...]
    own: Checker
    order: Mapping[str, int]


def _fields_read(rule: CompiledRule) -> frozenset[str]:
    """The report fields a rule reads anywhere (``when``, ``assert``, evidence, message)."""
    expressions = [rule.when, rule.assertion, *rule.evidence, *(p.value for p in rule.message)]
    names = {name for expr in expressions if expr is not None for name in expr.names}
    return frozenset(name.split(".", 1)[1] for name in names if "." in name)


def _compiled(policy: Policy) -> _Pack:
    """The pack split into the rules a batch shares and those of each report."""
    shared: list[int] = []
    own: list[int] = []
    fields: set[str] = set()
    for index, rule in enumerate(policy.compiled):
        read = _fields_read(rule)
        if read & PER_REPORT or not read:
            own.append(index)
        else:
            shared.append(index)
            fields |= read

    def part(indexes: list[int]) -> Checker:
        rules = tuple(policy.rules[index] for index in indexes)
        compiled = tuple(policy.compiled[index] for index in indexes)
        return dataclasses.replace(policy, rules=rules, compiled=compiled).compile()

    order = {rule.id: index for index, rule in enumerate(policy.rules)}
    return _Pack(policy, part(shared), tuple(sorted(fields)), part(own), order)


@functools.cache
def _builtin_pack() -> _Pack:
    """The built-in pack, loaded and compiled once per process (it takes most of a second)."""
    return _compiled(load_policy(PACK))


class PreSubmission:
    """The check of one render: each report in turn, its failures kept.

    Args:
        created_at: the reporting timestamp of the batch (what ``as_of`` means in rules).
        policy: the pack to run (default: the built-in ``emir-refit-vr``).

    Examples:
        >>> from datetime import UTC
        >>> check = PreSubmission(datetime(2026, 11, 20, 18, 0, tzinfo=UTC))
        >>> check.result("emir").policy_id
        'emir-refit-vr'
    """

    def __init__(self, created_at: datetime, policy: Policy | None = None) -> None:
        if policy is not None and policy.python_rules:
            raise ValueError("the pre-submission check runs a policy of YAML rules only")
        pack = _builtin_pack() if policy is None else _compiled(policy)
        self.policy = pack.policy
        self._rules = len(pack.policy.rules)
        self._shared = pack.shared.checked.record_checker("emir_report", created_at)
        # The values of the shared fields, as one tuple (itemgetter of one name gives the
        # value itself, which keys the same way).
        fields = pack.shared_fields
        self._key: Callable[[Mapping[str, Any]], Any] = (
            operator.itemgetter(*fields) if fields else lambda values: ()
        )
        self._own = pack.own.checked.record_checker("emir_report", created_at)
        self._order = pack.order
        self._seen: dict[Any, list[Finding]] = {}
        self.checked = 0
        self.failures: list[VrFailure] = []
        self.withheld: list[str] = []

    def failures_of(self, report: EmirReport) -> list[VrFailure]:
        """The rules a report breaks that refuse it (none: it may be written); every
        failure, refusing or not, is kept."""
        self.checked += 1
        key = self._key(report.__dict__)
        shared = self._seen.get(key)
        if shared is None:
            if len(self._seen) >= _MEMO_LIMIT:
                self._seen.clear()
            shared = self._seen[key] = self._shared(report, None)
        findings = self._own(report, None)
        if not (shared or findings):
            return []
        findings = sorted([*shared, *findings], key=lambda item: self._order[item.rule_id])
        found = [_failure(report, finding) for finding in findings]
        self.failures += found
        return [item for item in found if item.refuses]

    def result(self, report: str, withheld: Iterable[str] = ()) -> ContentCheck:
        """What the check found, as the render's result holds it."""
        return ContentCheck(
            report=report,
            policy_id=self.policy.id,
            policy_version=self.policy.version,
            policy_sha256=self.policy.sha256,
            rules=self._rules,
            checked=self.checked,
            failures=tuple(self.failures),
            withheld=tuple(withheld),
        )


def _failure(report: EmirReport, finding: Finding) -> VrFailure:
    number = refit_field(finding.rule_id)
    return VrFailure(
        trade_id=report.trade_id or report.uti,
        uti=report.uti,
        action_type=report.action_type,
        rule_id=finding.rule_id,
        field=number,
        record_fields=field_names(number),
        severity=str(finding.severity),
        message=finding.message,
    )
