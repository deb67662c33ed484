"""Unit tests of the derived CFI (ISO 10962:2019, RTS 22 field 43) and full name (RTS 22
field 42) in regkit.schemas.identifiers, and of the attribute tables they read."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from importlib import resources
from typing import Any

import polars as pl
import pytest

from regkit import read_records
from regkit.errors import IdentifierError
from regkit.samples._instruments import SPECS, build_instrument
from regkit.schemas import Instrument
from regkit.schemas.base import RowCheck
from regkit.schemas.identifiers import (
    CFI_TERMS,
    FULL_NAME_MAX,
    cfi_problem,
    derive_cfi,
    derive_full_name,
    describe_cfi,
    is_valid_cfi,
)


def _data(name: str) -> Any:
    return json.loads(
        (resources.files("regkit.schemas") / "data" / name).read_text(encoding="utf-8")
    )


TABLE = _data("cfi_attributes.json")
GROUPS = _data("cfi_groups.json")["categories"]


def make(symbol: str = "X", **fields: Any) -> Instrument:
    return Instrument(symbol=symbol, **fields)


EURUSD = {"underlying_class": "fx_major", "base_currency": "EUR", "quote_currency": "USD"}
DAX = {"underlying_class": "index_major", "underlying_index": "DAX"}
SHARE = {"underlying_class": "equity", "underlying_isin": "US0378331005"}
CALL = {"option_type": "call", "exercise_style": "european", "strike_price": Decimal("1.1000")}


# --- the table -----------------------------------------------------------------------------


def test_table_cites_its_source_and_its_judgments() -> None:
    assert "ISO 10962:2019" in TABLE["source"]
    assert {"crypto", "JT spread bet", "JR CFD", "HF underlying"} <= set(TABLE["judgments"])


@pytest.mark.parametrize("group", sorted(TABLE["groups"]))
def test_every_group_is_the_standards_and_has_four_attributes(group: str) -> None:
    assert group[1] in GROUPS[group[0]]["groups"]
    attributes = TABLE["groups"][group]["attributes"]
    assert len(attributes) == 4
    for attribute in attributes:
        assert attribute["letters"]
        assert all(len(letter) == 1 for letter in attribute["letters"])
        if "from" not in attribute:
            assert len(attribute["letters"]) == 1  # a fixed letter, usually X
        else:
            # Every letter derived is one the standard lists for that attribute.
            assert set(attribute["derive"].values()) <= set(attribute["letters"])


def test_every_group_a_product_maps_to_is_tabulated() -> None:
    for by_underlying in TABLE["groups_by_product"].values():
        assert set(by_underlying.values()) <= set(TABLE["groups"])


# --- derive_cfi ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "cfi"),
    [
        ({"product": "cfd", **EURUSD}, "JFTXCC"),  # forward, FX, spot, CFD, cash
        ({"product": "spread_bet", **EURUSD}, "JFTXSC"),
        ({"product": "cfd", **DAX}, "JEIXCC"),
        ({"product": "spread_bet", **DAX}, "JEIXSC"),
        ({"product": "cfd", **SHARE}, "JESXCC"),
        ({"product": "spread_bet", **SHARE}, "JESXSC"),
        ({"product": "cfd", "underlying_class": "gold"}, "JTKXCC"),  # metals
        ({"product": "spread_bet", "underlying_class": "gold"}, "JTKXCC"),  # JT has no S
        ({"product": "cfd", "underlying_class": "commodity", "symbol": "XAGUSD"}, "JTKXCC"),
        ({"product": "cfd", "underlying_class": "commodity", "symbol": "UKOIL"}, "JTJXCC"),
        ({"product": "cfd", "underlying_class": "commodity", "symbol": "NATGAS"}, "JTJXCC"),
        ({"product": "cfd", "underlying_class": "commodity", "symbol": "COCOA"}, "JTMXCC"),
        (
            {"product": "cfd", "underlying_class": "commodity", "symbol": "WHEAT",
             "base_product": "AGRI", "sub_product": "GROS", "further_sub_product": "FWHT"},
            "JTAXCC",
        ),
        ({"product": "cfd", "underlying_class": "crypto", "symbol": "BTCUSD"}, "JTMXCC"),
        ({"product": "cfd", "underlying_class": "bond"}, "JRMXFC"),  # JR has no C
        ({"product": "spread_bet", "underlying_class": "bond"}, "JRMXSC"),
        (
            {"product": "cfd", "underlying_class": "other", "asset_class": "EQUI",
             "underlying_index": "CBOE Volatility Index"},
            "JEIXCC",
        ),
        ({"product": "cfd", "underlying_class": "other", "asset_class": "COMM"}, "JTMXCC"),
        ({"product": "forward", "delivery": "cash", **EURUSD}, "JFTXFC"),
        ({"product": "forward", "delivery": "physical", **EURUSD}, "JFTXFP"),
        ({"product": "swap", "delivery": "physical", **EURUSD}, "SFAXXP"),
        ({"product": "swap", "delivery": "cash", **EURUSD}, "SFAXXN"),  # non-deliverable
        ({"product": "spot", **EURUSD}, "IFXXXP"),
        ({"product": "spot", "underlying_class": "gold"}, "ITKXXX"),
        ({"product": "option", "delivery": "cash", **EURUSD, **CALL}, "HFTAVC"),
        (
            {"product": "option", "delivery": "physical", **EURUSD, **CALL,
             "option_type": "put", "exercise_style": "american"},
            "HFTEVP",
        ),
        ({"product": "option", "delivery": "cash", **DAX, **CALL}, "HEIAVC"),
        (
            {"product": "option", "delivery": "cash", "underlying_class": "other", **CALL,
             "option_type": "put", "exercise_style": "bermudan"},
            "HMMFVC",
        ),
    ],
)  # fmt: skip
def test_derive_cfi(fields: dict[str, Any], cfi: str) -> None:
    instrument = make(**fields)
    assert derive_cfi(instrument) == cfi
    assert is_valid_cfi(cfi)
    assert cfi_problem(cfi, *(getattr(instrument, name) for name in CFI_TERMS)) is None


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.symbol)
def test_the_samples_cfis_are_the_derived_ones(spec: Any) -> None:
    # Most samples give no CFI and have one derived; those that give one give the derived.
    instrument = build_instrument(spec, date(2026, 1, 2))
    assert instrument.cfi == spec.cfi
    assert derive_cfi(instrument) == (spec.cfi or derive_cfi(instrument))
    assert is_valid_cfi(derive_cfi(instrument))


def test_the_samples_leave_most_cfis_and_names_to_be_derived() -> None:
    # Issue 16: the sample instruments exercise the derivations (RTS 22 fields 42-43).
    given = {spec.symbol for spec in SPECS if spec.cfi is not None}
    assert given == {"EURUSD", "BUND", "USDJPY.1W", "EURUSD.C110"}
    bets = [spec for spec in SPECS if spec.product == "spread_bet"]
    assert bets
    assert all(spec.cfi is None and spec.full_name is None for spec in bets)


def test_c_is_no_payout_letter_of_rates_forwards() -> None:
    # ISO 10962 gives group JR's payout attribute S or F only: a bond CFD is JRMXFC (the
    # samples said JRMXCC before this was derived).
    assert describe_cfi("JRMXCC")[4] == (
        "Return or payout trigger",
        "C: not a letter of this attribute",
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"product": "forward", **EURUSD},
            "CFI of X: attribute 4 of group JF (Delivery) needs a delivery it has a letter "
            "for; forward fx_major gives none (ISO 10962)",
        ),
        (
            {"product": "cfd", "delivery": "physical", **EURUSD},
            "CFI of X: a cfd settles in cash, not physical (ISO 10962)",
        ),
        (
            {"product": "swap", "delivery": "cash", **SHARE},
            "CFI of X: regkit derives no ISO 10962 group for a swap on a equity underlying; "
            "give the instrument's cfi",
        ),
        (
            {"product": "cfd", "underlying_class": "other", "asset_class": "CRDT"},
            "CFI of X: regkit derives no ISO 10962 group for a cfd on a other underlying of "
            "asset class CRDT; give the instrument's cfi",
        ),
        (
            {"product": "option", "delivery": "cash", **EURUSD},
            "CFI of X: attribute 2 of group HF (Option style and type) needs a exercise_style "
            "and option_type it has a letter for; option fx_major gives none (ISO 10962)",
        ),
        (
            {"product": "spot", "delivery": "cash", **EURUSD},
            "CFI of X: attribute 4 of group IF (Delivery) needs a delivery it has a letter "
            "for; spot fx_major gives none (ISO 10962)",
        ),
        (
            {"product": "spot", **SHARE},
            "CFI of X: regkit derives no ISO 10962 group for a spot on a equity underlying; "
            "give the instrument's cfi",
        ),
    ],
)
def test_derive_cfi_refuses_what_it_cannot_derive(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        derive_cfi(make(**fields))
    assert str(caught.value) == message


# --- cfi_problem ---------------------------------------------------------------------------


def test_cfi_problem_names_the_given_and_the_derived_code() -> None:
    instrument = make(product="spread_bet", **DAX)
    terms = [getattr(instrument, name) for name in CFI_TERMS]
    assert cfi_problem(None, *terms) is None
    assert cfi_problem("JEIXSC", *terms) is None
    assert cfi_problem("JEIXCC", *terms) == (
        "cfi JEIXCC contradicts JEIXSC, derived from a spread_bet on a index_major "
        "underlying (ISO 10962)"
    )


def test_cfi_problem_lets_a_given_cfi_stand_where_none_can_be_derived() -> None:
    instrument = make(product="swap", delivery="cash", **SHARE)
    assert cfi_problem("SESTXC", *(getattr(instrument, n) for n in CFI_TERMS)) is None


def test_cfi_problem_runs_as_a_row_check_on_enumerations_and_on_values() -> None:
    check = RowCheck(("cfi", *CFI_TERMS), cfi_problem)
    assert check.problem(make(product="cfd", cfi="JFTXCC", **EURUSD)) is None
    unchecked = Instrument.model_construct(symbol="X", product="cfd", cfi="JESXCC", **EURUSD)
    assert check.problem(unchecked) == (
        "cfi JESXCC contradicts JFTXCC, derived from a cfd on a fx_major underlying (ISO 10962)"
    )
    values = ("cfd", "fx_major", None, None, None, "EURUSD", None, None, None)
    assert check.check("JFTXCC", *values) is None


def test_an_instrument_refuses_a_cfi_that_contradicts_the_derived_one() -> None:
    # ISO 10962 / RTS 22 field 43: a given CFI must be the one the terms derive; the error
    # names both codes.
    with pytest.raises(ValueError, match="cfi JESXCC contradicts JFTXCC, derived from a cfd"):
        make(product="cfd", cfi="JESXCC", **EURUSD)
    with pytest.raises(ValueError, match="cfi JEIXCC contradicts JEIXSC"):
        make(product="spread_bet", cfi="JEIXCC", **DAX)
    assert make(product="cfd", cfi="JFTXCC", **EURUSD).cfi == "JFTXCC"
    # Where none can be derived (a swap on a share), the given CFI stands.
    assert make(product="swap", delivery="cash", cfi="SESTXC", **SHARE).cfi == "SESTXC"


def test_both_paths_refuse_a_contradicting_cfi_alike() -> None:
    # The RowCheck runs per record and per distinct combination of a frame's columns.
    rows = [
        {"symbol": "UKOIL", "product": "cfd", "underlying_class": "commodity", "cfi": cfi}
        for cfi in ("JTJXCC", "JCAXCC", None)
    ]
    frame = pl.DataFrame(
        {name: [row[name] for row in rows] for name in rows[0]},
        schema=dict.fromkeys(rows[0], pl.String),
    )
    by_row, by_column = read_records(rows, Instrument), read_records(frame, Instrument)
    assert by_row.records == by_column.records
    assert [record.cfi for record in by_row.records] == ["JTJXCC", None]
    found = [(error.row, error.reason) for error in by_row.errors]
    assert found == [(error.row, error.reason) for error in by_column.errors]
    assert found == [
        (2, "cfi JCAXCC contradicts JTJXCC, derived from a cfd on a commodity underlying "
         "(ISO 10962)")
    ]  # fmt: skip


# --- describe_cfi --------------------------------------------------------------------------


def test_describe_cfi_reads_each_letter() -> None:
    assert describe_cfi("HFTAVC") == (
        ("category", "Non-listed and complex listed options"),
        ("group", "Foreign exchange"),
        ("Underlying assets", "Spot-forward swap"),
        ("Option style and type", "European call"),
        ("Valuation method or trigger", "Vanilla"),
        ("Delivery", "Cash"),
    )
    assert describe_cfi("ESVUFR")[2:] == tuple(
        (f"attribute {n}", "not tabulated") for n in range(1, 5)
    )
    with pytest.raises(IdentifierError, match="not an ISO 10962 CFI code: 'JZTXCC'"):
        describe_cfi("JZTXCC")


# --- derive_full_name ----------------------------------------------------------------------

DEC = date(2026, 12, 18)


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"product": "cfd", **EURUSD}, "CFD EUR/USD"),
        ({"product": "cfd", **DAX}, "CFD on DAX"),
        ({"product": "cfd", "symbol": "AAPL", **SHARE}, "CFD on AAPL"),
        ({"product": "cfd", "underlying_class": "gold", "base_currency": "XAU",
          "quote_currency": "USD"}, "CFD on XAU/USD"),
        ({"product": "spread_bet", **DAX}, "Spread bet on DAX"),
        ({"product": "spread_bet", **EURUSD}, "Spread bet on EUR/USD"),
        ({"product": "forward", "expiry_date": DEC, **EURUSD}, "FX forward EUR/USD 2026-12-18"),
        ({"product": "forward", "expiry_date": DEC, **DAX}, "Forward on DAX 2026-12-18"),
        ({"product": "spot", **EURUSD}, "FX spot EUR/USD"),
        ({"product": "swap", "expiry_date": DEC, **EURUSD}, "FX swap EUR/USD 2026-12-18"),
        ({"product": "option", "expiry_date": DEC, **EURUSD, **CALL},
         "FX call EUR/USD 1.1000 2026-12-18 European"),
        ({"product": "option", "expiry_date": DEC, **DAX, **CALL, "option_type": "put",
          "strike_price": Decimal("18000"), "exercise_style": "american"},
         "Put on DAX 18000 2026-12-18 American"),
        ({"product": "option", **DAX}, "Option on DAX"),
        ({"product": "cfd", "expiry_date": DEC, "underlying_class": "bond",
          "symbol": "BUND"}, "CFD on BUND 2026-12-18"),
    ],
)  # fmt: skip
def test_derive_full_name(fields: dict[str, Any], name: str) -> None:
    assert derive_full_name(make(**fields)) == name


def test_a_full_name_fits_rts_22_field_42() -> None:
    long_index = "Index  of " + "very " * 100 + "long name"
    name = derive_full_name(make(product="cfd", underlying_class="index_minor",
                                 underlying_index=long_index))  # fmt: skip
    assert len(name) <= FULL_NAME_MAX == 350
    assert name.startswith("CFD on Index of very very")  # whitespace runs collapsed
