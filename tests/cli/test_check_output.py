"""``regkit check --out``: the file holds what its name says, every finding of it; and the
progress line on a terminal always says what is being done."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from regkit.cli import FINDINGS_FORMATS, main
from regkit.jobs import _check as jobs_check
from regkit.rules.backends.polars import PolarsRun
from regkit.rules.backends.python import PythonRun
from regkit.samples import SampleConfig, write_samples

#: A rule every trade breaks, so that there are more findings than the terminal table shows.
EVERY_TRADE = """\
policy: every-trade
version: "1"
rules:
  - id: EVERY-TRADE
    title: Every trade is a finding
    severity: high
    applies_to: trade
    assert: trade.quantity < 0
    message: "quantity {trade.quantity}"
"""


#: Rules over trades and accounts: the accounts file is read last, the trades checked first.
BOTH_KINDS = (
    EVERY_TRADE
    + """\
  - id: EVERY-ACCOUNT
    title: Every account is a finding
    severity: high
    applies_to: account
    assert: len(account.account_id) < 0
    message: "account {account.account_id}"
"""
)


@pytest.fixture(scope="module")
def brokerage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("brokerage")
    write_samples(folder, SampleConfig(trades=120), "parquet")
    (folder / "every-trade.yaml").write_text(EVERY_TRADE, encoding="utf-8")
    return folder


def run_check(folder: Path, *extra: str) -> int:
    policy = str(folder / "every-trade.yaml")
    trades = str(folder / "trades.parquet")
    return main(["check", "--policy", policy, "--trades", trades, "--fail-on", "critical", *extra])


def test_out_json_without_format_writes_json(
    brokerage: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "findings.json"
    assert run_check(brokerage, "--out", str(out)) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["findings"]) == 120
    assert capsys.readouterr().out == f"120 findings written to {out} (json)\n"


def test_out_csv_and_parquet_hold_every_finding(brokerage: Path, tmp_path: Path) -> None:
    assert run_check(brokerage, "--out", str(tmp_path / "findings.csv")) == 0
    rows = (tmp_path / "findings.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("rule_id,")
    assert len(rows) == 121
    assert run_check(brokerage, "--out", str(tmp_path / "findings.parquet")) == 0
    frame = pl.read_parquet(tmp_path / "findings.parquet")
    assert frame.height == 120
    assert set(frame.get_column("rule_id")) == {"EVERY-TRADE"}
    assert not list(tmp_path.glob(".*partial"))  # written under a temporary name, then renamed


def test_a_table_file_holds_every_finding_and_the_terminal_50(
    brokerage: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "findings.txt"
    assert run_check(brokerage, "--out", str(out)) == 0
    table = out.read_text(encoding="utf-8")
    assert table.count("EVERY-TRADE ") == 120
    assert "more not shown" not in table
    capsys.readouterr()
    assert run_check(brokerage) == 0
    shown = capsys.readouterr().out
    assert shown.count("EVERY-TRADE ") == 50
    assert "... 70 more not shown; --out FILE writes them all" in shown


def test_format_and_extension_must_agree(
    brokerage: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "findings.json"
    assert run_check(brokerage, "--format", "csv", "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert "--format csv does not match --out" in err
    assert "'.json' means json" in err
    assert not out.exists()
    assert run_check(brokerage, "--format", "json", "--out", str(out)) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["findings"]


def test_an_unknown_extension_is_refused_naming_the_known_ones(
    brokerage: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "findings.xlsx"
    assert run_check(brokerage, "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert "unknown extension '.xlsx'" in err
    for item in FINDINGS_FORMATS.values():
        assert f"{item.suffix} ({item.name})" in err
    assert not out.exists()
    # --format says what to write where the extension cannot
    assert run_check(brokerage, "--format", "csv", "--out", str(out)) == 0
    assert out.read_text(encoding="utf-8").startswith("rule_id,")


def test_parquet_is_not_written_to_the_terminal(
    brokerage: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_check(brokerage, "--format", "parquet") == 2
    assert "give --out FILE.parquet" in capsys.readouterr().err


def test_every_format_has_its_own_extension() -> None:
    suffixes = [item.suffix for item in FINDINGS_FORMATS.values()]
    assert len(set(suffixes)) == len(suffixes)
    assert set(FINDINGS_FORMATS) == {"table", "json", "csv", "parquet"}


# --- progress --------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True

    def line(self) -> str:
        """What the progress line shows now (tqdm redraws it after a carriage return)."""
        drawn = [part for part in self.getvalue().split("\r") if part.strip()]
        return drawn[-1] if drawn else ""


@pytest.mark.parametrize("engine_name", ["python", "polars"])
def test_the_progress_line_names_the_kind_being_checked(
    brokerage: Path,
    engine_name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)  # in the test: pytest's capture resets it
    # What the screen shows at the moment each kind's records are checked.
    seen: dict[str, set[str]] = {}

    def spy(run: Any) -> None:
        original = run.record_findings

        def wrapped(self: Any, kind: str, *args: Any, **kwargs: Any) -> Any:
            seen.setdefault(kind, set()).add(terminal.line())
            return original(self, kind, *args, **kwargs)

        monkeypatch.setattr(run, "record_findings", wrapped)

    spy(PythonRun)
    spy(PolarsRun)
    policy = brokerage / "both-kinds.yaml"
    policy.write_text(BOTH_KINDS, encoding="utf-8")
    code = main(
        [
            "check",
            "--policy",
            str(policy),
            "--engine",
            engine_name,
            "--fail-on",
            "critical",
            "--trades",
            str(brokerage / "trades.parquet"),
            "--accounts",
            str(brokerage / "accounts.parquet"),
        ]
    )
    assert code == 0
    assert set(seen) == {"trade", "account"}
    for kind, lines in seen.items():
        for line in lines:
            assert line.startswith(f"regkit check: checking {kind}s:"), (kind, line)
    assert "reading " in terminal.getvalue()  # it did say what it read, before


# --- a rule that fires on most records -----------------------------------------------------

NEGATIVE_QUANTITY = """\
policy: every-trade
version: "1"
rules:
  - {id: NEGATIVE-QTY, severity: low, applies_to: trade, assert: trade.quantity < 0,
     message: "quantity {trade.quantity} is not negative"}
