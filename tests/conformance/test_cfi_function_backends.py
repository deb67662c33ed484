"""cfi(instrument) on random trades: the Python and polars backends agree exactly, and both
give the CFI a report carries (RTS 22 field 43, EMIR REFIT table 2 field 9): the one the
instrument gives, else the one ISO 10962 derives (``derive_cfi``), else ``None``."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import derived_cfi, instruments, key_of, trades

from regkit import Account, Instrument, Trade
from regkit.errors import PolicyError
from regkit.rules import Scope, compile_expr, to_polars, to_python
from regkit.schemas.columnar import to_frame
from regkit.schemas.enums import ExerciseStyle, OptionType, Product

SCOPE = Scope("trade", {"account": Account}, {"categories": {"cfd": "J", "option": "H"}})
TEXTS = [
    "cfi(trade.instrument)",
    "cfi(trade.instrument) is None",
    "cfi(trade.instrument) is not None and trade.instrument.cfi is None",
    "trade.instrument.isin is not None or cfi(trade.instrument) is not None",
    'startswith(cfi(trade.instrument), "J")',
    "startswith(cfi(trade.instrument), params.categories[trade.instrument.product])",
    "len(cfi(trade.instrument))",
    'coalesce(cfi(trade.instrument), "XXXXXX")',
    "cfi(trade.instrument) == trade.instrument.cfi",
]


@st.composite
def classified_instruments(draw: st.DrawFn) -> Instrument:
    """Any instrument of :func:`instruments`; an option mostly with its type and exercise
    style (without them ISO 10962 gives it no group letters), its CFI kept consistent."""
    instrument = draw(instruments())
    if instrument.product is not Product.OPTION:
        return instrument
    data = instrument.model_dump()
    data["option_type"] = draw(st.sampled_from([*OptionType, None]))
    data["exercise_style"] = draw(st.sampled_from([*ExerciseStyle, None]))
    if data["cfi"] is not None:  # a given CFI must agree with the new terms (cfi_problem)
        data["cfi"] = derived_cfi(data) or data["cfi"]
    return Instrument.model_validate(data)


@st.composite
def books(draw: st.DrawFn) -> list[Trade]:
    """Trades on a few instruments, so that many rows share one (the lowering maps each
    distinct instrument once)."""
    pool = draw(st.lists(classified_instruments(), min_size=1, max_size=4))
    return draw(
        st.lists(trades(instrument=st.sampled_from(pool)), min_size=1, max_size=8, unique_by=key_of)
    )


def _reported(instrument: Instrument) -> str | None:
    """What the MiFIR renderer writes in field 43 for an instrument without an ISIN."""
    return instrument.cfi if instrument.cfi is not None else derived_cfi(instrument)


@settings(max_examples=80, deadline=None)
@given(books(), st.lists(st.sampled_from(TEXTS), min_size=1, max_size=3))
def test_the_backends_agree(book: list[Trade], texts: list[str]) -> None:
    frame = to_frame(book)
    for text in texts:
        expr = compile_expr(text, SCOPE, where="property")
        function = to_python(expr)
        expected = [function(trade=trade) for trade in book]
        got = frame.with_columns(to_polars(expr).alias("v"))["v"].to_list()
        assert got == expected, text
        if expr.type.kind == "bool":
            assert all(type(value) is bool for value in expected), text


@settings(max_examples=150, deadline=None)
@given(books())
def test_cfi_is_the_reported_cfi(book: list[Trade]) -> None:
    expr = compile_expr("cfi(trade.instrument)", SCOPE)
    function = to_python(expr)
    expected = [_reported(trade.instrument) for trade in book]
    assert [function(trade=trade) for trade in book] == expected
    assert to_frame(book).select(to_polars(expr).alias("v"))["v"].to_list() == expected


def test_cfi_of_examples() -> None:
    """A given CFI stands; a CFD on EUR/USD is JFTXCC (ISO 10962: forward, foreign
    exchange, spot underlying, contract for difference, cash); regkit derives none for a
    CFD on an "other" underlying without an asset class."""
    eurusd = Instrument(
        symbol="EURUSD",
        product="cfd",
        underlying_class="fx_major",
        base_currency="EUR",
        quote_currency="USD",
    )
    other = Instrument(symbol="WHEAT", product="cfd", underlying_class="other")
    classed = other.model_copy(update={"cfi": "JTMXCC"})
    found = [
        Trade(
            trade_id=f"T{index}",
            account_id="A1",
            instrument=instrument,
            side="buy",
            quantity="1",
            price="1.1",
            executed_at="2026-11-20T09:30:00Z",
            capacity="DEAL",
        )
        for index, instrument in enumerate([eurusd, other, classed])
    ]
    expr = compile_expr("cfi(trade.instrument)", SCOPE)
    function = to_python(expr)
    assert [function(trade=trade) for trade in found] == ["JFTXCC", None, "JTMXCC"]
    got = to_frame(found).select(to_polars(expr).alias("v"))["v"].to_list()
    assert got == ["JFTXCC", None, "JTMXCC"]


@pytest.mark.parametrize(
    "text", ["cfi(trade.instrument.symbol)", "cfi(account.holder)", "cfi(account.kyc)"]
)
def test_cfi_needs_an_instrument(text: str) -> None:
    with pytest.raises(PolicyError, match=r"cfi\(\) needs an instrument record"):
        compile_expr(text, SCOPE)
