"""Property: the two paths of a MiFIR report agree. Every report :func:`build_reports` builds
re-validates as a :class:`MifirReport` unchanged, and :func:`write_report` of the built
records is exactly the ``Tx`` that :func:`render` writes, in order; a refused batch is
refused alike, with the same message."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import firms, identifiers, instruments, isins, persons, trades
from test_mifir_render_property import (
    client_accounts,
    identified_persons,
    reportable_accounts,
    reportable_trades,
)

from regkit import Instrument, NaturalPerson, Trade
from regkit.errors import RenderError
from regkit.reports.mifir import Reportability, build_reports, render, write_report
from regkit.schemas.mifir import MifirReport

CREATED = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


@st.composite
def described_instruments(draw: st.DrawFn) -> Instrument:
    """An instrument with an ISIN (never its underlying's, RTS 22 fields 41 and 47), or with
    the full name and CFI fields 42-43 need."""
    data = draw(instruments()).model_dump()
    if data["isin"] is None:
        data["full_name"] = data["full_name"] or "CFD"
        data["cfi"] = data["cfi"] or "JFTXCC"
        if data["product"] == "option":
            data["isin"] = draw(isins().filter(lambda isin: isin != data["underlying_isin"]))
    return Instrument(**data)


@st.composite
def batches(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly reportable records, some with gaps of every kind (as the render property's)."""
    clean = draw(st.integers(0, 2)) > 0
    any_account = reportable_accounts() if clean else reportable_accounts() | client_accounts()
    the_accounts = draw(
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
        "reportability": Reportability(
            fx_cfds_reportable=draw(st.booleans()), regime=draw(st.sampled_from(("EU", "UK")))
        ),
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches())
def test_built_records_revalidate_and_write_the_rendered_tx(batch: dict[str, Any]) -> None:
    options = {"traders": batch["traders"], "reportability": batch["reportability"]}
    result = build_reports(batch["trades"], batch["accounts"], batch["firm"],
                           cancellations=batch["cancellations"], **options)  # fmt: skip
    for report in result.reports:
        assert MifirReport.model_validate(report.model_dump()) == report
    refusal = None
    with tempfile.TemporaryDirectory() as folder:
        try:
            files = render(batch["trades"], batch["accounts"], batch["firm"], Path(folder),
                           created_at=CREATED, cancellations=batch["cancellations"],
                           workers=1, **options)  # fmt: skip
        except RenderError as error:
            refusal = str(error)
        else:
            written = "".join(path.read_text(encoding="utf-8") for path in files)
    if refusal is not None:
        assert result.refused, "render refused what build_reports did not"
        assert refusal == _message(result)
        return
    assert not result.refused
    rendered = [line + "\n" for line in written.splitlines() if line.startswith("<Tx>")]
    assert [write_report(report) for report in result.reports] == rendered
    assert files.reported + files.cancelled == len(result.reports)
    assert list(files.skipped) == result.skipped


def _message(result: Any) -> str:
    try:
        result.raise_for_refusals()
    except RenderError as error:
        return str(error)
    raise AssertionError("no refusal")  # pragma: no cover
