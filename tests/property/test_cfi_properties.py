"""Property tests of the derived CFI (ISO 10962:2019) and full name (RTS 22 fields 42-43):
every derived code is valid and says, letter by letter, what the instrument it came from
says; the derivation is deterministic; full names fit field 42 and name their underlying."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import derived_cfi, instruments

from regkit.errors import IdentifierError
from regkit.schemas import Instrument
from regkit.schemas.enums import ExerciseStyle, OptionType
from regkit.schemas.identifiers import (
    CFI_TERMS,
    FULL_NAME_MAX,
    cfi_problem,
    derive_cfi,
    derive_full_name,
    describe_cfi,
    full_name_underlying,
    is_valid_cfi,
)

SETTINGS = settings(max_examples=300, deadline=None)

#: ISO 10962's category of each product (clause 5): CFDs and spread bets are forwards.
CATEGORY = {
    "cfd": "Forwards",
    "spread_bet": "Forwards",
    "forward": "Forwards",
    "spot": "Spot",
    "swap": "Swaps",
    "option": "Non-listed and complex listed options",
}
#: The group (the asset the contract is on) of each underlying class; "other" by its
#: asset class, and an option on it without one is "Others (miscellaneous)".
GROUP = {
    "fx_major": "Foreign exchange",
    "fx_minor": "Foreign exchange",
    "gold": "Commodities",
    "commodity": "Commodities",
    "crypto": "Commodities",
    "index_major": "Equity",
    "index_minor": "Equity",
    "equity": "Equity",
    "bond": "Rates",
    "EQUI": "Equity",
    "COMM": "Commodities",
    "CURR": "Foreign exchange",
    "INTR": "Rates",
}
#: The payout letter of a forward-like product, with the two groups whose table lacks it.
PAYOUT = {
    "cfd": "Contract for difference",
    "spread_bet": "Spread-bet",
    "forward": "Forward price of underlying instrument",
}
PAYOUT_EXCEPTIONS = {
    ("Rates", "cfd"): "Forward price of underlying instrument",
    ("Commodities", "spread_bet"): "Contract for difference",
}


@st.composite
def priced_instruments(draw: st.DrawFn) -> Instrument:
    """Any instrument; an option also gets (or not) its type and exercise style."""
    instrument = draw(instruments())
    if instrument.product != "option":
        return instrument
    data = instrument.model_dump()
    # Mostly given, so that most options can be classified; sometimes missing.
    data["option_type"] = draw(st.sampled_from([*OptionType, *OptionType, None]))
    data["exercise_style"] = draw(st.sampled_from([*ExerciseStyle, *ExerciseStyle, None]))
    if data["cfi"] is not None:  # a given CFI must agree with what the new terms derive
        data["cfi"] = derived_cfi(data) or data["cfi"]
    return Instrument.model_validate(data)


def _derived(instrument: Instrument) -> tuple[str | None, str]:
    """The derived CFI, or ``None`` and why there is none."""
    try:
        return derive_cfi(instrument), ""
    except IdentifierError as error:
        return None, str(error)


def _value(value: Any) -> str | None:
    return None if value is None else str(value)


def _group(instrument: Instrument) -> str:
    if instrument.underlying_class == "other":
        if instrument.asset_class is None:
            return "Others (miscellaneous)"
        return GROUP[instrument.asset_class]
    return GROUP[instrument.underlying_class]


def _agrees(cfi: str, instrument: Instrument) -> None:
    meanings = dict(describe_cfi(cfi)[:2])
    letters = describe_cfi(cfi)[2:]
    product = instrument.product.value
    assert meanings["category"] == CATEGORY[product]
    group = meanings["group"]
    assert group == _group(instrument)
    # Every attribute letter is one the standard lists for its group's attribute.
    assert all("not a letter" not in meaning for _, meaning in letters)
    named = dict(letters)
    if product in PAYOUT:
        expected = PAYOUT_EXCEPTIONS.get((group, product), PAYOUT[product])
        assert named["Return or payout trigger"] == expected
    if product == "option":
        style = f"{instrument.exercise_style} {instrument.option_type}"
        assert named["Option style and type"].lower() == style
    if instrument.underlying_class == "equity":
        assert named["Underlying assets"] == "Single stock"
    if instrument.underlying_class in ("index_major", "index_minor"):
        assert named["Underlying assets"] == "Index"
    delivery = _value(instrument.delivery) or ("cash" if product in ("cfd", "spread_bet") else None)
    if "Delivery" in named and delivery is not None:
        settles = {"cash": ("Cash", "Non-deliverable"), "physical": ("Physical",)}[delivery]
        assert named["Delivery"] in settles


@SETTINGS
@given(priced_instruments())
def test_every_derived_cfi_is_valid_and_agrees_with_its_instrument(instrument: Instrument) -> None:
    cfi, error = _derived(instrument)
    if cfi is None:
        assert error.startswith(f"CFI of {instrument.symbol}: ")
        # A broker's CFDs and spread bets, settled in cash, always have one.
        assert not (
            instrument.product in ("cfd", "spread_bet")
            and instrument.delivery in (None, "cash")
            and instrument.underlying_class != "other"
        )
        return
    assert is_valid_cfi(cfi)
    _agrees(cfi, instrument)
    terms = [getattr(instrument, name) for name in CFI_TERMS]
    assert cfi_problem(cfi, *terms) is None
    other = "JFTXCC" if cfi != "JFTXCC" else "JEIXCC"
    assert cfi_problem(other, *terms) == (
        f"cfi {other} contradicts {cfi}, derived from a {instrument.product} on a "
        f"{instrument.underlying_class} underlying (ISO 10962)"
    )


@SETTINGS
@given(priced_instruments())
def test_the_derivation_is_deterministic(instrument: Instrument) -> None:
    copy = Instrument.model_validate(instrument.model_dump())
    assert derive_full_name(instrument) == derive_full_name(copy)
    assert _derived(instrument) == _derived(copy)


@SETTINGS
@given(priced_instruments())
def test_full_names_fit_field_42_and_name_their_underlying(instrument: Instrument) -> None:
    name = derive_full_name(instrument)
    assert name
    assert name == name.strip()
    assert len(name) <= FULL_NAME_MAX
    underlying = " ".join(full_name_underlying(instrument).split())
    if len(underlying) <= 200:
        assert underlying in name
    if instrument.expiry_date is not None and len(underlying) <= 200:
        assert instrument.expiry_date.isoformat() in name
