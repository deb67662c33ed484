"""EMIR REFIT rendering: golden files per action type and client kind, NbRcrds, splitting,
naming, UTIs, refusal, atomic writes, and ESMA's restricted schema from REGKIT_XSD_DIR.

Every file a test here produces is validated as a whole against auth.030 with
:func:`regkit.reports.xml.validate`.

Regenerate the golden files after an intended change with
``.venv/bin/python tests/reports/test_emir_render.py --write`` (or run the tests with
``REGKIT_WRITE_GOLDEN=1``), then review the diff.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from regkit import (
    Account,
    AccountSnapshot,
    Firm,
    Instrument,
    LegalEntity,
    NaturalPerson,
    Product,
    Trade,
)
from regkit.errors import RenderError, XsdValidationError
from regkit.reports import emir
from regkit.reports.emir import Event, Rendered, Valuation, render
from regkit.reports.emir import renderer as emir_renderer
from regkit.reports.xml import SCHEMAS, schema, validate
from regkit.schemas.emir import EmirReport
from regkit.schemas.identifiers import generate_uti, is_valid_uti

GOLDEN = Path(__file__).parent / "golden" / "emir"
WRITE = os.environ.get("REGKIT_WRITE_GOLDEN") == "1"
CREATED = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)

FIRM_LEI = "5493001KJTIIGC8Y1R12"
ARM_LEI = "529900T8BM49AURSDO55"
CLIENT_LEI = "529900HNOAA1KXQJUQ27"


def firm(**changes: Any) -> Firm:
    # Below the clearing threshold: REFIT table 1 field 7 (EMIR-VR-1007-01).
    changes.setdefault("above_clearing_threshold", False)
    return Firm(lei=FIRM_LEI, name="Example Markets Ltd", country="CY", **changes)


EURUSD = Instrument(
    symbol="EURUSD",
    product="cfd",
    underlying_class="fx_major",
    base_currency="EUR",
    quote_currency="USD",
    cfi="JFTXCC",
    full_name="CFD EUR/USD",
    upi="QZ4DF6TN8RC2",  # OTC without ISIN: reported by its UPI (EMIR-VR-2008-02)
)
GER40 = Instrument(
    symbol="GER40",
    product="cfd",
    underlying_class="index_major",
    quote_currency="EUR",
    cfi="JEIXCC",
    full_name="CFD on DAX",
    price_multiplier=Decimal("25"),
    underlying_index="DAX",
    upi="QZ0GER40CFD1",
)
EURUSD_1M = Instrument(
    symbol="EURUSD.1M",
    product="forward",
    underlying_class="fx_major",
    base_currency="EUR",
    quote_currency="USD",
    cfi="JFTXFP",
    delivery="physical",
    expiry_date=date(2026, 12, 21),
    upi="QZEURUSDFWD1",
)
EURUSD_SPOT = Instrument(
    symbol="EURUSD.SPOT",
    product="spot",
    underlying_class="fx_major",
    base_currency="EUR",
    quote_currency="USD",
)

PERSON = Account(
    account_id="A-PERSON",
    holder=NaturalPerson(
        first_name="Anna",
        surname="Müller",
        date_of_birth=date(1980, 5, 17),
        nationalities=["DE"],
        residence_country="AT",
    ),
    category="retail",
)
ENTITY = Account(
    account_id="a/entity 7",
    holder=LegalEntity(
        name="Client Fund Ltd",
        lei=CLIENT_LEI,
        country="DE",
        nature="F",
        sector="AIFD",
        above_clearing_threshold=False,
        reporting_obligation=True,
    ),
    category="professional",
)
ACCOUNTS = (PERSON, ENTITY)


def trade(trade_id: str, account_id: str = "A-PERSON", **changes: Any) -> Trade:
    fields: dict[str, Any] = {
        "trade_id": trade_id,
        "account_id": account_id,
        "instrument": EURUSD,
        "side": "buy",
        "quantity": Decimal("100000"),
        "price": Decimal("1.08500"),
        "price_currency": "USD",
        "executed_at": datetime(2026, 11, 20, 9, 30, 0, 123000, tzinfo=UTC),
        "position_effect": "open",
    }
    fields.update(changes)
    return Trade(**fields)


CLOSE_AT = datetime(2026, 11, 20, 15, 45, tzinfo=UTC)
# Before the reporting timestamp (CREATED): ESMA74-362-2683 EMIR-VR-2023-04.
VALUED_AT = datetime(2026, 11, 20, 17, tzinfo=UTC)
OPENING_UTI = generate_uti(FIRM_LEI, "T1")

#: name → (trades, render options)
CASES: dict[str, tuple[list[Trade], dict[str, Any]]] = {
    "newt_person_fx_cfd": ([trade("T1")], {}),
    "newt_entity_index_cfd": (
        [
            trade(
                "t-2",
                "a/entity 7",
                instrument=GER40,
                side="sell",
                quantity=Decimal("0.5"),
                price=Decimal("19000.1"),
                price_currency="EUR",
            )
        ],
        {},
    ),
    "newt_entity_fx_forward": (
        [trade("T3", "a/entity 7", instrument=EURUSD_1M, uti=f"{ARM_LEI}FWD0001")],
        {},
    ),
    "modi_person": (
        [trade("T1", quantity=Decimal("50000"))],
        {"action": "MODI", "events": {"T1": Event(at=datetime(2026, 11, 20, 12, tzinfo=UTC))}},
    ),
    "corr_entity": ([trade("T4", "a/entity 7", price=Decimal("1.08600"))], {"action": "CORR"}),
    "term_person_closing_trade": (
        [trade("T1C", side="sell", position_effect="close", executed_at=CLOSE_AT, uti=OPENING_UTI)],
        {"action": "TERM"},
    ),
    "term_entity_opening_with_event": (
        [trade("T4", "a/entity 7")],
        {"action": "TERM", "events": {"T4": Event(at=CLOSE_AT)}},
    ),
    "eror_entity": ([trade("T4", "a/entity 7")], {"action": "EROR"}),
    "posc_person": ([trade("T5")], {"action": "POSC"}),
    "valu_person": (
        [trade("T1")],
        {
            "action": "VALU",
            "valuations": [Valuation("T1", Decimal("-125.40"), "USD", VALUED_AT)],
        },
    ),
    "valu_entity_from_snapshot": (
        [trade("T4", "a/entity 7")],
        {
            "action": "VALU",
            "snapshots": [
                AccountSnapshot(
                    account_id="a/entity 7",
                    at=VALUED_AT,
                    balance=Decimal("10000.00"),
                    equity=Decimal("10250.50"),
                    currency="EUR",
                    open_positions=1,
                )
            ],
        },
    ),
}


# --- helpers ---------------------------------------------------------------------------------


def rendered(
    trades: Sequence[Trade],
    out: Path,
    *,
    accounts: Sequence[Account] = ACCOUNTS,
    the_firm: Firm | None = None,
    **options: Any,
) -> Rendered:
    """Render inline and validate every file produced as a whole."""
    options.setdefault("workers", 1)
    options.setdefault("created_at", CREATED)
    files = render(trades, accounts, the_firm or firm(), out, **options)
    for path in files:
        result = validate(path)
        assert result.ok, result.lines()
        assert result.message == "auth.030"
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in files)
    return files


def text_of(path: Path, tag: str) -> list[str]:
    return re.findall(rf"<{tag}>([^<]*)</{tag}>", path.read_text(encoding="utf-8"))


def reports_in(path: Path) -> int:
    return path.read_bytes().count(b"<Rpt>")


# --- golden files ----------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case: str, tmp_path: Path) -> None:
    trades, options = CASES[case]
    files = rendered(trades, tmp_path, **options)
    assert len(files) == 1
    golden = GOLDEN / f"{case}.xml"
    if WRITE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(files[0].read_bytes())
    assert files[0].read_bytes() == golden.read_bytes(), f"{case}: regenerate with --write"
    assert validate(golden).ok


def golden(case: str) -> str:
    return (GOLDEN / f"{case}.xml").read_text(encoding="utf-8")


def test_golden_elements_follow_the_action_type() -> None:
    elements = {
        "newt_person_fx_cfd": "New",
        "modi_person": "Mod",
        "corr_entity": "Crrctn",
        "term_person_closing_trade": "Termntn",
        "eror_entity": "Err",
        "posc_person": "PosCmpnt",
        "valu_person": "ValtnUpd",
    }
    for case, element in elements.items():
        assert f"<Rpt><{element}><CtrPtySpcfcData>" in golden(case), case
        assert "<RptHdr><NbRcrds>1</NbRcrds></RptHdr>" in golden(case)


def test_golden_counterparties() -> None:
    person = golden("newt_person_fx_cfd")
    code = FIRM_LEI + "APERSON726EQQ5D4DIY"
    assert emir.client_code(FIRM_LEI, "A-PERSON") == code
    assert f"<Ntrl><Id><Id><Id>{code}</Id></Id></Id><Ctry>AT</Ctry></Ntrl>" in person
    assert f"<RptgCtrPty><Id><Lgl><Id><LEI>{FIRM_LEI}</LEI></Id></Lgl></Id>" in person
    # ESMA74-362-2683 EMIR-VR-1007-01: nature F (1.5) states its clearing threshold (1.7).
    assert (
        "<Ntr><FI><Sctr><Cd>INVF</Cd></Sctr><ClrThrshld>false</ClrThrshld></FI></Ntr>"
        "<TradgCpcty>PRIN</TradgCpcty>"
    ) in person
    # EMIR-VR-1014-02: a natural person (1.8 FALSE) has no reporting obligation (1.14).
    assert "<RptgOblgtn>false</RptgOblgtn></OthrCtrPty>" in person
    assert "<CtrPtySd>SLLR</CtrPtySd>" in person  # the client buys
    entity = golden("newt_entity_index_cfd")
    assert "<CtrPtySd>BYER</CtrPtySd>" in entity  # the client sells
    # ESMA74-362-2683 EMIR-VR-1010-02: identified by LEI (1.8 TRUE), no country (1.10).
    assert f"<IdTp><Lgl><Id><LEI>{CLIENT_LEI}</LEI></Id></Lgl></IdTp>" in entity
    # EMIR-VR-1011-01, VR-1012-01, VR-1013-01, VR-1014-01: an entity's nature (1.11),
    # sector (1.12), clearing threshold (1.13) and reporting obligation (1.14), as stated.
    assert (
        "</IdTp><Ntr><FI><Sctr><Cd>AIFD</Cd></Sctr><ClrThrshld>false</ClrThrshld></FI></Ntr>"
        "<RptgOblgtn>true</RptgOblgtn></OthrCtrPty>"
    ) in entity
    arm = golden("newt_entity_fx_forward")
    assert f"<SubmitgAgt><LEI>{FIRM_LEI}</LEI></SubmitgAgt>" in arm
    assert f"<NttyRspnsblForRpt><LEI>{FIRM_LEI}</LEI></NttyRspnsblForRpt>" in arm


def test_golden_contract_data() -> None:
    fx = golden("newt_person_fx_cfd")
    assert "<CtrctTp>CFDS</CtrctTp><AsstClss>CURR</AsstClss><PdctClssfctn>JFTXCC" in fx
    assert '<FrstLeg><Amt><Amt Ccy="EUR">100000</Amt></Amt></FrstLeg>' in fx
    assert '<ScndLeg><Amt><Amt Ccy="USD">108500.00000</Amt></Amt></ScndLeg>' in fx
    assert "<FwdXchgRate>1.08500</FwdXchgRate><XchgRateBsis><CcyPair><BaseCcy>EUR" in fx
    assert "<PltfmIdr>XXXX</PltfmIdr>" in fx
    assert "<ExctnTmStmp>2026-11-20T09:30:00.123Z</ExctnTmStmp>" in fx
    assert "<DerivEvt><Tp>TRAD</Tp><TmStmp><Dt>2026-11-20</Dt></TmStmp></DerivEvt>" in fx
    assert "<NonClrd><Rsn>NORE</Rsn></NonClrd>" in fx
    index = golden("newt_entity_index_cfd")
    assert "<AsstClss>EQUI</AsstClss>" in index
    assert "<UndrlygInstrm><Indx><Nm>DAX</Nm></Indx></UndrlygInstrm>" in index
    assert '<TxPric><Pric><MntryVal><Amt Ccy="EUR">19000.1</Amt>' in index
    assert '<FrstLeg><Amt><Amt Ccy="EUR">237501.25</Amt>' in index  # 0.5 × 19000.1 × 25
    forward = golden("newt_entity_fx_forward")
    assert "<CtrctTp>FORW</CtrctTp>" in forward
    assert "<DlvryTp>PHYS</DlvryTp>" in forward
    # ESMA74-362-2683 EMIR-VR-2019-05: delivery type (2.47) PHYS leaves the settlement
    # currency (2.19) blank; VR-2019-01: CASH requires it.
    assert "<SttlmCcy>" not in forward
    assert "<SttlmCcy><Ccy>USD</Ccy></SttlmCcy>" in fx
    assert "<XprtnDt>2026-12-21</XprtnDt><SttlmDt>2026-12-21</SttlmDt>" in forward


def test_golden_lifecycle_reports() -> None:
    term = golden("term_person_closing_trade")
    assert f"<UnqTxIdr>{OPENING_UTI}</UnqTxIdr>" in term
    assert "<EarlyTermntnDt>2026-11-20</EarlyTermntnDt><DerivEvt><Tp>ETRM</Tp>" in term
    assert "<CtrctData>" not in term
    modi = golden("modi_person")
    assert "<DerivEvt><Tp>TRAD</Tp><TmStmp><Dt>2026-11-20</Dt></TmStmp></DerivEvt>" in modi
    # ESMA74-362-2683 EMIR-VR-2153-01: an event date (2.153) on every action type, with no
    # event type (2.152) where the action has none.
    for case in ("corr_entity", "posc_person"):  # the execution date (VR-2153-02)
        assert "<DerivEvt><TmStmp><Dt>2026-11-20</Dt></TmStmp></DerivEvt>" in golden(case), case
    # VR-2153-05: EROR's is the date of the reporting timestamp; VR-2154-01: a level too.
    assert "<DerivEvt><TmStmp><Dt>2026-11-20</Dt></TmStmp></DerivEvt>" in golden("eror_entity")
    assert "<Lvl>TCTN</Lvl>" in golden("eror_entity")
    posc = golden("posc_person")
    assert f"<SbsqntTxId><UnqTxIdr>{emir.position_uti(FIRM_LEI, 'A-PERSON', 'EURUSD')}" in posc
    valu = golden("valu_person")
    assert '<CtrctVal><Amt Ccy="USD">125.40</Amt><Sgn>false</Sgn></CtrctVal>' in valu
    assert "<TmStmp>2026-11-20T17:00:00Z</TmStmp><Tp>MTMA</Tp>" in valu
    # VR-2023-06: VALU's event date is the date of the valuation timestamp.
    assert "<DerivEvt><TmStmp><Dt>2026-11-20</Dt></TmStmp></DerivEvt>" in valu
    # The client gained 250.50: the contract is worth that much less to the firm.
    snapshot = golden("valu_entity_from_snapshot")
    assert '<CtrctVal><Amt Ccy="EUR">250.50</Amt><Sgn>false</Sgn></CtrctVal>' in snapshot


# --- build, then write: the records alone make the files ------------------------------------


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_reports_are_records_that_write_the_golden_file(case: str) -> None:
    """build_reports gives EmirReport records that validate as they are (the builder makes
    them without pydantic's validation), and write_report of those records alone gives the
    golden file's reports, line for line."""
    trades, options = CASES[case]
    options = {key: value for key, value in options.items() if key != "workers"}
    built = emir.build_reports(trades, ACCOUNTS, firm(), created_at=CREATED, **options)
    assert built.refused == []
    assert built.reports
    lines = [line for line in golden(case).splitlines() if line.startswith("<Rpt>")]
    assert [emir.write_report(report) for report in built.reports] == [f"{x}\n" for x in lines]
    for report, trade_ in zip(built.reports, trades, strict=True):
        assert EmirReport.model_validate(report.model_dump()) == report
        assert (report.trade_id, report.account_id) == (trade_.trade_id, trade_.account_id)


def test_a_currency_pair_cfd_reports_its_price_and_price_currency() -> None:
    """ESMA74-362-2683 EMIR-VR-2048-01: price (2.48) is mandatory when the contract type
    (2.10) is CFDS, a currency pair's too; VR-2049-01: its currency (2.49) with it."""
    fx = golden("newt_person_fx_cfd")
    assert '<TxPric><Pric><MntryVal><Amt Ccy="USD">1.08500</Amt></MntryVal></Pric></TxPric>' in fx
    (report,) = emir.build_reports([trade("T1")], ACCOUNTS, firm(), created_at=CREATED).reports
    assert (report.contract_type, report.price, report.price_currency) == (
        "CFDS",
        Decimal("1.08500"),
        "USD",
    )
    assert report.forward_exchange_rate == Decimal("1.08500")  # 2.114 stays
    forward = golden("newt_entity_fx_forward")  # FORW on CURR: price optional, not written
    assert "<TxPric>" not in forward


def test_event_dates_follow_the_action_type() -> None:
    """ESMA74-362-2683 EMIR-VR-2153-05 (EROR: the reporting date), VR-2023-06 (VALU: the
    valuation date), VR-2153-06 (TERM: the early termination date, 2.45)."""
    late = datetime(2026, 11, 23, 18, tzinfo=UTC)
    eror = emir.build_reports([trade("T1")], ACCOUNTS, firm(), created_at=late, action="EROR")
    assert (eror.reports[0].event_date, eror.reports[0].level) == (date(2026, 11, 23), "TCTN")
    value = Valuation("T1", Decimal("1"), "USD", datetime(2026, 11, 22, 22, tzinfo=UTC))
    valu = emir.build_reports(
        [trade("T1")], ACCOUNTS, firm(), created_at=late, action="VALU", valuations=[value]
    )
    assert valu.reports[0].event_date == date(2026, 11, 22)
    term = emir.build_reports(
        [trade("T1")], ACCOUNTS, firm(), created_at=late, action="TERM",
        events={"T1": Event(at=datetime(2026, 11, 21, 9, tzinfo=UTC))},
    )  # fmt: skip
    report = term.reports[0]
    assert report.event_date == report.early_termination_date == date(2026, 11, 21)


def test_a_valuation_later_than_the_reporting_timestamp_is_refused(tmp_path: Path) -> None:
    """ESMA74-362-2683 EMIR-VR-2023-04: the valuation timestamp (2.23) is not later than
    the reporting timestamp (1.1)."""
    value = Valuation("T1", Decimal("1"), "USD", datetime(2026, 11, 20, 18, 0, 1, tzinfo=UTC))
    with pytest.raises(RenderError, match=r"T1: valuation.at: 2026-11-20T18:00:01Z is later"):
        render([trade("T1")], ACCOUNTS, firm(), tmp_path, created_at=CREATED,
               action="VALU", valuations=[value], workers=1)  # fmt: skip
    assert list(tmp_path.iterdir()) == []
    at_once = Valuation("T1", Decimal("1"), "USD", CREATED)
    assert emir.build_reports([trade("T1")], ACCOUNTS, firm(), created_at=CREATED,
                              action="VALU", valuations=[at_once]).reports  # fmt: skip


def test_crypto_and_undated_spread_bets_are_refused_by_name(tmp_path: Path) -> None:
    """ESMA74-362-2683 EMIR-VR-2011-01: asset class (2.11) is one of COMM, CRDT, CURR, EQUI,
    INTR (no OTHR), so a crypto-asset is reported in the class the firm gives it, and
    refused without one; VR-2044-01/VR-2046-01: a contract type other than CFDS has an
    expiration date (2.44) and a final settlement date (2.46)."""
    btc = Instrument(symbol="BTCUSD", product="cfd", underlying_class="crypto",
                     quote_currency="USD", cfi="JTMXCC", upi="QZ7PL4JFP4ZA")  # fmt: skip
    classed = btc.model_copy(update={"asset_class": "COMM", "base_product": "OTHR"})
    bet = GER40.model_copy(update={"product": Product.SPREAD_BET, "cfi": "JEIXSC"})
    dated = bet.model_copy(update={"expiry_date": date(2026, 12, 18)})
    trades = [
        trade("C1", instrument=btc, price=Decimal("90000"), price_currency="USD"),
        trade("S1", instrument=bet, price=Decimal("19000"), price_currency="EUR"),
        trade("S2", instrument=dated, price=Decimal("19000"), price_currency="EUR"),
        trade("C2", instrument=classed, price=Decimal("90000"), price_currency="USD"),
    ]
    built = emir.build_reports(trades, ACCOUNTS, firm(), created_at=CREATED)
    assert [str(item).split(" (")[0].split(": REFIT")[0] for item in built.refused] == [
        "C1: instrument.asset_class: missing",
        "S1: instrument.expiry_date: missing: a spread bet reports its expiration and "
        "settlement dates",
    ]
    spread, crypto = built.reports
    assert (spread.contract_type, spread.expiration_date, spread.final_settlement_date) == (
        "SPDB",
        date(2026, 12, 18),
        date(2026, 12, 18),
    )
    # EMIR-VR-2012: the crypto indicator; VR-2116-01: COMM takes a base product.
    assert (crypto.asset_class, crypto.crypto_based, crypto.base_product) == (
        "COMM",
        True,
        "OTHR",
    )
    with pytest.raises(RenderError, match=r"C1: instrument\.asset_class: missing"):
        render(trades, ACCOUNTS, firm(), tmp_path, created_at=CREATED, workers=1)
    with pytest.raises(ValueError, match="asset_class COMM contradicts CURR"):
        Instrument(symbol="EURUSD", product="cfd", underlying_class="fx_major",
                   base_currency="EUR", quote_currency="USD", asset_class="COMM")  # fmt: skip


def test_build_reports_names_what_render_refuses() -> None:
    built = emir.build_reports([trade("T1"), trade("B1", "A-MISSING")], ACCOUNTS, firm())
    assert [report.trade_id for report in built.reports] == ["T1"]
    assert [str(item) for item in built.refused] == [
        "B1: account_id: no account 'A-MISSING' was given"
    ]
    with pytest.raises(RenderError, match="B1: account_id"):
        built.raise_for_refusals()


# --- UTIs ------------------------------------------------------------------------------------


def test_uti_generated_when_missing_and_kept_when_given(tmp_path: Path) -> None:
    given = f"{ARM_LEI}GIVEN0001"
    files = rendered(
        [trade("T1"), trade("t 2/b"), trade("T3", uti=given)], tmp_path, max_records=10
    )
    utis = text_of(files[0], "UnqTxIdr")
    assert utis == [FIRM_LEI + "T1", generate_uti(FIRM_LEI, "t 2/b"), given]
    assert all(is_valid_uti(uti) for uti in utis)
    again = rendered([trade("t 2/b")], tmp_path / "again")
    assert text_of(again[0], "UnqTxIdr") == [utis[1]]


def test_an_invalid_uti_is_refused_naming_the_trade(tmp_path: Path) -> None:
    bad = trade("T9").model_copy(update={"uti": "NOT-A-UTI"})
    with pytest.raises(RenderError, match=r"T9: uti: 'NOT-A-UTI' is not an ISO 23897 UTI"):
        render([trade("T1"), bad], ACCOUNTS, firm(), tmp_path, workers=1)
    assert list(tmp_path.iterdir()) == []


# --- files -----------------------------------------------------------------------------------


def test_split_names_and_counts_per_file(tmp_path: Path) -> None:
    trades = [trade(f"T{n}", side="sell" if n % 2 else "buy") for n in range(7)]
    files = rendered(trades, tmp_path, max_records=3, first_sequence=41)
    assert [path.name for path in files] == [
        f"{FIRM_LEI}_DATTAR_20261120_0000{n}.xml" for n in (41, 42, 43)
    ]
    assert [reports_in(path) for path in files] == [3, 3, 1]
    assert [text_of(path, "NbRcrds") for path in files] == [["3"], ["3"], ["1"]]
    assert files.reported == 7


def test_counts_with_chunks_smaller_than_files(tmp_path: Path) -> None:
    original = emir_renderer.write_files

    def small_chunks(*args: Any, **kwargs: Any) -> Any:
        return original(*args, chunk_records=4, **kwargs)

    emir_renderer.write_files = small_chunks  # type: ignore[assignment]
    try:
        files = rendered([trade(f"T{n:02d}") for n in range(25)], tmp_path, max_records=10)
    finally:
        emir_renderer.write_files = original
    assert [text_of(path, "NbRcrds") for path in files] == [["10"], ["10"], ["5"]]
    assert [uti[20:] for path in files for uti in text_of(path, "UnqTxIdr")] == [
        f"T{n:02d}" for n in range(25)
    ]


def test_naming_with_an_arm(tmp_path: Path) -> None:
    files = rendered([trade("T1")], tmp_path, the_firm=firm(submitting_entity_lei=ARM_LEI))
    assert files[0].name == f"{ARM_LEI}_DATTAR_20261120_000001.xml"
    assert f"<SubmitgAgt><LEI>{ARM_LEI}</LEI></SubmitgAgt>" in files[0].read_text()
    assert emir.file_name(firm(), CREATED, 7) == f"{FIRM_LEI}_DATTAR_20261120_000007.xml"


def test_same_inputs_same_bytes_whatever_the_workers_and_validation(tmp_path: Path) -> None:
    trades = [trade(f"T{n}", side="sell" if n % 2 else "buy") for n in range(9)]
    runs = {"a": {}, "b": {}, "c": {"workers": 2}, "d": {"validate": False}}
    contents = {}
    for name, options in runs.items():
        files = rendered(trades, tmp_path / name, max_records=4, **options)
        contents[name] = [(path.name, path.read_bytes()) for path in files]
    assert contents["a"] == contents["b"] == contents["c"] == contents["d"]


def test_spot_and_closing_trades_are_skipped_from_new_reports(tmp_path: Path) -> None:
    trades = [
        trade("T1"),
        trade("S1", instrument=EURUSD_SPOT),
        trade("C1", side="sell", position_effect="close", uti=OPENING_UTI),
    ]
    files = rendered(trades, tmp_path)
    assert files.reported == 1
    assert [item.key for item in files.skipped] == ["S1", "C1"]
    assert "TERM" in files.skipped[1].reason


def test_no_reportable_trade_writes_no_file(tmp_path: Path) -> None:
    files = rendered([trade("S1", instrument=EURUSD_SPOT)], tmp_path)
    assert list(files) == []
    assert files.reported == 0


# --- refusal ---------------------------------------------------------------------------------


def test_bad_records_are_all_named_and_nothing_is_written(tmp_path: Path) -> None:
    nowhere = Account(
        account_id="A-NOWHERE",
        holder=NaturalPerson(first_name="Jan", surname="Nowak", nationalities=["PL"]),
        category="retail",
    )
    no_lei = Account(
        account_id="A-NOLEI", holder=LegalEntity(name="No LEI GmbH"), category="professional"
    )
    option = EURUSD.model_copy(update={"product": Product.OPTION})
    trades = [
        trade("GOOD1"),
        trade("B1", "A-MISSING"),
        trade("B2", "A-NOWHERE"),
        trade("B3", "A-NOLEI"),
        trade("B4", instrument=option),
        # No CFI, and none to derive (ISO 10962 has no group for an "other" underlying).
        trade(
            "B5", instrument=EURUSD.model_copy(update={"cfi": None, "underlying_class": "other"})
        ),
        trade("B6", capacity="AOTC"),
        trade("B7").model_copy(update={"uti": "BAD"}),
        trade("B8", instrument=EURUSD_1M.model_copy(update={"delivery": None})),
        trade("GOOD2"),
    ]
    accounts = [*ACCOUNTS, nowhere, no_lei]
    with pytest.raises(RenderError) as caught:
        render(trades, accounts, firm(), tmp_path, created_at=CREATED, workers=1, max_records=1)
    message = str(caught.value)
    assert message.startswith("8 trade(s) cannot be reported (8 problem(s)); no file was written")
    for expected in (
        "B1: account_id: no account 'A-MISSING'",
        "B2: account.holder.residence_country: missing",
        "B3: account.holder.lei: the client is an entity without an LEI",
        "B4: instrument.option_type: an option needs option_type, exercise_style, strike_price",
        "B5: instrument.cfi: missing (REFIT table 2 field 9: the CFI), and",
        "B6: capacity: AOTC",
        "B7: uti: 'BAD' is not an ISO 23897 UTI",
        "B8: instrument.delivery: missing",
    ):
        assert expected in message
    assert "GOOD" not in message
    assert list(tmp_path.iterdir()) == []


def test_lifecycle_inputs_that_are_missing_are_named(tmp_path: Path) -> None:
    snapshot = AccountSnapshot(
        account_id="A-PERSON",
        at=CREATED,
        balance=Decimal("1"),
        equity=Decimal("2"),
        currency="EUR",
        open_positions=3,
    )
    with pytest.raises(RenderError) as caught:
        render([trade("T1"), trade("T2", "a/entity 7")], ACCOUNTS, firm(), tmp_path,
               action="VALU", snapshots=[snapshot], workers=1)  # fmt: skip
    assert "T1: valuation: no Valuation, and the account's snapshot" in str(caught.value)
    assert "3 open positions together" in str(caught.value)
    assert "T2: valuation: no Valuation and no snapshot of the account" in str(caught.value)
    closing = trade("C1", side="sell", position_effect="close")
    with pytest.raises(RenderError, match=r"C1: uti: closes a position but carries no UTI"):
        render([closing], ACCOUNTS, firm(), tmp_path, action="TERM", workers=1)
    with pytest.raises(RenderError, match=r"T1: event: action CORR reports no event type"):
        render([trade("T1")], ACCOUNTS, firm(), tmp_path, action="CORR", events={"T1": "TRAD"})
    with pytest.raises(RenderError, match=r"T1: event: 'OOPS' is not an event type"):
        render([trade("T1")], ACCOUNTS, firm(), tmp_path, events={"T1": "OOPS"})
    assert list(tmp_path.iterdir()) == []


# --- TERM: a closing trade ends the derivative its opening reported --------------------------
# Delegated Regulation (EU) 2022/1855, Annex, Table 2: field 2.151 (action type) TERM is the
# termination of an existing derivative, named by field 2.1, the UTI its NEWT reported (ESMA
# Guidelines on reporting under EMIR, action and event types: a CFD's close is a TERM, event
# ETRM, of the opening's UTI). An opening is that NEWT, never a termination of its own.

OPEN_AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
GIVEN_UTI = f"{ARM_LEI}OPENING0002"


def position_book() -> list[Trade]:
    """Three openings (O3 never closed) and the closes of O1 and O2, each carrying its
    opening's UTI; C2 comes before its opening in the input."""
    return [
        trade("O1", executed_at=OPEN_AT),
        trade("C2", "a/entity 7", side="sell", position_effect="close", executed_at=CLOSE_AT,
              uti=GIVEN_UTI),
        trade("O2", "a/entity 7", uti=GIVEN_UTI, executed_at=OPEN_AT),
        trade("O3", executed_at=OPEN_AT),
        trade("C1", side="sell", position_effect="close", executed_at=CLOSE_AT,
              uti=generate_uti(FIRM_LEI, "O1")),
    ]  # fmt: skip


def test_term_ends_each_closed_position_under_its_openings_uti(tmp_path: Path) -> None:
    files = rendered(position_book(), tmp_path, action="TERM")
    assert files.reported == 2  # one TERM per closed position, none for an opening
    (path,) = files
    assert text_of(path, "UnqTxIdr") == [GIVEN_UTI, FIRM_LEI + "O1"]
    assert text_of(path, "EarlyTermntnDt") == ["2026-11-20", "2026-11-20"]
    assert path.read_text(encoding="utf-8").count("<Tp>ETRM</Tp>") == 2
    assert [item.key for item in files.skipped] == ["O1", "O2", "O3"]
    assert all("opens a position" in item.reason for item in files.skipped)


def test_term_of_an_opening_alone_terminates_nothing(tmp_path: Path) -> None:
    files = rendered([trade("O3"), trade("F1", instrument=EURUSD_1M, position_effect=None)],
                     tmp_path, action="TERM")  # fmt: skip
    assert list(files) == []
    assert files.reported == 0
    assert [item.key for item in files.skipped] == ["O3", "F1"]
    assert "reported by NEWT" in files.skipped[0].reason


def test_term_refuses_every_close_whose_opening_is_unknown(tmp_path: Path) -> None:
    trades = [
        *position_book(),
        trade("C-NONE", side="sell", position_effect="close"),  # carries no UTI
        # Its own UTI (what regkit would generate for it): NEWT skips closes, so no
        # derivative was ever reported under it.
        trade("COWN", side="sell", position_effect="close", uti=generate_uti(FIRM_LEI, "COWN")),
    ]
    with pytest.raises(RenderError) as caught:
        render(trades, ACCOUNTS, firm(), tmp_path, created_at=CREATED, action="TERM", workers=1)
    message = str(caught.value)
    assert message.startswith("2 trade(s) cannot be reported (2 problem(s)); no file was written")
    assert "C-NONE: uti: closes a position but carries no UTI" in message
    assert f"COWN: uti: {FIRM_LEI}COWN is this closing trade's own UTI" in message
    for fine in ("O1", "O2", "O3", "C1:", "C2:"):
        assert fine not in message
    assert list(tmp_path.iterdir()) == []


def test_term_refuses_a_second_termination_and_a_close_of_another_position(
    tmp_path: Path,
) -> None:
    trades = [
        *position_book(),
        trade("C1B", side="sell", position_effect="close", uti=generate_uti(FIRM_LEI, "O1")),
        # O3's UTI, but O3 is on another account: not this client's position.
        trade("CX", "a/entity 7", side="sell", position_effect="close",
              uti=generate_uti(FIRM_LEI, "O3")),
    ]  # fmt: skip
    with pytest.raises(RenderError) as caught:
        render(trades, ACCOUNTS, firm(), tmp_path, created_at=CREATED, action="TERM", workers=1)
    message = str(caught.value)
    assert f"C1B: uti: {FIRM_LEI}O1 is already terminated by trade C1" in message
    assert f"CX: uti: {FIRM_LEI}O3 is the UTI of opening O3 (account A-PERSON, EURUSD)" in message
    assert list(tmp_path.iterdir()) == []


def test_term_of_an_opening_named_in_events(tmp_path: Path) -> None:
    """An opening is terminated only when the caller names it with the closing time."""
    files = rendered([trade("O3")], tmp_path / "named", action="TERM",
                     events={"O3": Event(at=CLOSE_AT)})  # fmt: skip
    assert text_of(files[0], "UnqTxIdr") == [FIRM_LEI + "O3"]
    with pytest.raises(RenderError, match=r"O3: event.at: an opening is terminated at the time"):
        render([trade("O3")], ACCOUNTS, firm(), tmp_path / "bare", action="TERM",
               events={"O3": "ETRM"})  # fmt: skip
    # Named and closed in the same batch: the derivative would be terminated twice.
    closing = trade("C3", side="sell", position_effect="close", uti=FIRM_LEI + "O3")
    with pytest.raises(RenderError, match=r"C3: uti: .*O3 is already terminated by trade O3"):
        render([trade("O3"), closing], ACCOUNTS, firm(), tmp_path / "twice", action="TERM",
               events={"O3": Event(at=CLOSE_AT)})  # fmt: skip


def test_a_failing_source_leaves_no_file_behind(tmp_path: Path) -> None:
    def trades() -> Iterator[Trade]:
        for n in range(10):
            yield trade(f"T{n}")
        raise OSError("the trades file went away")

    with pytest.raises(OSError, match="went away"):
        render(trades(), ACCOUNTS, firm(), tmp_path, workers=1, max_records=3)
    assert list(tmp_path.iterdir()) == []


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="max_records"):
        render([trade("T1")], ACCOUNTS, firm(), tmp_path, max_records=0, workers=1)
    with pytest.raises(RenderError, match="first_sequence"):
        render([trade("T1")], ACCOUNTS, firm(), tmp_path, first_sequence=0)
    with pytest.raises(RenderError, match="action"):
        render([trade("T1")], ACCOUNTS, firm(), tmp_path, action="REVI")  # type: ignore[arg-type]
    with pytest.raises(RenderError, match="investment_firm"):
        render([trade("T1")], ACCOUNTS, firm(investment_firm=False), tmp_path)
    with pytest.raises(RenderError, match="timezone"):
        render([trade("T1")], ACCOUNTS, firm(), tmp_path, created_at=datetime(2026, 1, 1))
    value = Valuation("T1", Decimal(1), "EUR", CREATED)
    with pytest.raises(RenderError, match="two valuations"):
        render([trade("T1")], ACCOUNTS, firm(), tmp_path, action="VALU", valuations=[value] * 2)
    with pytest.raises(RenderError, match="finite Decimal"):
        Valuation("T1", 1.5, "EUR", CREATED)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


