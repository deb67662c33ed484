"""Record rules on the polars backend: which records fail which rule, decided column-wise;
the findings of those records are then written by the per-record code every backend
shares (:meth:`CheckedRules.record_checker
<regkit.rules.backends.checked.CheckedRules.record_checker>`), so they equal the Python
backend's.

Examples:
    >>> import polars as pl
    >>> from regkit.rules.backends.checked import CheckedRules
    >>> from regkit.rules.policy import parse_policy
    >>> text = '''
    ... policy: p
    ... version: "1"
    ... rules:
    ...   - {id: POSITIVE, severity: low, applies_to: trade, assert: trade.quantity > 0}
    ... '''
    >>> rules = CheckedRules((parse_policy(text),))
    >>> account_columns(rules, "trade")
    set()
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import polars as pl

from regkit.rules.backends.checked import CheckedRules, RecordRule
from regkit.rules.findings import Finding
from regkit.rules.inputs import INDEX, KindInput
from regkit.rules.lang import Expr
from regkit.schemas.account import Account
from regkit.schemas.base import Record
from regkit.schemas.kinds import KINDS

__all__ = ["account_columns", "kind_frame", "record_findings"]


def record_findings(
    rules: CheckedRules,
    kind: str,
    frame: pl.DataFrame,
    pick: Callable[[Sequence[int]], list[Record]],
    related: Callable[[Record], Account | None],
    as_of: datetime | None,
) -> list[Finding]:
    """Which records fail which rule, decided column-wise by polars; the findings of those
    records are then written by the same code as the Python backend's, so both agree.

    Args:
        rules: the checked rules.
        kind: the kind whose records the frame holds.
        frame: the records (see :func:`kind_frame`).
        pick: the records of some rows (by ``__index``).
        related: a record's account.
        as_of: the time rules read as ``as_of`` (``None``: now).
    """
    record_rules = rules.rules(kind)
    python = bool(rules.python_rules(kind))
    if not record_rules and not python:
        return []
    failed = _failed_rules(record_rules, kind, frame, as_of, every_row=python)
    checkers: dict[tuple[int, ...], Callable[[Record, Account | None], list[Finding]]] = {}
    findings: list[Finding] = []
    rows = failed.get_column(INDEX).to_list()
    for places, record in zip(failed.get_column(_PLACES).to_list(), pick(rows), strict=True):
        # Only the rules the record failed write its findings (a rule that fires on every
        # record would otherwise have every rule run again on every record).
        key = tuple(places)
        check = checkers.get(key)
        if check is None:
            check = checkers[key] = rules.record_checker(kind, as_of, key)
        findings += check(record, related(record))
    return findings


_PLACES = "__places"


def _failed_rules(
    record_rules: Sequence[RecordRule],
    kind: str,
    frame: pl.DataFrame,
    as_of: datetime | None,
    *,
    every_row: bool,
) -> pl.DataFrame:
    """The rows that fail a rule, in order, with the places of the rules each one fails
    (``__places``, in rule order); every row when ``every_row`` (Python rules run on all)."""
    parts = [frame.select(pl.col(INDEX).cast(pl.Int64), pl.lit(None, pl.Int64).alias("place"))]
    parts = parts if every_row else []
    for place, rule in enumerate(record_rules):
        try:
            failing = frame.filter(_fails(rule, kind, as_of))
        except pl.exceptions.PolarsError:
            # Polars refused the column as a whole (a product past Decimal(38) overflows
            # for every row at once): every record then goes to the per-record code, which
            # decides each one exactly as the Python engine does, so both still agree.
            failing = frame
        rows = failing.select(pl.col(INDEX).cast(pl.Int64), pl.lit(place, pl.Int64).alias("place"))
        parts.append(rows)
    if not parts:
        return pl.DataFrame(schema={INDEX: pl.Int64, _PLACES: pl.List(pl.Int64)})
    return (
        pl.concat(parts)
        .group_by(INDEX)
        .agg(pl.col("place").drop_nulls().unique().sort().alias(_PLACES))
        .sort(INDEX)
    )


def account_columns(rules: CheckedRules, kind: str) -> set[str]:
    """The ``account.*`` columns the kind's rules read."""
    exprs: list[Expr | None] = []
    compiled = [r.rule for r in rules.rules(kind)] + [r.rule for r in rules.aggregate_rules(kind)]
    for rule in compiled:
        exprs += [rule.when, rule.assertion, rule.where, *rule.group_by]
        exprs += list(rule.aggregates.values())
    return {name for e in exprs if e is not None for name in e.names if name.startswith("account.")}


def kind_frame(
    rules: CheckedRules, kind: str, records: KindInput, accounts: KindInput | None
) -> pl.DataFrame:
    """A kind's records as columns in input order (``__index``), with their account's
    columns as ``account.*`` (null where there is no account, as on the Python backend)."""
    frame = records.frame().with_row_index(INDEX)
    if "account" not in KINDS[kind].related:
        return frame
    if accounts is None or not len(accounts):
        missing = sorted(account_columns(rules, kind) - set(frame.columns))
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


def _fails(rule: RecordRule, kind: str, as_of: datetime | None) -> pl.Expr:
    when = as_of or datetime.now(UTC)
    fails = ~rule.rule.assertion.polars(as_of=when)
    if rule.rule.when is not None:
        fails = fails & rule.rule.when.polars(as_of=when)
    day = pl.coalesce(pl.col(KINDS[kind].event_time), pl.lit(when)).dt.date()
    if rule.starts is not None:
        fails = fails & (day >= rule.starts)
    if rule.ends is not None:
        fails = fails & (day < rule.ends)
    return fails
