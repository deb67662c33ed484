"""Findings and check results: severities, counts, opt-in raising, JSON/CSV/polars output."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

import regkit as rk
from regkit.errors import ComplianceError
from regkit.rules.findings import CheckResult, Finding, Severity, fingerprint

WHEN = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def finding(rule: str = "ESMA-CFD-LEV", severity: str = "high", record: str = "T1") -> Finding:
    return Finding(
        rule_id=rule,
        severity=severity,
        record_kind="trade",
        record_id=record,
        message="leverage 50:1 above the 30:1 cap",
        evidence={"trade.leverage": Decimal("50"), "trade.instrument.underlying_class": "fx_major"},
        reference={
            "regulator": "ESMA",
            "document": "Decision (EU) 2018/796",
            "article": "Art. 2(a)",
        },
        rule_version="2026.1",
        at=WHEN,
    )


def result(*findings: Finding) -> CheckResult:
    return CheckResult(
        findings=list(findings),
        policy_id="esma-cfd-retail",
        policy_version="2026.1",
        policy_sha256="ab" * 32,
        started_at=WHEN,
        finished_at=WHEN,
        rules_evaluated=("ESMA-CFD-LEV", "ESMA-NBP"),
        records_checked={"trade": 3},
        input_fingerprints={"trades": "cd" * 32},
    )


def test_a_crashed_rule_outranks_every_severity() -> None:
    order = [Severity.parse(name) for name in ("info", "low", "medium", "high", "critical")]
    assert [s.rank for s in order] == sorted(s.rank for s in order)
    assert Severity.ERROR.rank > Severity.CRITICAL.rank
    assert Severity.parse(" HIGH ") is Severity.HIGH
    with pytest.raises(ValueError, match="unknown severity 'urgent'; expected one of info"):
        Severity.parse("urgent")


def test_findings_count_by_rule_and_severity() -> None:
    checked = result(finding(), finding(record="T2"), finding("ESMA-NBP", "critical", "A1"))
    assert checked.counts_by_rule == {"ESMA-CFD-LEV": 2, "ESMA-NBP": 1}
    assert checked.counts_by_severity == {"high": 2, "critical": 1}


def test_raising_is_opt_in_and_by_threshold() -> None:
    checked = result(finding(severity="medium"), finding("X", "error", "T9"))
    assert checked.is_compliant(min_severity="error") is False
    assert [f.record_id for f in checked.iter_findings("high")] == ["T9"]
    with pytest.raises(ComplianceError) as raised:
        checked.raise_for_findings(min_severity="critical")
    assert raised.value.result is checked
    assert [f.rule_id for f in raised.value.findings] == ["X"]
    result(finding(severity="medium")).raise_for_findings(min_severity="high")  # no raise


def test_json_is_complete_stable_and_written_atomically(tmp_path: Path) -> None:
    checked = result(finding())
    path = tmp_path / "out" / "findings.json"
    text = checked.to_json(path)
    assert path.read_text(encoding="utf-8") == text == checked.to_json()
    data = json.loads(text)
    assert data["policy"] == {"id": "esma-cfd-retail", "version": "2026.1", "sha256": "ab" * 32}
    assert data["findings"][0]["evidence"]["trade.leverage"] == "50"  # a Decimal, as text
    assert data["findings"][0]["at"] == "2026-11-20T09:30:00Z"
    assert data["counts"] == {"by_rule": {"ESMA-CFD-LEV": 1}, "by_severity": {"high": 1}}
    assert Finding.from_dict(data["findings"][0]).to_dict() == finding().to_dict()
    assert [p.name for p in path.parent.iterdir()] == ["findings.json"]


def test_csv_and_polars_hold_one_row_per_finding() -> None:
    checked = result(finding(), finding("ESMA-NBP", "critical", "A1"))
    rows = list(csv.DictReader(io.StringIO(checked.to_csv())))
    assert [(r["rule_id"], r["severity"], r["record_id"]) for r in rows] == [
        ("ESMA-CFD-LEV", "high", "T1"),
        ("ESMA-NBP", "critical", "A1"),
    ]
    assert json.loads(rows[0]["evidence"])["trade.leverage"] == "50"
    frame = checked.to_polars()
    assert frame.height == 2
    assert frame["severity"].to_list() == ["high", "critical"]


def test_fingerprints_name_exactly_the_inputs_seen() -> None:
    movement = {
        "movement_id": "M1",
        "account_id": "A1",
        "kind": "deposit",
        "amount": "100.00",
        "currency": "EUR",
        "at": "2026-11-20T10:00:00Z",
    }
    first = rk.CashMovement.model_validate(movement)
    second = rk.CashMovement.model_validate(movement | {"movement_id": "M2"})
    changed = rk.CashMovement.model_validate(movement | {"amount": "100.01"})
    assert fingerprint([first, second]) == fingerprint([first, second])
    assert fingerprint([first, second]) != fingerprint([second, first])
    assert fingerprint([first]) != fingerprint([changed])
    assert len(fingerprint([])) == 64


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"],
)
def test_csv_cells_a_spreadsheet_would_run_are_neutralised(text: str) -> None:
    # OWASP "CSV Injection": a record id or message from an outsider's file must not run as
    # a formula when a compliance officer opens findings.csv in a spreadsheet.
    hostile = dataclasses.replace(finding(record=text), message=text)
    rows = list(csv.reader(io.StringIO(result(hostile).to_csv())))
    header, row = rows[0], rows[1]
    for column in ("record_id", "message"):
        assert row[header.index(column)] == "'" + text
    frame = result(hostile).to_polars()
    assert frame["record_id"].to_list() == [text]  # only the CSV is for spreadsheets


def test_ordinary_csv_cells_are_left_alone() -> None:
    rows = list(csv.DictReader(io.StringIO(result(finding(record="T-1")).to_csv())))
    assert rows[0]["record_id"] == "T-1"
    assert rows[0]["message"] == "leverage 50:1 above the 30:1 cap"


def test_a_carriage_return_in_a_message_keeps_the_csv_readable() -> None:
    broken = dataclasses.replace(finding(), message="first\rsecond\nthird")
    text = result(broken).to_csv()
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [row["message"] for row in rows] == ["first\rsecond\nthird"]
    assert text.startswith("rule_id,rule_version,severity,")
    assert text.endswith("\r\n")
