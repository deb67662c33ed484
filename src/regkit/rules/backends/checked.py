"""A policy's rules, checked and compiled to run: what every backend is given.

:class:`CheckedRules` holds, per record kind, the record rules (with their generated
functions and the dates they are in force), the Python rules and the aggregate rules of
one or more versions of a policy, and writes the findings of one record: one generated
Python function per kind checks every record rule and writes the findings of those that
fail (evidence and message included); should a rule raise, the rules run one by one and the
one that raised gives an ``error`` finding. The embedded :class:`~regkit.rules.engine.Checker`
runs on it; the Python backend runs it on every record of a batch; the polars backend on
the records it found failing, so every backend writes its findings with the same code.

Examples:
    >>> from regkit.rules.policy import parse_policy
    >>> policy = parse_policy('''
    ... policy: demo
    ... version: "1"
    ... rules:
    ...   - {id: POSITIVE, severity: low, applies_to: trade, assert: trade.quantity > 0}
    ... ''')
    >>> rules = CheckedRules((policy,))
    >>> [rule.rule.rule.id for rule in rules.rules("trade")], rules.rules("account")
    (['POSITIVE'], ())
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from regkit.rules.custom import Fail, PythonRule
from regkit.rules.findings import Finding, Severity, quick, template
from regkit.rules.lang import Expr, FindingCode, findings_function
from regkit.rules.policy import RELATED, CompiledRule, Policy, render_message
from regkit.rules.windows import AggregateRule
from regkit.schemas.account import Account
from regkit.schemas.base import Record
from regkit.schemas.kinds import KINDS

__all__ = [
    "CheckedRules",
    "PythonInForce",
    "RecordBatch",
    "RecordRule",
    "in_force",
    "one_by_one",
]


@dataclass(frozen=True)
class RecordRule:
    """A record rule ready to run: its functions, its dates, and how to explain a failure.

    Attributes:
        rule: the compiled rule.
        when: its ``when`` as a Python function (``None``: none).
        holds: its ``assert`` as a Python function.
        starts, ends: the days it is in force, ``[starts, ends)`` (policy's and rule's).
        policy: the policy (version) it belongs to.
    """

    rule: CompiledRule
    when: Callable[..., Any] | None
    holds: Callable[..., Any]
    starts: date | None
    ends: date | None
    policy: Policy


@dataclass(frozen=True)
class PythonInForce:
    """A Python rule of a policy version, with the days it is in force."""

    rule: PythonRule
    starts: date | None
    ends: date | None
    policy: Policy

    def in_force(self, day: date) -> bool:
        """Whether the rule applies to a record of this day."""
        return (self.starts is None or day >= self.starts) and (
            self.ends is None or day < self.ends
        )


@dataclass(frozen=True)
class RecordBatch:
    """The rules of a record kind, checked by one generated function per record that also
    writes the findings of the rules that fail (evidence and message included)."""

    rules: tuple[RecordRule, ...]
    names: tuple[str, ...]
    """The record's name and its related records' (``("trade", "account")``)."""
    findings: Callable[..., list[Finding]]
    """``findings(record, *related, as_of, at)``, the records in the order of ``names``: the
    findings of the rules in force, in policy order; it raises when a rule (or its evidence
    or message) does: the rules then run one by one."""
    reads_as_of: bool
    """Some expression reads ``as_of``."""
    dated: bool
    """Some rule is in force between dates only (it reads ``at``, or ``as_of`` without)."""
    event_time: str
    """The field that dates a record of the kind."""


def in_force(rule: RecordRule, day: date) -> bool:
    """Whether a record rule applies to a record of this day."""
    return (rule.starts is None or day >= rule.starts) and (rule.ends is None or day < rule.ends)


class CheckedRules:
    """The rules of versions of one policy, compiled per record kind (see the module).

    Args:
        policies: the versions, in the order they came into force, each ending where the
            next begins (see :func:`regkit.rules.engine.versions`).
    """

    def __init__(self, policies: Sequence[Policy]) -> None:
        self.policies = tuple(policies)
        kinds = tuple(KINDS)
        compiled = [(rule, version) for version in self.policies for rule in version.compiled]
        self._rules = {
            kind: tuple(
                _prepare(r, v)
                for r, v in compiled
                if r.rule.applies_to == kind and not r.rule.is_aggregate
            )
            for kind in kinds
        }
        self._aggregates = {
            kind: tuple(
                _aggregate_rule(r, v)
                for r, v in compiled
                if r.rule.applies_to == kind and r.rule.is_aggregate
            )
            for kind in kinds
        }
        self._python = {kind: _python_rules(self.policies, kind) for kind in kinds}
        self._batches = {kind: _batch(kind, rules) for kind, rules in self._rules.items()}
        self._subsets: dict[tuple[str, tuple[int, ...]], RecordBatch] = {}

    def rules(self, kind: str) -> tuple[RecordRule, ...]:
        """The compiled record rules of a record kind (aggregate rules apart)."""
        return self._rules[kind]

    def python_rules(self, kind: str) -> tuple[PythonInForce, ...]:
        """The Python rules of a record kind, with their dates."""
        return self._python[kind]

    def aggregate_rules(self, kind: str) -> tuple[AggregateRule, ...]:
        """The compiled aggregate rules of a record kind (``applies_to``)."""
        return self._aggregates[kind]

    def batch(self, kind: str) -> RecordBatch:
        """The generated findings function of a kind's record rules."""
        return self._batches[kind]

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """Every rule id of every version, once, in policy order (Python rules last)."""
        ids = [rule.id for version in self.policies for rule in version.rules]
        ids += [rule.id for version in self.policies for rule in version.python_rules]
        return tuple(dict.fromkeys(ids))

    def subset(self, kind: str, rules: tuple[int, ...]) -> RecordBatch:
        """The generated findings function of some of a kind's record rules (by their
        place in :meth:`rules`), made once per set of rules: the polars backend writes the
        findings of a record with only the rules it failed."""
        key = (kind, rules)
        found = self._subsets.get(key)
        if found is None:
            every = self._rules[kind]
            found = self._subsets[key] = _batch(kind, [every[place] for place in rules])
        return found

    def record_checker(
        self, kind: str, as_of: datetime | None, rules: tuple[int, ...] | None = None
    ) -> Callable[[Record, Account | None], list[Finding]]:
        """``check(record, account)``: the findings of one record of the kind (record
        rules, then Python rules), with what it reads of the kind looked up once (a batch's
        loop calls it per record). ``rules``: only these record rules (by their place in
        :meth:`rules`); should one raise, every rule is checked one by one, as without."""
        batch = self._batches[kind] if rules is None else self.subset(kind, rules)
        event, findings_of, names = batch.event_time, batch.findings, batch.names
        single = names[1:] == ("account",)
        python = bool(self._python[kind])
        recheck = self.recheck
        if as_of is None and (batch.reads_as_of or batch.dated):
            return self._checker_now(kind)

        def check(record: Record, account: Account | None) -> list[Finding]:
            at = getattr(record, event, None)
            related = (account,) if single else _related(names, account)
            try:
                findings = findings_of(record, *related, as_of, at)
            except Exception:
                findings = recheck(kind, record, at, as_of, related)
            if python:
                named = dict(zip(names, (record, *related), strict=True))
                findings += self.python_findings(kind, record, at, named, as_of)
            return findings

        return check

    def _checker_now(self, kind: str) -> Callable[[Record, Account | None], list[Finding]]:
        """``record_checker`` without an ``as_of``: now, read at each record that needs it."""
        batch = self._batches[kind]
        python = bool(self._python[kind])

        def check(record: Record, account: Account | None) -> list[Finding]:
            at = getattr(record, batch.event_time, None)
            related = _related(batch.names, account)
            findings = self.record_findings(kind, record, at, None, related)
            if python:
                named = dict(zip(batch.names, (record, *related), strict=True))
                findings += self.python_findings(kind, record, at, named, None)
            return findings

        return check

    def record_findings(
        self,
        kind: str,
        record: Record,
        at: datetime | None,
        as_of: datetime | None,
        related: tuple[Any, ...],
    ) -> list[Finding]:
        """The findings of the kind's record rules on a record and its related records (in
        the order of ``RELATED[kind]``): the generated function, or rule by rule should a
        rule raise. ``as_of`` ``None`` is now, read only when something reads it."""
        batch = self._batches[kind]
        if as_of is None and (batch.reads_as_of or (at is None and batch.dated)):
            as_of = datetime.now(UTC)  # only when something reads it
        try:
            return batch.findings(record, *related, as_of, at)
        except Exception:
            return self.recheck(kind, record, at, as_of, related)

    def recheck(
        self,
        kind: str,
        record: Record,
        at: datetime | None,
        as_of: datetime | None,
        related: tuple[Any, ...],
    ) -> list[Finding]:
        """Some rule raised: find which, rule by rule, and report it as such."""
        batch = self._batches[kind]
        names: dict[str, Any] = dict(zip(batch.names, (record, *related), strict=True))
        names["as_of"] = as_of
        day = (at or as_of).date() if batch.dated else None  # type: ignore[union-attr]
        rules = [rule for rule in batch.rules if day is None or in_force(rule, day)]
        return one_by_one(rules, kind, record, at, names)

    def python_findings(
        self,
        kind: str,
        record: Record,
        at: datetime | None,
        names: Mapping[str, Any],
        as_of: datetime | None,
    ) -> list[Finding]:
        """The findings of the kind's Python rules in force at ``at``."""
        now = as_of or datetime.now(UTC)
        day = (at or now).date()
        findings: list[Finding] = []
        for item in self._python[kind]:
            if not item.in_force(day):
                continue
            try:
                outcome = item.rule(**names, params=item.policy.parameters, as_of=now)
            except Exception as exc:
                findings.append(_python_finding(item, kind, record, at, None, exc))
                continue
            if outcome is not True:
                findings.append(_python_finding(item, kind, record, at, outcome, None))
        return findings