"""


def test_a_rule_on_most_records_is_said_and_can_be_capped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from regkit.samples import SampleConfig, write_samples

    write_samples(tmp_path, SampleConfig(trades=1_200), "parquet")
    policy = tmp_path / "every.yaml"
    policy.write_text(NEGATIVE_QUANTITY, encoding="utf-8")
    base = ["check", "--policy", str(policy), "--trades", str(tmp_path / "trades.parquet")]
    base += ["--fail-on", "critical"]
    assert main([*base, "--out", str(tmp_path / "all.json")]) == 0
    captured = capsys.readouterr()
    assert (
        "regkit check: NEGATIVE-QTY fired on 1,200 of 1,200 trades (100%): is an input or a "
        "parameter missing?; --max-findings-per-rule N keeps the first N of each rule"
    ) in captured.err
    assert "1,200 findings written" in captured.out
    assert main([*base, "--max-findings-per-rule", "5", "--out", str(tmp_path / "5.json")]) == 0
    captured = capsys.readouterr()
    assert "fired on 1,200 of 1,200 trades (100%)" in captured.err  # still said, exactly
    assert captured.out.strip().endswith(
        "5 findings written to "
        f"{tmp_path / '5.json'} (json); 1,195 more counted, not listed (--max-findings-per-rule)"
    )
    written = json.loads((tmp_path / "5.json").read_text(encoding="utf-8"))
    assert len(written["findings"]) == 5
    assert written["unlisted"] == {"NEGATIVE-QTY": 1_195}
    assert written["counts"]["by_rule"] == {"NEGATIVE-QTY": 1_200}


@pytest.mark.parametrize("suffix", [".json", ".csv", ".txt", ".parquet"])
def test_findings_kept_on_disk_are_written_as_those_held(
    brokerage: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    from regkit.rules import chunked

    extra = ["--as-of", "2026-11-20T00:00:00Z"]
    held, spooled = tmp_path / f"held{suffix}", tmp_path / f"spooled{suffix}"
    assert run_check(brokerage, "--out", str(held), *extra) == 0
    monkeypatch.setattr(chunked, "KEEP_IN_MEMORY", 7)  # the file checked in chunks of 50 rows
    monkeypatch.setattr(jobs_check, "DEFAULT_CHUNK_ROWS", 50)
    assert run_check(brokerage, "--out", str(spooled), *extra) == 0
    if suffix == ".parquet":
        assert pl.read_parquet(spooled).equals(pl.read_parquet(held))
    elif suffix == ".json":  # the same but the run's times and the inputs' fingerprints
        read = [json.loads(path.read_text(encoding="utf-8")) for path in (held, spooled)]
        for key in ("findings", "counts", "records_checked", "policy", "rules_evaluated"):
            assert read[0][key] == read[1][key]
    else:
        assert spooled.read_bytes() == held.read_bytes()
