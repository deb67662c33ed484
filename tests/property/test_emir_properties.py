"""Properties of EMIR REFIT rendering and of generated UTIs.

* Any valid records, under any action type, render to files that validate against auth.030
  (with ``NbRcrds`` equal to the reports in each file), or are refused with an error that
  names every bad trade; never an invalid file, never a partial one.
* Generated UTIs are ISO 23897 UTIs of the firm's LEI, the same for the same trade id and
  different for different trade ids.
* A TERM batch terminates only what its NEWT reported: every TERM's UTI is the UTI of an
  opening the same trades report under NEWT, once each, one per closing trade; a close that
  names no opening (or an opening already terminated) is refused by name.
"""

from __future__ import annotations

import re
import tempfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from strategies import (
    countries,
    derived_cfi,
    firms,
    holders,
    identifiers,
    instruments,
    leis,
    trades,
    upis,
)

from regkit import (
    Account,
    ClientCategory,
    Firm,
    Instrument,
    LegalEntity,
    PositionEffect,
    Trade,
)
from regkit.errors import PreSubmissionError, RenderError
from regkit.reports.emir import ACTIONS, Valuation, build_reports, render, write_report
from regkit.reports.xml import validate
from regkit.rules.policy import load_policy
from regkit.schemas.emir import EmirReport
from regkit.schemas.identifiers import generate_uti, is_valid_uti

CREATED = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
_PROBLEM = re.compile(r"^  (.+?): [a-z_.]+: .+$")


@st.composite
def client_accounts(draw: st.DrawFn, clean: bool) -> Account:
    """An account with what an EMIR report reads: a person with a country of residence or
    an entity with an LEI; when not ``clean``, either may lack it."""
    holder = draw(holders())
    if clean and holder.kind == "person" and holder.residence_country is None:
        holder = holder.model_copy(update={"residence_country": draw(countries)})
    if clean and holder.kind == "entity" and holder.lei is None:
        holder = holder.model_copy(update={"lei": draw(leis())})
    if clean and holder.kind == "entity":
        holder = LegalEntity.model_validate(holder.model_dump() | reportable_entity(holder))
    return Account(
        account_id=draw(identifiers("A")),
        holder=holder,
        category=draw(st.sampled_from(ClientCategory)),
        branch_country=draw(st.none() | countries),
    )


def reportable_entity(holder: LegalEntity) -> dict[str, Any]:
    """What an entity counterparty 2 states that REFIT asks of it: its nature (EMIR-VR-1011),
    a sector for F or N (VR-1012-01/02), a clearing threshold for F or N (VR-1013-01), its
    reporting obligation (VR-1014-01)."""
    update: dict[str, Any] = {}
    nature = holder.nature or "F"
    update["nature"] = nature
    if nature in ("F", "N"):
        update["sector"] = holder.sector or ("INVF" if nature == "F" else "C")
        threshold = holder.above_clearing_threshold
        update["above_clearing_threshold"] = False if threshold is None else threshold
    if holder.reporting_obligation is None:
        update["reporting_obligation"] = True
    return update


def reportable(firm: Firm) -> Firm:
    """The firm as regkit reports it: an investment firm that states its clearing threshold
    (EMIR-VR-1007-01) and a master agreement REFIT can carry (EMIR-VR-2036-01: a version
    for a type other than BIAG or OTHR; EMIR-VR-2035-01: OTHR with its name)."""
    update: dict[str, Any] = {"investment_firm": True}
    if firm.above_clearing_threshold is None:
        update["above_clearing_threshold"] = False
    kind = firm.master_agreement_type
    if kind == "OTHR" and firm.other_master_agreement_type is None:
        update["other_master_agreement_type"] = "Client Agreement"
    elif kind not in (None, "BIAG", "OTHR") and firm.master_agreement_version is None:
        update["master_agreement_version"] = 2002
    return firm.model_copy(update=update)