# --- ESMA's restricted schema ----------------------------------------------------------------


def restricted_copy(folder: Path, *, only_buyer: bool = False) -> Path:
    """A stand-in for ESMA's ``auth.030.001.03_ESMAUG_DATTAR_*.xsd``: the ISO schema under
    ESMA's file name, optionally narrowed so that a firm may only be a buyer."""
    shipped = schema("auth.030").path
    text = shipped.read_text(encoding="utf-8")
    if only_buyer:
        text = text.replace('<xs:enumeration value="SLLR"/>', "", 1)
    target = folder / "auth.030.001.03_ESMAUG_DATTAR_1.1.0.xsd"
    target.write_text(text, encoding="utf-8")
    return target


def test_render_validates_against_a_restricted_schema_from_the_xsd_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    xsd_dir = tmp_path / "xsd"
    xsd_dir.mkdir()
    copy = restricted_copy(xsd_dir)
    monkeypatch.setenv("REGKIT_XSD_DIR", str(xsd_dir))
    files = rendered([trade("T1")], tmp_path / "ok")
    assert validate(files[0]).schemas == (copy,)
    assert SCHEMAS["auth.030"].file != copy.name

    narrow = tmp_path / "narrow"
    narrow.mkdir()
    restricted_copy(narrow, only_buyer=True)
    monkeypatch.setenv("REGKIT_XSD_DIR", str(narrow))
    out = tmp_path / "refused"
    with pytest.raises(XsdValidationError, match="record T1") as caught:
        render([trade("T1")], ACCOUNTS, firm(), out, created_at=CREATED, workers=1)
    assert "CtrPtySd" in str(caught.value.path)
    assert not out.exists() or list(out.iterdir()) == []
    # The client sells: the firm buys, which the narrowed schema still allows.
    assert rendered([trade("T2", side="sell")], tmp_path / "sell")
    shutil.rmtree(narrow)


