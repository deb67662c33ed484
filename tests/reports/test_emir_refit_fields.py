"""EMIR REFIT fields built from the records' REFIT data, each test citing the rule it holds
the report to (ESMA74-362-2683, EMIR REFIT validation rules, 6 September 2023 update; ids
``EMIR-VR-<table><field>-<nn>``): UPI, clearing thresholds, entity counterparties,
collateral portfolio and master agreement, total notional quantity, commodity
classification, and TERM of the opening a close names in ``closes``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from regkit import Account, Firm, Instrument, LegalEntity, NaturalPerson, Trade
from regkit.reports.emir import build_reports, render
from regkit.reports.emir.build import DEFAULT_MASTER_AGREEMENT
from regkit.reports.xml import validate
from regkit.schemas.account import AgreementTerms
from regkit.schemas.emir import EmirReport
from regkit.schemas.identifiers import generate_uti

CREATED = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
FIRM_LEI = "5493001KJTIIGC8Y1R12"
CLIENT_LEI = "529900HNOAA1KXQJUQ27"

EURUSD = Instrument(
    symbol="EURUSD",
    product="cfd",
    underlying_class="fx_major",
    base_currency="EUR",
    quote_currency="USD",
    cfi="JFTXCC",
    upi="QZ4DF6TN8RC2",
)
PERSON = Account(
    account_id="P1",
    holder=NaturalPerson(
        first_name="Anna", surname="Berg", nationalities=["SE"], residence_country="SE"
    ),
    category="retail",
)


def firm(**changes: Any) -> Firm:
    changes.setdefault("above_clearing_threshold", False)
    return Firm(lei=FIRM_LEI, name="Example Markets Ltd", country="CY", **changes)


def trade(trade_id: str, account_id: str = "P1", **changes: Any) -> Trade:
    fields: dict[str, Any] = {
        "trade_id": trade_id,
        "account_id": account_id,
        "instrument": EURUSD,
        "side": "buy",
        "quantity": Decimal("1000"),
        "price": Decimal("1.085"),
        "price_currency": "USD",
        "executed_at": datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        "position_effect": "open",
    }
    fields.update(changes)
    return Trade(**fields)


def report_of(
    the_trade: Trade, account: Account = PERSON, the_firm: Firm | None = None, **options: Any
) -> EmirReport:
    built = build_reports([the_trade], [account], the_firm or firm(), created_at=CREATED, **options)
    built.raise_for_refusals()
    (report,) = built.reports
    return report


def refusals(the_trades: list[Trade], account: Account = PERSON, **options: Any) -> list[str]:
    built = build_reports(the_trades, [account], firm(), created_at=CREATED, **options)
    return [f"{bad.key}: {bad.field}: {bad.reason}" for bad in built.refused]


def xml_of(
    the_trades: list[Trade], tmp_path: Path, account: Account = PERSON, **options: Any
) -> str:
    files = render(
        the_trades, [account], options.pop("the_firm", None) or firm(), tmp_path,
        created_at=CREATED, workers=1, **options,
    )  # fmt: skip
    (path,) = files
    assert validate(path).ok
    return path.read_text(encoding="utf-8")


# --- 2.8 UPI -------------------------------------------------------------------------------


def test_the_upi_is_reported_without_isin_and_left_blank_with_one(tmp_path: Path) -> None:
    assert report_of(trade("T1")).upi == "QZ4DF6TN8RC2"
    assert "<PdctId><UnqPdctIdr><Id>QZ4DF6TN8RC2</Id></UnqPdctIdr></PdctId>" in xml_of(
        [trade("T1")], tmp_path
    )
    listed = Instrument.model_validate(EURUSD.model_dump() | {"isin": "XS0000000009"})
    # EMIR-VR-2008-01: with an ISIN (2.7) the UPI (2.8) is left blank.
    report = report_of(trade("T2", instrument=listed))
    assert (report.isin, report.upi) == ("XS0000000009", None)


def test_an_otc_derivative_with_neither_isin_nor_upi_is_refused_by_name() -> None:
    bare = Instrument.model_validate(EURUSD.model_dump() | {"upi": None})
    # EMIR-VR-2008-02: without an ISIN, off venue (XOFF/XXXX), the UPI is mandatory.
    (problem,) = refusals([trade("T1", instrument=bare)])
    assert problem.startswith("T1: instrument.upi: missing: 'EURUSD' is an OTC derivative")
    assert "table 2 field 8" in problem
    assert "EMIR-VR-2008-02" in problem
    # VR-2008-03: on a third-country organised trading platform it is optional ...
    assert report_of(trade("T2", instrument=bare, venue="XNAS")).upi is None
    # ... and on an EEA venue mandatory, as off venue.
    (problem,) = refusals([trade("T4", instrument=bare, venue="XPAR")])
    assert problem.startswith("T4: instrument.upi: missing: 'EURUSD' is traded on XPAR")
    # TERM, VALU and EROR do not carry 2.8 (applicability '-').
    assert report_of(trade("T3", instrument=bare), action="EROR").upi is None


# --- 1.5-1.7 and 1.11-1.14: counterparties --------------------------------------------------


def test_counterparty_1_states_its_clearing_threshold(tmp_path: Path) -> None:
    # EMIR-VR-1007-01: nature F (1.5) reports 1.7.
    report = report_of(trade("T1"), the_firm=firm(above_clearing_threshold=True))
    assert (report.counterparty_1_nature, report.counterparty_1_sector) == ("F", "INVF")
    assert report.counterparty_1_above_clearing_threshold is True
    text = xml_of([trade("T1")], tmp_path, the_firm=firm(above_clearing_threshold=True))
    assert "<FI><Sctr><Cd>INVF</Cd></Sctr><ClrThrshld>true</ClrThrshld></FI>" in text


def entity(**fields: Any) -> Account:
    holder = LegalEntity(name="Beta Foods GmbH", lei=CLIENT_LEI, country="DE", **fields)
    return Account(account_id="E1", holder=holder, category="professional")


def test_an_entity_counterparty_2_reports_what_it_states(tmp_path: Path) -> None:
    account = entity(
        nature="N", sector="C", above_clearing_threshold=False, reporting_obligation=True
    )
    report = report_of(trade("T1", "E1"), account)
    # EMIR-VR-1011-01, VR-1012-02, VR-1013-01, VR-1014-01.
    assert (
        report.counterparty_2_nature,
        report.counterparty_2_sector,
        report.counterparty_2_above_clearing_threshold,
        report.counterparty_2_reporting_obligation,
    ) == ("N", "C", False, True)
    text = xml_of([trade("T1", "E1")], tmp_path, account)
    assert (
        "<Ntr><NFI><Sctr><Id>C</Id></Sctr><ClrThrshld>false</ClrThrshld></NFI></Ntr>"
        "<RptgOblgtn>true</RptgOblgtn></OthrCtrPty>"
    ) in text


def test_an_entity_that_states_nothing_keeps_todays_report() -> None:
    report = report_of(trade("T1", "E1"), entity())
    assert report.counterparty_2_nature is None
    assert report.counterparty_2_reporting_obligation is None


def test_a_natural_person_has_no_reporting_obligation() -> None:
    # EMIR-VR-1014-02: 1.8 FALSE (not an LEI) makes 1.14 FALSE; VR-1011-02: no nature.
    report = report_of(trade("T1"))
    assert report.counterparty_2_reporting_obligation is False
    assert report.counterparty_2_nature is None


def test_a_central_counterparty_client_writes_its_nature_alone(tmp_path: Path) -> None:
    # EMIR-VR-1012-03, VR-1013-02: nature C takes no sector and no threshold.
    text = xml_of([trade("T1", "E1")], tmp_path, entity(nature="C", reporting_obligation=True))
    assert "<Ntr><CntrlCntrPty>NORE</CntrlCntrPty></Ntr>" in text


# --- 2.26-2.27, 2.34-2.36: collateral and master agreement ----------------------------------


def test_with_nothing_stated_collateral_is_per_trade_under_a_bilateral_agreement(
    tmp_path: Path,
) -> None:
    report = report_of(trade("T1"))
    # EMIR-VR-2026-01: the indicator is mandatory; VR-2034-01: so is the type.
    assert (report.collateral_portfolio, report.collateral_portfolio_code) == (False, None)
    assert report.master_agreement_type == DEFAULT_MASTER_AGREEMENT == "BIAG"
    # EMIR-VR-2036-01: BIAG takes no version; VR-2035-01: only OTHR takes a name.
    assert (report.master_agreement_version, report.other_master_agreement_type) == (None, None)
    text = xml_of([trade("T1")], tmp_path)
    assert "<CollPrtflCd><Prtfl><NoPrtfl>NOAP</NoPrtfl></Prtfl></CollPrtflCd>" in text
    assert "<MstrAgrmt><Tp><Tp>BIAG</Tp></Tp></MstrAgrmt>" in text


def test_an_accounts_own_terms_override_the_firms(tmp_path: Path) -> None:
    terms = AgreementTerms(
        master_agreement_type="ISDA",
        master_agreement_version=2002,
        collateral_portfolio=True,
        collateral_portfolio_code="PFE1",
    )
    account = entity(
        nature="F", sector="UCIT", above_clearing_threshold=False, reporting_obligation=True
    )
    account = Account.model_validate(account.model_dump() | {"agreement": terms.model_dump()})
    the_firm = firm(master_agreement_type="BIAG", collateral_portfolio=False)
    report = report_of(trade("T1", "E1"), account, the_firm)
    # EMIR-VR-2027-01: the code when 2.26 is true; VR-2036-01/02: ISDA takes a year.
    assert (report.collateral_portfolio, report.collateral_portfolio_code) == (True, "PFE1")
    assert (report.master_agreement_type, report.master_agreement_version) == ("ISDA", 2002)
    text = xml_of([trade("T1", "E1")], tmp_path, account, the_firm=the_firm)
    assert "<CollPrtflCd><Prtfl><Cd>PFE1</Cd></Prtfl></CollPrtflCd>" in text
    assert "<MstrAgrmt><Tp><Tp>ISDA</Tp></Tp><Vrsn>2002</Vrsn></MstrAgrmt>" in text


def test_agreement_terms_regkit_cannot_report_are_refused_by_name() -> None:
    built = build_reports(
        [trade("T1")], [PERSON], firm(master_agreement_type="OTHR"), created_at=CREATED
    )
    (bad,) = built.refused
    # EMIR-VR-2035-01: OTHR needs the agreement's name (2.35).
    assert (bad.key, bad.field) == ("T1", "agreement.other_master_agreement_type")
    assert "EMIR-VR-2035-01" in bad.reason
    built = build_reports(
        [trade("T1")], [PERSON], firm(master_agreement_type="ISDA"), created_at=CREATED
    )
    (bad,) = built.refused
    # EMIR-VR-2036-01: a type other than BIAG or OTHR reports its version.
    assert (bad.field, "EMIR-VR-2036-01" in bad.reason) == (
        "agreement.master_agreement_version",
        True,
    )


def test_an_other_master_agreement_is_reported_with_its_name(tmp_path: Path) -> None:
    """EMIR-VR-2035-01: with 2.34 OTHR, 2.35 names the agreement; an account's own type
    never takes the firm's name."""
    the_firm = firm(master_agreement_type="OTHR", other_master_agreement_type="Client Terms")
    report = report_of(trade("T1"), PERSON, the_firm)
    assert (report.master_agreement_type, report.other_master_agreement_type) == (
        "OTHR",
        "Client Terms",
    )
    text = xml_of([trade("T1")], tmp_path, PERSON, the_firm=the_firm)
    assert (
        "<MstrAgrmt><Tp><Tp>OTHR</Tp></Tp><OthrMstrAgrmtDtls>Client Terms</OthrMstrAgrmtDtls>"
        "</MstrAgrmt>" in text
    )
    own = Account.model_validate(
        PERSON.model_dump() | {"agreement": {"master_agreement_type": "BIAG"}}
    )
    assert the_firm.agreement_for(own).other_master_agreement_type is None
    with pytest.raises(ValueError, match="only with master_agreement_type OTHR"):
        AgreementTerms(master_agreement_type="ISDA", other_master_agreement_type="Terms")


