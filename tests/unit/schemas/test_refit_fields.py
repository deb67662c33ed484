"""The record fields EMIR REFIT needs (issue 15): each refused or accepted as ESMA's
validation rules (ESMA74-362-2683) say, the same on the per-record and the columnar path."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
import pytest

from regkit import Account, Firm, Trade, read_records
from regkit.schemas import AgreementTerms, Instrument, LegalEntity
from regkit.schemas.identifiers import (
    COMMODITY_CLASSIFICATION,
    commodity_classification,
    is_valid_upi,
)

LEI = "5493001KJTIIGC8Y1R12"
FX_OPTION = {
    "symbol": "EURUSD.C110",
    "product": "option",
    "underlying_class": "fx_major",
    "base_currency": "EUR",
    "quote_currency": "USD",
    "strike_price": "1.10",
}


def _trade(**fields: Any) -> dict[str, Any]:
    row = {
        "trade_id": "T1",
        "account_id": "A1",
        "instrument.symbol": "XAUUSD",
        "instrument.product": "cfd",
        "instrument.underlying_class": "gold",
        "side": "buy",
        "quantity": "1",
        "price": "2650.10",
        "executed_at": "2026-11-20T09:30:00Z",
    }
    return row | fields


def _both(rows: list[dict[str, Any]], model: type[Any]) -> list[tuple[str | None, str]]:
    """The errors of the per-record and of the columnar path, which must be the same."""
    columns = sorted({name for row in rows for name in row})
    frame = pl.DataFrame(
        {name: [row.get(name) for row in rows] for name in columns},
        schema=dict.fromkeys(columns, pl.String),
    )
    by_row = read_records(rows, model)
    by_column = read_records(frame, model)
    assert by_row.records == by_column.records
    found = [(e.field, e.reason) for e in by_row.errors]
    assert found == [(e.field, e.reason) for e in by_column.errors]
    return found


# --- UPI (REFIT 2.8) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("QZ4DF6TN8RC2", True),
        ("QZ0000000000", True),
        ("EZ4DF6TN8RC2", False),  # an ISIN of the DSB, not a UPI
        ("QZ4DF6TN8RC", False),  # 11 characters
        ("QZ4DF6TN8RC22", False),  # 13
        ("qz4df6tn8rc2", False),  # the function checks the value as given
        ("QZ4DF6-N8RC2", False),
    ],
)
def test_a_upi_is_qz_and_ten_letters_or_digits(value: str, valid: bool) -> None:
    assert is_valid_upi(value) is valid


def test_an_instrument_keeps_its_upi_upper_case_and_refuses_another_format() -> None:
    assert Instrument(**FX_OPTION, upi=" qz4df6tn8rc2 ").upi == "QZ4DF6TN8RC2"
    assert _both([_trade(**{"instrument.upi": "QZ12"})], Trade) == [
        ("instrument.upi", "not an ISO 4914 UPI (QZ and 10 letters or digits)")
    ]


# --- counterparty nature and sector (REFIT 1.11-1.14) --------------------------------------


def _entity_row(**holder: str) -> dict[str, Any]:
    row = {"account_id": "A1", "category": "professional", "holder.kind": "entity"}
    return (
        row | {"holder.name": "Alpha Capital Ltd"} | {f"holder.{k}": v for k, v in holder.items()}
    )


@pytest.mark.parametrize(
    ("nature", "sector"), [("F", "INVF"), ("F", "csds"), ("N", "C"), ("N", "u"), ("C", None)]
)
def test_a_sector_that_fits_the_nature_is_kept(nature: str, sector: str | None) -> None:
    entity = LegalEntity(name="X", nature=nature, sector=sector)
    assert entity.sector == (sector.upper() if sector else None)


@pytest.mark.parametrize(
    ("holder", "vr"),
    [
        ({"nature": "F", "sector": "K"}, "EMIR-VR-1012-01"),  # a NACE letter for an FC
        ({"nature": "N", "sector": "INVF"}, "EMIR-VR-1012-02"),  # an FC sector for an NFC
        ({"nature": "C", "sector": "CDTI"}, "EMIR-VR-1012-03"),  # a CCP has no sector
        ({"nature": "O", "above_clearing_threshold": "true"}, "EMIR-VR-1013-02"),
    ],
)
def test_a_sector_or_threshold_that_does_not_fit_the_nature_is_refused(
    holder: dict[str, str], vr: str
) -> None:
    [(field, reason)] = _both([_entity_row(**holder)], Account)
    assert field == "holder"
    assert vr in reason


def test_a_sector_needs_a_nature_and_a_known_code() -> None:
    assert _both([_entity_row(sector="INVF"), _entity_row(nature="F", sector="ASSU")], Account) == [
        ("holder", "sector INVF needs the nature (F or N) it is of"),
        (
            "holder.sector",
            "not a REFIT corporate sector (INVF, CDTI, INUN, UCIT, ORPI, AIFD, CSDS, or a NACE "
            "section letter A-U)",
        ),
    ]


# --- master agreement and collateral (REFIT 2.26, 2.27, 2.34, 2.36) ------------------------


def test_the_firm_s_terms_apply_unless_the_account_has_its_own() -> None:
    firm = Firm(
        lei=LEI,
        name="Example Markets Ltd",
        country="CY",
        above_clearing_threshold=False,
        master_agreement_type="BIAG",
        collateral_portfolio=True,
        collateral_portfolio_code="RETAIL1",
    )
    person = {"first_name": "Jan", "surname": "Novák", "nationalities": ["CZ"]}
    plain = Account(account_id="A1", holder=person, category="retail")
    own = Account(
        account_id="A2",
        holder=person,
        category="professional",
        agreement={
            "master_agreement_type": "ISDA",
            "master_agreement_version": 2002,
            "collateral_portfolio": False,
        },
    )
    assert firm.agreement_for(plain) == firm.agreement_for()
    assert (firm.agreement_for(plain).collateral_portfolio_code) == "RETAIL1"
    terms = firm.agreement_for(own)
    assert (terms.master_agreement_type, terms.master_agreement_version) == ("ISDA", 2002)
    # The indicator and its code travel together: no firm portfolio code on this client.
    assert (terms.collateral_portfolio, terms.collateral_portfolio_code) == (False, None)


@pytest.mark.parametrize(
    ("terms", "reason"),
    [
        ({"collateral_portfolio": "true"}, "EMIR-VR-2027-01"),
        ({"collateral_portfolio": "false", "collateral_portfolio_code": "P1"}, "EMIR-VR-2027-01"),
        ({"master_agreement_version": "1899"}, "greater than or equal to 1900"),
        ({"master_agreement_version": "2100"}, "less than or equal to 2099"),
        ({"master_agreement_type": "ISDX"}, "not a REFIT master agreement type"),
        ({"collateral_portfolio": "true", "collateral_portfolio_code": "P-1"}, "no special"),
    ],
)
def test_agreement_terms_follow_esma_s_rules(terms: dict[str, str], reason: str) -> None:
    row = _entity_row() | {f"agreement.{k}": v for k, v in terms.items()}
    [(_, found)] = _both([row], Account)
    assert reason in found


def test_an_empty_agreement_block_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        AgreementTerms()


# --- options: premium, payment date, strike currency (REFIT 2.138-2.141) -------------------


def test_an_option_s_premium_is_price_times_quantity_times_multiplier_unless_given() -> None:
    trade = Trade(
        trade_id="T1",
        account_id="A1",
        side="buy",
        quantity="10000",
        price="0.0125",
        executed_at="2026-11-20T22:30:00-05:00",
        instrument=FX_OPTION,
    )
    assert trade.reported_option_premium == Decimal("125.0000")
    assert trade.reported_option_premium_payment_date == date(2026, 11, 21)  # UTC
    given = trade.model_copy(update={"option_premium": Decimal("120")})
    assert given.reported_option_premium == Decimal("120")


def test_only_an_option_has_a_premium() -> None:
    assert _both(
        [_trade(option_premium="10"), _trade(trade_id="T2", option_premium="-1")], Trade
    ) == [
        (
            None,
            "option_premium, option_premium_payment_date: only an option trade has a premium "
            "(REFIT 2.139, 2.141), not a cfd trade",
        ),
        ("option_premium", "Input should be greater than or equal to 0"),
    ]


def test_a_currency_option_s_strike_currency_is_its_pair() -> None:
    option = Instrument(**FX_OPTION)
    assert option.reported_strike_currency == "EUR/USD"  # derived (EMIR-VR-2138-02)
    assert Instrument(**FX_OPTION, strike_currency="eur/usd").strike_currency == "EUR/USD"
    with pytest.raises(ValueError, match="contradicts EUR/USD"):
        Instrument(**FX_OPTION, strike_currency="USD/EUR")
    gold_option = {"symbol": "XAUUSD.C", "product": "option", "underlying_class": "gold"}
    with pytest.raises(ValueError, match="EMIR-VR-2138-03"):
        Instrument(**gold_option, strike_currency="XAU")  # a metal is no strike currency
    assert Instrument(**gold_option, quote_currency="USD").reported_strike_currency == "USD"
    cfd = {"symbol": "EURUSD", "product": "cfd", "underlying_class": "fx_major",
           "base_currency": "EUR", "quote_currency": "USD"}  # fmt: skip
    assert Instrument(**cfd).reported_strike_currency is None
    with pytest.raises(ValueError, match="only an option"):
        Instrument(**cfd, strike_currency="EUR/USD")


# --- closing trades, FX swap near legs --------------------------------------------------------


def test_a_closing_trade_names_the_opening_and_not_itself() -> None:
    found = _both(
        [
            _trade(trade_id="T2", closes="T1", position_effect="close"),
            _trade(trade_id="T3", closes="T3"),
            _trade(trade_id="T4", closes="T1", position_effect="open"),
        ],
        Trade,
    )
    assert [reason.split(";")[0] for _, reason in found] == [
        "closes names the trade itself",
        "closes: an opening trade closes nothing",
    ]


def test_only_an_fx_swap_has_a_near_leg_and_it_has_both_halves() -> None:
    swap = {
        "instrument.symbol": "USDJPY.1W", "instrument.product": "swap",
        "instrument.underlying_class": "fx_major", "instrument.base_currency": "USD",
        "instrument.quote_currency": "JPY",
    }  # fmt: skip
    found = _both(
        [
            _trade(**swap, near_leg_rate="151.20", near_leg_value_date="2026-11-24"),
            _trade(**swap, trade_id="T2", near_leg_rate="151.20"),
            _trade(trade_id="T3", near_leg_rate="1.1", near_leg_value_date="2026-11-24"),
        ],
        Trade,
    )
    assert [reason for _, reason in found] == [
        "near_leg_rate, near_leg_value_date: a near leg needs both its rate and value date",
        "near_leg_rate, near_leg_value_date: only an FX swap has a near leg, not a cfd trade",
    ]


# --- commodity classification (REFIT 2.116-2.118) ---------------------------------------------


@pytest.mark.parametrize(
    ("klass", "symbol", "expected"),
    [
        ("gold", "XAUUSD", "METL/PRME/GOLD"),
        ("gold", "GOLD.EUR", "METL/PRME/GOLD"),
        ("commodity", "XAGUSD", "METL/PRME/SLVR"),
        ("commodity", "XPTUSD", "METL/PRME/PTNM"),
        ("commodity", "XPDUSD", "METL/PRME/PLDM"),
        ("commodity", "USOIL", "NRGY/OILP/WTIO"),
        ("commodity", "UKOIL", "NRGY/OILP/BRNT"),
        ("commodity", "NATGAS", "NRGY/NGAS/OTHR"),
        ("commodity", "COFFEE", None),
        ("index_major", "XAU100", None),  # not a commodity underlying
    ],
)
def test_the_commodity_classification_is_derived_where_unambiguous(
    klass: str, symbol: str, expected: str | None
) -> None:
    found = commodity_classification(klass, symbol)
    assert (None if found is None else str(found)) == expected


def test_every_derived_classification_is_a_path_of_esma_s_table() -> None:
    for symbol in ("XAU", "XAG", "XPT", "XPD", "WTI", "BRENT", "NATGAS"):
        derived = commodity_classification("commodity", symbol)
        assert derived is not None
        assert (
            derived.further_sub_product
            in COMMODITY_CLASSIFICATION[derived.base_product][derived.sub_product or ""]
        )


def test_a_classification_is_given_where_none_is_derived_and_must_fit_the_table() -> None:
    coffee = {"symbol": "COFFEE", "product": "cfd", "underlying_class": "commodity"}
    given = Instrument(
        **coffee, base_product="agri", sub_product="soft", further_sub_product="robu"
    )
    assert str(given.commodity_classification) == "AGRI/SOFT/ROBU"
    assert Instrument(**coffee).commodity_classification is None
    found = _both(
        [
            _trade(**{"instrument.sub_product": "SLVR"}),  # a further sub-product
            _trade(trade_id="T2", **{"instrument.sub_product": "NPRM"}),  # gold is PRME
            _trade(
                trade_id="T3",
                **{
                    "instrument.symbol": "COFFEE",
                    "instrument.underlying_class": "commodity",
                    "instrument.base_product": "AGRI",
                    "instrument.sub_product": "PRME",
                },
            ),
            _trade(
                trade_id="T4",
                **{
                    "instrument.symbol": "EURUSD",
                    "instrument.underlying_class": "fx_major",
                    "instrument.base_currency": "EUR",
                    "instrument.quote_currency": "USD",
                    "instrument.base_product": "METL",
                },
            ),
        ],
        Trade,
    )
    assert found == [
        ("instrument.sub_product", "not a REFIT sub-product (PRME, OILP, NGAS ...)"),
        (
            "instrument",
            "commodity classification -/NPRM/- contradicts METL/PRME/GOLD, derived from gold "
            "XAUUSD",
        ),
        (
            "instrument",
            "commodity classification AGRI/PRME/-: PRME is not a sub-product of AGRI (DIRY, "
            "FRST, GRIN, GROS, LSTK, OOLI, OTHR, POTA, SEAF, SOFT; EMIR-VR-2117)",
        ),
        (
            "instrument",
            "commodity classification METL/-/-: REFIT 2.116-2.118 classify commodities, not a "
            "fx_major underlying",
        ),
    ]


# --- asset class (REFIT 2.11) and a derivative's own ISIN (RTS 22 field 41) -------------------


def test_an_asset_class_is_given_only_where_refit_has_none_or_agrees() -> None:
    """EMIR-VR-2011-01: COMM, CRDT, CURR, EQUI or INTR. A crypto-asset takes the class the
    firm gives it; a gold CFD's is COMM, and another one is refused, on both paths."""
    crypto = {"instrument.symbol": "BTCUSD", "instrument.underlying_class": "crypto"}
    assert _both([_trade(**crypto, **{"instrument.asset_class": "COMM"})], Trade) == []
    assert _both([_trade(**{"instrument.asset_class": "EQUI"})], Trade) == [
        (
            "instrument",
            "asset_class EQUI contradicts COMM, the REFIT asset class of a gold underlying "
            "(REFIT 2.11)",
        )
    ]


def test_a_derivative_is_not_reported_under_its_underlying_s_isin() -> None:
    """RTS 22 fields 41 and 47: a CFD on a share without an ISIN of its own is described
    (fields 42-56), and the share's ISIN is its underlying; refused on both paths."""
    share = {
        "instrument.symbol": "SAP",
        "instrument.underlying_class": "equity",
        "instrument.underlying_isin": "DE0007164600",
    }
    assert _both([_trade(**share)], Trade) == []
    found = _both([_trade(**share, **{"instrument.isin": "DE0007164600"})], Trade)
    assert found == [
        (
            "instrument",
            "isin DE0007164600 is the underlying_isin: a derivative without an ISIN of its "
            "own leaves isin empty (RTS 22 field 41; the underlying is field 47)",
        )
    ]
