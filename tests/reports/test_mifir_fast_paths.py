"""The fast paths of MiFIR build and write give what the checked paths give, byte for byte.

* :meth:`ReportBuilder.build` takes a trade whose instrument, price currency and decisions
  it has seen in one step (their fields in one shared dict); any other trade takes the
  checked path, field by field. Both give equal reports, skips and refusals.
* :func:`write_report` writes what a report shares with others (the parties, fields 4-20
  and 25; the instrument, decisions and indicators, fields 41-65) once per distinct set of
  the fields it is written from: a report written after any others is the report written
  with no cache at all.
* A price (RTS 22 field 33, at most 13 decimals in auth.016) and a quantity (field 30, 17)
  are written as :func:`~regkit.reports.values.xml_decimal` writes them, and refused where
  it refuses them, on the fast path too.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from test_mifir_render import ACCOUNTS, EURUSD, TRADERS, firm, trade
from test_mifir_render_property import batches

from regkit import Instrument, Product, Trade
from regkit.reports.mifir import ReportBuilder, write_report
from regkit.reports.mifir import write as mifir_write
from regkit.reports.values import RefusedError, xml_decimal
from regkit.schemas.mifir import MifirReport

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class _Forgetful(dict[Any, Any]):
    """A cache that keeps nothing: every trade then takes the builder's checked path."""

    def __setitem__(self, key: Any, value: Any) -> None:
        return None


def _builders(batch: dict[str, Any]) -> tuple[ReportBuilder, ReportBuilder]:
    options = {"traders": batch["traders"], "reportability": batch["reportability"]}
    fast = ReportBuilder(batch["accounts"], batch["firm"], **options)
    checked = ReportBuilder(batch["accounts"], batch["firm"], **options)
    checked.shared = _Forgetful()
    return fast, checked


def _same(one: MifirReport | None, other: MifirReport | None) -> None:
    assert one == other
    if one is not None and other is not None:
        assert list(vars(one).items()) == list(vars(other).items())  # order and values
        assert repr(one) == repr(other)


@FAST
@given(batches())
def test_the_fast_build_is_the_checked_build(batch: dict[str, Any]) -> None:
    fast, checked = _builders(batch)
    for _ in range(2):  # the second time, every trade the fast path can take takes it
        for item in batch["trades"]:
            _same(fast.build(item), checked.build(item))
    assert fast.skipped == checked.skipped
    assert fast.refused == checked.refused
    assert fast.reported == checked.reported


@FAST
@given(batches())
def test_a_report_written_after_others_is_the_report_written_alone(batch: dict[str, Any]) -> None:
    fast, _ = _builders(batch)
    reports = [report for item in batch["trades"] if (report := fast.build(item)) is not None]
    alone = []
    for report in reports:
        mifir_write._PARTIES.clear()
        mifir_write._DESCRIBED.clear()
        alone.append(write_report(report))
    # The caches now hold earlier examples' reports too (they are the module's).
    assert [write_report(report) for report in reports] == alone


@pytest.mark.parametrize("first", ["1", "1.0"])
def test_equal_decimals_are_written_as_given(first: str) -> None:
    """1 and 1.0 are equal (and hash alike); each instrument's multiplier (field 49) is
    written as the instrument gives it, whichever was written first."""
    second = "1.0" if first == "1" else "1"
    builder = ReportBuilder(ACCOUNTS.values(), firm(), traders=TRADERS)
    texts = []
    for number, multiplier in enumerate((first, second)):
        instrument = EURUSD.model_copy(update={"price_multiplier": Decimal(multiplier)})
        report = builder.build(trade(f"T{number}", instrument=instrument))
        assert report is not None
        texts.append(write_report(report))
    assert f"<PricMltplr>{first}</PricMltplr>" in texts[0]
    assert f"<PricMltplr>{second}</PricMltplr>" in texts[1]


# Positive decimals a trade holds (at most 18 decimals), of every size and exponent: plain
# digits within the XSD's limits and beyond them, trailing zeros, exponents (1E+3).
AMOUNTS = st.builds(
    lambda digits, exponent: Decimal(digits).scaleb(exponent),
    st.integers(1, 10**21) | st.sampled_from([1, 10, 100, 1000, 12500]),
    st.integers(-18, 4),
)


def _written(value: Decimal, fraction: int, field: str) -> str | None:
    try:
        return xml_decimal(value, field, fraction)
    except RefusedError:
        return None


@FAST
@given(AMOUNTS, AMOUNTS)
def test_price_and_quantity_are_written_and_refused_as_xml_decimal_does(
    price: Decimal, quantity: Decimal
) -> None:
    builder = ReportBuilder(ACCOUNTS.values(), firm(), traders=TRADERS)
    builder.build(trade("WARM"))  # the instrument, currency and decisions are shared
    try:
        item = trade("T1", price=price, quantity=quantity)
    except ValidationError:  # beyond what a trade holds (the schema's own limits)
        reject()
    report = builder.build(item)
    price_text, quantity_text = _written(price, 13, "price"), _written(quantity, 17, "quantity")
    if price_text is None or quantity_text is None:
        assert report is None
        fields = {bad.field for bad in builder.refused}
        assert fields == {
            name for name, text in (("price", price_text), ("quantity", quantity_text))
            if text is None
        }  # fmt: skip
        return
    assert report is not None
    written = write_report(report)
    assert f'<Amt Ccy="USD">{price_text}</Amt>' in written
    assert f"<Qty><Unit>{quantity_text}</Unit></Qty>" in written


@pytest.mark.parametrize(
    "value", ["NaN", "sNaN", "NaN123", "Infinity", "-Infinity", "1E+3", "1.00000000000000000001"]
)
def test_write_refuses_or_writes_odd_prices_as_xml_decimal_does(value: str) -> None:
    """A report made by hand (not by the builder) with a price auth.016 cannot hold is
    refused naming the field; one it can is written in plain digits."""
    report = ReportBuilder(ACCOUNTS.values(), firm(), traders=TRADERS).build(trade("T1"))
    assert report is not None
    odd = report.model_copy(update={"price": Decimal(value)})
    expected = _written(Decimal(value), 13, "price")
    if expected is None:
        with pytest.raises(RefusedError) as refused:
            write_report(odd)
        assert refused.value.field == "price"
    else:
        assert f">{expected}</Amt>" in write_report(odd)


def test_a_spread_bet_and_an_aotc_trade_take_the_checked_path() -> None:
    """A spread bet's quantity currency may be its account's, and AOTC is refused (the firm
    is the client's counterparty): neither shares the fast path's fields."""
    builder = ReportBuilder(ACCOUNTS.values(), firm(), traders=TRADERS)
    bet = EURUSD.model_copy(update={"product": Product.SPREAD_BET, "cfi": None})
    for number in range(2):
        report = builder.build(trade(f"B{number}", instrument=bet, quantity_currency="GBP"))
        assert report is not None
        assert (report.quantity_kind, report.quantity_currency) == ("monetary_value", "GBP")
    assert builder.build(trade("T1")) is not None
    aotc: Trade = trade("T2", capacity="AOTC")
    assert builder.build(aotc) is None
    assert [bad.field for bad in builder.refused] == ["capacity"]
    assert isinstance(bet, Instrument)
