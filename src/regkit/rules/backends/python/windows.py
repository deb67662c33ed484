"""Aggregate rules over a batch on the Python backend: the records, in event-time order,
through each rule's :class:`~regkit.rules.windows.RuleState` (the streaming state's code).

Examples:
    >>> from regkit.rules.backends.checked import CheckedRules
    >>> from regkit.rules.policy import parse_policy
    >>> text = '''
    ... policy: p
    ... version: "1"
    ... rules:
    ...   - {id: POSITIVE, severity: low, applies_to: trade, assert: trade.quantity > 0}
    ... '''
    >>> rules = CheckedRules((parse_policy(text),))
    >>> window_findings(rules.aggregate_rules("movement"), "movement", lambda kind: [],
    ...                 lambda record: None, None)
    []
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from regkit.rules.findings import Finding
from regkit.rules.windows import AggregateRule, RuleState, event_time, kind_of, ordered
from regkit.schemas.account import Account
from regkit.schemas.base import Record

__all__ = ["window_findings"]


def window_findings(
    rules: Sequence[AggregateRule],
    kind: str,
    records: Callable[[str], Sequence[Record]],
    related: Callable[[Record], Account | None],
    as_of: datetime | None,
) -> list[Finding]:
    """The findings of a kind's aggregate rules over a batch: the records in event-time
    order (ties in the order of the rule's kinds, then in input order) through each rule's
    state, rule by rule in policy order.

    Args:
        rules: the kind's aggregate rules (``applies_to``, the first kind of a rule).
        kind: the kind.
        records: each kind's records, by kind.
        related: a record's account.
        as_of: the time rules read as ``as_of`` (``None``: now).
    """
    if not rules:
        return []
    now = as_of or datetime.now(UTC)
    # The rules of one kind share a pass; a rule over several kinds has one of its own.
    single = [rule for rule in rules if not rule.blank]
    passes: list[tuple[list[AggregateRule], tuple[str, ...]]] = (
        [(single, (kind,))] if single else []
    )
    passes += [([rule], rule.kinds) for rule in rules if rule.blank]
    found: dict[int, list[Finding]] = {}
    for group, kinds in passes:
        states = [RuleState(rule) for rule in group]
        feed = ordered([record for each in kinds for record in records(each)], now)
        _feed(states, feed, related, now)
        for state in states:
            found[id(state.rule)] = state.findings(now)
    return [finding for rule in rules for finding in found[id(rule)]]


def _feed(
    states: Sequence[RuleState],
    feed: Sequence[Record],
    related: Callable[[Record], Account | None],
    as_of: datetime,
) -> None:
    # The rules of a pass share their scope (their first kind, its related records and the
    # pass's other kinds): an account is passed where that scope names one.
    account = bool(states) and states[0].rule.takes_account
    for seq, record in enumerate(feed):
        record_kind = kind_of(record)
        names: dict[str, Any] = {record_kind: record, "as_of": as_of}
        if account and record_kind != "account":
            names["account"] = related(record)
        at = event_time(record, as_of)
        for state in states:
            state.add(seq, record, at, names, as_of)
