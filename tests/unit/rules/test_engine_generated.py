"""The embedded checker's generated path: one function per record kind that also writes the
findings (evidence, message) gives exactly the findings of the rule-by-rule path."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import accounts, movements, snapshots, trades
from test_expr_backends import SCOPE, books, expressions, numbers

import regkit as rk
from regkit.rules import engine
from regkit.rules.backends import checked
from regkit.rules.backends.checked import in_force, one_by_one
from regkit.rules.engine import Checker
from regkit.rules.findings import Finding, Severity
from regkit.rules.findings import quick as _quick
from regkit.rules.findings import template as _template
from regkit.rules.lang import (
    Expr,
    FindingCode,
    compile_expr,
    findings_function,
    format_value,
    to_python,
)
from regkit.rules.policy import parse_policy
from regkit.schemas.base import Record

AS_OF = datetime(2026, 11, 21, tzinfo=UTC)

POLICY = """\
policy: generated
version: "7"
effective_from: 2018-08-01
parameters:
  caps: {fx_major: 30, fx_minor: 20, gold: 20, index_major: 20, commodity: 10,
         index_minor: 10, equity: 5, crypto: 2, other: 5, bond: 5}
  band: 0.0002
  big: 1000000
  currencies: [USD, EUR, JPY, GBP]
rules:
  - id: LEV
    title: Retail CFD leverage above the cap
    severity: high
    applies_to: trade
    when: account.category == "retail" and trade.instrument.product == "cfd"
    assert: trade.leverage <= params.caps[trade.instrument.underlying_class]
    message: "leverage {trade.leverage}:1 above {params.caps[trade.instrument.underlying_class]}"
    evidence: [trade.leverage, trade.instrument.underlying_class, account.category]
    reference: {regulator: ESMA, document: "Decision (EU) 2018/796", article: "Art. 2(a)"}
  - id: BAND
    severity: low
    applies_to: trade
    when: trade.requested_price is not None
    assert: abs(trade.price - trade.requested_price) <= trade.requested_price * params.band
    message: "price {trade.price:.2f} vs {trade.requested_price:>12} ({trade.price > 1})"
    evidence: [trade.price, trade.requested_price, trade.margin is None]
  - id: BIG
    severity: medium
    applies_to: trade
    effective_from: 2026-01-01
    assert: trade.notional < params.big or trade.side == "sell"
    message: "notional {trade.notional:,.2f} > {params.big} ({params.band}, {'x'}, {None}, \
{True}, {params.big:>9}); margin {trade.margin}"
    evidence: [trade.notional, trade.margin]
  - id: KYC
    title: KYC not verified
    severity: critical
    applies_to: trade
    assert: account.kyc is not None and account.kyc.status == "verified"
    message: "{account.kyc.status}"
    evidence: [account.account_id, account.kyc.status, account.holder.first_name]
  - id: CCY
    severity: info
    applies_to: trade
    effective_to: 2026-06-01
    assert: trade.price_currency in params.currencies
  - id: RECENT
    severity: low
    applies_to: trade
    assert: days_between(trade.executed_at, as_of) <= 30
    message: "{days_between(trade.executed_at, as_of)} days old"
  - id: ACCOUNT-KYC
    severity: high
    applies_to: account
    effective_from: 2020-01-01
    assert: account.kyc is not None and account.kyc.expires_at is not None
    message: "account {account.account_id}: {account.kyc.expires_at}"
    evidence: [account.kyc.expires_at, account.opened_at]
  - id: MOVE
    severity: medium
    applies_to: movement
    assert: movement.amount < 9000 or account.category != "retail"
    message: "{movement.amount} {movement.currency}"
    evidence: [movement.amount, account.category]
  - id: EQUITY
    severity: high
    applies_to: snapshot
    assert: snapshot.equity >= 0
    message: "equity {snapshot.equity} {snapshot.currency}"
    evidence: [snapshot.equity]