def _related(names: Sequence[str], account: Account | None) -> tuple[Account | None, ...]:
    """The related records of a record, in the order of ``names[1:]`` (only an account is
    found, by ``account_id``; another related kind is ``None``)."""
    return tuple(account if name == "account" else None for name in names[1:])


def one_by_one(
    rules: Sequence[RecordRule],
    kind: str,
    record: Record,
    at: datetime | None,
    names: Mapping[str, Any],
) -> list[Finding]:
    """The findings of record rules run one at a time (each rule's own functions): a rule
    that raises gives an ``error`` finding, never a pass."""
    findings: list[Finding] = []
    for rule in rules:
        try:
            if rule.when is not None and not rule.when(**names):
                continue
            if rule.holds(**names):
                continue
        except Exception as exc:
            findings.append(_crashed(rule.policy, rule.rule, kind, record, at, exc))
            continue
        try:
            findings.append(_finding(rule.policy, rule.rule, kind, record, at, names))
        except Exception as exc:
            findings.append(_crashed(rule.policy, rule.rule, kind, record, at, exc))
    return findings


def _python_rules(policies: Sequence[Policy], kind: str) -> tuple[PythonInForce, ...]:
    return tuple(
        PythonInForce(
            rule,
            _latest(version.effective_from, rule.effective_from),
            _earliest(version.effective_to, rule.effective_to),
            version,
        )
        for version in policies
        for rule in version.python_rules
        if rule.applies_to == kind
    )