if __name__ == "__main__":
    if "--write" in sys.argv:
        os.environ["REGKIT_WRITE_GOLDEN"] = "1"
        sys.exit(pytest.main([__file__, "-q", "-k", "test_golden", "-p", "no:cacheprovider"]))
    sys.exit(pytest.main([__file__, "-q"]))


CALL = Instrument(
    symbol="EURUSD.C110",
    product="option",
    underlying_class="fx_major",
    base_currency="EUR",
    quote_currency="USD",
    cfi="HFTAVC",
    delivery="cash",
    expiry_date=date(2026, 12, 21),
    option_type="call",
    strike_price=Decimal("1.1000"),
    exercise_style="european",
    upi="QZEURUSDC110",
)


def test_a_currency_option_reports_its_type_style_strike_and_premium(tmp_path: Path) -> None:
    files = rendered([trade("OPT1", instrument=CALL, price=Decimal("0.0125"))], tmp_path)
    text = files[0].read_text(encoding="utf-8")
    # ESMA74-362-2683 EMIR-VR-2139-01, VR-2140-01, VR-2141-01: an OPTN reports its premium
    # amount (2.139: price per unit x quantity), currency (2.140) and payment date (2.141:
    # the execution date when the trade names none).
    assert (
        "<Optn><Tp>CALL</Tp><ExrcStyle>EURO</ExrcStyle><StrkPric><Dcml>1.1000</Dcml>"
        '</StrkPric><PrmAmt Ccy="USD">1250.0000</PrmAmt><PrmPmtDt>2026-11-20</PrmPmtDt>'
        "</Optn>" in text
    )
    # The premium is not a rate: no FwdXchgRate; the second leg is at the strike, and so is
    # exchange rate 1 (2.113, the rate agreed at inception; EMIR-VR-2113-01: 2.113 or 2.114).
    assert "<FwdXchgRate>" not in text
    assert "<Ccy><XchgRate>1.1000</XchgRate><XchgRateBsis>" in text
    assert '<ScndLeg><Amt><Amt Ccy="USD">110000.0000</Amt>' in text
    # EMIR-VR-2138-02: a currency option's strike price currency (2.138) is its pair.
    report = emir.build_reports(
        [trade("OPT1", instrument=CALL, price=Decimal("0.0125"))], ACCOUNTS, firm()
    ).reports[0]
    assert report.strike_price_currency == "EUR/USD"
    assert (report.option_premium_amount, report.option_premium_currency) == (
        Decimal("1250.0000"),
        "USD",
    )


