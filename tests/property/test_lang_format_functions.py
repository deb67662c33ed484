"""fits_digits, matches, mic_category, mic_country and date literals: the Python and polars
backends agree, and fits_digits means what the chains of ``%`` it replaced meant.

ESMA74-362-2683 gives number formats as "up to 25 digits, up to 5 decimals" (e.g.
EMIR-VR-2021-01, field 2.21 valuation amount) and "up to 18 digits, up to 13 decimals" (e.g.
EMIR-VR-2048-02, field 2.48 price): the emir-refit-vr pack tests them with
``fits_digits(x, total, decimals)``, which counts a number's digits by its value (1.50 has
one decimal).
"""

from __future__ import annotations

import types
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regkit import Account
from regkit.errors import PolicyError
from regkit.rules.lang import Scope, compile_expr, to_polars, to_python

SCOPE = Scope(
    "trade", {"account": Account}, {"total": 18, "places": 13, "pair": "[A-Z]{3}/[A-Z]{3}"}
)
LIMITS = [(25, 5), (18, 13), (1, 0), (5, 5), (38, 28), (3, 1)]
#: The limits a chain of ``%`` can state (its bounds are decimal literals, below 10^28).
CHAIN_LIMITS = [(25, 5), (18, 13), (1, 0), (5, 5), (27, 20), (3, 1)]


def _chain(field: str, total: int, fraction: int) -> str:
    """The chain of ``%`` the pack used before fits_digits (one term per count of decimals)."""
    terms = [
        f"({field} % {'1' if k == 0 else '0.' + '0' * (k - 1) + '1'} == 0 "
        f"and abs({field}) < {10 ** (total - k)}.0)"
        for k in range(fraction + 1)
    ]
    return "(" + " or ".join(terms) + ")"


def _python(text: str, **record: Any) -> Any:
    return to_python(compile_expr(text, SCOPE))(trade=types.SimpleNamespace(**record))


def _polars(text: str, column: pl.Series) -> list[Any]:
    frame = pl.DataFrame([column])
    return frame.select(to_polars(compile_expr(text, SCOPE)).alias("v"))["v"].to_list()


def _scaled(digits: int, scale: int, negative: bool, zeros: int) -> Decimal:
    """A decimal of ``digits`` written digits, ``scale`` of them decimals, then ``zeros``
    trailing zeros written beyond them (so 1.5 can be written 1.500)."""
    value = Decimal(digits).scaleb(-scale)
    value = value.quantize(Decimal(1).scaleb(-(scale + zeros))) if scale + zeros <= 28 else value
    return -value if negative else value


decimals = st.builds(
    _scaled,
    st.integers(0, 10**20),
    st.integers(0, 16),
    st.booleans(),
    st.integers(0, 4),
)
any_decimals = decimals | st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
    lambda d: abs(d.as_tuple().exponent) < 60  # type: ignore[arg-type]
)


@settings(max_examples=300, deadline=None)
@given(any_decimals, st.sampled_from(CHAIN_LIMITS))
def test_fits_digits_is_the_chain_of_remainders(value: Decimal, limits: tuple[int, int]) -> None:
    total, fraction = limits
    fits = _python(f"fits_digits(trade.price, {total}, {fraction})", price=value)
    assert fits is _python(_chain("trade.price", total, fraction), price=value)


@settings(max_examples=200, deadline=None)
@given(st.lists(decimals | st.none(), min_size=1, max_size=12), st.sampled_from(LIMITS))
def test_fits_digits_agrees_on_both_backends(
    values: list[Decimal | None], limits: tuple[int, int]
) -> None:
    total, fraction = limits
    scale = max(
        (-v.as_tuple().exponent for v in values if v is not None),  # type: ignore[operator]
        default=0,
    )
    column = pl.Series("price", values, dtype=pl.Decimal(38, max(scale, 0)))
    text = f"fits_digits(trade.price, {total}, {fraction})"
    expected = [_python(text, price=v) for v in values]
    assert _polars(text, column) == expected
    assert [v is not None for v in expected] == [True] * len(values)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-(10**18), 10**18) | st.none(), min_size=1, max_size=12))
def test_fits_digits_of_integers_agrees_on_both_backends(values: list[int | None]) -> None:
    text = "fits_digits(trade.price, 5, 0)"
    column = pl.Series("price", values, dtype=pl.Int64)
    assert _polars(text, column) == [_python(text, price=v) for v in values]


@pytest.mark.parametrize(
    ("value", "total", "fraction", "fits"),
    [
        ("1.50", 2, 1, True),  # 1.5: one decimal, by value
        ("1.5000000000000", 2, 1, True),
        ("0.05", 2, 2, True),  # the zero before the mark does not count, the one after does
        ("0.05", 1, 1, False),
        ("-123.456", 6, 3, True),  # the sign is no digit
        ("-123.456", 5, 3, False),
        ("0", 1, 0, True),
        ("0E-40", 1, 0, True),
        ("-0.000", 1, 0, True),
        ("1E+24", 25, 5, True),
        ("1E+25", 25, 5, False),  # 26 digits
        ("1E-5", 25, 5, True),
        ("1E-6", 25, 5, False),
        ("99999999999999999999.99999", 25, 5, True),
        ("100000000000000000000.00001", 25, 5, False),
        ("1.08500000000001", 18, 13, False),  # 14 decimals (EMIR-VR-2048-02)
        ("1.0850000000001", 18, 13, True),
        ("NaN", 25, 5, False),
        ("Infinity", 25, 5, False),
    ],
)
def test_fits_digits_counts_digits_by_value(
    value: str, total: int, fraction: int, fits: bool
) -> None:
    text = f"fits_digits(trade.price, {total}, {fraction})"
    assert _python(text, price=Decimal(value)) is fits
    assert _python(text, price=None) is False