"""


def _slow(checker: Checker, kind: str, record: Record, names: dict[str, Any]) -> Any:
    """The findings the rule-by-rule path gives (each rule's own functions, ``_finding``)."""
    at = getattr(record, "executed_at", None) or getattr(record, "at", None)
    if kind == "account":
        at = getattr(record, "opened_at", None)
    as_of = checker.as_of or AS_OF
    day = (at or as_of).date()
    rules = [rule for rule in checker.rules(kind) if in_force(rule, day)]
    return one_by_one(rules, kind, record, at, names | {"as_of": as_of})


def _same(fast: list[Finding], slow: list[Finding]) -> None:
    assert fast == slow
    for a, b in zip(fast, slow, strict=True):
        assert type(a.severity) is type(b.severity) is Severity
        assert [type(v) for v in a.evidence.values()] == [type(v) for v in b.evidence.values()]
        assert list(a.evidence) == list(b.evidence)
        assert vars(a) == vars(b)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_generated_path_writes_the_findings_of_the_rule_by_rule_path(
    data: st.DataObject,
) -> None:
    checker = parse_policy(POLICY, "generated.yaml").compile(as_of=AS_OF)
    person = data.draw(st.none() | accounts(account_id=st.just("A1")))
    for trade in data.draw(st.lists(trades(account_id=st.just("A1")), min_size=1, max_size=5)):
        names = {"trade": trade, "account": person}
        _same(checker.check_trade(trade, person), _slow(checker, "trade", trade, names))
    if person is not None:
        slow = _slow(checker, "account", person, {"account": person})
        _same(checker.check_account(person), slow)
    movement = data.draw(movements(account_id=st.just("A1")))
    names = {"movement": movement, "account": person}
    _same(checker.check_movement(movement, person), _slow(checker, "movement", movement, names))
    snapshot = data.draw(snapshots(account_id=st.just("A1")))
    names = {"snapshot": snapshot, "account": person}
    _same(checker.check_snapshot(snapshot, person), _slow(checker, "snapshot", snapshot, names))


def _trade(**changes: Any) -> rk.Trade:
    data = {
        "trade_id": "T1",
        "account_id": "A1",
        "side": "buy",
        "quantity": "1000",
        "price": "1.1",
        "executed_at": "2026-11-20T09:30:00Z",
        "leverage": "50",
        "instrument": {
            "symbol": "EURUSD",
            "product": "cfd",
            "underlying_class": "fx_major",
            "base_currency": "EUR",
            "quote_currency": "USD",
        },
    }
    return rk.Trade.model_validate(data | changes)


def _account(**changes: Any) -> rk.Account:
    data = {
        "account_id": "A1",
        "category": "retail",
        "holder": {"first_name": "Ana", "surname": "Silva", "nationalities": ["PT"]},
    }
    return rk.Account.model_validate(data | changes)


CRASHING = """\
policy: crash
version: "1"
rules:
  - id: FIRST
    severity: low
    applies_to: trade
    assert: trade.quantity < 10
    message: "quantity {trade.quantity}"
  - id: EVIDENCE
    severity: high
    applies_to: trade
    assert: trade.quantity < 10
    evidence: [trade.price * trade.price]
  - id: MESSAGE
    severity: medium
    applies_to: trade
    assert: trade.quantity < 10
    message: "{trade.price * trade.price}"
  - id: LAST
    severity: info
    applies_to: trade
    assert: trade.quantity < 10
    evidence: [trade.quantity]
"""


def test_an_evidence_or_message_that_raises_is_an_error_finding_the_others_stand() -> None:
    # A price whose square overflows (a literal that large is refused when the policy loads).
    huge = _trade().model_copy(update={"price": Decimal("1e600000")})
    findings = parse_policy(CRASHING).compile(as_of=AS_OF).check_trade(huge, _account())
    assert [(f.rule_id, str(f.severity)) for f in findings] == [
        ("FIRST", "low"),
        ("EVIDENCE", "error"),
        ("MESSAGE", "error"),
        ("LAST", "info"),
    ]
    assert findings[0].message == "quantity 1000"
    assert findings[1].message.startswith("the rule could not be decided: Overflow")
    assert findings[2].message.startswith("the rule could not be decided: Overflow")
    assert findings[3].evidence == {"trade.quantity": Decimal("1000")}


class _Clock(datetime):
    calls = 0

    @classmethod
    def now(cls, tz: Any = None) -> Any:
        _Clock.calls += 1
        return datetime(2026, 11, 21, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> type[_Clock]:
    _Clock.calls = 0
    monkeypatch.setattr(engine, "datetime", _Clock)
    monkeypatch.setattr(checked, "datetime", _Clock)
    return _Clock


PLAIN = """\
policy: plain
version: "1"
rules:
  - id: SMALL
    severity: low
    applies_to: trade
    assert: trade.quantity < 10
    message: "{trade.quantity}"
"""


def test_no_clock_is_read_when_nothing_reads_as_of(clock: type[_Clock]) -> None:
    checker = parse_policy(PLAIN).compile()
    (finding,) = checker.check_trade(_trade(), _account())
    assert finding.rule_id == "SMALL"
    assert clock.calls == 0


def test_the_clock_is_read_once_a_call_when_a_rule_reads_as_of(clock: type[_Clock]) -> None:
    reads = PLAIN.replace("trade.quantity < 10", "days_between(trade.executed_at, as_of) <= 5")
    checker = parse_policy(reads).compile()
    assert checker.check_trade(_trade(), _account()) == []  # one day old on the clock's day
    assert clock.calls == 1
    old = _trade(executed_at="2026-11-01T09:30:00Z")
    assert [f.rule_id for f in checker.check_trade(old, _account())] == ["SMALL"]
    assert clock.calls == 2


def test_the_clock_is_read_for_a_message_that_reads_as_of(clock: type[_Clock]) -> None:
    reads = PLAIN.replace('"{trade.quantity}"', '"{days_between(trade.executed_at, as_of)}"')
    (finding,) = parse_policy(reads).compile().check_trade(_trade(), _account())
    assert finding.message == "0"
    assert clock.calls == 1


def test_a_dated_rule_without_an_event_time_is_dated_by_the_clock(clock: type[_Clock]) -> None:
    dated = """\
policy: dated
version: "1"
rules:
  - id: LATER
    severity: low
    applies_to: account
    effective_from: 2027-01-01
    assert: account.kyc is not None
  - id: NOW
    severity: low
    applies_to: account
    effective_to: 2027-01-01
    assert: account.kyc is not None
"""
    checker = parse_policy(dated).compile()
    assert [f.rule_id for f in checker.check_account(_account())] == ["NOW"]
    assert clock.calls == 1
    opened = _account(opened_at="2027-02-01T00:00:00Z")
    assert [f.rule_id for f in checker.check_account(opened)] == ["LATER"]
    assert clock.calls == 1  # the event time dates it


def test_each_call_returns_a_list_of_its_own() -> None:
    checker = parse_policy(PLAIN).compile(as_of=AS_OF)
    first = checker.check_trade(_trade(quantity="1"), _account())
    first.append("x")  # type: ignore[arg-type]
    assert checker.check_trade(_trade(quantity="1"), _account()) == []


def test_a_quick_finding_is_the_finding_the_constructor_makes() -> None:
    template = _template(
        rule_id="R1",
        rule_version="3",
        severity="HIGH",
        record_kind="trade",
        record_id="",
        message="",
        reference={"regulator": "ESMA"},
    )
    at = AS_OF - timedelta(days=1)
    quick = _quick(template, "T1", at, {"trade.leverage": Decimal("50")}, "too high")
    made = Finding(
        rule_id="R1",
        rule_version="3",
        severity=Severity.HIGH,
        record_kind="trade",
        record_id="T1",
        message="too high",
        evidence={"trade.leverage": Decimal("50")},
        reference={"regulator": "ESMA"},
        at=at,
    )
    assert quick == made
    assert repr(quick) == repr(made)
    assert quick.severity is Severity.HIGH
    assert quick.to_dict() == made.to_dict()
    assert template["record_id"] == ""  # the template is not touched
    with pytest.raises(AttributeError):
        quick.message = "changed"  # type: ignore[misc]
    with pytest.raises(ValueError, match="unknown severity"):
        _template(rule_id="R", severity="huge", record_kind="trade", record_id="", message="")


def test_rules_in_force_over_different_dates_run_in_one_function_in_policy_order() -> None:
    checker = parse_policy(POLICY).compile(as_of=AS_OF)
    trade = _trade(price_currency="CHF", quantity="1000000", executed_at="2026-03-02T10:00:00Z")
    ids = [f.rule_id for f in checker.check_trade(trade, _account())]
    assert ids == ["LEV", "BIG", "KYC", "CCY", "RECENT"]
    later = trade.model_copy(update={"executed_at": datetime(2026, 11, 20, tzinfo=UTC)})
    assert [f.rule_id for f in checker.check_trade(later, _account())] == ["LEV", "BIG", "KYC"]
    early = trade.model_copy(update={"executed_at": datetime(2025, 3, 2, tzinfo=UTC)})
    ids = [f.rule_id for f in checker.check_trade(early, _account())]
    assert ids == ["LEV", "KYC", "CCY", "RECENT"]


SPECS = ["", ">8", ".2f"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    books(),
    st.lists(
        st.tuples(
            st.none() | expressions,
            expressions,
            st.lists(numbers() | expressions, max_size=2),
            st.lists(st.tuples(numbers(), st.sampled_from(SPECS)), max_size=2),
            st.none() | st.dates(date(2000, 1, 1), date(2099, 1, 1)),
        ),
        min_size=1,
        max_size=4,
    ),
    st.datetimes(datetime(2000, 1, 1), datetime(2099, 1, 1), timezones=st.just(UTC)),
)
def test_one_generated_function_computes_what_each_expression_does(
    book: tuple[list[Any], list[rk.Account]],
    rules: list[tuple[str | None, str, list[str], list[tuple[str, str]], date | None]],
    as_of: datetime,
) -> None:
    """Random rules (shared reads, decimals compared with int constants, messages with
    format specs, dates) against each expression's own function (``to_python``)."""
    found, owners = book
    by_id = {account.account_id: account for account in owners}

    def compiled(text: str) -> Expr:
        return compile_expr(text, SCOPE, where="property")

    codes = [
        FindingCode(
            when=None if when is None else compiled(when),
            assertion=compiled(assertion),
            evidence=[compiled(text) for text in evidence],
            message=[(f"<{n}>", compiled(text), spec) for n, (text, spec) in enumerate(message)],
            default=f"rule {index}",
            tag=index,
            starts=starts,
        )
        for index, (when, assertion, evidence, message, starts) in enumerate(rules)
    ]
    function, reads_as_of = findings_function(codes, lambda *made: made)
    assert reads_as_of == any("as_of" in text for rule in rules for text in _texts(rule))
    _same_as_each_expression(function, codes, found, by_id, as_of)


def _same_as_each_expression(
    function: Any,
    codes: list[FindingCode],
    found: list[Any],
    by_id: dict[str, rk.Account],
    as_of: datetime,
) -> None:
    """``function`` gives, for each trade, what each expression's own function gives."""
    for trade in found:
        names = {"trade": trade, "account": by_id[trade.account_id], "as_of": as_of}
        expected = []
        for code in codes:
            if code.starts is not None and trade.executed_at.date() < code.starts:
                continue
            if code.when is not None and not to_python(code.when)(**names):
                continue
            if to_python(code.assertion)(**names):
                continue
            evidence = {expr.text: to_python(expr)(**names) for expr in code.evidence}
            pieces = []
            for text, value, spec in code.message:
                assert value is not None
                result = to_python(value)(**names)
                pieces.append(text + ("—" if result is None else format_value(result, spec)))
            message = "".join(pieces) or code.default
            expected.append((code.tag, trade.key, trade.executed_at, evidence, message))
        got = function(trade, names["account"], as_of, trade.executed_at)
        assert got == expected
        for mine, theirs in zip(got, expected, strict=True):
            assert [type(v) for v in mine[3].values()] == [type(v) for v in theirs[3].values()]


#: Conditions that rules share (one comparison made once for all) and that make reads known
#: not to be ``None`` (a ``when``, an earlier operand of ``and``).
POOL = [
    "trade.leverage is not None",
    "trade.margin is not None",
    "account.kyc is not None",
    "account.kyc.expires_at is not None",
    "account.holder.first_name is not None",
    'account.category == "retail"',
    'trade.position_effect == "open"',
    'account.kyc.status == "verified"',
    "trade.leverage <= 30",
    "trade.margin > 100",
    "trade.leverage * trade.price > 50",
    "abs(trade.margin - trade.price) < 20",
    "-trade.margin < -3",
    "len(account.holder.first_name) > 3",
    'upper(trade.side) == "BUY"',
    'trade.instrument.product in ["cfd", "spot"]',
    "account.kyc.expires_at > trade.executed_at",
    "trade.notional < 100000",
    "trade.leverage <= params.leverage_caps[trade.instrument.underlying_class]",
]
VALUES = [
    "trade.leverage",
    "trade.margin * 2",
    "trade.notional",
    "account.kyc.expires_at",
    "account.kyc.status",
    "account.holder.first_name",
    "trade.executed_at",
    "trade.leverage is None",
]
pooled = st.recursive(
    st.sampled_from(POOL),
    lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=3).map(lambda x: "(" + " and ".join(x) + ")"),
        st.tuples(inner, inner).map(lambda p: f"({p[0]} or {p[1]})"),
        inner.map(lambda c: f"(not {c})"),
    ),
    max_leaves=4,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    books(),
    st.lists(
        st.tuples(
            st.none() | pooled,
            pooled,
            st.lists(st.sampled_from(VALUES), max_size=3),
            st.lists(st.sampled_from(VALUES), max_size=2),
        ),
        min_size=1,
        max_size=5,
    ),
)
def test_shared_comparisons_and_reads_known_not_none_leave_every_value_the_same(
    book: tuple[list[Any], list[rk.Account]],
    rules: list[tuple[str | None, str, list[str], list[str]]],
) -> None:
    """Rules drawn from a few conditions, so that they share comparisons (made once, before
    the tests) and guard reads in ``when`` and ``and`` (not tested for ``None`` again)."""
    found, owners = book

    def compiled(text: str) -> Expr:
        return compile_expr(text, SCOPE, where="property")

    codes = [
        FindingCode(
            when=None if when is None else compiled(when),
            assertion=compiled(assertion),
            evidence=[compiled(text) for text in evidence],
            message=[(f"<{n}>", compiled(text), "") for n, text in enumerate(message)],
            default=f"rule {index}",
            tag=index,
        )
        for index, (when, assertion, evidence, message) in enumerate(rules)
    ]
    function, _ = findings_function(codes, lambda *made: made, event="executed_at")
    by_id = {account.account_id: account for account in owners}
    _same_as_each_expression(function, codes, found, by_id, AS_OF)


