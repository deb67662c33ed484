"""``regkit check``: findings out, exit codes that a pipeline can gate on."""

from __future__ import annotations

import io
import json
import sys
from importlib import resources
from pathlib import Path

import pytest

import regkit as rk
from regkit.cli import main
from regkit.samples import SampleConfig, write_samples

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


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("engine", ["python", "polars"])
def test_a_terminal_sees_a_progress_bar_and_a_pipe_does_not(
    brokerage: Path, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    arguments = ["check", "--policy", POLICY, "--engine", engine, "--fail-on", "critical"]
    arguments += ["--trades", str(brokerage / "trades.parquet")]
    assert main(arguments) == 0
    shown = terminal.getvalue()
    assert "regkit check: reading " in shown
    assert "regkit check: checking trades:" in shown
    assert "600/600" in shown  # tqdm's count of the records checked against their total
    assert "regkit check: done in" in shown
    pipe = io.StringIO()
    monkeypatch.setattr(sys, "stderr", pipe)
    assert main(arguments) == 0
    assert pipe.getvalue() == ""


def test_the_python_engine_reports_progress_as_it_goes() -> None:
    trades = [
        rk.Trade.model_validate(
            {
                "trade_id": f"T{n}",
                "account_id": "A1",
                "side": "buy",
                "quantity": "1",
                "price": "1",
                "executed_at": "2026-11-20T09:30:00Z",
                "instrument": {"symbol": "X", "product": "cfd", "underlying_class": "equity"},
            }
        )
        for n in range(25_000)
    ]
    calls: list[tuple[str, int, int]] = []
    policy = rk.load_policy(POLICY)
    rk.check(policy, trades=trades, engine="python", progress=lambda *c: calls.append(c))
    assert calls == [
        ("trades", 0, 25_000),  # the start, so that a bar names the kind at once
        ("trades", 10_000, 25_000),
        ("trades", 20_000, 25_000),
        ("trades", 25_000, 25_000),
    ]