# --- 2.60, 2.116-2.118: equity and commodity derivatives ------------------------------------


def test_total_notional_quantity_for_equity_and_commodity_only() -> None:
    index = Instrument(
        symbol="US500", product="cfd", underlying_class="index_major", quote_currency="USD",
        cfi="JEIXCC", price_multiplier=Decimal("10"), underlying_index="S&P 500",
        upi="QZUS500CFD01",
    )  # fmt: skip
    # EMIR-VR-2060-01: 2.11 EQUI or COMM reports 2.60 (units: quantity x multiplier).
    report = report_of(
        trade("T1", instrument=index, quantity=Decimal("2.5"), price=Decimal("5000"))
    )
    assert report.total_notional_quantity_leg_1 == Decimal("25.0")
    assert report_of(trade("T2")).total_notional_quantity_leg_1 is None  # CURR
    # At most 5 decimals: regkit refuses rather than rounds.
    (problem,) = refusals([trade("T3", instrument=index, quantity=Decimal("0.0000001"))])
    assert problem.startswith("T3: quantity: 0.0000010 has more than 5 decimals")
    assert "EMIR-VR-2060-01" in problem


def test_commodity_classification_derived_given_or_refused(tmp_path: Path) -> None:
    oil = Instrument(
        symbol="UKOIL", product="cfd", underlying_class="commodity", quote_currency="USD",
        cfi="JTJXCC", upi="QZUKOILCFD01",
    )  # fmt: skip
    report = report_of(trade("T1", instrument=oil))
    # EMIR-VR-2116-01, VR-2117-02, VR-2118-07: Brent is NRGY / OILP / BRNT.
    assert (report.base_product, report.sub_product, report.further_sub_product) == (
        "NRGY",
        "OILP",
        "BRNT",
    )
    text = xml_of([trade("T1", instrument=oil)], tmp_path)
    assert (
        "<Cmmdty><Nrgy><Oil><BasePdct>NRGY</BasePdct><SubPdct>OILP</SubPdct>"
        "<AddtlSubPdct>BRNT</AddtlSubPdct></Oil></Nrgy></Cmmdty>"
    ) in text
    # Each with its own CFI (ISO 10962 attribute 1 is the commodity: J energy, A agriculture,
    # M others), which Instrument checks against the derived one.
    cocoa = Instrument.model_validate(
        oil.model_dump() | {"symbol": "COCOA", "base_product": "AGRI", "sub_product": "SOFT",
                            "further_sub_product": "CCOA", "cfi": "JTAXCC"}
    )  # fmt: skip
    assert report_of(trade("T2", instrument=cocoa)).further_sub_product == "CCOA"
    unnamed = Instrument.model_validate(oil.model_dump() | {"symbol": "COCOA", "cfi": "JTMXCC"})
    # EMIR-VR-2116-01: COMM needs a base product; none derivable, none given.
    (problem,) = refusals([trade("T3", instrument=unnamed)])
    assert problem.startswith("T3: instrument.base_product: missing: 'COCOA'")
    # Not COMM: 2.116 left blank.
    assert report_of(trade("T4")).base_product is None