def test_an_option_premium_given_and_its_payment_date_are_reported(tmp_path: Path) -> None:
    gold_put = Instrument(
        symbol="XAUUSD.P2000",
        product="option",
        underlying_class="gold",
        quote_currency="USD",
        cfi="HTKEVC",  # ISO 10962: option on commodities (T), metals (K), American put (E)
        delivery="cash",
        expiry_date=date(2026, 12, 21),
        option_type="put",
        strike_price=Decimal("2000"),
        exercise_style="american",
        upi="QZXAUUSDP200",
    )
    premium = trade(
        "OPT2",
        instrument=gold_put,
        quantity=Decimal("10"),
        price=Decimal("12.5"),
        option_premium=Decimal("130.25"),
        option_premium_payment_date=date(2026, 11, 23),
    )
    text = rendered([premium], tmp_path)[0].read_text(encoding="utf-8")
    # EMIR-VR-2138-01: a non-currency option's strike price currency (2.138) is one currency.
    assert '<StrkPric><MntryVal><Amt Ccy="USD">2000</Amt></MntryVal></StrkPric>' in text
    assert '<PrmAmt Ccy="USD">130.25</PrmAmt><PrmPmtDt>2026-11-23</PrmPmtDt>' in text
    # EMIR-VR-2116-01, VR-2117-07, VR-2118-12: gold is METL / PRME / GOLD (2.116-2.118).
    assert (
        "<Cmmdty><Metl><Prcs><BasePdct>METL</BasePdct><SubPdct>PRME</SubPdct>"
        "<AddtlSubPdct>GOLD</AddtlSubPdct></Prcs></Metl></Cmmdty>" in text
    )
    # EMIR-VR-2060-01: a commodity derivative reports its total notional quantity (2.60).
    assert "<NtnlQty><FrstLeg><TtlQty>10</TtlQty></FrstLeg></NtnlQty>" in text