@st.composite
def derivatives(draw: st.DrawFn) -> Instrument:
    """An instrument regkit can report: a CFD, spread bet, forward or swap with a CFI, of an
    underlying REFIT has an asset class for, a spread bet with its expiry."""
    data = draw(instruments()).model_dump()
    data["product"] = draw(st.sampled_from(("cfd", "spread_bet", "forward", "swap")))
    data["delivery"] = data["delivery"] or "cash"
    if data["underlying_class"] in ("crypto", "other"):  # no REFIT class: VR-2011-01
        data["asset_class"] = "COMM"  # the firm's choice, as the sample firm's for crypto
    if data["product"] != "cfd" and data["expiry_date"] is None:  # VR-2044-01
        data["expiry_date"] = date(2027, 3, 19)
    if data["underlying_class"] in _QUANTIFIED:  # 2.60 takes 5 decimals: VR-2060-01
        data["price_multiplier"] = _two_places(data["price_multiplier"])
    if data["underlying_class"] in _EQUITY and not (
        data["underlying_isin"] or data["underlying_index"]
    ):  # EQUI and INTR name their underlying: VR-2013-01, VR-2013-03
        data["underlying_index"] = "Index of " + data["symbol"]
    if data["isin"] is None and data["upi"] is None:  # OTC without ISIN: VR-2008-02
        data["upi"] = draw(upis())
    # The CFI of the product drawn (a given one must agree: ISO 10962), else a code.
    data["cfi"] = derived_cfi(data) or "JFTXCC"
    instrument = Instrument(**data)
    if instrument.reported_asset_class == "COMM" and (
        instrument.commodity_classification is None  # COMM needs 2.116: VR-2116-01
    ):
        data["base_product"] = "OTHR"
        instrument = Instrument(**(data | {"cfi": derived_cfi(data) or "JFTXCC"}))
    return instrument


@st.composite
def reportable_trades(
    draw: st.DrawFn, account_id: st.SearchStrategy[str], instrument: st.SearchStrategy[Instrument]
) -> Trade:
    """A trade that opens a position, dealt by the firm, with a price currency."""
    data = draw(trades(account_id=account_id, instrument=instrument)).model_dump()
    data["capacity"] = draw(st.sampled_from(("DEAL", "MTCH")))
    data["position_effect"] = draw(st.sampled_from((None, "open")))
    data["price_currency"] = data["price_currency"] or "EUR"
    # VR-2055-01 and VR-2060-01: a notional amount or quantity has at most 5 decimals, and
    # regkit refuses a quantity with more rather than round it
    data["quantity"] = _two_places(data["quantity"])
    return Trade(**data)


#: Equity and bond underlyings: their reports name the underlying (REFIT 2.13-2.16).
_EQUITY = frozenset({"index_major", "index_minor", "equity", "bond"})

#: Equity and commodity underlyings: their reports state the total notional quantity
#: (REFIT 2.60, EMIR-VR-2060-01), quantity x multiplier, at most 5 decimals (regkit refuses
#: more rather than round): generated with 2 decimals each.
_QUANTIFIED = frozenset(
    {"gold", "commodity", "index_major", "index_minor", "equity", "crypto", "other"}
)


def _two_places(value: Decimal) -> Decimal:
    return max(Decimal(value).quantize(Decimal("0.01")), Decimal("0.01"))


#: The first day REFIT accepts for an execution, valuation or event (EMIR-VR-2042-02,
#: VR-2023-02, VR-2153-03: on or after 12 February 2014, when EMIR reporting began).
_FIRST_DAY = datetime(2014, 2, 12, tzinfo=UTC)


def consistent(trade: Trade) -> Trade:
    """A trade's dates as a real book has them: executed between the start of EMIR
    reporting and the reporting timestamp (EMIR-VR-2042), of an instrument that had not
    expired (VR-2044, VR-2153-08)."""
    executed = min(max(trade.executed_at, _FIRST_DAY), CREATED - timedelta(hours=1))
    instrument = trade.instrument
    expiry = instrument.expiry_date
    if expiry is not None and expiry < executed.date():
        instrument = instrument.model_copy(update={"expiry_date": executed.date()})
    return trade.model_copy(update={"executed_at": executed, "instrument": instrument})