# --- TERM of the opening a close names ------------------------------------------------------


def test_a_close_terminates_the_opening_it_names_without_an_event(tmp_path: Path) -> None:
    opening = trade("O1")
    close = trade("C1", side="sell", position_effect="close", closes="O1")
    given = trade("O2", uti=f"{FIRM_LEI}OWNUTI2")
    close_2 = trade("C2", side="sell", position_effect="close", closes="O2")
    text = xml_of([opening, close, given, close_2], tmp_path, action="TERM")
    # Delegated Regulation (EU) 2022/1855 Table 2 field 151: TERM of the derivative's UTI
    # (field 1): the opening's generated UTI, or the one it carries.
    assert text.count("<Termntn>") == 2
    assert f"<UnqTxIdr>{generate_uti(FIRM_LEI, 'O1')}</UnqTxIdr>" in text
    assert f"<UnqTxIdr>{FIRM_LEI}OWNUTI2</UnqTxIdr>" in text
    # The opening need not be in the batch: its generated UTI is terminated.
    alone = report_of(close, action="TERM")
    assert alone.uti == generate_uti(FIRM_LEI, "O1")


def test_closes_keeps_every_termination_refusal() -> None:
    first = trade("C1", side="sell", position_effect="close", closes="O1")
    second = trade("C1B", side="sell", position_effect="close", closes="O1")
    other = Account(
        account_id="P2",
        holder=NaturalPerson(first_name="B", surname="C", nationalities=["SE"],
                             residence_country="SE"),
        category="retail",
    )  # fmt: skip
    foreign = trade("CX", "P2", side="sell", position_effect="close", closes="O1")
    built = build_reports([trade("O1"), first, second, foreign], [PERSON, other], firm(),
                          created_at=CREATED, action="TERM")  # fmt: skip
    problems = {(bad.key, bad.field): bad.reason for bad in built.refused}
    assert "already terminated by trade C1" in problems["C1B", "uti"]
    assert "CX" in {key for key, _ in problems}


