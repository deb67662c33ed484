"""``regkit check``: findings out, exit codes that a pipeline can gate on."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from regkit.cli import main
from regkit.schemas.samples import SampleConfig, write_samples

POLICY = str(resources.files("regkit.rules") / "examples" / "esma-leverage.yaml")


@pytest.fixture(scope="module")
def brokerage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("brokerage")
    write_samples(folder, SampleConfig(trades=600), "parquet")
    return folder


def planted_leverage(folder: Path) -> set[str]:
    keys: set[str] = set()
    for line in (folder / "planted.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if item["kind"] == "leverage_above_cap":
            keys.update(item["keys"])
    return keys


def test_findings_reaching_fail_on_exit_1_and_are_written(brokerage: Path) -> None:
    out = brokerage / "findings.json"
    code = main(
        [
            "check",
            "--policy",
            POLICY,
            "--trades",
            str(brokerage / "trades.parquet"),
            "--accounts",
            str(brokerage / "accounts.parquet"),
            "--format",
            "json",
            "--out",
            str(out),
            "--fail-on",
            "high",
        ]
    )
    assert code == 1
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {f["record_id"] for f in data["findings"]} == planted_leverage(brokerage)
    assert data["records_checked"] == {"trade": 600, "account": 15}


def test_findings_below_fail_on_exit_0(brokerage: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "check",
            "--policy",
            POLICY,
            "--trades",
            str(brokerage / "trades.parquet"),
            "--accounts",
            str(brokerage / "accounts.parquet"),
            "--fail-on",
            "critical",
            "--engine",
            "polars",
        ]
    )
    assert code == 0
    table = capsys.readouterr().out
    assert table.startswith("policy esma-leverage-example 2026.1")
    assert "ESMA-CFD-LEV" in table


def test_bad_input_and_bad_usage_exit_2(
    brokerage: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "trades.csv"
    bad.write_text("trade_id,account_id\nT1,A1\n", encoding="utf-8")
    assert main(["check", "--policy", POLICY, "--trades", str(bad)]) == 2
    assert "missing required column 'side'" in capsys.readouterr().err
    assert main(["check", "--policy", "no-such-pack", "--trades", str(bad)]) == 2
    assert main(["check", "--policy", POLICY]) == 2
    assert "give at least one of --trades" in capsys.readouterr().err
