"""Running a policy: the per-record Checker (the embedded path) and ``check`` over batches.

A brokerage service compiles a policy once and calls the checker per request, in process,
with no I/O::

    checker = rk.load_policy("policy.yaml").compile()
    findings = checker.check_trade(trade, account=account)

Each rule's ``when`` and ``assert`` are generated Python functions (see
:mod:`regkit.rules.expr`); evidence and the message are worked out only for the rules that
fail. A rule that raises on a record gives a finding of severity ``error`` naming the
exception: a rule that cannot decide never passes silently.

A rule applies to a record whose event time (a trade's ``executed_at``, a movement's ``at``,
a snapshot's ``at``; an account's ``opened_at``, or ``as_of``) falls in
``[effective_from, effective_to)`` of the policy and of the rule.

``check(..., engine="polars")`` decides which records fail each rule column-wise with
polars (the same expressions, lowered); the findings of the records that fail are then
written by the code the Python backend uses, so the two backends give the same findings.
Aggregate (windowed) rules run in :mod:`regkit.rules.windows` (Python, and the streaming
:class:`~regkit.rules.windows.WindowState`) and :mod:`regkit.rules.rolling` (polars).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

import polars as pl

from regkit.errors import PolicyError
from regkit.rules.custom import Fail, PythonRule
from regkit.rules.expr import RECORD_KINDS as MODELS
from regkit.rules.expr import Expr, _FindingCode, _findings_function
from regkit.rules.findings import CheckResult, Finding, Severity, _quick, _template
from regkit.rules.inputs import INDEX, KindInput, RecordInput, kind_model, refuse_misfit
from regkit.rules.policy import (
    RECORD_KINDS,
    RELATED,
    CompiledRule,
    Policy,
    canonical_sha256,
    render_message,
)
from regkit.rules.rolling import polars_findings as polars_windows
from regkit.rules.windows import AggregateRule, WindowState, at_record
from regkit.rules.windows import python_findings as python_windows
from regkit.schemas.account import Account, AccountSnapshot
from regkit.schemas.base import Record
from regkit.schemas.cash import CashMovement
from regkit.schemas.kinds import KINDS
from regkit.schemas.trade import Trade
from regkit.schemas.types import TimeArgument, utc_time

__all__ = ["Checker", "check"]

Engine = Literal["python", "polars", "auto"]

#: Told how far a check has come: (what, done, out of), e.g. ``("trades", 20_000, 200_000)``.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class _Compiled:
    """A rule ready to run: its functions, its dates, and how to explain a failure."""

    rule: CompiledRule
    when: Callable[..., Any] | None
    holds: Callable[..., Any]
    starts: date | None
    ends: date | None
    policy: Policy
    """The policy (version) the rule belongs to."""


@dataclass(frozen=True)
class _Python:
    """A Python rule of a policy version, with its dates."""

    rule: PythonRule
    starts: date | None
    ends: date | None
    policy: Policy

    def in_force(self, day: date) -> bool:
        return (self.starts is None or day >= self.starts) and (
            self.ends is None or day < self.ends
        )


class Checker:
    """A compiled policy: check one record at a time, with no I/O.

    Args:
        policy: the loaded policy, or several versions of one policy: each record is then
            checked against the version in force at its event time (see :func:`versions`).
        as_of: the time ``as_of`` means in expressions (default: now, UTC, at each call): a
            date (the start of that day, UTC), an aware datetime, or ISO 8601 text with an
            offset or ``Z`` or a plain date; see :func:`~regkit.schemas.types.utc_time`.

    Raises:
        TypeError: ``as_of`` is not a date, a datetime or text (a number, a bool).
        ValueError: ``as_of`` is a naive datetime, or text that is not such ISO 8601.
    """

    def __init__(
        self, policy: Policy | Sequence[Policy], *, as_of: TimeArgument | None = None
    ) -> None:
        # Every way in (rk.check, Policy.compile, Checker) comes through here, so both
        # backends, the windows and CheckResult.as_of read one aware UTC datetime.
        self.as_of: datetime | None = None if as_of is None else utc_time(as_of, "as_of")
        """The time rules read as ``as_of``, in UTC (``None``: now, at each call)."""
        self.policies = versions(policy)
        self.policy = self.policies[-1]
        """The newest version (the only one, for a single policy)."""
        self._rules: dict[str, tuple[_Compiled, ...]] = {
            kind: tuple(
                _prepare(rule, version)
                for version in self.policies
                for rule in version.compiled
                if rule.rule.applies_to == kind and not rule.rule.is_aggregate
            )
            for kind in RECORD_KINDS
        }
        self._aggregates: dict[str, tuple[AggregateRule, ...]] = {
            kind: tuple(
                _aggregate_rule(rule, version)
                for version in self.policies
                for rule in version.compiled
                if rule.rule.applies_to == kind and rule.rule.is_aggregate
            )
            for kind in RECORD_KINDS
        }
        self._python: dict[str, tuple[_Python, ...]] = {
            kind: tuple(
                _Python(
                    rule,
                    _latest(version.effective_from, rule.effective_from),
                    _earliest(version.effective_to, rule.effective_to),
                    version,
                )
                for version in self.policies
                for rule in version.python_rules
                if rule.applies_to == kind
            )
            for kind in RECORD_KINDS
        }
        self._batches = {k: _batches(k, rules) for k, rules in self._rules.items()}
        # What ``check_trade``, the embedded hot path, reads first (no lookups by kind).
        self._trade_findings = self._batches["trade"].findings
        self._trade_python = bool(self._python["trade"])

    def rules(self, kind: str) -> tuple[_Compiled, ...]:
        """The compiled record rules of a record kind (aggregate rules apart)."""
        return self._rules[kind]

    def python_rules(self, kind: str) -> tuple[PythonRule, ...]:
        """The Python rules of a record kind."""
        return tuple(item.rule for item in self._python[kind])

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """Every rule id of every version, once, in policy order (Python rules last)."""
        ids = [rule.id for version in self.policies for rule in version.rules]
        ids += [rule.id for version in self.policies for rule in version.python_rules]
        return tuple(dict.fromkeys(ids))

    def aggregate_rules(self, kind: str) -> tuple[AggregateRule, ...]:
        """The compiled aggregate rules of a record kind."""
        return self._aggregates[kind]

    def window_state(self) -> WindowState:
        """A fresh :class:`~regkit.rules.windows.WindowState` to feed records one at a time
        through the policy's aggregate rules."""
        return WindowState(self)

    def check(self, kind: str, record: Record, account: Account | None = None) -> list[Finding]:
        """The findings of one record of any kind (``trade``, ``account``, ...).

        Raises:
            ValueError: an unknown ``kind``, or an ``account`` that is not the record's.
            TypeError: a ``record`` that is not of the kind, or an ``account`` that is not
                an Account.
        """
        refuse_misfit("check", "record", kind_model("check", kind), record, account)
        return self._check_any(kind, record, account)

    def _check_any(self, kind: str, record: Record, account: Account | None) -> list[Finding]:
        """``check`` without its own guard, for a batch: its records are of their kind and
        each account is found by the record's ``account_id``."""
        if kind == "trade":
            return self.check_trade(record, account)  # type: ignore[arg-type]
        if kind == "account":
            return self.check_account(record)  # type: ignore[arg-type]
        if kind == "movement":
            return self.check_movement(record, account)  # type: ignore[arg-type]
        return self.check_snapshot(record, account)  # type: ignore[arg-type]

    def check_trade(self, trade: Trade, account: Account | None = None) -> list[Finding]:
        """The findings of the policy's trade rules on one trade (and its account).

        Raises:
            TypeError: ``trade`` is not a Trade, or ``account`` not an Account.
            ValueError: ``account`` is not the trade's (another ``account_id``).
        """
        # The embedded hot path: ``_check`` written out, with no names built to pass; the
        # guard's cheap half inline, ``refuse_misfit`` (which says what is wrong) only when
        # it trips (a Trade subclass trips it and passes).
        try:
            misfit = type(trade) is not Trade or (
                account is not None and account.account_id != trade.account_id
            )
        except AttributeError:  # a dict, or another object, as the trade or the account
            misfit = True
        if misfit:
            refuse_misfit("check_trade", "trade", Trade, trade, account)
        at = trade.executed_at
        as_of = self.as_of
        if as_of is None:
            batch = self._batches["trade"]
            if batch.reads_as_of or (at is None and batch.dated):
                as_of = datetime.now(UTC)  # only when something reads it
        try:
            findings = self._trade_findings(trade, account, as_of, at)
        except Exception:
            findings = self._recheck("trade", trade, at, as_of, (account,))
        if self._trade_python:
            names = {"trade": trade, "account": account}
            findings += self._run_python("trade", trade, at, names)
        return findings

    def check_account(self, account: Account) -> list[Finding]:
        """The findings of the policy's account rules on one account.

        Raises:
            TypeError: ``account`` is not an Account.
        """
        refuse_misfit("check_account", "account", Account, account, None)
        findings = self._check("account", account, account.opened_at, ())
        if self._python["account"]:
            findings += self._run_python(
                "account", account, account.opened_at, {"account": account}
            )
        return findings

    def check_movement(
        self,
        movement: CashMovement,
        account: Account | None = None,
        history: Iterable[CashMovement] | None = None,
    ) -> list[Finding]:
        """The findings of the policy's movement rules on one cash movement.

        With ``history`` (the earlier movements that may share its windows, such as the
        account's last days), the aggregate rules run too: a finding for each rule whose
        window at this movement fails, for the episode it belongs to. A service that keeps
        no history of its own uses this; one that does feeds a :meth:`window_state`.

        Raises:
            TypeError: ``movement`` is not a CashMovement, or ``account`` not an Account.
            ValueError: ``account`` is not the movement's (another ``account_id``).
        """
        refuse_misfit("check_movement", "movement", CashMovement, movement, account)
        findings = self._check("movement", movement, movement.at, (account,))
        if self._python["movement"]:
            names = {"movement": movement, "account": account}
            findings += self._run_python("movement", movement, movement.at, names)
        if history is not None and self._aggregates["movement"]:
            findings += at_record(self, "movement", movement, account, history)
        return findings

    def check_snapshot(
        self, snapshot: AccountSnapshot, account: Account | None = None
    ) -> list[Finding]:
        """The findings of the policy's snapshot rules on one account snapshot.

        Raises:
            TypeError: ``snapshot`` is not an AccountSnapshot, or ``account`` not an Account.
            ValueError: ``account`` is not the snapshot's (another ``account_id``).
        """
        refuse_misfit("check_snapshot", "snapshot", AccountSnapshot, snapshot, account)
        findings = self._check("snapshot", snapshot, snapshot.at, (account,))
        if self._python["snapshot"]:
            names = {"snapshot": snapshot, "account": account}
            findings += self._run_python("snapshot", snapshot, snapshot.at, names)
        return findings

    def _run_python(
        self, kind: str, record: Record, at: datetime | None, names: Mapping[str, Any]
    ) -> list[Finding]:
        """The findings of the kind's Python rules in force at ``at``."""
        as_of = self.as_of or datetime.now(UTC)
        day = (at or as_of).date()
        findings: list[Finding] = []
        for item in self._python[kind]:
            if not item.in_force(day):
                continue
            params = item.policy.parameters
            try:
                outcome = item.rule(**names, params=params, as_of=as_of)
            except Exception as exc:
                findings.append(_python_finding(item, kind, record, at, None, exc))
                continue
            if outcome is True:
                continue
            findings.append(_python_finding(item, kind, record, at, outcome, None))
        return findings

    def _check(
        self, kind: str, record: Record, at: datetime | None, related: tuple[Any, ...]
    ) -> list[Finding]:
        """The findings of the kind's record rules on a record and its related records (in
        the order of ``RELATED[kind]``): the generated function, or rule by rule should a
        rule raise."""
        batch = self._batches[kind]
        as_of = self.as_of
        if as_of is None and (batch.reads_as_of or (at is None and batch.dated)):
            as_of = datetime.now(UTC)  # only when something reads it
        try:
            return batch.findings(record, *related, as_of, at)
        except Exception:
            return self._recheck(kind, record, at, as_of, related)

    def _recheck(
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
        rules = [rule for rule in batch.rules if day is None or _in_force(rule, day)]
        return self._one_by_one(rules, kind, record, at, names)

    def _one_by_one(
        self,
        rules: Sequence[_Compiled],
        kind: str,
        record: Record,
        at: datetime | None,
        names: Mapping[str, Any],
    ) -> list[Finding]:
        findings: list[Finding] = []
        for rule in rules:
            try:
                if rule.when is not None and not rule.when(**names):
                    continue
                if rule.holds(**names):
                    continue
            except Exception as exc:
                # A rule that cannot decide is a finding of its own, never a pass.
                findings.append(_crashed(rule.policy, rule.rule, kind, record, at, exc))
                continue
            findings.append(self._explain(rule, kind, record, at, names))
        return findings

    def _explain(
        self,
        rule: _Compiled,
        kind: str,
        record: Record,
        at: datetime | None,
        names: Mapping[str, Any],
    ) -> Finding:
        try:
            return _finding(rule.policy, rule.rule, kind, record, at, names)
        except Exception as exc:
            return _crashed(rule.policy, rule.rule, kind, record, at, exc)


@dataclass(frozen=True)
class _Batch:
    """The rules of a record kind, checked by one generated function per record that also
    writes the findings of the rules that fail (evidence and message included)."""

    rules: tuple[_Compiled, ...]
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


def _batches(kind: str, rules: Sequence[_Compiled]) -> _Batch:
    codes = [_code(kind, rule) for rule in rules]
    model = MODELS[kind]
    # A record of a class that keeps Record's key: the generated code joins the key fields.
    key_fields = model.key_fields if model.key is Record.key else ()
    findings, reads_as_of = _findings_function(codes, _quick, key_fields, _EVENT_TIME[kind])
    dated = any(rule.starts is not None or rule.ends is not None for rule in rules)
    names = (kind, *RELATED[kind])
    for rule in rules:  # the generated function takes the records in this order
        scope = _assertion(rule.rule).scope
        assert (scope.record, *scope.related) == names, (scope.record, *scope.related)
    return _Batch(tuple(rules), names, findings, reads_as_of, dated)


def _in_force(rule: _Compiled, day: date) -> bool:
    return (rule.starts is None or day >= rule.starts) and (rule.ends is None or day < rule.ends)


def _code(kind: str, compiled: _Compiled) -> _FindingCode:
    """A rule as the generated findings function runs it (the same finding as ``_finding``)."""
    rule = compiled.rule
    template = _template(
        rule_id=rule.rule.id,
        rule_version=compiled.policy.version,
        severity=rule.rule.severity,
        record_kind=kind,
        record_id="",
        message="",
        reference=rule.rule.reference,
    )
    return _FindingCode(
        when=rule.when,
        assertion=_assertion(rule),
        evidence=rule.evidence,
        message=[(part.text, part.value, part.format_spec) for part in rule.message],
        default=rule.rule.title or rule.rule.id,
        tag=template,
        starts=compiled.starts,
        ends=compiled.ends,
    )


def _assertion(rule: CompiledRule) -> Expr:
    assert rule.assertion is not None  # record rules always have one
    return rule.assertion


def _prepare(rule: CompiledRule, policy: Policy) -> _Compiled:
    assert rule.assertion is not None  # record rules always have one
    starts = _latest(policy.effective_from, rule.rule.effective_from)
    ends = _earliest(policy.effective_to, rule.rule.effective_to)
    return _Compiled(
        rule=rule,
        when=None if rule.when is None else rule.when.python(),
        holds=rule.assertion.python(),
        starts=starts,
        ends=ends,
        policy=policy,
    )


def _python_finding(
    item: _Python,
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


def versions(policies: Policy | Sequence[Policy]) -> tuple[Policy, ...]:
    """Versions of one policy in the order they came into force, each ending where the next
    begins: a record is checked against the version in force at its event time.

    A version without ``effective_from`` is in force from the beginning (only the first may
    lack it); one without ``effective_to`` until the next version's ``effective_from``.

    Raises:
        PolicyError: versions of different policies, a version given twice, two versions
            without ``effective_from``, or versions whose dates overlap.
    """
    if isinstance(policies, Policy):
        return (policies,)
    given = list(policies)
    if not given:
        raise PolicyError("no policy given")
    ids = sorted({policy.id for policy in given})
    if len(ids) > 1:
        raise PolicyError(f"versions of one policy are needed, got {', '.join(ids)}")
    names = [policy.version for policy in given]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise PolicyError(f"{ids[0]}: version {', '.join(twice)} given twice")
    undated = [policy.version for policy in given if policy.effective_from is None]
    if len(undated) > 1:
        raise PolicyError(
            f"{ids[0]}: versions {', '.join(undated)} have no effective_from; only the first "
            "version may start with no date"
        )
    ordered = sorted(given, key=lambda policy: policy.effective_from or date.min)
    result: list[Policy] = []
    for policy, following in zip(ordered, [*ordered[1:], None], strict=True):
        if following is None:
            result.append(policy)
            continue
        start = following.effective_from
        assert start is not None  # only the first may lack one
        if policy.effective_to is not None and policy.effective_to > start:
            raise PolicyError(
                f"{ids[0]}: version {policy.version} runs to {policy.effective_to}, after "
                f"version {following.version} starts on {start}; the dates overlap"
            )
        result.append(dataclasses.replace(policy, effective_to=policy.effective_to or start))
    return tuple(result)


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


def _related(record: Record, by_id: Mapping[str, Account]) -> Account | None:
    account_id = getattr(record, "account_id", None)
    return None if account_id is None else by_id.get(account_id)


def _python_findings(
    checker: Checker,
    kind: str,
    records: Sequence[Record],
    by_id: Mapping[str, Account],
    progress: Progress | None = None,
) -> list[Finding]:
    findings: list[Finding] = []
    total = len(records)
    for start in range(0, total, _PROGRESS_STEP):
        for record in records[start : start + _PROGRESS_STEP]:
            findings += checker._check_any(kind, record, _related(record, by_id))
        if progress is not None:
            progress(f"{kind}s", min(start + _PROGRESS_STEP, total), total)
    return findings


#: How many records the Python engine checks between two progress reports.
_PROGRESS_STEP = 10_000


def _polars_findings(
    checker: Checker,
    kind: str,
    frame: pl.DataFrame,
    pick: Callable[[Sequence[int]], list[Record]],
    related: Callable[[Record], Account | None],
) -> list[Finding]:
    """Which records fail which rule, decided column-wise by polars; the findings of those
    records are then written by the same code as the Python backend's, so both agree."""
    rules = checker.rules(kind)
    if not rules and not checker.python_rules(kind):
        return []
    failing: set[int] = set()
    if checker.python_rules(kind):  # Python rules run per record, on every row
        failing.update(range(frame.height))
    for rule in rules:
        try:
            failing.update(frame.filter(_fails(rule, kind, checker.as_of)).get_column(INDEX))
        except pl.exceptions.PolarsError:
            # Polars refused the column as a whole (a product past Decimal(38) overflows
            # for every row at once): every record then goes to the per-record code, which
            # decides each one exactly as the Python engine does, so both still agree.
            failing.update(range(frame.height))
    findings: list[Finding] = []
    for record in pick(sorted(failing)):
        findings += checker._check_any(kind, record, related(record))
    return findings


def _account_columns(checker: Checker, kind: str) -> set[str]:
    """The ``account.*`` columns the kind's rules read."""
    exprs: list[Expr | None] = []
    rules = [r.rule for r in checker.rules(kind)] + [r.rule for r in checker.aggregate_rules(kind)]
    for compiled in rules:
        exprs += [compiled.when, compiled.assertion, compiled.where, *compiled.group_by]
        exprs += list(compiled.aggregates.values())
    return {name for e in exprs if e is not None for name in e.names if name.startswith("account.")}


_EVENT_TIME = {name: kind.event_time for name, kind in KINDS.items()}


def _frame(checker: Checker, kind: str, records: KindInput, accounts: KindInput) -> pl.DataFrame:
    """A kind's records as columns in input order (``__index``), with their account's
    columns as ``account.*`` (null where there is no account, as on the Python backend)."""
    frame = records.frame().with_row_index(INDEX)
    if kind == "account":
        return frame
    if not len(accounts):
        missing = sorted(_account_columns(checker, kind) - set(frame.columns))
        return frame.with_columns(pl.lit(None).alias(name) for name in missing)
    related = accounts.frame()
    related = related.rename({name: f"account.{name}" for name in related.columns})
    return frame.join(
        related,
        left_on="account_id",
        right_on="account.account_id",
        how="left",
        coalesce=False,
        maintain_order="left",
    )


def _fails(rule: _Compiled, kind: str, as_of: datetime | None) -> pl.Expr:
    when = as_of or datetime.now(UTC)
    assertion = rule.rule.assertion
    assert assertion is not None
    fails = ~assertion.polars(as_of=when)
    if rule.rule.when is not None:
        fails = fails & rule.rule.when.polars(as_of=when)
    day = pl.coalesce(pl.col(_EVENT_TIME[kind]), pl.lit(when)).dt.date()
    if rule.starts is not None:
        fails = fails & (day >= rule.starts)
    if rule.ends is not None:
        fails = fails & (day < rule.ends)
    return fails


def check(
    policy: Policy | Sequence[Policy],
    *,
    trades: RecordInput = (),
    accounts: RecordInput = (),
    movements: RecordInput = (),
    snapshots: RecordInput = (),
    as_of: TimeArgument | None = None,
    engine: Engine = "auto",
    progress: Progress | None = None,
) -> CheckResult:
    """Check records against a policy and return every finding with its provenance.

    ``policy`` may be several versions of one policy: each record is then checked against
    the version in force at its event time (see :func:`versions`).

    Each input is records, or a DataFrame of them (read with ``pl.read_parquet``, or the
    validated frame of :func:`regkit.read_frame`). Trades, movements and snapshots see their
    account (joined by ``account_id``); accounts are checked themselves. ``as_of`` is the
    time rules read as ``as_of`` (default: now): a date (the start of that day, UTC), an
    aware datetime, or ISO 8601 text with an offset or ``Z`` or a plain date, the same
    instant on both engines (``CheckResult.as_of`` holds it, in UTC).

    ``engine="python"`` runs the generated per-record functions; ``"polars"`` decides
    column-wise which records (and which windows of aggregate rules) fail, and builds
    records only for those; ``"auto"`` uses polars when an input is a DataFrame. Both give
    the same findings. ``progress``, when given, is told when each kind's check starts
    (``progress("trades", 0, 200_000)``) and how far it has come
    (``progress("trades", 20_000, 200_000)``), for a progress bar.

    Raises:
        RecordError: a DataFrame holds rows that are not valid records (every one is named
            in the error's ``errors``; nothing is checked).
        TypeError: ``as_of`` is not a date, a datetime or text (a number, a bool).
        ValueError: ``as_of`` is a naive datetime, or text that is not such ISO 8601.
    """
    started = datetime.now(UTC)
    clock = time.perf_counter()
    checker = Checker(policy, as_of=started if as_of is None else as_of)
    inputs = {
        "trades": KindInput("trade", trades, "trades"),
        "accounts": KindInput("account", accounts, "accounts"),
        "movements": KindInput("movement", movements, "movements"),
        "snapshots": KindInput("snapshot", snapshots, "snapshots"),
    }
    columnar = engine == "polars" or (
        engine == "auto" and any(item.from_frame for item in inputs.values())
    )
    account_input = inputs["accounts"]
    by_id: dict[str, Account] = {}
    if len(account_input):
        by_id = {a.key: a for a in account_input.records() if isinstance(a, Account)}

    def related(record: Record) -> Account | None:
        return _related(record, by_id)

    by_kind = {item.kind: item for item in inputs.values()}
    frames: dict[str, pl.DataFrame] = {}

    def frame_of(kind: str) -> pl.DataFrame | None:
        if not len(by_kind[kind]):
            return None
        if kind not in frames:
            frames[kind] = _frame(checker, kind, by_kind[kind], account_input)
        return frames[kind]

    def pick_of(kind: str) -> Callable[[Sequence[int]], list[Record]]:
        return by_kind[kind].pick

    def records_of(kind: str) -> list[Record]:
        return by_kind[kind].records()

    findings: list[Finding] = []
    for item in inputs.values():
        kind, total = item.kind, len(item)
        if total and progress is not None:
            progress(item.name, 0, total)  # so that a progress bar names the kind now checked
        # A rule over several kinds runs when any of its kinds has records.
        windows = any(
            len(by_kind[each]) for rule in checker.aggregate_rules(kind) for each in rule.kinds
        )
        if columnar:
            if total and (checker.rules(kind) or checker.python_rules(kind)):
                frame = frame_of(kind)
                assert frame is not None
                findings += _polars_findings(checker, kind, frame, item.pick, related)
            if windows:
                findings += polars_windows(checker, kind, frame_of, pick_of, related)
            if total and progress is not None:
                progress(item.name, total, total)
        else:
            if total:
                findings += _python_findings(checker, kind, item.records(), by_id, progress)
            if windows:
                findings += python_windows(checker, kind, records_of, related)
    elapsed = time.perf_counter() - clock
    ran = checker.policies
    return CheckResult(
        findings=findings,
        policy_id=ran[0].id,
        policy_version=", ".join(version.version for version in ran),
        policy_sha256=ran[0].sha256
        if len(ran) == 1
        else canonical_sha256({"versions": [version.sha256 for version in ran]}),
        policy_versions=tuple(_version_entry(version) for version in ran) if len(ran) > 1 else (),
        started_at=started,
        finished_at=datetime.fromtimestamp(started.timestamp() + elapsed, UTC),
        rules_evaluated=checker.rule_ids,
        records_checked={item.kind: len(item) for item in inputs.values() if len(item)},
        input_fingerprints={name: item.fingerprint() for name, item in inputs.items() if len(item)},
        as_of=checker.as_of,
        policies=ran,
    )


def _version_entry(policy: Policy) -> dict[str, str | None]:
    starts, ends = policy.effective_from, policy.effective_to
    return {
        "version": policy.version,
        "sha256": policy.sha256,
        "effective_from": None if starts is None else starts.isoformat(),
        "effective_to": None if ends is None else ends.isoformat(),
    }