def valued_at(trade: Trade, action: str) -> datetime:
    """When a trade of a real book is valued: for VALU at the reporting timestamp, or on its
    expiry day if it expired before (EMIR-VR-2023-03 to -05), never before its execution;
    for another action on the report's event date, the execution's (VR-2023-06, VR-2153-02)."""
    if action != "VALU":
        return trade.executed_at
    expiry = trade.instrument.expiry_date
    if expiry is None:
        return CREATED
    end = datetime(expiry.year, expiry.month, expiry.day, tzinfo=UTC) + timedelta(hours=23)
    return max(min(end, CREATED), trade.executed_at)


@st.composite
def batches(draw: st.DrawFn) -> dict[str, Any]:
    """A firm, accounts, trades on them, an action type and valuations: two batches in three
    reportable throughout, the others with gaps of every kind (missing accounts, LEIs,
    countries, CFIs, valuations, options, spot and closing trades, invalid values)."""
    clean = draw(st.integers(0, 2)) > 0
    the_accounts: list[Account] = draw(
        st.lists(client_accounts(clean), min_size=1, max_size=4, unique_by=lambda a: a.account_id)
    )
    account_ids = st.sampled_from([account.account_id for account in the_accounts])
    described = derivatives()
    shared = draw(st.lists(described if clean else described | instruments(), min_size=1,
                           max_size=3))  # fmt: skip
    instrument = st.sampled_from(shared) | described
    any_trade = reportable_trades(account_ids, instrument)
    if not clean:
        any_trade |= trades(account_id=account_ids | identifiers("A"), instrument=instrument)
    the_trades: list[Trade] = draw(
        st.lists(any_trade, max_size=6, unique_by=lambda trade: trade.trade_id)
    )
    if clean:
        the_trades = [consistent(trade) for trade in the_trades]
    action = draw(st.sampled_from(sorted(ACTIONS)))
    valued = [trade for trade in the_trades if clean or draw(st.booleans())]
    valuations = [
        Valuation(
            trade.trade_id,
            draw(st.decimals(-(10**9), 10**9, places=2, allow_nan=False, allow_infinity=False)),
            "EUR",
            valued_at(trade, action) if clean else CREATED,
        )
        for trade in valued
    ]
    firm: Firm = reportable(draw(firms()))
    return {
        "clean": clean,
        "firm": firm,
        "accounts": the_accounts,
        "trades": the_trades,
        "action": action,
        "valuations": valuations,
        "max_records": draw(st.integers(1, 4)),
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches())
def test_records_render_to_valid_files_or_are_refused_by_name(batch: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        try:
            files = render(
                batch["trades"],
                batch["accounts"],
                batch["firm"],
                out,
                created_at=CREATED,
                action=batch["action"],
                valuations=batch["valuations"],
                max_records=batch["max_records"],
                workers=1,
            )
        except PreSubmissionError as error:
            # The renderer and the pack agree: a batch of records that REFIT can carry
            # throughout is never refused by ESMA's validation rules.
            assert not batch["clean"], str(error)  # noqa: PT017
            event("refused by a validation rule")
            assert list(out.iterdir()) == [], "a refused batch left a file behind"
            assert_names_failing_reports(error, batch["trades"])
            return
        except RenderError as error:
            event("refused")
            assert list(out.iterdir()) == [], "a refused batch left a file behind"
            assert_names_bad_trades(str(error), batch["trades"])
            return
        event("rendered" if files else "nothing to report")
        assert sorted(out.iterdir()) == sorted(files), "files other than those returned"
        for path in files:
            result = validate(path)
            assert result.ok, result.lines()
            text = path.read_text(encoding="utf-8")
            assert re.findall(r"<NbRcrds>(\d+)</NbRcrds>", text) == [str(text.count("<Rpt>"))]
        assert files.reported + len(files.skipped) == len(batch["trades"])
        assert len(files) == -(-files.reported // batch["max_records"])
        lines = [
            line
            for path in files
            for line in path.read_text(encoding="utf-8").splitlines(True)
            if line.startswith("<Rpt>")
        ]
    # The records the files were written from: built without pydantic's validation, each
    # is what validation makes of its own dump, and writes the files' reports alone.
    built = build_reports(batch["trades"], batch["accounts"], batch["firm"], created_at=CREATED,
                          action=batch["action"], valuations=batch["valuations"])  # fmt: skip
    assert built.refused == []
    for report in built.reports:
        assert EmirReport.model_validate(report.model_dump()) == report
    assert "".join(write_report(report) for report in built.reports) == "".join(lines)


def assert_names_failing_reports(error: PreSubmissionError, the_trades: list[Trade]) -> None:
    """Every failure names a trade of the batch, its UTI and a rule of the pack."""
    keys = {trade.trade_id for trade in the_trades}
    rules = {rule.id for rule in load_policy("emir-refit-vr").rules}
    assert error.failures, "the error names no report"
    for failure in error.failures:
        assert failure.trade_id in keys, failure
        assert failure.rule_id in rules, failure
        assert f"{failure.trade_id} (UTI {failure.uti}, " in str(error)


def assert_names_bad_trades(message: str, the_trades: list[Trade]) -> None:
    head, *lines = message.splitlines()
    assert "cannot be reported" in head
    assert "no file was written" in head
    assert lines, "the error names no record"
    keys = {trade.trade_id for trade in the_trades}
    for line in lines:
        match = _PROBLEM.match(line)
        assert match is not None, line
        assert match.group(1) in keys, line


# --- TERM: terminations name what NEWT reported ---------------------------------------------
# Delegated Regulation (EU) 2022/1855, Annex, Table 2, field 151: TERM terminates an existing
# derivative, named by field 1 (its UTI); for a CFD, the UTI its opening's NEWT reported.


@st.composite
def positions(draw: st.DrawFn) -> dict[str, Any]:
    """Openings on clean accounts, closes that carry the UTI of an opening of the batch (of
    the opening's account and instrument, the same opening possibly twice), and maybe
    orphan closes, with no UTI or with their own generated one; in any order."""
    firm: Firm = reportable(draw(firms()))
    the_accounts: list[Account] = draw(
        st.lists(client_accounts(True), min_size=1, max_size=3, unique_by=lambda a: a.account_id)
    )
    account_ids = st.sampled_from([account.account_id for account in the_accounts])
    openings: list[Trade] = draw(
        st.lists(
            reportable_trades(account_ids, derivatives()),
            min_size=1,
            max_size=5,
            unique_by=lambda trade: trade.trade_id,
        )
    )
    openings = [consistent(trade) for trade in openings]  # dated before the report
    closes: list[Trade] = []
    for number, opening in enumerate(draw(st.lists(st.sampled_from(openings), max_size=5))):
        uti = opening.uti or generate_uti(firm.lei, opening.trade_id)
        closes.append(closing(opening, f"C{number}", uti))
    for number in range(draw(st.integers(0, 2))):
        trade_id = f"X{number}"
        own = draw(st.booleans())
        closes.append(
            closing(draw(st.sampled_from(openings)), trade_id,
                    generate_uti(firm.lei, trade_id) if own else None)
        )  # fmt: skip
    the_trades = draw(st.permutations([*openings, *closes]))
    return {"firm": firm, "accounts": the_accounts, "trades": the_trades}


def closing(opening: Trade, trade_id: str, uti: str | None) -> Trade:
    """The trade that closes ``opening``'s position, carrying ``uti``."""
    side = "sell" if opening.side.value == "buy" else "buy"
    changes = {"trade_id": trade_id, "side": side, "position_effect": "close", "uti": uti}
    return Trade(**{**opening.model_dump(), **changes})


def reported_utis(batch: dict[str, Any], action: str) -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        files = render(batch["trades"], batch["accounts"], batch["firm"], folder,
                       created_at=CREATED, action=action, workers=1)  # fmt: skip
        text = "".join(Path(path).read_text(encoding="utf-8") for path in files)
    return re.findall(r"<UnqTxIdr>([A-Z0-9]+)</UnqTxIdr>", text)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(positions())
def test_every_termination_names_a_derivative_its_newt_reported(batch: dict[str, Any]) -> None:
    closes = [t for t in batch["trades"] if t.position_effect is PositionEffect.CLOSE]
    ended = [t.uti for t in closes if t.trade_id.startswith("C")]
    bad = {t.trade_id for t in closes if t.trade_id.startswith("X")}
    seen: set[str | None] = set()
    for trade in closes:  # a second close of one opening, in input order
        if trade.trade_id.startswith("C") and trade.uti in seen:
            bad.add(trade.trade_id)
        seen.add(trade.uti)
    try:
        terminated = reported_utis(batch, "TERM")
    except RenderError as error:
        refusal = str(error)
    else:
        refusal = ""
    if refusal:
        event("refused")
        assert bad, f"a batch whose closes all name an opening was refused: {refusal}"
        assert_names_bad_trades(refusal, batch["trades"])
        assert {line.split(":")[0].strip() for line in refusal.splitlines()[1:]} == bad
        return
    event("terminated")
    assert not bad, f"closes {sorted(bad)} name no opening, or one already terminated"
    assert sorted(terminated) == sorted(uti for uti in ended if uti is not None)
    assert len(set(terminated)) == len(terminated), "a derivative terminated twice"
    assert set(terminated) <= set(reported_utis(batch, "NEWT"))


# --- UTIs ------------------------------------------------------------------------------------

_TRADE_IDS = st.text(min_size=1, max_size=80) | st.text("ABC0123-_ ", min_size=1, max_size=40)


@given(leis(), st.lists(_TRADE_IDS, min_size=2, max_size=30, unique=True))
def test_distinct_trade_ids_get_distinct_utis(lei: str, trade_ids: list[str]) -> None:
    utis = [generate_uti(lei, trade_id) for trade_id in trade_ids]
    assert len(set(utis)) == len(utis)


@given(leis(), _TRADE_IDS)
def test_generated_utis_are_valid_and_stable(lei: str, trade_id: str) -> None:
    uti = generate_uti(lei, trade_id)
    assert is_valid_uti(uti)
    assert uti.startswith(lei)
    assert len(uti) <= 52
    assert re.fullmatch(r"[A-Z0-9]+", uti)
    assert generate_uti(lei, str(trade_id)) == uti  # same inputs, same UTI
    if re.fullmatch(r"[A-Z0-9]{1,32}", trade_id):
        assert uti == lei + trade_id


@settings(max_examples=25, deadline=None)
@given(firms(), st.lists(identifiers("T"), min_size=1, max_size=5, unique=True))
def test_rendered_utis_are_the_generated_ones(firm: Firm, trade_ids: list[str]) -> None:
    """A trade without a UTI is reported under generate_uti(firm LEI, trade id), run after
    run: later reports of the same trade name the same derivative."""
    firm = reportable(firm)
    account = Account(
        account_id="A1",
        holder={
            "kind": "entity",
            "name": "Client Ltd",
            "lei": firm.lei,
            "nature": "F",
            "sector": "INVF",
            "above_clearing_threshold": False,
            "reporting_obligation": True,
        },
        category="professional",
    )
    the_trades = [
        Trade(
            trade_id=trade_id,
            account_id="A1",
            instrument={
                "symbol": "EURUSD",
                "product": "cfd",
                "underlying_class": "fx_major",
                "base_currency": "EUR",
                "quote_currency": "USD",
                "cfi": "JFTXCC",
                "upi": "QZ4DF6TN8RC2",
            },
            side="buy",
            quantity=Decimal("1000"),
            price=Decimal("1.1"),
            executed_at=CREATED,
        )
        for trade_id in trade_ids
    ]
    seen = []
    for action in ("NEWT", "EROR"):
        with tempfile.TemporaryDirectory() as folder:
            files = render(the_trades, [account], firm, folder, created_at=CREATED, action=action)
            text = "".join(Path(path).read_text(encoding="utf-8") for path in files)
            seen.append(re.findall(r"<UnqTxIdr>([A-Z0-9]+)</UnqTxIdr>", text))
    expected = [generate_uti(firm.lei, trade_id) for trade_id in trade_ids]
    assert seen == [expected, expected]
