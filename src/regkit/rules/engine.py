"""Running a policy: the per-record Checker (the embedded path) and ``check`` over batches.

A brokerage service compiles a policy once and calls the checker per request, in process,
with no I/O::

    checker = rk.load_policy("policy.yaml").compile()
    findings = checker.check_trade(trade, account=account)

Each rule's ``when`` and ``assert`` are generated Python functions (see
:mod:`regkit.rules.lang`); evidence and the message are worked out only for the rules that
fail. A rule that raises on a record gives a finding of severity ``error`` naming the
exception: a rule that cannot decide never passes silently.

A rule applies to a record whose event time (a trade's ``executed_at``, a movement's ``at``,
a snapshot's ``at``; an account's ``opened_at``, or ``as_of``) falls in
``[effective_from, effective_to)`` of the policy and of the rule.

``check(..., engine="...")`` runs on the backend registered under that name
(:mod:`regkit.rules.backends`): ``python`` runs every record through the generated
functions, ``polars`` decides which records fail each rule column-wise (the same
expressions, lowered) and writes the findings of those records with the Python backend's
code, so the two give the same findings. Aggregate (windowed) rules are modelled in
:mod:`regkit.rules.windows` (with the streaming :class:`~regkit.rules.windows.WindowState`)
and run on each backend.
"""

from __future__ import annotations

import dataclasses
import inspect
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, Literal

from regkit.errors import PolicyError
from regkit.rules.backends import CheckedRules, CheckInputs, get_backend
from regkit.rules.backends.base import Progress
from regkit.rules.backends.checked import RecordRule
from regkit.rules.custom import PythonRule
from regkit.rules.findings import CheckResult, Finding, FindingsCap
from regkit.rules.inputs import KindInput, RecordInput, kind_model, refuse_misfit
from regkit.rules.policy import Policy, canonical_sha256, install_compiler
from regkit.rules.windows import AggregateRule, WindowState, at_record
from regkit.schemas.account import Account, AccountSnapshot
from regkit.schemas.base import Record
from regkit.schemas.cash import CashMovement
from regkit.schemas.kinds import KINDS
from regkit.schemas.trade import Trade
from regkit.schemas.types import TimeArgument, utc_time

__all__ = ["Checker", "check"]

#: The built-in choices of ``engine`` (any registered backend's name is one too).
Engine = Literal["python", "polars", "auto"]


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
        self._checked = CheckedRules(self.policies)
        # What ``check_trade``, the embedded hot path, reads first (no lookups by kind).
        self._trade_batch = self._checked.batch("trade")
        self._trade_findings = self._trade_batch.findings
        self._trade_python = bool(self._checked.python_rules("trade"))

    @property
    def checked(self) -> CheckedRules:
        """The policy's rules, checked and compiled per kind: what a backend is given."""
        return self._checked

    def rules(self, kind: str) -> tuple[RecordRule, ...]:
        """The compiled record rules of a record kind (aggregate rules apart)."""
        return self._checked.rules(kind)

    def python_rules(self, kind: str) -> tuple[PythonRule, ...]:
        """The Python rules of a record kind."""
        return tuple(item.rule for item in self._checked.python_rules(kind))

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """Every rule id of every version, once, in policy order (Python rules last)."""
        return self._checked.rule_ids

    def aggregate_rules(self, kind: str) -> tuple[AggregateRule, ...]:
        """The compiled aggregate rules of a record kind."""
        return self._checked.aggregate_rules(kind)

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
        """``check`` without its own guard: the record rules, then the Python rules, then
        (a movement's, with no history) nothing more."""
        return self._checked.record_checker(kind, self.as_of)(record, account)

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
            batch = self._trade_batch
            if batch.reads_as_of or (at is None and batch.dated):
                as_of = datetime.now(UTC)  # only when something reads it
        try:
            findings = self._trade_findings(trade, account, as_of, at)
        except Exception:
            findings = self._checked.recheck("trade", trade, at, as_of, (account,))
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
        if self._checked.python_rules("account"):
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
        if self._checked.python_rules("movement"):
            names = {"movement": movement, "account": account}
            findings += self._run_python("movement", movement, movement.at, names)
        if history is not None and self._checked.aggregate_rules("movement"):
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
        if self._checked.python_rules("snapshot"):
            names = {"snapshot": snapshot, "account": account}
            findings += self._run_python("snapshot", snapshot, snapshot.at, names)
        return findings

    def _run_python(
        self, kind: str, record: Record, at: datetime | None, names: Mapping[str, Any]
    ) -> list[Finding]:
        """The findings of the kind's Python rules in force at ``at``."""
        return self._checked.python_findings(kind, record, at, names, self.as_of)

    def _check(
        self, kind: str, record: Record, at: datetime | None, related: tuple[Any, ...]
    ) -> list[Finding]:
        """The findings of the kind's record rules on a record and its related records."""
        return self._checked.record_findings(kind, record, at, self.as_of, related)


def _install() -> None:
    """``Policy.compile()`` builds a :class:`Checker` (see
    :func:`regkit.rules.policy.install_compiler`)."""
    install_compiler(Checker)


_install()


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


def _version_entry(policy: Policy) -> dict[str, str | None]:
    starts, ends = policy.effective_from, policy.effective_to
    return {
        "version": policy.version,
        "sha256": policy.sha256,
        "effective_from": None if starts is None else starts.isoformat(),
        "effective_to": None if ends is None else ends.isoformat(),
    }


