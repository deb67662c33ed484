"""Property: any valid records render to MiFIR files that validate, or are refused with an
error that names every bad trade; never an invalid file, never a partial one. A batch with no
gap renders in full: every report it builds passes ESMA's content rules (the mifir-vr pack)."""

from __future__ import annotations

import re
import tempfile
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import (
    countries,
    firms,
    holders,
    identifiers,
    instruments,
    isins,
    leis,
    persons,
    trades,
)

from regkit import Account, ClientCategory, Firm, Instrument, LegalEntity, NaturalPerson, Trade
from regkit.errors import IdentifierError, RenderError
from regkit.reports.mifir import Reportability, render
from regkit.reports.xml import validate
from regkit.schemas.identifiers import derive_cfi

CREATED = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
# A field that cannot be reported ("  T1: price: ..."), or a content rule a report breaks
# ("  T1 (TRN T1, NEWT): MIFIR-VR-057-01 field 57 (...): ...").
_PROBLEM = re.compile(r"^  (.+?): [a-z_.]+: .+$")
_VR_FAILURE = re.compile(r"^  (.+?) \(TRN [A-Z0-9]+, (?:NEWT|CANC)\): MIFIR-VR-\d{3}-\d{2} .+$")
#: MiFIR transaction reporting began on 2018-01-03 (MIFIR-VR-028-03).
_MIFIR_START = datetime(2018, 1, 3, tzinfo=UTC)
_EXPIRY = date(2027, 1, 15)


@st.composite
def client_accounts(draw: st.DrawFn) -> Account:
    """An account with what a MiFIR report reads (``strategies.accounts`` also draws opening
    and closing times, which can come out in the wrong order across a DST change)."""
    return Account(
        account_id=draw(identifiers("A")),
        holder=draw(holders()),
        category=draw(st.sampled_from(ClientCategory)),
        branch_country=draw(st.none() | countries),
    )


# Nationalities whose Annex II row ends in CONCAT (others need a national id number).
_CONCAT_COUNTRIES = st.sampled_from(("AT", "DE", "FR", "IE", "GB", "US", "AE", "CY"))
_NAMES = ("Anna", "Jean-Claude", "Søren", "O'Brien", "van der Berg", "Weiß", "Núñez", "Li")


@st.composite
def identified_persons(draw: st.DrawFn) -> NaturalPerson:
    """A person regkit can identify: Latin-script names, a date of birth, no stray ids."""
    return NaturalPerson(
        first_name=draw(st.sampled_from(_NAMES)),
        surname=draw(st.sampled_from(_NAMES)),
        date_of_birth=draw(st.dates(date(1920, 1, 1), date(2008, 12, 31))),
        nationalities=draw(st.lists(_CONCAT_COUNTRIES, min_size=1, max_size=2, unique=True)),
    )


@st.composite
def reportable_accounts(draw: st.DrawFn) -> Account:
    """An account whose holder has what fields 7-11 need (an LEI, or a person's identity)."""
    holder = draw(
        identified_persons()
        | st.builds(LegalEntity, name=st.just("Client Ltd"), lei=leis(), country=countries)
    )
    return Account(
        account_id=draw(identifiers("A")),
        holder=holder,
        category=draw(st.sampled_from(ClientCategory)),
        branch_country=draw(st.none() | countries),
    )


def _derivable(instrument: Instrument) -> bool:
    if instrument.product == "option":
        return False
    try:
        derive_cfi(instrument)
    except IdentifierError:
        return False
    return True


@st.composite
def described_instruments(draw: st.DrawFn) -> Instrument:
    """An instrument with an ISIN, or with the full name and CFI fields 42-43 need."""
    data = draw(instruments()).model_dump()
    if data["isin"] is None:
        # Fields 42-43 from regkit's derivations (a drawn CFI may not fit the product).
        data["full_name"] = None
        data["cfi"] = None
        if data["product"] in ("cfd", "spread_bet"):  # settled in cash
            data["delivery"] = None
        else:  # the others say how they settle
            data["delivery"] = data["delivery"] or "cash"
    if data["product"] in ("forward", "swap", "option") or data["expiry_date"] is not None:
        # A derivative with an expiry expires after it is traded (MIFIR-VR-055-01, -02).
        data["expiry_date"] = max(data["expiry_date"] or _EXPIRY, _EXPIRY)
    underlying = data["underlying_isin"] or data["underlying_index"]
    if data["underlying_class"] in ("index_major", "index_minor") and underlying is None:
        data["underlying_index"] = "DAX"  # fields 47-48 name an index (MIFIR-VR-048-01)
    if data["underlying_class"] == "equity" and data["underlying_isin"] is None:
        data["underlying_isin"] = "DE0007164600"  # field 47 names the share (MIFIR-VR-047-01)
    if data["isin"] is None and not _derivable(Instrument(**data)):
        # An option, or a product regkit derives no CFI for (a swap on gold), has an ISIN.
        data["isin"] = draw(isins().filter(lambda i: i != data["underlying_isin"]))
    return Instrument(**data)


