"""Progress on a real terminal: each long command draws what it is doing on stderr when
stderr is a terminal (a pseudo-terminal here), and nothing with ``--quiet`` or into a pipe.

The commands run as a user runs them, in a process of their own whose stderr is the
terminal; what they print on stdout is unchanged either way.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from regkit.samples import SampleConfig, write_samples

pty = pytest.importorskip("pty")  # POSIX only


@pytest.fixture(scope="module")
def brokerage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("progress")
    write_samples(folder, SampleConfig(trades=400), "parquet")
    return folder


def in_terminal(arguments: list[str]) -> tuple[int, str, str]:
    """Run ``regkit ARGUMENTS`` with stderr on a pseudo-terminal: exit code, stdout, and
    everything drawn on the terminal."""
    main, child = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "regkit", *arguments],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=child,
    )
    os.close(child)
    drawn = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        drawn += chunk
    assert process.stdout is not None
    with process.stdout:
        out = process.stdout.read()
    code = process.wait()
    os.close(main)
    return code, out.decode(), drawn.decode(errors="replace")


def commands(folder: Path) -> dict[str, tuple[list[str], list[str]]]:
    """Each command, and what its progress must say on the terminal."""
    records = ["--trades", str(folder / "trades.parquet")]
    records += ["--accounts", str(folder / "accounts.parquet")]
    firm = ["--firm", str(folder / "firm.json")]
    report = folder / "mifir"
    created = ["--created-at", "2100-01-01T00:00:00Z"]  # the same bytes when run again
    return {
        "check": (
            ["check", "--policy", "esma-cfd-retail", *records, "--as-of", "2026-12-01",
             "--fail-on", "critical"],
            ["regkit check: reading ", "regkit check: checking trades:", "400/400"],
        ),
        "report": (
            ["report", "mifir", *records, *firm, "--out", str(report), *created],
            ["regkit report mifir: reading ", "regkit report mifir: rendering mifir:", "400/400"],
        ),
        "validate": (
            ["validate", str(report)],  # the folder the report command wrote
            ["regkit validate: validating "],
        ),
        "pack": (
            ["pack", "--policy", "esma-cfd-retail", *records, *firm, "--with-reports", "mifir",
             "--as-of", "2026-12-01", "--out", str(folder / "pack.zip"), *created],
            ["regkit pack: reading the record files", "regkit pack: checking trades:",
             "regkit pack: rendering mifir:", "regkit pack: writing pack.zip"],
        ),
        "samples": (
            ["samples", "--trades", "100", "--out", str(folder / "more")],
            ["regkit samples: generating 100 trades", "regkit samples: wrote trades.parquet"],
        ),
    }  # fmt: skip


@pytest.mark.parametrize("name", ["check", "report", "validate", "pack", "samples"])
def test_each_long_command_shows_what_it_is_doing_on_a_terminal(brokerage: Path, name: str) -> None:
    arguments, expected = commands(brokerage)[name]
    if name == "validate":
        in_terminal(commands(brokerage)["report"][0])
        arguments = ["validate", *map(str, sorted((brokerage / "mifir").glob("*.xml")))]
    code, out, drawn = in_terminal(arguments)
    assert code == 0, (out, drawn)
    for text in expected:
        assert text in drawn, (text, drawn)
    assert " done in " in drawn
    # --quiet: nothing drawn, the same on stdout but for the file names made anew.
    code, quiet_out, quiet = in_terminal([*arguments, "--quiet"])
    assert code == 0
    assert quiet == ""
    assert quiet_out.count("\n") == out.count("\n")


def test_no_progress_into_a_pipe(brokerage: Path) -> None:
    arguments, _ = commands(brokerage)["check"]
    done = subprocess.run(
        [sys.executable, "-m", "regkit", *arguments], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert done.stderr == ""


def test_check_with_a_store_shows_the_recording_then_what_it_found(
    brokerage: Path, tmp_path: Path
) -> None:
    arguments, _ = commands(brokerage)["check"]
    stored = [*arguments, "--store", str(tmp_path / "regkit.db")]
    code, _, drawn = in_terminal(stored)
    assert code == 0, drawn
    assert "regkit check: recording findings:" in drawn
    assert "regkit check: opening cases" in drawn
    assert "seen again" in drawn  # the run's summary, after the progress
    code, _, quiet = in_terminal([*stored, "--quiet"])
    assert code == 0
    assert "recording" not in quiet
    assert quiet.strip().startswith("regkit check: run ")  # a summary is not progress