def _batch(kind: str, rules: Sequence[RecordRule]) -> RecordBatch:
    codes = [_code(kind, rule) for rule in rules]
    record_kind = KINDS[kind]
    model = record_kind.model
    # A record of a class that keeps Record's key: the generated code joins the key fields.
    key_fields = record_kind.key if model.key is Record.key else ()
    event = record_kind.event_time
    findings, reads_as_of = findings_function(codes, quick, key_fields, event)
    dated = any(rule.starts is not None or rule.ends is not None for rule in rules)
    names = (kind, *RELATED[kind])
    for rule in rules:  # the generated function takes the records in this order
        scope = rule.rule.assertion.scope
        assert (scope.record, *scope.related) == names, (scope.record, *scope.related)
    return RecordBatch(tuple(rules), names, findings, reads_as_of, dated, event)


def _code(kind: str, compiled: RecordRule) -> FindingCode:
    """A rule as the generated findings function runs it (the same finding as ``_finding``)."""
    rule = compiled.rule
    tag = template(
        rule_id=rule.rule.id,
        rule_version=compiled.policy.version,
        severity=rule.rule.severity,
        record_kind=kind,
        record_id="",
        message="",
        reference=rule.rule.reference,
    )
    return FindingCode(
        when=rule.when,
        assertion=rule.assertion,
        evidence=rule.evidence,
        message=[(part.text, part.value, part.format_spec) for part in rule.message],
        default=rule.rule.title or rule.rule.id,
        tag=tag,
        starts=compiled.starts,
        ends=compiled.ends,
    )