@st.composite
def reportable_trades(
    draw: st.DrawFn, account_id: st.SearchStrategy[str], instrument: st.SearchStrategy[Instrument]
) -> Trade:
    """A trade with a price currency, decision makers in the firm (a firm that deals on own
    account decides and executes itself: MIFIR-VR-057-01, -059-03), a DEAL or MTCH capacity
    and a time within MiFIR reporting."""
    data = draw(trades(account_id=account_id, instrument=instrument)).model_dump()
    data["price_currency"] = data["price_currency"] or "EUR"
    data["capacity"] = draw(st.sampled_from(("DEAL", "MTCH")))
    if data["execution_decision"] in (None, "NORE"):
        data["execution_decision"] = "ALGO:ROUTER1"
    data["investment_decision"] = data["investment_decision"] or "ALGO:DEALER1"
    for name in ("execution_decision", "investment_decision"):
        if data[name].startswith("ALGO:") and not re.search("[A-Za-z0-9]", data[name][5:]):
            data[name] = "ALGO:A1"  # an algorithm id of letters or digits
    if data["instrument"]["isin"] is None:  # traded on a venue, it would have an ISIN
        data["venue"] = "XOFF"  # the default: the instrument decides (XXXX)
    instrument = data["instrument"]
    fx_forward = instrument["product"] == "forward" and instrument["underlying_class"] in (
        "fx_major",
        "fx_minor",
    )
    if instrument["product"] == "spread_bet":  # a stake per point, in a currency
        data["quantity_currency"] = data["quantity_currency"] or "GBP"
    if instrument["product"] == "spread_bet" or fx_forward:
        # auth.016 MntryVal and NmnlVal: at most 5 decimals (MIFIR-VR-030-02).
        data["quantity"] = draw(st.decimals(Decimal("0.01"), Decimal("10000"), places=2))
    data["executed_at"] = draw(
        st.datetimes(
            _MIFIR_START.replace(tzinfo=None), CREATED.replace(tzinfo=None), timezones=st.just(UTC)
        )
    )
    return Trade(**data)


@st.composite
def batches(draw: st.DrawFn) -> dict[str, Any]:
    """A firm, accounts, trades on them (and sometimes on a missing one), traders,
    cancellations and options: mostly reportable records, some with gaps of every kind."""
    clean = draw(st.integers(0, 2)) > 0  # two batches in three have no gap at all
    the_firm: Firm = draw(firms())
    any_account = reportable_accounts() if clean else reportable_accounts() | client_accounts()
    the_accounts: list[Account] = draw(
        st.lists(
            # A client is not the firm itself (the buyer and the seller would be one).
            any_account.filter(lambda a: getattr(a.holder, "lei", None) != the_firm.lei),
            min_size=1,
            max_size=4,
            unique_by=lambda a: a.account_id,
        )
    )
    account_ids = st.sampled_from([account.account_id for account in the_accounts])
    described = described_instruments()
    shared = draw(
        st.lists(described if clean else described | instruments(), min_size=1, max_size=3)
    )
    instrument = st.sampled_from(shared) | described
    any_trade = reportable_trades(account_ids, instrument)
    if not clean:
        any_trade |= trades(account_id=account_ids | identifiers("A"), instrument=instrument)
    # A batch without gaps has one trade per trade id (duplicates are a gap of their own).
    unique = (lambda trade: trade.trade_id) if clean else None
    the_trades: list[Trade] = draw(st.lists(any_trade, max_size=6, unique_by=unique))
    deciders = {
        decision
        for trade in the_trades
        for decision in (trade.execution_decision, trade.investment_decision)
        if decision is not None and decision != "NORE" and not decision.startswith("ALGO:")
    }
    person = identified_persons() if clean else identified_persons() | persons()
    traders: dict[str, NaturalPerson] = {
        name: draw(person) for name in sorted(deciders) if clean or draw(st.integers(0, 9))
    }
    return {
        "clean": clean,
        "firm": the_firm,
        "accounts": the_accounts,
        "trades": the_trades,
        "traders": traders,
        "cancellations": draw(st.lists(identifiers("C"), max_size=2)),
        "max_records": draw(st.integers(1, 4)),
        "reportability": Reportability(
            fx_cfds_reportable=draw(st.booleans()), regime=draw(st.sampled_from(("EU", "UK")))
        ),
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches())
def test_records_render_to_valid_files_or_are_refused_by_name(batch: dict[str, Any]) -> None:
    firm: Firm = batch["firm"]
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        try:
            files = render(
                batch["trades"],
                batch["accounts"],
                firm,
                out,
                created_at=CREATED,
                cancellations=batch["cancellations"],
                max_records=batch["max_records"],
                reportability=batch["reportability"],
                traders=batch["traders"],
                workers=1,
            )
        except RenderError as error:
            refused = str(error)
        else:
            refused = None
        if refused is not None:
            assert not batch["clean"], f"a batch without gaps was refused: {refused}"
            assert list(out.iterdir()) == [], "a refused batch left a file behind"
            assert_names_bad_trades(refused, batch["trades"])
            return
        assert files.content_check is not None
        assert files.content_check.ok
        assert sorted(out.iterdir()) == sorted(files), "files other than those returned"
        for path in files:
            result = validate(path)
            assert result.ok, result.lines()
        total = files.reported + files.cancelled
        assert total + len(files.skipped) == len(batch["trades"]) + len(batch["cancellations"])
        assert len(files) == -(-total // batch["max_records"])


def assert_names_bad_trades(message: str, the_trades: list[Trade]) -> None:
    lines = message.splitlines()
    heads = [line for line in lines if not line.startswith("  ")]
    assert heads
    assert all("no file was written" in head for head in heads), heads
    assert len(lines) > len(heads), "the error names no record"
    keys = {trade.trade_id for trade in the_trades}
    for line in lines[1:]:
        if line in heads:
            continue
        match = _PROBLEM.match(line) or _VR_FAILURE.match(line)
        assert match is not None, line
        assert match.group(1) in keys, line
