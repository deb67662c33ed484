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
Aggregate (windowed) rules come next; until then a policy holding one is refused, not
partly run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

import polars as pl

from regkit.errors import PolicyError
from regkit.rules.expr import Expr, to_python_rules
from regkit.rules.findings import CheckResult, Finding, Severity, fingerprint
from regkit.rules.policy import CompiledRule, MessagePart, Policy
from regkit.schemas.account import Account, AccountSnapshot
from regkit.schemas.base import Record
from regkit.schemas.cash import CashMovement
from regkit.schemas.columnar import to_frame
from regkit.schemas.trade import Trade

__all__ = ["Checker", "check"]

Engine = Literal["python", "polars", "auto"]


@dataclass(frozen=True)
class _Compiled:
    """A rule ready to run: its functions, its dates, and how to explain a failure."""

    rule: CompiledRule
    when: Callable[..., Any] | None
    holds: Callable[..., Any]
    starts: date | None
    ends: date | None


class Checker:
    """A compiled policy: check one record at a time, with no I/O.

    Args:
        policy: the loaded policy.
        as_of: the time ``as_of`` means in expressions (default: now, UTC, at each call).
    """

    def __init__(self, policy: Policy, *, as_of: datetime | None = None) -> None:
        aggregate = [rule.rule.id for rule in policy.compiled if rule.rule.is_aggregate]
        if aggregate:
            raise PolicyError(
                f"{policy.source}: aggregate rules ({', '.join(aggregate)}) are not run by this "
                "version of the engine; check them with a later regkit or remove them"
            )
        self.policy = policy
        self.as_of = as_of
        self._rules: dict[str, tuple[_Compiled, ...]] = {
            kind: tuple(
                _prepare(rule, policy) for rule in policy.compiled if rule.rule.applies_to == kind
            )
            for kind in ("trade", "account", "movement", "snapshot")
        }
        self._batches = {kind: _batches(rules) for kind, rules in self._rules.items()}

    def rules(self, kind: str) -> tuple[_Compiled, ...]:
        """The compiled rules of a record kind."""
        return self._rules[kind]

    def check(self, kind: str, record: Record, account: Account | None = None) -> list[Finding]:
        """The findings of one record of any kind (``trade``, ``account``, ...)."""
        if kind == "trade":
            return self.check_trade(record, account)  # type: ignore[arg-type]
        if kind == "account":
            return self.check_account(record)  # type: ignore[arg-type]
        if kind == "movement":
            return self.check_movement(record, account)  # type: ignore[arg-type]
        return self.check_snapshot(record, account)  # type: ignore[arg-type]

    def check_trade(self, trade: Trade, account: Account | None = None) -> list[Finding]:
        """The findings of the policy's trade rules on one trade (and its account)."""
        return self._check("trade", trade, trade.executed_at, {"trade": trade, "account": account})

    def check_account(self, account: Account) -> list[Finding]:
        """The findings of the policy's account rules on one account."""
        return self._check("account", account, account.opened_at, {"account": account})

    def check_movement(
        self, movement: CashMovement, account: Account | None = None
    ) -> list[Finding]:
        """The findings of the policy's movement rules on one cash movement."""
        names = {"movement": movement, "account": account}
        return self._check("movement", movement, movement.at, names)

    def check_snapshot(
        self, snapshot: AccountSnapshot, account: Account | None = None
    ) -> list[Finding]:
        """The findings of the policy's snapshot rules on one account snapshot."""
        names = {"snapshot": snapshot, "account": account}
        return self._check("snapshot", snapshot, snapshot.at, names)

    def _check(
        self, kind: str, record: Record, at: datetime | None, names: dict[str, Any]
    ) -> list[Finding]:
        as_of = self.as_of or datetime.now(UTC)
        names["as_of"] = as_of
        batches = self._batches[kind]
        findings: list[Finding] = []
        for batch in batches:
            if batch.dated and not batch.in_force((at or as_of).date()):
                continue
            try:
                failing = batch.failing(**names)
            except Exception:
                # Some rule raised: find which, rule by rule, and report it as such.
                findings += self._one_by_one(batch.rules, kind, record, at, names)
                continue
            for index in failing:
                findings.append(self._explain(batch.rules[index], kind, record, at, names))
        if len(batches) > 1:
            order = {rule.rule.rule.id: n for n, rule in enumerate(self._rules[kind])}
            findings.sort(key=lambda finding: order[finding.rule_id])
        return findings

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
                findings.append(_crashed(self.policy, rule.rule, kind, record, at, exc))
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
            return _finding(self.policy, rule.rule, kind, record, at, names)
        except Exception as exc:
            return _crashed(self.policy, rule.rule, kind, record, at, exc)


@dataclass(frozen=True)
class _Batch:
    """Rules in force over the same dates, checked by one generated function per record."""

    rules: tuple[_Compiled, ...]
    failing: Callable[..., list[int]]
    starts: date | None
    ends: date | None

    @property
    def dated(self) -> bool:
        return self.starts is not None or self.ends is not None

    def in_force(self, day: date) -> bool:
        return (self.starts is None or day >= self.starts) and (
            self.ends is None or day < self.ends
        )


