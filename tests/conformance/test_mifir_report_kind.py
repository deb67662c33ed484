"""The ``mifir_report`` kind (regkit.schemas.mifir.MifirReport) is checked alike on every
backend: records built from trades, as objects and as a frame, record rules and an aggregate
over one client's reports."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import polars as pl

import regkit as rk
from regkit.reports.mifir import build_reports
from regkit.rules.policy import parse_policy
from regkit.schemas.mifir import MifirReport

AS_OF = datetime(2026, 12, 1, tzinfo=UTC)
FIRM = rk.Firm(lei="5493001KJTIIGC8Y1R12", name="Example Markets Ltd", country="CY")

POLICY = """\
policy: mifir-records
version: "1"
rules:
  - id: MIFIR-T.F030-UNITS
    severity: medium
    applies_to: mifir_report
    when: mifir_report.report_status == "NEWT"
    assert: mifir_report.quantity_kind == "unit" and mifir_report.quantity <= 100000
    message: "quantity {mifir_report.quantity} ({mifir_report.quantity_kind})"
    evidence: [mifir_report.quantity]
  - id: MIFIR-T.F059-NORE
    severity: low
    applies_to: mifir_report
    when: mifir_report.execution_nore
    assert: mifir_report.buyer_lei is not None or mifir_report.seller_lei is not None
    message: "NORE without an entity"
"""


def _reports() -> list[MifirReport]:
    holder = rk.NaturalPerson(first_name="Jean-Claude", surname="de la Fontaine",
                              date_of_birth=date(1953, 11, 27), nationalities=["FR"])  # fmt: skip
    accounts = [rk.Account(account_id="A1", holder=holder, category="retail", base_currency="EUR")]
    eurusd = rk.Instrument(symbol="EURUSD", product="cfd", underlying_class="fx_major",
                           base_currency="EUR", quote_currency="USD", cfi="JFTXCC",
                           full_name="CFD EUR/USD")  # fmt: skip
    bet = eurusd.model_copy(update={"product": rk.Product.SPREAD_BET, "cfi": "JFTXSC"})
    start = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    trades = [
        rk.Trade(
            trade_id=f"T{n}",
            account_id="A1",
            side="buy" if n % 2 else "sell",
            quantity=Decimal(quantity),
            price=Decimal("1.085"),
            price_currency="USD",
            executed_at=start + timedelta(minutes=15 * n),
            execution_decision="NORE" if n == 2 else "ALGO:R1",
            instrument=bet if n == 3 else eurusd,
        )
        for n, quantity in enumerate(["1000", "250000", "5", "10", "1"])
    ]
    built = build_reports(trades, accounts, FIRM, cancellations=["T0OLD"])
    assert built.refused == []
    return built.reports


def test_mifir_reports_are_checked_alike_on_every_backend(backend: str) -> None:
    policy = parse_policy(POLICY)
    python = rk.check(policy, mifir_reports=_reports(), as_of=AS_OF, engine="python")
    other = rk.check(policy, mifir_reports=_reports(), as_of=AS_OF, engine=backend)
    assert python.findings == other.findings
    assert python.records_checked == {"mifir_report": 6}
    found = sorted((f.rule_id, f.record_id) for f in python.findings)
    assert found == [("MIFIR-T.F030-UNITS", "T1|NEWT"), ("MIFIR-T.F030-UNITS", "T3|NEWT")]


def test_mifir_reports_from_a_frame_are_checked_alike(backend: str) -> None:
    policy = parse_policy(POLICY)
    frame = pl.DataFrame([report.to_row() for report in _reports()])
    python = rk.check(policy, mifir_reports=_reports(), as_of=AS_OF, engine="python")
    other = rk.check(policy, mifir_reports=frame, as_of=AS_OF, engine=backend)
    assert python.findings == other.findings
