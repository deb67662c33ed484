"""A record kind added in a test (a model and one table entry, nothing else) is checked on
every backend, record rules and aggregate rules, with the Python backend's findings."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import ClassVar

import polars as pl
import pytest

import regkit as rk
from regkit.rules.policy import parse_policy
from regkit.schemas.base import Record
from regkit.schemas.kinds import KINDS, RecordKind, registered
from regkit.schemas.types import CurrencyCode, ExactDecimal, Text, UtcDatetime

AS_OF = datetime(2026, 12, 1, tzinfo=UTC)
START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


class Quote(Record):
    """A price a dealer showed a client (the toy kind)."""

    key_fields: ClassVar[tuple[str, ...]] = ("quote_id",)

    quote_id: Text
    account_id: Text
    price: ExactDecimal
    currency: CurrencyCode
    at: UtcDatetime


POLICY = """\
policy: quotes
version: "1"
rules:
  - id: QUOTE-PRICE
    severity: medium
    applies_to: quote
    when: account.category == "retail"
    assert: quote.price > 0
    message: "price {quote.price} {quote.currency}"
    evidence: [quote.price]
  - id: QUOTE-BURST
    severity: low
    applies_to: quote
    group_by: [quote.account_id]
    window: 1h
    aggregate: {shown: count(), total: sum(quote.price)}
    assert: shown < 3
    message: "{shown} quotes in an hour"
"""


@pytest.fixture
def quote_kind() -> Iterator[RecordKind]:
    with registered(RecordKind("quote", "quotes", Quote, "at", ("account",))) as kind:
        yield kind
    assert "quote" not in KINDS


def _quotes() -> list[Quote]:
    prices = ["1.10", "0", "1.12", "1.11", "-2", "1.15", "0"]
    return [
        Quote(
            quote_id=f"Q{n}",
            account_id="A1" if n % 3 else "A2",
            price=Decimal(price),
            currency="EUR",
            at=START + timedelta(minutes=15 * n),
        )
        for n, price in enumerate(prices)
    ]


def test_a_toy_kind_is_checked_alike_on_every_backend(
    quote_kind: RecordKind, backend: str, account_data: dict[str, object]
) -> None:
    assert quote_kind.key == ("quote_id",)
    policy = parse_policy(POLICY)
    owners = [rk.Account.model_validate({**account_data, "account_id": "A1"})]
    python = rk.check(policy, quotes=_quotes(), accounts=owners, as_of=AS_OF, engine="python")
    other = rk.check(policy, quotes=_quotes(), accounts=owners, as_of=AS_OF, engine=backend)
    assert python.findings == other.findings
    assert python.records_checked == {"quote": 7, "account": 1}
    rules = {finding.rule_id for finding in python.findings}
    assert rules == {"QUOTE-PRICE", "QUOTE-BURST"}
    assert [f.record_id for f in python.findings if f.rule_id == "QUOTE-PRICE"] == ["Q1", "Q4"]


def test_a_toy_kind_from_a_frame_is_checked_alike(quote_kind: RecordKind, backend: str) -> None:
    policy = parse_policy(POLICY)
    frame = pl.DataFrame([quote.to_row() for quote in _quotes()])
    python = rk.check(policy, quotes=_quotes(), as_of=AS_OF, engine="python")
    other = rk.check(policy, quotes=frame, as_of=AS_OF, engine=backend)
    assert python.findings == other.findings


def test_the_embedded_checker_and_the_windows_take_a_toy_kind(
    quote_kind: RecordKind, account_data: dict[str, object]
) -> None:
    checker = parse_policy(POLICY).compile(as_of=AS_OF)
    quotes = _quotes()
    owner = rk.Account.model_validate({**account_data, "account_id": "A1"})
    assert [f.rule_id for f in checker.check("quote", quotes[4], owner)] == ["QUOTE-PRICE"]
    assert checker.check("quote", quotes[4]) == []  # no account: not a retail client's
    state = checker.window_state()
    alerts = [alert for quote in quotes for alert in state.add("quote", quote)]
    assert alerts  # an episode opened: its alert names the record whose window failed first
    assert [a.record_id for a in alerts] == [f.record_id for f in state.findings()]
    batch = rk.check(parse_policy(POLICY), quotes=quotes, as_of=AS_OF, engine="python")
    assert state.findings() == [f for f in batch.findings if f.rule_id == "QUOTE-BURST"]


def test_check_takes_a_keyword_per_kind_and_refuses_others(quote_kind: RecordKind) -> None:
    policy = parse_policy(POLICY)
    assert rk.check(policy, quotes=[], as_of=AS_OF).findings == []
    with pytest.raises(TypeError, match="unexpected keyword argument 'quote'"):
        rk.check(policy, quote=[], as_of=AS_OF)  # type: ignore[arg-type]


def test_the_signature_of_check_names_the_kinds(quote_kind: RecordKind) -> None:
    names = list(inspect.signature(rk.check).parameters)
    plurals = [kind.plural for kind in KINDS.values() if kind.name != "quote"]
    assert names == ["policy", *plurals, "as_of", "engine", "progress", "max_findings_per_rule"]
    assert names[1:5] == ["trades", "accounts", "movements", "snapshots"]
    with pytest.raises(ValueError, match="engine: expected one of 'auto', 'python', 'polars'"):
        rk.check(parse_policy(POLICY), engine="spark")