def _batches(rules: Sequence[_Compiled]) -> tuple[_Batch, ...]:
    by_dates: dict[tuple[date | None, date | None], list[_Compiled]] = {}
    for rule in rules:
        by_dates.setdefault((rule.starts, rule.ends), []).append(rule)
    return tuple(
        _Batch(
            rules=tuple(group),
            failing=to_python_rules([(rule.rule.when, _assertion(rule.rule)) for rule in group]),
            starts=starts,
            ends=ends,
        )
        for (starts, ends), group in by_dates.items()
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
    )


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
        message=_message(rule.message, names) or rule.rule.title or rule.rule.id,
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


def _message(parts: Sequence[MessagePart], names: Mapping[str, Any]) -> str:
    pieces: list[str] = []
    for part in parts:
        pieces.append(part.text)
        if part.value is not None:
            value = _value(part.value, names)
            pieces.append("—" if value is None else format(value, part.format_spec))
    return "".join(pieces)


def _related(record: Record, by_id: Mapping[str, Account]) -> Account | None:
    account_id = getattr(record, "account_id", None)
    return None if account_id is None else by_id.get(account_id)


def _python_findings(
    checker: Checker, kind: str, records: Sequence[Record], by_id: Mapping[str, Account]
) -> list[Finding]:
    findings: list[Finding] = []
    for record in records:
        findings += checker.check(kind, record, _related(record, by_id))
    return findings


def _polars_findings(
    checker: Checker, kind: str, records: Sequence[Record], accounts: Sequence[Account]
) -> list[Finding]:
    """Which records fail which rule, decided column-wise by polars; the findings of those
    records are then written by the same code as the Python backend's, so both agree."""
    rules = checker.rules(kind)
    if not records or not rules:
        return []
    frame = _frame(kind, records, accounts)
    failing: set[int] = set()
    for rule in rules:
        failing.update(frame.filter(_fails(rule, kind, checker.as_of)).get_column(_INDEX))
    by_id = {account.account_id: account for account in accounts}
    findings: list[Finding] = []
    for index in sorted(failing):
        record = records[index]
        findings += checker.check(kind, record, _related(record, by_id))
    return findings


_INDEX = "__index"
_EVENT_TIME = {"trade": "executed_at", "account": "opened_at", "movement": "at", "snapshot": "at"}


def _frame(kind: str, records: Sequence[Record], accounts: Sequence[Account]) -> pl.DataFrame:
    frame = to_frame(list(records)).with_row_index(_INDEX)
    if kind == "account" or not accounts:
        return frame
    related = to_frame(list(accounts))
    related = related.rename({name: f"account.{name}" for name in related.columns})
    return frame.join(
        related, left_on="account_id", right_on="account.account_id", how="left", coalesce=False
    ).sort(_INDEX)


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
    policy: Policy,
    *,
    trades: Iterable[Trade] = (),
    accounts: Iterable[Account] = (),
    movements: Iterable[CashMovement] = (),
    snapshots: Iterable[AccountSnapshot] = (),
    as_of: datetime | None = None,
    engine: Engine = "auto",
) -> CheckResult:
    """Check records against a policy and return every finding with its provenance.

    Trades, movements and snapshots see their account (joined by ``account_id``); accounts
    are checked themselves. ``as_of`` is the time rules read as ``as_of`` (default: now).

    Raises:
        PolicyError: the policy holds rules this version does not run (aggregate rules), or
            ``engine`` asks for a backend that is not there yet.
    """
    started = datetime.now(UTC)
    clock = time.perf_counter()
    checker = Checker(policy, as_of=as_of or started)
    trade_list, account_list = list(trades), list(accounts)
    movement_list, snapshot_list = list(movements), list(snapshots)
    by_id = {account.account_id: account for account in account_list}
    batches: list[tuple[str, Sequence[Record]]] = [
        ("trade", trade_list),
        ("account", account_list),
        ("movement", movement_list),
        ("snapshot", snapshot_list),
    ]
    findings: list[Finding] = []
    for kind, records in batches:
        if engine == "polars":
            findings += _polars_findings(checker, kind, records, account_list)
        else:
            findings += _python_findings(checker, kind, records, by_id)
    inputs: dict[str, tuple[str, Sequence[Record]]] = {
        "trades": ("trade", trade_list),
        "accounts": ("account", account_list),
        "movements": ("movement", movement_list),
        "snapshots": ("snapshot", snapshot_list),
    }
    elapsed = time.perf_counter() - clock
    return CheckResult(
        findings=findings,
        policy_id=policy.id,
        policy_version=policy.version,
        policy_sha256=policy.sha256,
        started_at=started,
        finished_at=datetime.fromtimestamp(started.timestamp() + elapsed, UTC),
        rules_evaluated=tuple(rule.id for rule in policy.rules),
        records_checked={kind: len(items) for kind, items in inputs.values() if items},
        input_fingerprints={
            name: fingerprint(items) for name, (_, items) in inputs.items() if items
        },
    )
