"""Aggregate rules over the report kinds (``mifir_report``, ``emir_report``), which have no
related ``account``: every backend gives the Python backend's findings, and none of them is
an ``error`` finding (a rule function given an ``account`` it does not take raised
``TypeError`` on both backends before).

The rules are the kind of count a firm watches before it submits: reports per trading day
and venue (RTS 22 fields 28 and 36; EMIR REFIT table 2 fields 2.42 and 2.41), and the
notional a counterparty traded per execution day.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import regkit as rk
from regkit.reports import emir, mifir
from regkit.rules.backends.checked import CheckedRules
from regkit.rules.policy import parse_policy
from regkit.rules.windows import WindowState
from regkit.samples import SampleConfig, SampleSet, generate
from regkit.schemas.emir import EmirReport
from regkit.schemas.mifir import MifirReport

CREATED = datetime(2026, 12, 20, 18, 0, tzinfo=UTC)
AS_OF = datetime(2026, 12, 21, tzinfo=UTC)

POLICY = """\
policy: report-windows
version: "1"
rules:
  - id: MIFIR-DAY-VENUE
    severity: low
    applies_to: mifir_report
    where: mifir_report.report_status == "NEWT"
    group_by: [date(mifir_report.trading_date_time), mifir_report.venue]
    window: 24h
    aggregate: {n: count(), units: sum(mifir_report.quantity)}
    assert: n < 4
    message: "{n} reports, {units} in all, on one day at one venue"
    evidence: [mifir_report.venue]
  - id: MIFIR-CLIENT-HOUR
    severity: medium
    applies_to: mifir_report
    where: mifir_report.buyer_lei is None
    group_by: [mifir_report.buyer_national_id]
    window: 1h
    aggregate: {n: count(), biggest: max(mifir_report.price)}
    assert: n < 2 or mifir_report.quantity_kind != "unit"
    message: "{n} buys by one person within an hour"
  - id: EMIR-DAY-VENUE
    severity: low
    applies_to: emir_report
    group_by: [date(emir_report.execution_timestamp), emir_report.venue]
    window: 24h
    aggregate: {n: count(), counterparties: count_distinct(emir_report.counterparty_2)}
    assert: n < 4
    message: "{n} reports ({counterparties} counterparties) on one day at one venue"
  - id: EMIR-COUNTERPARTY
    severity: medium
    applies_to: emir_report
    where: emir_report.action_type == "NEWT"
    group_by: [emir_report.counterparty_2]
    window: all
    aggregate: {n: count()}
    assert: n < 3
    message: "{n} new derivatives with one counterparty"
"""


@pytest.fixture(scope="module")
def book() -> SampleSet:
    return generate(SampleConfig(trades=600))


def _mifir(book: SampleSet) -> list[MifirReport]:
    built = mifir.build_reports(book.trades, book.accounts, book.firm)
    assert built.reports
    return list(built.reports)


def _emir(book: SampleSet) -> list[EmirReport]:
    built = emir.build_reports(book.trades, book.accounts, book.firm, created_at=CREATED)
    assert built.reports
    return list(built.reports)


def test_report_rules_take_no_account() -> None:
    rules = CheckedRules((parse_policy(POLICY),))
    for kind in ("mifir_report", "emir_report"):
        assert [rule.takes_account for rule in rules.aggregate_rules(kind)] == [False, False]
    assert all(rule.takes_account for rule in rules.aggregate_rules("trade"))


@pytest.mark.parametrize("kind", ["mifir_reports", "emir_reports"])
def test_aggregates_over_report_kinds_agree_on_every_backend(
    book: SampleSet, kind: str, backend: str
) -> None:
    policy = parse_policy(POLICY)
    reports = {"mifir_reports": _mifir, "emir_reports": _emir}[kind](book)
    python = rk.check(policy, **{kind: reports}, as_of=AS_OF, engine="python")
    other = rk.check(policy, **{kind: reports}, as_of=AS_OF, engine=backend)
    assert [f.message for f in python.findings if f.severity == "error"] == []
    assert python.findings, "the rules fire on the sample book"
    assert python.findings == other.findings


def test_the_day_and_venue_count_is_the_count_of_reports(book: SampleSet) -> None:
    """The MiFIR rule's episodes hold exactly the NEWT reports of a day and venue with four
    or more (a 24-hour window from each report holds the rest of its day)."""
    reports = _mifir(book)
    result = rk.check(parse_policy(POLICY), mifir_reports=reports, as_of=AS_OF, engine="python")
    counted: dict[tuple[object, str | None], int] = {}
    for report in reports:
        if report.report_status == "NEWT" and report.trading_date_time is not None:
            day = (report.trading_date_time.date(), report.venue)
            counted[day] = counted.get(day, 0) + 1
    busy = {day for day, n in counted.items() if n >= 4}
    found = {
        (finding.group_key[0], finding.group_key[1])
        for finding in result.findings
        if finding.rule_id == "MIFIR-DAY-VENUE"
    }
    assert found == busy


def test_streaming_windows_over_report_kinds_find_what_the_engine_finds(book: SampleSet) -> None:
    # WindowState (record by record, as a service would feed it) gives an account only to
    # the rules that take one: no error findings, and the engine's episodes.
    policy = parse_policy(POLICY)
    reports = _mifir(book)
    state = WindowState(policy.compile(as_of=AS_OF))
    for report in reports:
        state.add("mifir_report", report)
    streamed = state.findings("mifir_report")
    assert [f.message for f in streamed if f.severity == "error"] == []
    batch = rk.check(policy, mifir_reports=reports, as_of=AS_OF, engine="python")
    assert sorted((f.rule_id, f.record_id) for f in streamed) == sorted(
        (f.rule_id, f.record_id) for f in batch.findings
    )