def test_the_generated_function_takes_the_records_as_they_are() -> None:
    checker = parse_policy(POLICY).compile(as_of=AS_OF)
    names = {"trade": ("trade", "account"), "account": ("account",)}
    names |= {"movement": ("movement", "account"), "snapshot": ("snapshot", "account")}
    for kind, expected in names.items():
        code = checker.checked.batch(kind).findings.__code__
        assert code.co_varnames[: code.co_argcount] == (*expected, "as_of", "_at")


class _OwnNotional(rk.Trade):
    @property
    def notional(self) -> Decimal:
        return Decimal("7.0")


NOTIONAL = """policy: notional
version: "1"
effective_from: 2020-01-01
rules:
  - id: NOTIONAL
    severity: low
    applies_to: trade
    when: account.category == "retail"
    assert: trade.notional < 5
    message: "{trade.notional}"
    evidence: [trade.notional]
  - id: ALSO
    severity: low
    applies_to: trade
    when: account.category == "retail"
    assert: trade.notional * 2 < 5 or trade.notional > 1000000000
"""


def test_a_notional_is_the_property_s_for_a_trade_and_for_a_class_of_its_own() -> None:
    checker = parse_policy(NOTIONAL).compile(as_of=AS_OF)
    trade = _trade(
        quantity="1000.0",
        price="1.10",
        instrument={
            "symbol": "US500",
            "product": "cfd",
            "underlying_class": "index_major",
            "price_multiplier": "10.00",
        },
    )
    findings = checker.check_trade(trade, _account())
    assert [f.rule_id for f in findings] == ["NOTIONAL", "ALSO"]
    assert str(findings[0].evidence["trade.notional"]) == str(trade.notional) == "11000.00000"
    assert findings[0].message == "11000.00000"
    own = _OwnNotional.model_validate(trade.model_dump())
    findings = checker.check_trade(own, _account())
    assert [f.rule_id for f in findings] == ["NOTIONAL", "ALSO"]
    assert findings[0].evidence == {"trade.notional": Decimal("7.0")}
    assert findings[0].message == "7.0"
    names = {"trade": trade, "account": _account()}
    _same(checker.check_trade(trade, _account()), _slow(checker, "trade", trade, names))