def _prepare(rule: CompiledRule, policy: Policy) -> RecordRule:
    return RecordRule(
        rule=rule,
        when=None if rule.when is None else rule.when.python(),
        holds=rule.assertion.python(),
        starts=_latest(policy.effective_from, rule.rule.effective_from),
        ends=_earliest(policy.effective_to, rule.rule.effective_to),
        policy=policy,
    )


def _aggregate_rule(rule: CompiledRule, policy: Policy) -> AggregateRule:
    starts = _latest(policy.effective_from, rule.rule.effective_from)
    ends = _earliest(policy.effective_to, rule.rule.effective_to)
    return AggregateRule(rule, policy, starts, ends)


def _latest(*dates: date | None) -> date | None:
    given = [d for d in dates if d is not None]
    return max(given) if given else None


def _earliest(*dates: date | None) -> date | None:
    given = [d for d in dates if d is not None]
    return min(given) if given else None


def _python_finding(
    item: PythonInForce,
    kind: str,
    record: Record,
    at: datetime | None,
    outcome: Any,
    exc: Exception | None,
) -> Finding:
    """The finding of a Python rule that returned ``False``, a ``Fail``, something else (an
    error: it did not decide) or raised."""
    rule = item.rule
    severity: Severity = rule.severity
    evidence: Mapping[str, Any] = {}
    if exc is not None:
        severity = Severity.ERROR
        message = f"the rule could not be decided: {type(exc).__name__}: {exc}"
    elif outcome is False:
        message = rule.title or rule.id
    elif isinstance(outcome, Fail):
        message, evidence = outcome.message or rule.title or rule.id, dict(outcome.evidence)
    else:
        severity = Severity.ERROR
        message = (
            f"the rule could not be decided: it returned {outcome!r}; a Python rule returns "
            "True, False or Fail(...)"
        )
    return Finding(
        rule_id=rule.id,
        rule_version=item.policy.version,
        severity=severity,
        record_kind=kind,
        record_id=record.key,
        message=message,
        evidence=evidence,
        reference=rule.reference,
        at=at,
    )


def _finding(
    policy: Policy,
    rule: CompiledRule,
    kind: str,
    record: Record,
    at: datetime | None,
    names: Mapping[str, Any],
) -> Finding:
    evidence = {expr.text: _value(expr, names) for expr in rule.evidence}
    return Finding(
        rule_id=rule.rule.id,
        rule_version=policy.version,
        severity=rule.rule.severity,
        record_kind=kind,
        record_id=record.key,
        message=render_message(rule.message, names) or rule.rule.title or rule.rule.id,
        evidence=evidence,
        reference=rule.rule.reference,
        at=at,
    )


def _crashed(
    policy: Policy,
    rule: CompiledRule,
    kind: str,
    record: Record,
    at: datetime | None,
    exc: Exception,
) -> Finding:
    return Finding(
        rule_id=rule.rule.id,
        rule_version=policy.version,
        severity=Severity.ERROR,
        record_kind=kind,
        record_id=record.key,
        message=f"the rule could not be decided: {type(exc).__name__}: {exc}",
        reference=rule.rule.reference,
        at=at,
    )


def _value(expr: Expr, names: Mapping[str, Any]) -> Any:
    return expr.python()(**names)