def test_a_close_before_its_opening_of_another_uti_is_refused() -> None:
    close = trade("C1", side="sell", position_effect="close", closes="O1")
    opening = trade("O1", uti=f"{FIRM_LEI}OWNUTI1")
    (problem,) = refusals([close, opening], action="TERM")
    assert problem.startswith("C1: closes: names opening O1, reported under its own UTI")
    # The opening first: its own UTI is used.
    assert refusals([opening, close], action="TERM") == []
    # A close whose uti contradicts the opening it names.
    wrong = trade("C2", side="sell", position_effect="close", closes="O1",
                  uti=generate_uti(FIRM_LEI, "O1"))  # fmt: skip
    (problem,) = refusals([opening, wrong], action="TERM")
    assert "is not the UTI of opening O1, which closes names" in problem


def test_whole_report_refusals_leave_term_valu_and_eror_alone() -> None:
    # EMIR-VR-1012-01 (sector for nature F) and VR-2036-01 (version for ISDA) apply to the
    # whole reports; TERM, VALU and EROR carry neither 1.12 nor 2.36 (applicability '-').
    account = entity(nature="F")
    (problem,) = refusals([trade("T1", "E1")], account)
    assert problem.startswith("T1: account.holder.sector: missing")
    assert "EMIR-VR-1012-01" in problem
    assert refusals([trade("T1", "E1")], account, action="EROR") == []
    built = build_reports(
        [trade("T1")], [PERSON], firm(master_agreement_type="ISDA"), created_at=CREATED,
        action="EROR",
    )  # fmt: skip
    assert built.refused == []