SHARED = """policy: shared
version: "1"
rules:
  - id: BUY
    severity: low
    applies_to: trade
    when: trade.side == "buy"
    assert: trade.leverage <= 5
  - id: BUY-AGAIN
    severity: medium
    applies_to: trade
    when: trade.side == "buy"
    assert: trade.leverage <= 5 or trade.quantity < 1
  - id: ANY
    severity: high
    applies_to: trade
    assert: trade.quantity < 1
"""


def test_a_comparison_made_once_that_raises_is_found_rule_by_rule() -> None:
    """``trade.leverage <= 5`` is made once, before the tests, even for a sale (no rule
    reads it then): a value that cannot be compared sends the trade rule by rule, which
    gives the findings of the rules that did read it, and only those."""
    checker = parse_policy(SHARED).compile(as_of=AS_OF)
    sale = _trade(side="sell").model_copy(update={"leverage": "fifty"})
    assert [(f.rule_id, str(f.severity)) for f in checker.check_trade(sale)] == [("ANY", "high")]
    buy = _trade().model_copy(update={"leverage": "fifty"})
    assert [(f.rule_id, str(f.severity)) for f in checker.check_trade(buy)] == [
        ("BUY", "error"),
        ("BUY-AGAIN", "error"),
        ("ANY", "high"),
    ]


