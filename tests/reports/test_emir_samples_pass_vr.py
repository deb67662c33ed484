"""The sample brokerage's reports pass ESMA's validation rules under every action type.

The bundled sample book is what ``make demo`` and the docs report: every report built from
it, NEWT to VALU, must pass the ``emir-refit-vr`` pack (ESMA74-362-2683), on both engines,
or the renderer and the pack disagree about what a trade repository accepts.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from regkit.reports.emir import ACTIONS, build_reports
from regkit.rules.engine import check
from regkit.rules.policy import load_policy
from regkit.samples import SampleConfig, SampleSet, generate

CREATED = datetime(2026, 12, 20, 18, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def book() -> SampleSet:
    return generate(SampleConfig(trades=3000))


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("engine", ["python", "polars"])
def test_every_sample_report_passes_every_vr(book: SampleSet, action: str, engine: str) -> None:
    built = build_reports(book.trades, book.accounts, book.firm, action=action,
                          created_at=CREATED, snapshots=book.snapshots)  # fmt: skip
    assert built.reports, f"the sample book has no {action} report"
    result = check(load_policy("emir-refit-vr"), emir_reports=built.reports, as_of=CREATED,
                   engine=engine)  # fmt: skip
    assert [f"{f.record_id}: {f.rule_id}: {f.message}" for f in result.findings[:5]] == []
    if action != "VALU":  # a VALU needs a value, which most sample trades have none of
        assert built.refused == []