def check(
    policy: Policy | Sequence[Policy],
    *,
    as_of: TimeArgument | None = None,
    engine: str = "auto",
    progress: Progress | None = None,
    max_findings_per_rule: int | None = None,
    **inputs: RecordInput,
) -> CheckResult:
    """Check records against a policy and return every finding with its provenance.

    ``policy`` may be several versions of one policy: each record is then checked against
    the version in force at its event time (see :func:`versions`).

    The records come by kind, under each kind's plural in the table of record kinds
    (:data:`~regkit.schemas.kinds.KINDS`): ``trades=``, ``accounts=``, ``movements=``,
    ``snapshots=``. Each input is records, or a DataFrame of them (read with
    ``pl.read_parquet``, or the validated frame of :func:`regkit.read_frame`). Trades,
    movements and snapshots see their account (joined by ``account_id``); accounts are
    checked themselves. ``as_of`` is the time rules read as ``as_of`` (default: now): a date
    (the start of that day, UTC), an aware datetime, or ISO 8601 text with an offset or
    ``Z`` or a plain date, the same instant on both engines (``CheckResult.as_of`` holds
    it, in UTC).

    ``engine="python"`` runs the generated per-record functions; ``"polars"`` decides
    column-wise which records (and which windows of aggregate rules) fail, and builds
    records only for those; ``"auto"`` uses polars when an input is a DataFrame; any other
    registered backend (:mod:`regkit.rules.backends`) by its name. All give the same
    findings. ``progress``, when given, is told when each kind's check starts
    (``progress("trades", 0, 200_000)``) and how far it has come
    (``progress("trades", 20_000, 200_000)``), for a progress bar.

    ``max_findings_per_rule`` keeps the first N findings of each rule (in the order above)
    and counts the rest exactly (:attr:`CheckResult.unlisted`; the counts include them): a
    rule that fires on most records (a lateness rule without the reports it needs) then
    does not flood the result.

    Raises:
        RecordError: a DataFrame holds rows that are not valid records (every one is named
            in the error's ``errors``; nothing is checked).
        TypeError: ``as_of`` is not a date, a datetime or text (a number, a bool), or a
            keyword that is not a kind's plural.
        ValueError: ``as_of`` is a naive datetime, or text that is not such ISO 8601, or
            ``engine`` names no registered backend.
    """
    _refuse_unknown(inputs)
    cap = FindingsCap(max_findings_per_rule)
    started = datetime.now(UTC)
    clock = time.perf_counter()
    checker = Checker(policy, as_of=started if as_of is None else as_of)
    assert checker.as_of is not None
    given = _inputs(inputs)
    # The accounts are read as records before any backend runs, as every record's related
    # account is looked up among them: their fingerprint is therefore that of the records.
    given.accounts  # noqa: B018
    backend = get_backend(_engine_name(engine, given))
    run = backend.start(checker.checked, given, checker.as_of)
    findings: list[Finding] = []
    for kind, item in given.items():
        total = len(item)
        if total and progress is not None:
            progress(item.name, 0, total)  # so that a progress bar names the kind now checked
        if total:
            findings += cap.take(run.record_findings(kind, progress))
        # A rule over several kinds runs when any of its kinds has records.
        if any(len(given[each]) for rule in checker.aggregate_rules(kind) for each in rule.kinds):
            if progress is not None:
                progress(f"aggregate rules over {item.name}", 0, 0)
            findings += cap.take(run.window_findings(kind))
    elapsed = time.perf_counter() - clock
    checked = {kind: len(item) for kind, item in given.items() if len(item)}
    fingerprints = {item.name: item.fingerprint() for item in given.values() if len(item)}
    return result_of(checker, findings, started, elapsed, cap, checked, fingerprints)


def _refuse_unknown(inputs: Mapping[str, RecordInput]) -> None:
    """Refuse a keyword that is no kind's plural (a TypeError, as Python words it)."""
    plurals = {kind.plural for kind in KINDS.values()}
    for name in inputs:
        if name not in plurals:
            raise TypeError(f"check() got an unexpected keyword argument {name!r}")


def _inputs(inputs: Mapping[str, RecordInput]) -> CheckInputs:
    """Each kind's input, read from the keywords named by the kinds' plurals."""
    return CheckInputs(
        {
            kind.name: KindInput(kind.name, inputs.get(kind.plural, ()), kind.plural)
            for kind in KINDS.values()
        }
    )


def _engine_name(engine: str, inputs: CheckInputs) -> str:
    """The backend ``engine`` names: ``auto`` is polars when an input is a DataFrame."""
    if engine != "auto":
        return engine
    return "polars" if any(item.from_frame for item in inputs.values()) else "python"


def result_of(
    checker: Checker,
    findings: Sequence[Finding],
    started: datetime,
    elapsed: float,
    cap: FindingsCap,
    records_checked: Mapping[str, int],
    input_fingerprints: Mapping[str, str],
) -> CheckResult:
    """The result of a check: its findings (those ``cap`` kept, and its count of the
    rest), the policies that ran, what was checked and when."""
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
        records_checked=dict(records_checked),
        input_fingerprints=dict(input_fingerprints),
        as_of=checker.as_of,
        policies=ran,
        unlisted=dict(cap.unlisted),
        unlisted_severity=dict(cap.severity),
    )


def _signature() -> inspect.Signature:
    """``check``'s signature with a keyword per kind (``trades=()``, ...), for help()."""
    signature = inspect.signature(check)
    parameters = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
    kinds = [
        inspect.Parameter(
            kind.plural, inspect.Parameter.KEYWORD_ONLY, default=(), annotation="RecordInput"
        )
        for kind in KINDS.values()
    ]
    return signature.replace(parameters=[parameters[0], *kinds, *parameters[1:]])


check.__signature__ = _signature()  # type: ignore[attr-defined]