def _texts(
    rule: tuple[str | None, str, list[str], list[tuple[str, str]], date | None],
) -> list[str]:
    when, assertion, evidence, message, _ = rule
    return [text for text in (when, assertion, *evidence, *(t for t, _ in message)) if text]


class _OwnKey(rk.Trade):
    @property
    def key(self) -> str:
        return f"own:{self.trade_id}"


class _MoreKeys(rk.Trade):
    key_fields: ClassVar[tuple[str, ...]] = ("account_id", "trade_id")


def test_a_finding_names_the_record_by_its_key_whatever_its_class() -> None:
    checker = parse_policy(PLAIN).compile(as_of=AS_OF)
    big = _trade(quantity="100")
    (finding,) = checker.check_trade(big, _account())
    assert finding.record_id == big.key == "T1"
    own = _OwnKey.model_validate(big.model_dump())
    (finding,) = checker.check_trade(own, _account())
    assert finding.record_id == "own:T1"
    more = _MoreKeys.model_validate(big.model_dump())
    (finding,) = checker.check_trade(more, _account())
    assert finding.record_id == more.key == "A1|T1"


def test_python_rules_run_as_usual_after_a_record_rule_raised() -> None:
    """The rule-by-rule path gets names of its own: the Python rules after it get theirs
    (not ``as_of`` twice, which made each of them an error finding)."""

    @rk.rules.rule("SMALL-LOT", applies_to="trade", severity="low")
    def small_lot(trade: rk.Trade, account: rk.Account | None, as_of: datetime) -> bool:
        return trade.quantity <= 10

    checker = parse_policy(SHARED).with_rules(small_lot).compile(as_of=AS_OF)
    buy = _trade().model_copy(update={"leverage": "fifty"})
    found = [(f.rule_id, str(f.severity)) for f in checker.check_trade(buy, _account())]
    assert found == [
        ("BUY", "error"),
        ("BUY-AGAIN", "error"),
        ("ANY", "high"),
        ("SMALL-LOT", "low"),
    ]