def test_a_decimal_too_large_to_write_is_refused_by_name(tmp_path: Path) -> None:
    # The models refuse these, but model_copy(update=) skips validation and the writer must
    # still refuse them: writing 1E+999999999999 out in plain digits needs a terabyte,
    # and multiplying it into a notional must not overflow either.
    trades = [
        trade("HUGE").model_copy(update={"quantity": Decimal("1E+999999999999")}),
        trade("HUGEPRICE").model_copy(update={"price": Decimal("1E+999999999999")}),
        trade("TINY").model_copy(update={"price": Decimal("1E-999999999999")}),
        trade("NAN").model_copy(update={"price": Decimal("NaN")}),
        trade("INF").model_copy(update={"quantity": Decimal("-Infinity")}),
    ]
    with pytest.raises(RenderError) as caught:
        render(trades, ACCOUNTS, firm(), tmp_path, created_at=CREATED, workers=1)
    message = str(caught.value)
    for expected in (
        "HUGE: notional: 1E+999999999999 has more than 19 decimals or 25 digits",
        "HUGEPRICE: notional: 1.00000E+1000000000004 has more than 19 decimals or 25 digits",
        "TINY: price: 1E-999999999999 has more than 13 decimals or 18 digits",
        "NAN: notional: NaN is not a number",
        "INF: notional: -Infinity is not a number",
    ):
        assert expected in message
    assert list(tmp_path.iterdir()) == []


