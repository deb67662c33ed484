"""Property: any valid records render to MiFIR files that validate, or are refused with an
error that names every bad trade; never an invalid file, never a partial one."""

from __future__ import annotations

import re
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import (
    countries,
    derived_cfi,
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
from regkit.errors import RenderError
from regkit.reports.mifir import Reportability, render
from regkit.reports.xml import validate

CREATED = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
_PROBLEM = re.compile(r"^  (.+?): [a-z_.]+: .+$")


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


@st.composite
def described_instruments(draw: st.DrawFn) -> Instrument:
    """An instrument with an ISIN, or with the full name and CFI fields 42-43 need."""
    data = draw(instruments()).model_dump()
    if data["isin"] is None:
        data["full_name"] = data["full_name"] or "CFD"
        data["cfi"] = data["cfi"] or derived_cfi(data) or "JFTXCC"
        if data["product"] == "option":
            data["isin"] = draw(isins().filter(lambda i: i != data["underlying_isin"]))
    return Instrument(**data)


@st.composite
def reportable_trades(
    draw: st.DrawFn, account_id: st.SearchStrategy[str], instrument: st.SearchStrategy[Instrument]
) -> Trade:
    """A trade with a price currency, a decision maker and a DEAL or MTCH capacity."""
    data = draw(trades(account_id=account_id, instrument=instrument)).model_dump()
    data["price_currency"] = data["price_currency"] or "EUR"
    data["capacity"] = draw(st.sampled_from(("DEAL", "MTCH")))
    data["execution_decision"] = data["execution_decision"] or "NORE"
    return Trade(**data)


@st.composite
def batches(draw: st.DrawFn) -> dict[str, Any]:
    """A firm, accounts, trades on them (and sometimes on a missing one), traders,
    cancellations and options: mostly reportable records, some with gaps of every kind."""
    clean = draw(st.integers(0, 2)) > 0  # two batches in three have no gap at all
    any_account = reportable_accounts() if clean else reportable_accounts() | client_accounts()
    the_accounts: list[Account] = draw(
        st.lists(any_account, min_size=1, max_size=4, unique_by=lambda a: a.account_id)
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
    the_trades: list[Trade] = draw(st.lists(any_trade, max_size=6))
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
        "firm": draw(firms()),
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
            assert list(out.iterdir()) == [], "a refused batch left a file behind"
            assert_names_bad_trades(str(error), batch["trades"])
            return
        assert sorted(out.iterdir()) == sorted(files), "files other than those returned"
        for path in files:
            result = validate(path)
            assert result.ok, result.lines()
        total = files.reported + files.cancelled
        assert total + len(files.skipped) == len(batch["trades"]) + len(batch["cancellations"])
        assert len(files) == -(-total // batch["max_records"])


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
