"""The pre-submission check of MiFIR reports: ESMA's content rules (mifir-vr) before writing.

A report that breaks a rule refuses the batch, naming trade, transaction reference, RTS 22
field and rule (ESMA65-8-2594 Annex 1 / RTS 22 Annex I); ``write_passing`` writes the rest;
the bytes are the same with and without the check when every report passes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_mifir_render import ACCOUNTS, CREATED, TRADERS, firm, trade

from regkit.errors import PreSubmissionError
from regkit.reports.mifir import render
from regkit.reports.mifir.precheck import SPEC, PreSubmission, field_names
from regkit.reports.precheck import Gate


def _render(trades: list, out: Path, **options: object):  # type: ignore[no-untyped-def]
    return render(trades, ACCOUNTS.values(), firm(), out, created_at=CREATED, workers=1,
                  traders=TRADERS, **options)  # fmt: skip


def test_a_firm_dealing_without_who_decided_is_refused_by_trade_field_and_rule(
    tmp_path: Path,
) -> None:
    # RTS 22 field 57 / ESMA/2016/1452: dealing on own account, the firm decides.
    trades = [trade("GOOD1"), trade("NODECIDER", investment_decision=None), trade("GOOD2")]
    with pytest.raises(PreSubmissionError) as caught:
        _render(trades, tmp_path)
    text = str(caught.value)
    assert "1 report(s) break ESMA's MiFIR validation rules" in text
    assert "no file was written" in text
    assert (
        "NODECIDER (TRN NODECIDER, NEWT): MIFIR-VR-057-01 field 57 (investment_decision_"
        "person_id/investment_decision_id_scheme/investment_decision_algorithm)"
    ) in text
    assert [item.rule_id for item in caught.value.failures] == ["MIFIR-VR-057-01"]
    assert list(tmp_path.iterdir()) == []


def test_write_passing_writes_the_reports_that_pass_and_lists_the_rest(tmp_path: Path) -> None:
    trades = [trade("GOOD1"), trade("NORE1", execution_decision="NORE"), trade("GOOD2")]
    files = _render(trades, tmp_path, write_passing=True)
    assert files.reported == 2
    content = files.content_check
    assert content is not None
    assert (content.checked, content.passed, content.withheld) == (3, 2, ("NORE1",))
    assert [(item.trade_id, item.rule_id, item.field) for item in content.failures] == [
        ("NORE1", "MIFIR-VR-059-03", "59")
    ]
    written = files[0].read_text(encoding="utf-8")
    assert "GOOD1" in written
    assert "NORE1" not in written


def test_the_check_changes_no_byte_when_every_report_passes(tmp_path: Path) -> None:
    trades = [trade("T1"), trade("T2", side="sell"), trade("T3", execution_decision="TRD001")]
    checked = _render(trades, tmp_path / "checked", cancellations=["T0OLD1"])
    unchecked = _render(trades, tmp_path / "unchecked", cancellations=["T0OLD1"], check=False)
    assert checked[0].read_bytes() == unchecked[0].read_bytes()
    assert checked.content_check is not None
    assert checked.content_check.ok
    assert checked.content_check.checked == 4  # the cancellation too
    assert unchecked.content_check is None


def test_check_and_write_passing_must_be_bools(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="check must be True or False"):
        _render([trade("T1")], tmp_path, check="yes")
    with pytest.raises(TypeError, match="write_passing must be True or False"):
        _render([trade("T1")], tmp_path, write_passing=1)


def test_a_failure_names_the_record_fields_of_its_rts22_field() -> None:
    assert field_names("30") == ("quantity", "quantity_kind")
    check = PreSubmission(CREATED)
    assert check.policy.id == "mifir-vr"
    assert Gate.asked(SPEC, CREATED, check=False, write_passing=False) is None


def test_a_batch_broken_throughout_lists_the_first_50_and_keeps_every_failure(
    tmp_path: Path,
) -> None:
    # A day of reports made before its last trades (field 28, trading date time after the
    # report) must not print a line per trade: the message lists 50, the error keeps all.
    trades = [trade(f"NODECIDER{n}", investment_decision=None) for n in range(60)]
    with pytest.raises(PreSubmissionError) as caught:
        _render(trades, tmp_path)
    text = str(caught.value)
    assert "60 report(s) break ESMA's MiFIR validation rules" in text
    assert "NODECIDER49 (TRN" in text
    assert "NODECIDER50 (TRN" not in text
    assert "  ... and 10 more (each in the error's failures)" in text
    assert len(caught.value.failures) == 60
