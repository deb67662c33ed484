"""The ``regkit`` command: exit codes, output, and the demo reading its data back cleanly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from regkit import __version__
from regkit.cli import DEMO_STEPS, main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"regkit {__version__}"


def test_python_dash_m_runs_the_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "regkit", "--version"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"regkit {__version__}"


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_samples_writes_every_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    code = main(["samples", "--trades", "200", "--out", str(tmp_path), "--format", fmt])
    out = capsys.readouterr().out
    assert code == 0
    for stem in ("accounts", "trades", "movements", "snapshots"):
        assert (tmp_path / f"{stem}.{fmt}").is_file()
        assert f"{stem}.{fmt}" in out
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["trades"] == 200
    assert manifest["format"] == fmt


def test_samples_seed_changes_the_data(tmp_path: Path) -> None:
    args = ["samples", "--trades", "100", "--format", "jsonl", "--out"]
    assert main([*args, str(tmp_path / "a")]) == 0
    assert main([*args, str(tmp_path / "b"), "--seed", "1"]) == 0
    first = (tmp_path / "a" / "trades.jsonl").read_bytes()
    assert first != (tmp_path / "b" / "trades.jsonl").read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["samples", "--trades", "100", "--format", "xml"], "invalid choice"),
        (["samples", "--trades", "0"], "must be from 10"),
        (["samples", "--trades", "5"], "must be from 10"),
        (["samples", "--trades", "ten"], "not a whole number"),
        (["samples", "--trades", "100"], "--out"),
        (["samples", "--out", "x"], "--trades"),
        (["nonsense"], "invalid choice"),
        ([], "choose a command"),
    ],
)
def test_usage_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    if "--out" not in args and args[:1] == ["samples"] and message != "--out":
        args = [*args, "--out", str(tmp_path)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_unwritable_out_exits_2_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    code = main(["samples", "--trades", "50", "--out", str(blocker / "out")])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.startswith("regkit samples: error:")
    assert "Traceback" not in captured.err
    assert captured.out == ""


def test_demo_reads_everything_back_with_zero_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A report an earlier regkit version left under the name of today's: the demo's folders
    # are its own, so it is replaced (a render elsewhere refuses to overwrite it).
    stale = (
        tmp_path
        / "demo"
        / "reports"
        / "mifir"
        / "529900RKSAMPLEFIRM88_DATTRA_CY_20261107_000001.xml"
    )
    stale.parent.mkdir(parents=True)
    stale.write_text("<stale/>", encoding="utf-8")
    code = main(["demo", "--out", str(tmp_path / "demo")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert stale.read_bytes() != b"<stale/>"
    for number, step in enumerate(DEMO_STEPS, start=1):
        assert f"== {number}. {step.title}" in out
    assert "0 errors." in out
    assert "leverage_above_cap" in out
    assert "structuring" in out
    assert '"trade_id"' in out
    assert '"kind": "person"' in out
    assert "18 leverage breaches were planted: 18 found, 0 missed" in out
    assert "1 were planted: 1 found with exactly their deposits, 0 missed, 0 not planted" in out
    # The history store: the second day's run sees the first's 18 breaches again.
    assert "18 findings: 18 new, 0 seen again, 0 gone;" in out
    assert "18 findings: 0 new, 18 seen again, 0 gone; 0 cases opened" in out
    assert "closed as false_positive" in out
    assert "events, intact" in out
    # The submissions ledger: the day's reports, two MiFIR and one EMIR rejection, fixed,
    # sent again and accepted.
    assert "mifir: 397 accepted, 1,595 not_reported, 2 rejected; 1,595 late" in out
    assert "mifir resubmission: 2 NEWT in 529900RKSAMPLEFIRM88_DATTRA_CY_20261107_000002.xml" in out
    assert "mifir: 397 accepted, 2 corrected, 1,595 not_reported; 1,595 late" in out
    assert "emir: 198 accepted, 1 corrected, 873 not_reported; 873 late" in out
    manifest = json.loads((tmp_path / "demo" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["trades"] == 2_000
    assert manifest["format"] == "parquet"
    assert out.rstrip().endswith(f"Files are in {tmp_path / 'demo'}.")


def test_demo_into_a_file_path_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    assert main(["demo", "--out", str(blocker)]) == 2
    assert capsys.readouterr().err.startswith("regkit demo: error:")
