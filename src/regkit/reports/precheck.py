"""The pre-submission check: a regulator's validation rules on every report before it is written.

A regulator (or a trade repository for it) checks each report it receives against its
published content rules and rejects those that break one. regkit ships those rules as
built-in policy packs over report records (``emir-refit-vr`` over
:class:`~regkit.schemas.emir.EmirReport`, ``mifir-vr`` over
:class:`~regkit.schemas.mifir.MifirReport`), and the renderers run the pack on every report
they build, before it is written:

* by default, a report that breaks a rule refuses the batch: nothing is written, and one
  :class:`~regkit.errors.PreSubmissionError` names every trade, report, field and rule;
* with ``write_passing=True``, the reports that pass are written and the rest are listed
  (:attr:`ContentCheck.failures`, :attr:`ContentCheck.withheld`).

Any finding of severity ``high`` or above refuses a report (the packs' rules are rejections,
all ``high``); a rule that crashes on a report (``error``) refuses it too, as it proves
nothing. A lower severity (a firm's own pack) is listed and does not refuse.

Each regime describes itself in a :class:`CheckSpec`: its record kind and pack, the fields a
trade's own data sets (the rules that read none of them are checked once per set of values
in a batch, which makes the check cheap), and how a rule id and a report are named.

Examples:
    >>> failure = VrFailure("T1", "T1", "NEWT", "MIFIR-VR-057-01", "57",
    ...     ("investment_decision_person_id",), "high", "no decision maker", "TRN")
    >>> str(failure)
    'T1 (TRN T1, NEWT): MIFIR-VR-057-01 field 57 (investment_decision_person_id): no decision maker'
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, NamedTuple, Protocol, TypeVar

from regkit.errors import PreSubmissionError, RenderError
from regkit.reports.values import BadField, RefusedError, refusal
from regkit.rules.findings import Finding
from regkit.rules.policy import CompiledRule, Policy, load_policy
from regkit.rules.severity import Severity
from regkit.schemas.base import Record
from regkit.schemas.trade import Trade

if TYPE_CHECKING:
    from regkit.rules.engine import Checker

__all__ = [
    "REFUSING",
    "CheckSpec",
    "ContentCheck",
    "Gate",
    "PreSubmission",
    "VrFailure",
    "checked_writes",
    "numbered_fields",
    "refusal_of",
]

R = TypeVar("R", bound=Record, covariant=True)

#: Findings at or above this severity refuse a report.
REFUSING: Final = Severity.HIGH

#: Sets of values remembered at once per tier (a batch has a few hundred instruments and
#: deciders, and as many clients as it has).
_MEMO_LIMIT: Final = 100_000


def numbered_fields(model: type[Record], number: str) -> dict[str, tuple[str, ...]]:
    """A record's fields by the regulator's field number that opens each docstring
    (``2.114 ...``, ``57 ...``), for numbers that match the pattern ``number``.

    Examples:
        >>> from regkit.schemas.mifir import MifirReport
        >>> numbered_fields(MifirReport, r"\\d+")["31"]
        ('quantity_currency',)
    """
    numbers: dict[str, list[str]] = {}
    for name, info in model.model_fields.items():
        found = (info.description or "").split(" ", 1)[0]
        if re.fullmatch(number, found):
            numbers.setdefault(found, []).append(name)
    return {found: tuple(names) for found, names in numbers.items()}


@dataclass(frozen=True)
class VrFailure:
    """One validation rule one report breaks.

    Attributes:
        trade_id: the trade the report is of.
        reference: the report's own identifier: the UTI (EMIR) or the transaction
            reference (MiFIR).
        action: the report's action type (EMIR: NEWT, MODI ...) or status (MiFIR: NEWT,
            CANC).
        rule_id: the rule broken (``EMIR-VR-2114-01``, ``MIFIR-VR-057-01``).
        field: the regulator's field it is about (``2.114``, ``57``), or None.
        record_fields: the report record's fields of that number.
        severity: the rule's severity.
        message: what is wrong, with the report's values.
        reference_name: what the reference is called in messages (``UTI``, ``TRN``).
    """

    trade_id: str
    reference: str
    action: str
    rule_id: str
    field: str | None
    record_fields: tuple[str, ...]
    severity: str
    message: str
    reference_name: str = "reference"

    @property
    def uti(self) -> str:
        """The report's UTI (an EMIR report's :attr:`reference`)."""
        return self.reference

    @property
    def action_type(self) -> str:
        """The report's action type (:attr:`action`)."""
        return self.action

    @property
    def refuses(self) -> bool:
        """Whether the failure refuses the report (severity ``high`` or above)."""
        return Severity(self.severity).rank >= REFUSING.rank

    def __str__(self) -> str:
        where = "" if self.field is None else f" field {self.field}"
        names = "/".join(self.record_fields)
        named = f" ({names})" if names else ""
        return (
            f"{self.trade_id} ({self.reference_name} {self.reference}, {self.action}): "
            f"{self.rule_id}{where}"
            f"{named}: {self.message}"
        )

    def to_dict(self) -> dict[str, Any]:
        """The failure as JSON-ready data, fields in a fixed order."""
        return {
            "trade_id": self.trade_id,
            "reference": self.reference,
            "action": self.action,
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
        report: the report checked (``emir``, ``mifir``).
        policy_id: the pack that ran (``emir-refit-vr``, ``mifir-vr``).
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


@dataclass(frozen=True)
class CheckSpec:
    """How one regime's reports are checked and named.

    Attributes:
        report: the report's name (``emir``, ``mifir``).
        regulator: whose rules they are, for messages (``ESMA's EMIR``).
        kind: the record kind the pack's rules apply to (``emir_report``).
        pack: the built-in pack the check runs by default.
        per_report: the record fields a trade's own data sets, which differ from report to
            report (the others come from the firm, the instrument and the kind of client).
        per_party: the record fields of the client, the same on every report of a client's
            trades on one side (rules reading them, and no ``per_report`` field, are
            remembered per client).
        repeating: the ``per_report`` fields whose values repeat from trade to trade (a
            quantity, a price): the rules reading no other are remembered by their values.
        field_of: the regulator's field number a rule id is about, or None.
        fields_of: the record's fields of a field number.
        reference: a report's own identifier (UTI, transaction reference).
        action: a report's action type or status.
        reference_name: what that identifier is called in messages (``UTI``, ``TRN``).
    """

    report: str
    regulator: str
    kind: str
    pack: str
    per_report: frozenset[str]
    per_party: frozenset[str]
    repeating: frozenset[str]
    field_of: Callable[[str], str | None]
    fields_of: Callable[[str | None], tuple[str, ...]]
    reference: Callable[[Any], str]
    action: Callable[[Any], str]
    reference_name: str

    def failure(self, report: Record, finding: Finding) -> VrFailure:
        """The failure a finding on a report makes."""
        number = self.field_of(finding.rule_id)
        reference = self.reference(report)
        return VrFailure(
            trade_id=getattr(report, "trade_id", None) or reference,
            reference=reference,
            action=self.action(report),
            rule_id=finding.rule_id,
            field=number,
            record_fields=self.fields_of(number),
            severity=str(finding.severity),
            message=finding.message,
            reference_name=self.reference_name,
        )


class _Tier(NamedTuple):
    """Rules checked together, and the fields they read (the key of their memo; none for the
    report's own rules, which are checked on every report)."""

    checker: Checker
    fields: tuple[str, ...] | None


class _Pack(NamedTuple):
    """The pack as the check runs it, split into tiers by what the rules read: the rules
    reading a trade's own data (``per_report``, checked on every report), those reading the
    client's (``per_party``, remembered per client) and the others (remembered per set of
    values: the firm, the instrument, the deciders), with the rules' order."""

    policy: Policy
    tiers: tuple[_Tier, ...]
    order: Mapping[str, int]


def _fields_read(rule: CompiledRule) -> frozenset[str]:
    """The report fields a rule reads anywhere (``when``, ``assert``, evidence, message)."""
    expressions = [rule.when, rule.assertion, *rule.evidence, *(p.value for p in rule.message)]
    names = {name for expr in expressions if expr is not None for name in expr.names}
    return frozenset(name.split(".", 1)[1] for name in names if "." in name)


def _tier_of(read: frozenset[str], spec: CheckSpec) -> frozenset[str] | None:
    """Which tier a rule reading these fields goes in: None for the report's own rules
    (checked every time), else the tier's name, the fields that set it apart: the shared
    tier (none), the client's (``per_party``) or one of ``repeating`` fields."""
    own = read & spec.per_report
    if not read or (own and not own <= spec.repeating):
        return None
    return own or (frozenset({"party"}) if read & spec.per_party else frozenset())


def _compiled(policy: Policy, spec: CheckSpec) -> _Pack:
    """The pack split into tiers (own, then remembered ones), each compiled."""
    split: dict[frozenset[str] | None, list[int]] = {}
    fields: dict[frozenset[str] | None, set[str]] = {}
    for index, rule in enumerate(policy.compiled):
        read = _fields_read(rule)
        tier = _tier_of(read, spec)
        split.setdefault(tier, []).append(index)
        fields.setdefault(tier, set()).update(read)

    def part(indexes: list[int]) -> Checker:
        rules = tuple(policy.rules[index] for index in indexes)
        compiled = tuple(policy.compiled[index] for index in indexes)
        return dataclasses.replace(policy, rules=rules, compiled=compiled).compile()

    tiers = tuple(
        _Tier(part(indexes), None if tier is None else tuple(sorted(fields[tier])))
        for tier, indexes in sorted(split.items(), key=lambda item: item[1][0])
    )
    order = {rule.id: index for index, rule in enumerate(policy.rules)}
    return _Pack(policy, tiers, order)


@functools.cache
def _builtin_pack(spec: CheckSpec) -> _Pack:
    """A built-in pack, loaded and compiled once per process (it takes most of a second)."""
    return _compiled(load_policy(spec.pack), spec)


class PreSubmission:
    """The check of one render: each report in turn, its failures kept.

    Args:
        spec: the regime's :class:`CheckSpec`.
        created_at: the time of the batch (what ``as_of`` means in rules).
        policy: the pack to run (default: the spec's built-in pack).

    Examples:
        >>> from datetime import UTC
        >>> from regkit.reports.mifir.precheck import SPEC
        >>> PreSubmission(SPEC, datetime(2026, 11, 20, 18, 0, tzinfo=UTC)).policy.id
        'mifir-vr'
    """

    def __init__(self, spec: CheckSpec, created_at: datetime, policy: Policy | None = None) -> None:
        if policy is not None and policy.python_rules:
            raise ValueError("the pre-submission check runs a policy of YAML rules only")
        pack = _builtin_pack(spec) if policy is None else _compiled(policy, spec)
        self.spec = spec
        self.policy = pack.policy
        self._rules = len(pack.policy.rules)
        self._tiers = [_run(tier, spec.kind, created_at) for tier in pack.tiers]
        self._order = pack.order
        self.checked = 0
        self.failures: list[VrFailure] = []

    def failures_of(self, report: Record) -> list[VrFailure]:
        """The rules a report breaks that refuse it (none: it may be written); every
        failure, refusing or not, is kept."""
        self.checked += 1
        values = report.__dict__
        findings: list[Finding] = []
        for check, key, seen in self._tiers:
            if seen is None:
                findings += check(report, None)
                continue
            remembered = seen.get(wanted := key(values))
            if remembered is None:
                if len(seen) >= _MEMO_LIMIT:
                    seen.clear()
                remembered = seen[wanted] = check(report, None)
            findings += remembered
        if not findings:
            return []
        findings.sort(key=lambda item: self._order[item.rule_id])
        found = [self.spec.failure(report, finding) for finding in findings]
        self.failures += found
        return [item for item in found if item.refuses]

    def result(self, withheld: Iterable[str] = ()) -> ContentCheck:
        """What the check found, as the render's result holds it."""
        return ContentCheck(
            report=self.spec.report,
            policy_id=self.policy.id,
            policy_version=self.policy.version,
            policy_sha256=self.policy.sha256,
            rules=self._rules,
            checked=self.checked,
            failures=tuple(self.failures),
            withheld=tuple(withheld),
        )


_Run = tuple[
    Callable[[Record, Any], list[Finding]],
    Callable[[Mapping[str, Any]], Any],
    dict[Any, list[Finding]] | None,
]


def _run(tier: _Tier, kind: str, created_at: datetime) -> _Run:
    """A tier as the check runs it: its record checker, the key of its memo (the values of
    the fields it reads, as one tuple; itemgetter of one name gives the value itself, which
    keys the same way) and the memo (None for the report's own rules)."""
    check = tier.checker.checked.record_checker(kind, created_at)
    if tier.fields is None:
        return check, lambda values: None, None
    key = operator.itemgetter(*tier.fields) if tier.fields else (lambda values: ())
    return check, key, {}


class _Builder(Protocol[R]):
    """What :func:`checked_writes` needs of a regime's report builder."""

    refused: list[BadField]
    reported: int

    def build(self, trade: Trade) -> R | None: ...


def checked_writes(
    builder: _Builder[R],
    trades: Iterable[Trade],
    write: Callable[[R], str],
    check: Gate | None,
) -> Iterator[tuple[str, bytes]]:
    """The written text of each trade's report that passes the check, by trade id. Once a
    trade cannot be reported or (unless the check writes the passing reports) a report
    breaks a rule, nothing more is written: the rest are only built and checked, so that
    :func:`refusal_of` names every problem of the batch."""
    build = builder.build
    bad = builder.refused
    for trade in trades:
        report = build(trade)
        if report is None:
            continue
        if check is not None and check.withholds(report):
            builder.reported -= 1
            continue
        if bad or (check is not None and check.refusing):
            continue  # the batch is refused: nothing more to write, only to find
        try:
            data = write(report)
        except RefusedError as problem:  # never for a report the builder made
            bad.append(BadField(trade.trade_id, problem.field, problem.reason))
            builder.reported -= 1
            continue
        yield trade.trade_id, data.encode()


def refusal_of(refused: list[BadField], check: Gate | None) -> RenderError | None:
    """The one error of a refused batch (the fields that cannot be reported, then the rules
    the reports break), or None when the batch may be written."""
    if check is not None and check.refusing:
        return check.refusal(refused)
    return refusal(refused) if refused else None


#: Failures a refused batch's message lists (the error keeps every one).
_LISTED = 50


class Gate:
    """The check as a renderer runs it: which reports to withhold, and the one error of a
    refused batch.

    Args:
        spec: the regime's :class:`CheckSpec`.
        created_at: the time of the batch.
        write_passing: write the reports that pass instead of refusing the batch.
    """

    def __init__(self, spec: CheckSpec, created_at: datetime, write_passing: bool) -> None:
        self.run = PreSubmission(spec, created_at)
        self.write_passing = write_passing
        self.withheld: list[str] = []
        self.refusing = False

    def withholds(self, report: Record) -> bool:
        """Whether the report breaks a rule (and is not written)."""
        failures = self.run.failures_of(report)
        if not failures:
            return False
        self.withheld.append(failures[0].trade_id)
        self.refusing = not self.write_passing
        return True

    def result(self) -> ContentCheck:
        """What the check found."""
        return self.run.result(self.withheld)

    def refusal(self, refused: list[BadField]) -> RenderError:
        """The one error of a refused batch: the fields that cannot be reported, then the
        validation rules the reports break."""
        if not self.refusing:
            return refusal(refused)
        failures = [item for item in self.run.failures if item.refuses]
        trades = len({item.trade_id for item in failures})
        lines = "\n".join(f"  {item}" for item in failures[:_LISTED])
        if len(failures) > _LISTED:  # a whole day broken one way: the first tell it
            lines += f"\n  ... and {len(failures) - _LISTED:,} more (each in the error's failures)"
        policy = self.run.policy
        text = (
            f"{trades} report(s) break {self.run.spec.regulator} validation rules "
            f"({len(failures)} failure(s), pack {policy.id} {policy.version}); no file was "
            f"written. Trade ({self.run.spec.reference_name}, action): rule id field (record "
            f"field): reason:\n{lines}"
        )
        if refused:
            text = f"{refusal(refused)}\n{text}"
        return PreSubmissionError(text, failures)

    @staticmethod
    def asked(
        spec: CheckSpec, created: datetime, *, check: object, write_passing: object
    ) -> Gate | None:
        """The check a render asks for, once its arguments are known to be good.

        Raises:
            TypeError: ``check`` or ``write_passing`` is not a bool.
        """
        for name, value in (("check", check), ("write_passing", write_passing)):
            if not isinstance(value, bool):
                raise TypeError(f"{name} must be True or False, got {value!r}")
        return Gate(spec, created, bool(write_passing)) if check else None
