"""Trades per second and peak memory of writing the sample brokerage (``write_samples``).

Each format and size runs in a fresh process (``ru_maxrss`` is the peak of a whole
process), which writes the whole set (firm, accounts, trades, movements, snapshots,
planted violations and the manifest) into a temporary folder, then deletes it. Besides the
wall time and the peak, it prints how long each file took (the ``progress`` callback).
``write_samples`` generates in worker processes (one per core from 200,000 trades): the
peak printed is the writing process's plus each worker's own peak (read from ``/proc``
while they run), an upper bound of what the whole set held at once.

Run: ``.venv/bin/python benchmarks/bench_samples.py --trades 1000000 10000000``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FORMATS = ("parquet", "csv", "jsonl")


def run_one(trades: int, fmt: str) -> dict[str, object]:
    """Write one set in this process; its wall time, peak memory and time per file."""
    from _memory import ChildPeaks, peak_mb

    from regkit.samples import SampleConfig, write_samples

    steps: dict[str, float] = {}
    last = time.perf_counter()

    def progress(name: str, records: int) -> None:
        nonlocal last
        now = time.perf_counter()
        steps[name] = round(now - last, 2)
        last = now

    with tempfile.TemporaryDirectory(prefix="bench-samples-") as out, ChildPeaks() as workers:
        started = time.perf_counter()
        manifest = write_samples(out, SampleConfig(trades=trades), fmt, progress=progress)  # type: ignore[arg-type]
        elapsed = time.perf_counter() - started
        size = sum(item.bytes for item in manifest.files)
    return {
        "trades": trades,
        "format": fmt,
        "seconds": round(elapsed, 2),
        "trades_per_s": round(trades / elapsed),
        "peak_mb": round(peak_mb() + sum(workers.peaks.values()) / 1024),
        "workers_mb": [round(kb / 1024) for kb in workers.peaks.values()],
        "mb_written": round(size / 1e6),
        "steps": steps,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trades", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--formats", nargs="+", default=list(FORMATS), choices=FORMATS)
    parser.add_argument("--one", nargs=2, metavar=("TRADES", "FORMAT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(int(args.one[0]), args.one[1])))
        return

    print(f"{'trades':>11} {'format':<8} {'s':>7} {'trades/s':>9} {'peak MB':>8} {'MB out':>7}")
    for trades in args.trades:
        for fmt in args.formats:
            # A fresh process per size and format: ru_maxrss is the peak of a whole process.
            done = subprocess.run(
                [sys.executable, __file__, "--one", str(trades), fmt],
                check=True,
                capture_output=True,
                text=True,
                cwd=Path(__file__).parent,
            )
            result = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"{trades:>11,} {fmt:<8} {result['seconds']:>7} {result['trades_per_s']:>9,} "
                f"{result['peak_mb']:>8,} {result['mb_written']:>7,}  {result['steps']} "
                f"workers' peaks (MB): {result['workers_mb']}",
                flush=True,
            )


if __name__ == "__main__":
    main()
