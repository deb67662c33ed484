"""A big day on one machine: the commands a compliance script runs, timed, with their peak memory.

Runs, as a user would from a shell, on one sample day of ``--trades`` trades (Parquet):

1. ``regkit samples`` (the input);
2. ``regkit check`` with every built-in pack (findings to Parquet);
3. ``regkit report mifir`` and ``regkit report emir``;
4. ``regkit validate`` on the MiFIR files;
5. ``regkit pack`` with a pack and both reports.

Each command runs in a process of its own; its wall time and peak memory (the largest
resident set of the command or of a process it waited for, from ``wait4``) are printed as
a table, with the exit code (1 is a run that found something, which a check of sample data
does). Steps are chosen with ``--steps``, packs with ``--packs`` and reports with
``--reports``; ``--keep DIR`` keeps the files; ``--max-findings-per-rule N`` is passed to
each check.

Run: ``.venv/bin/python benchmarks/bench_cli.py --trades 1000000`` (about half an hour at a
million trades on two cores; 10 million is the issue's target).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from regkit.rules.policy import builtin_policies

STEPS = ("samples", "check", "report", "validate", "pack")
AS_OF = "2026-11-20T00:00:00Z"


def created_after(trades: Path) -> str:
    """The reports' creation time: 18:00 UTC the day after the last trade (a report made
    before a trade it reports breaks RTS 22 field 28's validation rule, and a large sample
    runs over several days)."""
    import polars as pl

    last = pl.scan_parquet(trades).select(pl.col("executed_at").max()).collect().item()
    return f"{(last + timedelta(days=1)).date().isoformat()}T18:00:00Z"


@dataclass(frozen=True)
class Step:
    """One command run: its name, wall time, peak memory and exit code."""

    name: str
    seconds: float
    peak_mb: float
    code: int


def run(name: str, arguments: list[str]) -> Step:
    """Run ``regkit ARGUMENTS`` and measure it. Its stderr goes to a file (a pipe read only
    at the end would stop a command that says more than the pipe holds)."""
    command = [sys.executable, "-m", "regkit", *arguments, "--quiet"]
    started = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        process.returncode = code
        if code not in (0, 1):
            errors.seek(0)
            sys.stderr.write(errors.read(2000).decode(errors="replace"))
    return Step(name, seconds, usage.ru_maxrss / 1024, code)


def records(folder: Path) -> list[str]:
    """The record file options of a sample folder."""
    files = []
    for kind in ("trades", "accounts", "movements", "snapshots"):
        files += [f"--{kind}", str(folder / f"{kind}.parquet")]
    return files


def steps(
    folder: Path,
    trades: int,
    chosen: tuple[str, ...],
    packs: list[str],
    cap: int | None,
    reports: tuple[str, ...] = ("mifir", "emir"),
) -> Iterator[Step]:
    """Each step asked for, in order."""
    data = folder / "sample"
    if "samples" in chosen:
        yield run("samples", ["samples", "--trades", str(trades), "--out", str(data)])
    base = records(data)
    firm = ["--firm", str(data / "firm.json")]
    if "check" in chosen:
        for pack in packs:
            out = folder / f"findings-{pack}.parquet"
            capped = [] if cap is None else ["--max-findings-per-rule", str(cap)]
            options = ["--as-of", AS_OF, "--fail-on", "critical", "--out", str(out), *capped]
            yield run(f"check {pack}", ["check", "--policy", pack, *base, *options])
    two = base[:4]  # trades and accounts
    created = created_after(data / "trades.parquet") if chosen != ("samples",) else ""
    if "report" in chosen:
        for report in reports:
            out = folder / report
            shutil.rmtree(out, ignore_errors=True)
            yield run(f"report {report}", ["report", report, *two, *firm, "--out", str(out),
                                           "--created-at", created])  # fmt: skip
    if "validate" in chosen:
        files = sorted(str(path) for path in (folder / "mifir").glob("*.xml"))
        yield run("validate mifir", ["validate", *files])
    if "pack" in chosen:
        out = folder / "pack.zip"
        yield run("pack", ["pack", "--policy", "esma-cfd-retail", *base, *firm,
                           "--with-reports", "mifir,emir", "--as-of", AS_OF,
                           "--created-at", created, "--out", str(out)])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trades", type=int, default=1_000_000)
    parser.add_argument("--steps", default=",".join(STEPS), help=f"of {', '.join(STEPS)}")
    parser.add_argument("--packs", default="all", help="built-in packs to check, or all")
    parser.add_argument("--reports", default="mifir,emir", help="the reports step renders")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep the files here")
    parser.add_argument(
        "--max-findings-per-rule", type=int, metavar="N", help="passed to each check"
    )
    args = parser.parse_args()
    chosen = tuple(name.strip() for name in args.steps.split(","))
    packs = sorted(builtin_policies()) if args.packs == "all" else args.packs.split(",")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-cli-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"{args.trades:,} trades; files in {folder}")
    print(f"{'step':<34} {'wall s':>8} {'peak MB':>9} {'exit':>5}")
    total = 0.0
    try:
        reports = tuple(name.strip() for name in args.reports.split(","))
        cap = args.max_findings_per_rule
        for step in steps(folder, args.trades, chosen, packs, cap, reports):
            total += step.seconds
            print(f"{step.name:<34} {step.seconds:>8.1f} {step.peak_mb:>9,.0f} {step.code:>5}",
                  flush=True)  # fmt: skip
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"{'the whole sequence':<34} {total:>8.1f}")


if __name__ == "__main__":
    main()
