"""Records per second: reading trades into validated models and into a validated columnar batch.

Writes the sample brokerage once per format (cached under ``build/bench``), then times

* ``read_records(path, Trade)``: every row a validated, frozen ``Trade`` model;
* ``read_frame(path, Trade)``: a polars DataFrame whose every column passed the same checks.

Run: ``.venv/bin/python benchmarks/bench_records.py --trades 1000000`` (or ``make bench``).
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable, Sized
from pathlib import Path

import regkit as rk
from regkit.samples import SampleConfig, write_samples
from regkit.schemas.io import read_frame

FORMATS = ("parquet", "csv", "jsonl")


def sample_file(out: Path, trades: int, fmt: str) -> Path:
    """The sample trades file for ``trades`` and ``fmt``, written on first use."""
    folder = out / f"{trades}-{fmt}"
    path = folder / f"trades.{fmt}"
    if not path.exists():
        started = time.perf_counter()
        write_samples(folder, SampleConfig(trades=trades), format=fmt)  # type: ignore[arg-type]
        print(f"  wrote {path} in {time.perf_counter() - started:.1f} s")
    return path


def best_rate(run: Callable[[], Sized], repeat: int) -> tuple[float, int]:
    """The best records-per-second of ``repeat`` runs, and the count read.

    What a run read stays alive until its time is taken: freeing a million records is the
    caller's business after it is done with them, not part of reading them.
    """
    best = 0.0
    count = 0
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        result = run()
        elapsed = time.perf_counter() - started
        count = len(result)
        best = max(best, count / elapsed)
        del result
    return best, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trades", type=int, default=1_000_000)
    parser.add_argument("--formats", nargs="+", default=list(FORMATS), choices=FORMATS)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("build/bench"))
    args = parser.parse_args()

    print(f"reading {args.trades:,} trades (best of {args.repeat})")
    print(f"{'format':<8} {'validated models':>18} {'columnar batch':>16}")
    for fmt in args.formats:
        path = sample_file(args.out, args.trades, fmt)

        def models(path: Path = path) -> Sized:
            batch = rk.read_records(path, rk.Trade)
            assert not batch.errors, batch.errors[:3]
            return batch.records

        def frame(path: Path = path) -> Sized:
            batch = read_frame(path, rk.Trade)
            assert not batch.errors, batch.errors[:3]
            return batch.frame

        model_rate, _ = best_rate(models, args.repeat)
        frame_rate, _ = best_rate(frame, args.repeat)
        print(f"{fmt:<8} {model_rate:>14,.0f}/s {frame_rate:>14,.0f}/s")


if __name__ == "__main__":
    main()