def test_an_instrument_without_isin_or_cfi_is_classified_by_the_derived_cfi(
    tmp_path: Path,
) -> None:
    # REFIT table 2 field 9 (product classification): the ISO 10962 CFI regkit derives, the
    # same as MiFIR's field 43; with the CFI given, the bytes are the same.
    derived = rendered([trade("T1", instrument=EURUSD.model_copy(update={"cfi": None}))],
                       tmp_path / "derived")  # fmt: skip
    given = rendered([trade("T1")], tmp_path / "given")
    assert "<PdctClssfctn>JFTXCC</PdctClssfctn>" in derived[0].read_text(encoding="utf-8")
    assert derived[0].read_bytes() == given[0].read_bytes()


def test_an_instrument_with_an_isin_and_no_cfi_is_classified_by_the_derived_cfi(
    tmp_path: Path,
) -> None:
    # EMIR-VR-2009: the product classification (2.9) is mandatory with an ISIN (2.7) too.
    anna_dsb = EURUSD.model_copy(update={"cfi": None, "isin": "EZ0JFTXCC001"})
    files = rendered([trade("T1", instrument=anna_dsb)], tmp_path)
    text = files[0].read_text(encoding="utf-8")
    assert "<PdctClssfctn>JFTXCC</PdctClssfctn>" in text
    assert "<ISIN>EZ0JFTXCC001</ISIN>" in text
