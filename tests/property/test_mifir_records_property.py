"""Property: the two paths of a MiFIR report agree. Every report :func:`build_reports` builds
re-validates as a :class:`MifirReport` unchanged, and :func:`write_report` of the built
records is exactly the ``Tx`` that :func:`render` writes (without the pre-submission check,
whose refusals build_reports does not make), in order; a refused batch is refused alike, with
the same message. Every report of a batch without gaps passes ESMA's content rules (the
mifir-vr pack) on every engine, as the check in render finds."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from test_mifir_render_property import batches

import regkit as rk
from regkit.errors import RenderError
from regkit.reports.mifir import build_reports, render, write_report
from regkit.reports.mifir.precheck import PreSubmission
from regkit.schemas.mifir import MifirReport

CREATED = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


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
                           workers=1, check=False, **options)  # fmt: skip
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


_PACK = rk.load_policy("mifir-vr")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches().filter(lambda batch: batch["clean"]))
def test_every_report_of_a_batch_without_gaps_passes_the_pack_on_every_engine(
    batch: dict[str, Any],
) -> None:
    result = build_reports(batch["trades"], batch["accounts"], batch["firm"],
                           cancellations=batch["cancellations"], traders=batch["traders"],
                           reportability=batch["reportability"])  # fmt: skip
    assert not result.refused
    for engine in ("python", "polars"):
        found = rk.check(_PACK, mifir_reports=result.reports, as_of=CREATED, engine=engine)
        assert [f"{f.rule_id} {f.record_id}: {f.message}" for f in found.findings] == []
    check = PreSubmission(CREATED)
    assert [check.failures_of(report) for report in result.reports] == [[]] * len(result.reports)


def _message(result: Any) -> str:
    try:
        result.raise_for_refusals()
    except RenderError as error:
        return str(error)
    raise AssertionError("no refusal")  # pragma: no cover