def test_fits_digits_takes_parameters_and_refuses_bad_limits() -> None:
    text = "fits_digits(trade.price, params.total, params.places)"
    assert _python(text, price=Decimal("1.0850000000001")) is True
    for wrong, reason in [
        ("fits_digits(trade.price, trade.leverage, 2)", "must be whole numbers"),
        ("fits_digits(trade.price, 2.5, 2)", "must be whole numbers"),
        ("fits_digits(trade.price, 3, 4)", "decimals from 0 to total"),
        ("fits_digits(trade.price, 39, 4)", "total from 1 to 38"),
        ("fits_digits(trade.side, 3, 1)", "needs a number"),
    ]:
        with pytest.raises(PolicyError, match=reason):
            compile_expr(wrong, SCOPE)


# --- matches ---------------------------------------------------------------------------------

PATTERNS = [
    "[A-Z]{3}/[A-Z]{3}",
    "(?:F[A-WYZ]{2}.{3}|O[A-WYZ].[A-WYZ].{2}|[A-EG-NP-WYZ][A-WYZ].{4})",
    "[A-Za-z0-9 ]{1,50}",
    r"\d+(?:\.\d+)?",
    "[^/]*",
]
texts = st.text(alphabet="AZOFXYUSDEab/. 0123456789\n", max_size=8)


@settings(max_examples=200, deadline=None)
@given(st.lists(texts | st.none(), min_size=1, max_size=10), st.sampled_from(PATTERNS))
def test_matches_agrees_on_both_backends(values: list[str | None], pattern: str) -> None:
    text = f"matches(trade.uti, {pattern!r})"
    column = pl.Series("uti", values, dtype=pl.String)
    expected = [_python(text, uti=v) for v in values]
    assert _polars(text, column) == expected
    assert all(type(v) is bool for v in expected)


@pytest.mark.parametrize(
    ("value", "matched"),
    [
        ("EUR/USD", True),
        ("EUR/USD\n", False),
        ("xEUR/USD", False),
        ("EUR/USDx", False),
        (None, False),
    ],
)
def test_matches_wants_the_whole_text(value: str | None, matched: bool) -> None:
    text = 'matches(trade.uti, "[A-Z]{3}/[A-Z]{3}")'
    assert _python(text, uti=value) is matched
    assert _polars(text, pl.Series("uti", [value], dtype=pl.String)) == [matched]
    assert _python("matches(trade.uti, params.pair)", uti=value) is matched


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("(a+)+", "repeats a repeat of varying length"),
        ("(?:ab|c)*", "repeats an '|'"),
        ("^a", "anchor"),
        (r"a\b", "anchor"),
        (r"\w+", r"class escape other than \\d"),
        (r"[\s]", r"class escape other than \\d"),
        ("(?i)a", "sets flags"),
        ("a(?s:.)", "sets flags"),
        (r"(a)\1", "back reference"),
        ("a(?=b)", "look-around"),
        ("[", "is no regular expression"),
        ("a" * 201, "201 characters"),
    ],
)
def test_matches_refuses_unsafe_patterns(pattern: str, reason: str) -> None:
    with pytest.raises(PolicyError, match=reason):
        compile_expr(f"matches(trade.uti, {pattern!r})", SCOPE)


def test_matches_needs_a_known_pattern() -> None:
    with pytest.raises(PolicyError, match="string literal or a string parameter"):
        compile_expr("matches(trade.uti, trade.trade_id)", SCOPE)


# --- mic_category, mic_country, date literals ----------------------------------------------


@pytest.mark.parametrize(
    ("mic", "category", "country"),
    [
        ("XCNQ", "RMKT", "CA"),  # ISO 10383: Canadian Securities Exchange, a regulated market
        ("XLON", "RMKT", "GB"),
        ("XOFF", "NSPD", "ZZ"),  # the registry lists XOFF and XXXX as "not specified"
        ("XXXX", "NSPD", "ZZ"),
        ("ZZZZ", None, None),
        (None, None, None),
    ],
)
def test_mic_category_and_country(
    mic: str | None, category: str | None, country: str | None
) -> None:
    column = pl.Series("venue", [mic], dtype=pl.String)
    assert _python("mic_category(trade.venue)", venue=mic) == category
    assert _python("mic_country(trade.venue)", venue=mic) == country
    assert _polars("mic_category(trade.venue)", column) == [category]
    assert _polars("mic_country(trade.venue)", column) == [country]


def test_a_date_literal_is_a_date_when_the_policy_loads() -> None:
    node = compile_expr('date("2014-02-12")', SCOPE).node
    assert node.value == date(2014, 2, 12)  # type: ignore[attr-defined]
    text = 'date(trade.executed_at) >= date("2014-02-12")'
    assert compile_expr(text, SCOPE).type.kind == "bool"
    for wrong in ['date("2014-02-30")', 'date("12.02.2014")', 'date("20140212")']:
        with pytest.raises(PolicyError, match="is not a date"):
            compile_expr(wrong, SCOPE)
