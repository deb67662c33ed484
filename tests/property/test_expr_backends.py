"""Random well-typed expressions on random records: the Python and polars backends agree."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import accounts, identifiers, joined_frame, key_of, trades

from regkit import (
    Account,
    Capacity,
    ClientCategory,
    Delivery,
    KycStatus,
    PositionEffect,
    Product,
    RiskRating,
    Side,
    UnderlyingClass,
)
from regkit.rules.lang import Scope, compile_expr, to_polars, to_python

PARAMS: dict[str, Any] = {
    "leverage_caps": {"fx_major": 30, "fx_minor": 20, "gold": 20.5, "equity": 5, "crypto": 2},
    "limit": 250,
    "threshold": 1000.25,
    "countries": ["DE", "CZ", "CY"],
}
SCOPE = Scope("trade", {"account": Account}, PARAMS)

NUMERIC = [
    "trade.leverage",
    "trade.margin",
    "trade.quantity",
    "trade.price",
    "trade.requested_price",
    "trade.instrument.price_multiplier",
]
ENUMS: dict[str, Any] = {
    "trade.side": Side,
    "trade.capacity": Capacity,
    "trade.position_effect": PositionEffect,
    "trade.instrument.product": Product,
    "trade.instrument.underlying_class": UnderlyingClass,
    "trade.instrument.delivery": Delivery,
    "account.category": ClientCategory,
    "account.kyc.status": KycStatus,
    "account.kyc.risk_rating": RiskRating,
}
OPTIONAL = [
    "trade.leverage",
    "trade.margin",
    "trade.uti",
    "trade.position_effect",
    "account.kyc",
    "account.holder.lei",
    "account.holder.first_name",
    "account.kyc.risk_rating",
    "account.closed_at",
    "account.holder",
    "trade.instrument",
]
CMP = ["==", "!=", "<", "<=", ">", ">="]

literals = st.decimals(
    min_value=Decimal("-10"), max_value=Decimal("2000"), places=2, allow_nan=False
).map(str) | st.integers(0, 600).map(str)


@st.composite
def numbers(draw: st.DrawFn) -> str:
    """A numeric expression over numeric fields, literals and params."""
    field = draw(st.sampled_from(NUMERIC))
    other = draw(st.sampled_from(NUMERIC))
    literal = draw(literals)
    return draw(
        st.sampled_from(
            [
                field,
                f"({field} + {other})",
                f"({field} - {literal})",
                f"({field} * {literal})",
                f"({field} % {literal})",
                f"({field} % {other})",
                f"(-{field})",
                f"abs({field} - {literal})",
                f"min({field}, {literal})",
                f"max({field}, {other})",
                "params.limit",
                "params.threshold",
                "params.leverage_caps[trade.instrument.underlying_class]",
                f"({literal} if {field} > {draw(literals)} else {field})",
            ]
        )
    )


@st.composite
def atoms(draw: st.DrawFn) -> str:
    """A boolean expression without and/or/not."""
    choice = draw(st.integers(0, 8))
    if choice <= 2:
        return f"{draw(numbers())} {draw(st.sampled_from(CMP))} {draw(literals)}"
    if choice == 3:
        return f"{draw(numbers())} {draw(st.sampled_from(CMP))} {draw(numbers())}"
    if choice == 4:
        name = draw(st.sampled_from(sorted(ENUMS)))
        values = [m.value for m in ENUMS[name]]
        if draw(st.booleans()):
            op = draw(st.sampled_from(["==", "!="]))
            return f'{name} {op} "{draw(st.sampled_from(values))}"'
        chosen = draw(st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True))
        op = draw(st.sampled_from(["in", "not in"]))
        return f"{name} {op} [{', '.join(repr(v) for v in chosen)}]"
    if choice == 5:
        negate = draw(st.sampled_from(["is", "is not"]))
        return f"{draw(st.sampled_from(OPTIONAL))} {negate} None"
    if choice == 6:
        return draw(
            st.sampled_from(
                [
                    "account.kyc.pep",
                    "is_valid_lei(account.holder.lei)",
                    '"DE" in account.holder.nationalities',
                    "len(account.holder.first_name) > 3",
                    'upper(trade.side) == "BUY"',
                    'lower(trade.capacity) == "deal"',
                    "trade.instrument.base_currency in params.countries",
                ]
            )
        )
    days = draw(st.integers(-400, 40_000))
    return draw(
        st.sampled_from(
            [
                f"days_between(trade.executed_at, as_of) > {days}",
                f"days_between(account.opened_at, trade.executed_at) <= {days}",
                f"weekday(trade.executed_at) == {draw(st.integers(0, 6))}",
                "trade.executed_at < as_of",
                "account.opened_at < trade.executed_at",
                "date(trade.executed_at) == date(as_of)",
                f"days_between(trade.instrument.expiry_date, date(as_of)) < {days}",
            ]
        )
    )


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, children).map(lambda p: f"({p[0]} and {p[1]})"),
        st.tuples(children, children).map(lambda p: f"({p[0]} or {p[1]})"),
        children.map(lambda c: f"(not {c})"),
    )


expressions = st.recursive(atoms(), _combine, max_leaves=5)


@st.composite
def books(draw: st.DrawFn) -> tuple[list[Any], list[Account]]:
    """Accounts with distinct ids and trades on those accounts.

    (The ids are set with ``model_copy``: ``accounts(account_id=...)`` and
    ``trades(account_id=...)`` test a strategy for truth, which hypothesis warns about.)
    """
    ids = draw(st.lists(identifiers("A"), min_size=1, max_size=4, unique=True))
    book = [draw(accounts()).model_copy(update={"account_id": i}) for i in ids]
    found = [
        trade.model_copy(update={"account_id": draw(st.sampled_from(ids))})
        for trade in draw(st.lists(trades(), min_size=1, max_size=8, unique_by=key_of))
    ]
    return found, book


@settings(max_examples=50, deadline=None)
@given(
    books(),
    st.lists(expressions, min_size=1, max_size=4),
    st.datetimes(datetime(2000, 1, 1), datetime(2099, 1, 1), timezones=st.just(UTC)),
)
def test_python_and_polars_agree(
    book: tuple[list[Any], list[Account]], texts: list[str], as_of: datetime
) -> None:
    found, owners = book
    by_id = {account.account_id: account for account in owners}
    frame = joined_frame(found, owners)
    for text in texts:
        expr = compile_expr(text, SCOPE, where="property")
        function = to_python(expr)
        expected = [
            function(trade=trade, account=by_id[trade.account_id], as_of=as_of) for trade in found
        ]
        got = frame.with_columns(to_polars(expr, as_of=as_of).alias("v"))["v"].to_list()
        assert all(type(value) is bool for value in expected), text
        assert got == expected, text


@settings(max_examples=25, deadline=None)
@given(books(), st.lists(numbers(), min_size=1, max_size=3))
def test_numeric_values_agree(book: tuple[list[Any], list[Account]], texts: list[str]) -> None:
    found, owners = book
    by_id = {account.account_id: account for account in owners}
    frame = joined_frame(found, owners)
    for text in texts:
        expr = compile_expr(text, SCOPE)
        function = to_python(expr)
        expected = [function(trade=t, account=by_id[t.account_id]) for t in found]
        got = frame.with_columns(to_polars(expr).alias("v"))["v"].to_list()
        for mine, theirs in zip(expected, got, strict=True):
            assert (mine is None) == (theirs is None), text
            if mine is not None:
                assert Decimal(theirs) == Decimal(mine), (text, mine, theirs)


# --- remainders: large dividends, tiny divisors ------------------------------------------


@st.composite
def dividends(draw: st.DrawFn) -> list[Decimal]:
    """Positive quantities of one scale (a column's), up to 10^15 so that a frame's notional
    (quantity × price × multiplier) still fits polars' decimals."""
    places = draw(st.integers(0, 8))
    numbers = st.integers(10**places, 10 ** (15 + places) - 1)
    return [Decimal(n).scaleb(-places) for n in draw(st.lists(numbers, min_size=1, max_size=8))]


@st.composite
def divisors(draw: st.DrawFn) -> Decimal:
    """A divisor from 10^-28 (the finest literal) to 10^4, either sign."""
    digits = draw(st.integers(1, 999_999))
    value = Decimal(digits).scaleb(-draw(st.integers(0, 28)))
    return -value if draw(st.booleans()) else value


def _exact_remainder(dividend: Decimal, divisor: Decimal) -> Fraction:
    """The remainder with the sign of the divisor, by exact rational arithmetic."""
    return Fraction(dividend) % Fraction(divisor)


@settings(max_examples=40, deadline=None)
@given(
    books(),
    dividends(),
    st.lists(divisors(), min_size=1, max_size=3),
)
def test_remainders_agree_for_large_dividends_and_tiny_divisors(
    book: tuple[list[Any], list[Account]], quantities: list[Decimal], divisors: list[Decimal]
) -> None:
    # Python's 28-digit context raised DivisionImpossible once the integer quotient had more
    # than 28 digits (10^20 % 10^-10); polars' remainder is exact. Both are exact now.
    found, owners = book
    by_id = {account.account_id: account for account in owners}
    found = [
        trade.model_copy(update={"quantity": quantities[index % len(quantities)]})
        for index, trade in enumerate(found)
    ]
    frame = joined_frame(found, owners)
    for divisor in divisors:
        literal = format(divisor, "f")
        for text in (f"trade.quantity % {literal}", f"trade.quantity % {literal} == 0"):
            expr = compile_expr(text, SCOPE)
            function = to_python(expr)
            expected = [function(trade=t, account=by_id[t.account_id]) for t in found]
            got = frame.with_columns(to_polars(expr).alias("v"))["v"].to_list()
            exact = [_exact_remainder(t.quantity, divisor) for t in found]
            if expr.type.kind == "bool":
                assert expected == got == [rest == 0 for rest in exact], text
            else:
                assert [Fraction(v) for v in expected] == exact, text
                assert [Fraction(v) for v in got] == exact, text
