"""MiFIR report records: every case of the render tests as a MifirReport, its fields by RTS 22
number (Delegated Regulation (EU) 2017/590, Annex I, table 2), the XML written from the record
alone, and the refusals named as render names them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from test_mifir_render import (
    ACCOUNTS,
    CASES,
    CLIENT_LEI,
    EURUSD,
    FIRM_LEI,
    GER40,
    TRADERS,
    bad_batch,
    firm,
    trade,
)

from regkit import Instrument, Product
from regkit.errors import RenderError
from regkit.reports.mifir import (
    BuiltReports,
    ReportBuilder,
    build_reports,
    render,
    transaction_reference,
    write_report,
)
from regkit.reports.values import RefusedError
from regkit.schemas.kinds import KINDS
from regkit.schemas.mifir import MifirReport

GOLDEN = Path(__file__).parent / "golden" / "mifir"
CREATED = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


def built(case: str) -> BuiltReports:
    trades, cancellations = CASES[case]
    return build_reports(
        trades, ACCOUNTS.values(), firm(), cancellations=cancellations, traders=TRADERS
    )


def only(case: str) -> MifirReport:
    (report,) = built(case).reports
    assert MifirReport.model_validate(report.model_dump()) == report
    return report


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_golden_tx_is_written_from_its_record_alone(case: str) -> None:
    result = built(case)
    assert result.refused == []
    assert result.skipped == []
    golden = (GOLDEN / f"{case}.xml").read_text(encoding="utf-8")
    txs = [line + "\n" for line in golden.splitlines() if line.startswith("<Tx>")]
    assert [write_report(report) for report in result.reports] == txs


def test_the_kind_is_registered() -> None:
    kind = KINDS["mifir_report"]
    assert (kind.plural, kind.model, kind.key) == (
        "mifir_reports",
        MifirReport,
        ("transaction_reference", "report_status"),
    )
    assert only("person_concat_buy_fx_cfd").key == "T1|NEWT"


def test_the_client_buys_from_the_firm_a_person_by_concat() -> None:
    report = only("person_concat_buy_fx_cfd")
    # Fields 1-6: a new report by the firm, an investment firm, submitting itself.
    assert report.report_status == "NEWT"
    assert report.transaction_reference == "T1"
    assert report.executing_entity == report.submitting_entity == FIRM_LEI
    assert report.investment_firm is True
    # Fields 7-11: the client buys, identified by CONCAT (RTS 22 Art. 6, Annex II, France).
    assert report.buyer_id_scheme == "CONCAT"
    assert report.buyer_national_id == "FR19531127JEANCFONTA"
    assert report.buyer_first_names == "Jean-Claude"
    assert report.buyer_surname == "de la Fontaine"
    assert report.buyer_birth_date == date(1953, 11, 27)
    assert report.buyer_branch_country == "CY"  # no branch on the account: the firm's country
    # Fields 16-20: the firm sells, by its LEI alone.
    assert report.seller_lei == FIRM_LEI
    assert report.seller_national_id is report.seller_branch_country is None
    # Fields 25-36.
    assert report.transmission is False
    assert report.trading_date_time == datetime(2026, 11, 20, 9, 30, 0, 123000, tzinfo=UTC)
    assert report.capacity == "DEAL"
    assert (report.quantity, report.quantity_kind, report.quantity_currency) == (
        Decimal("100000"),
        "unit",
        None,
    )
    assert (report.price, report.price_currency) == (Decimal("1.08500"), "USD")
    assert report.venue == "XXXX"  # no ISIN: not traded on a venue
    # Fields 41-56: described; a currency pair has no underlying instrument (47-48).
    assert report.isin is None
    assert (report.full_name, report.classification) == ("CFD EUR/USD", "JFTXCC")
    assert (report.notional_currency_1, report.notional_currency_2) == ("EUR", "USD")
    assert report.underlying_isin is report.underlying_index_name is None
    assert report.delivery_type == "CASH"
    # Fields 57-60: the firm deals on own account: its algorithms decided and executed.
    assert report.investment_decision_person_id is None
    assert report.investment_decision_algorithm == "DEALER1"
    assert report.execution_algorithm == "ROUTER1"
    # Fields 64-65.
    assert report.commodity_derivative_indicator is None
    assert report.securities_financing is False
    assert (report.trade_id, report.account_id) == ("T1", "A-CONCAT")


def test_the_client_sells_to_the_firm_a_person_by_national_id() -> None:
    report = only("person_nidn_sell")
    assert report.buyer_lei == FIRM_LEI
    assert (report.seller_id_scheme, report.seller_national_id) == ("NIDN", "PL85062412345")
    assert report.seller_first_names == "Anna,Maria"  # field 18: comma-separated
    assert report.seller_branch_country == "PL"


def test_traders_decide_and_execute_by_passport() -> None:
    report = only("person_ccpt_buy_trader")
    assert (report.buyer_id_scheme, report.buyer_national_id) == ("CCPT", "US063162647")
    assert report.investment_decision_person_id == report.execution_person_id == "CYK12345678"
    assert report.investment_decision_id_scheme == report.execution_id_scheme == "CCPT"
    # Fields 58 and 60: the firm's country.
    assert report.investment_decision_branch_country == "CY"
    assert report.execution_branch_country == "CY"


def test_an_entity_client_and_nore() -> None:
    report = only("entity_lei_sell_nore")
    assert (report.buyer_lei, report.seller_lei) == (FIRM_LEI, CLIENT_LEI)
    assert report.seller_branch_country == "CY"
    assert report.execution_nore is True
    assert report.execution_person_id is report.execution_algorithm is None


def test_an_instrument_with_an_isin_leaves_fields_42_to_56_empty() -> None:
    report = only("isin_instrument")
    assert (report.isin, report.venue) == ("DE0007164600", "XOFF")
    described = ("full_name", "classification", "notional_currency_1", "price_multiplier",
                 "delivery_type", "underlying_isin", "underlying_index_name")  # fmt: skip
    assert all(getattr(report, name) is None for name in described)


def test_an_index_cfd_and_a_cleaned_reference() -> None:
    report = only("index_cfd")
    assert report.transaction_reference == transaction_reference("t-6")
    assert report.trade_id == "t-6"
    assert report.underlying_index_name == "DAX"
    assert report.price_multiplier == Decimal("25")
    assert report.notional_currency_1 == "EUR"


def test_a_commodity_derivative_states_field_64() -> None:
    assert only("gold_cfd_commodity_flag").commodity_derivative_indicator is False


def test_a_cancellation_carries_what_identifies_the_transaction() -> None:
    report = only("cancellation")
    assert (report.report_status, report.transaction_reference) == ("CANC", "T0OLD1")
    assert report.key == "T0OLD1|CANC"
    assert report.trading_date_time is report.buyer_lei is report.trade_id is None
    by_trade = ReportBuilder([], firm()).cancellation(trade("t-9"))
    assert by_trade.transaction_reference == transaction_reference("t-9")
    assert (by_trade.trade_id, by_trade.account_id) == ("t-9", "A-CONCAT")


def test_an_option_without_isin_states_fields_50_to_55() -> None:
    call = Instrument(symbol="EURUSD.C110", product="option", underlying_class="fx_major",
                      base_currency="EUR", quote_currency="USD", cfi="HFTAVC",
                      full_name="EUR/USD call 1.10", delivery="cash",
                      expiry_date=date(2026, 12, 21), option_type="call",
                      strike_price=Decimal("1.1000"), exercise_style="european")  # fmt: skip
    result = build_reports([trade("OPT1", instrument=call)], ACCOUNTS.values(), firm())
    (report,) = result.reports
    assert (report.option_type, report.strike_price, report.strike_price_currency) == (
        "CALL",
        Decimal("1.1000"),
        "USD",
    )
    assert (report.option_style, report.expiry_date) == ("EURO", date(2026, 12, 21))
    incomplete = call.model_copy(update={"exercise_style": None})
    refused = build_reports([trade("OPT2", instrument=incomplete)], ACCOUNTS.values(), firm())
    assert [(bad.key, bad.field) for bad in refused.refused] == [
        ("OPT2", "instrument.exercise_style")
    ]


def test_a_spread_bet_states_its_stake_as_a_monetary_value() -> None:
    """RTS 22 fields 30-31: the stake per point, a monetary value with its currency."""
    bet = GER40.model_copy(update={"product": Product.SPREAD_BET, "cfi": "JEIXSC"})
    stake = trade("B1", instrument=bet, quantity=Decimal("10"), price=Decimal("19000.5"),
                  price_currency="EUR", quantity_currency="GBP")  # fmt: skip
    (report,) = build_reports([stake], ACCOUNTS.values(), firm()).reports
    assert (report.quantity, report.quantity_kind, report.quantity_currency) == (
        Decimal("10"),
        "monetary_value",
        "GBP",
    )
    assert '<Qty><MntryVal Ccy="GBP">10</MntryVal></Qty>' in write_report(report)


def test_skipped_trades_are_listed() -> None:
    spot = EURUSD.model_copy(update={"product": Product.SPOT, "cfi": "IFXXXP"})
    result = build_reports([trade("S1", instrument=spot)], ACCOUNTS.values(), firm())
    assert result.reports == []
    assert [item.key for item in result.skipped] == ["S1"]


def test_refusals_are_those_render_names(tmp_path: Path) -> None:
    trades, accounts = bad_batch()
    trades.insert(-1, trade("B10").model_copy(update={"investment_decision": "NORE"}))
    result = build_reports(trades, accounts, firm())
    assert [report.trade_id for report in result.reports] == ["GOOD1", "GOOD2"]
    assert [(bad.key, bad.field) for bad in result.refused] == [
        ("B1", "account_id"),
        ("B2", "account.holder.date_of_birth"),
        ("B3", "account.holder.lei"),
        ("B4", "price_currency"),
        ("B5", "execution_decision"),
        ("B6", "execution_decision"),
        ("B7", "price"),
        ("B8", "instrument.cfi"),
        ("B9", "price_currency"),
        ("B9", "capacity"),
        ("B10", "investment_decision"),
    ]
    with pytest.raises(RenderError) as from_render:
        render(trades, accounts, firm(), tmp_path, created_at=CREATED, workers=1)
    with pytest.raises(RenderError) as from_records:
        result.raise_for_refusals()
    assert str(from_records.value) == str(from_render.value)


def test_the_writer_refuses_a_new_report_without_what_auth016_requires() -> None:
    report = only("person_concat_buy_fx_cfd")
    for name, number in (("trading_date_time", 28), ("price", 33), ("venue", 36)):
        broken = report.model_copy(update={name: None})
        with pytest.raises(RefusedError, match=f"missing \\(RTS 22 field {number}\\)") as caught:
            write_report(broken)
        assert caught.value.field == name
    anonymous = report.model_copy(update={"buyer_national_id": None})
    with pytest.raises(RefusedError) as caught:
        write_report(anonymous)
    assert caught.value.field == "buyer_national_id"
    with pytest.raises(RefusedError, match="a person, algorithm or NORE"):
        write_report(report.model_copy(update={"execution_algorithm": None}))
