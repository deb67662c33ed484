"""Random policies (random rules of random expressions) on random records: both engines of
``rk.check`` give the same findings, finding for finding, and so does the embedded checker."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_expr_backends import NUMERIC, PARAMS, books, expressions

import regkit as rk
from regkit.rules.policy import parse_policy

SEVERITIES = ["info", "low", "medium", "high", "critical"]


@st.composite
def rules(draw: st.DrawFn, number: int) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": f"R{number}",
        "severity": draw(st.sampled_from(SEVERITIES)),
        "applies_to": "trade",
        "assert": draw(expressions),
    }
    if draw(st.booleans()):
        rule["when"] = draw(expressions)
    evidence = draw(st.lists(st.sampled_from(NUMERIC), max_size=2, unique=True))
    if evidence:
        rule["evidence"] = evidence
        rule["message"] = " ".join(f"{name}={{{name}}}" for name in evidence)
    if draw(st.booleans()):
        rule["effective_from"] = draw(st.dates(date(2000, 1, 1), date(2090, 1, 1))).isoformat()
    return rule


@st.composite
def policies(draw: st.DrawFn) -> str:
    count = draw(st.integers(1, 4))
    document = {
        "policy": "random",
        "version": "1",
        "parameters": PARAMS,
        "rules": [draw(rules(number)) for number in range(count)],
    }
    return json.dumps(document)  # JSON is YAML


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    policies(),
    books(),
    st.datetimes(datetime(2000, 1, 1), datetime(2099, 1, 1), timezones=st.just(UTC)),
)
def test_random_policies_find_the_same_on_both_engines(
    backend: str, text: str, book: tuple[list[rk.Trade], list[rk.Account]], as_of: datetime
) -> None:
    policy = parse_policy(text, "random.yaml")
    found, owners = book
    python = rk.check(policy, trades=found, accounts=owners, as_of=as_of, engine="python")
    columnar = rk.check(policy, trades=found, accounts=owners, as_of=as_of, engine=backend)
    assert python.findings == columnar.findings
    event(f"findings: {min(len(python.findings), 2)}")
    checker = policy.compile(as_of=as_of)
    by_id = {account.account_id: account for account in owners}
    one_by_one = [f for t in found for f in checker.check_trade(t, by_id.get(t.account_id))]
    assert one_by_one == python.findings
