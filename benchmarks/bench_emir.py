"""Reports per second: EMIR REFIT files (auth.030) of CFD openings, checked against ESMA's
validation rules (the ``emir-refit-vr`` pack) and validated against the schema, or not.

The trades come from the sample brokerage (:mod:`regkit.samples`): its CFD
openings form a pool that is cycled, each copy with a trade id of its own and no UTI (so
that every report's UTI is generated from its trade id, as for a broker that leaves UTIs to
regkit), so that any number of trades streams through :func:`regkit.reports.emir.render`
as NEWT reports without being held in memory. The time to make the copies is measured on
its own and printed ("stream only"); the render rates include it.

Peak memory is ``ru_maxrss`` of this process, each mode run in a fresh process so that one
does not inherit the other's peak, and, apart, that of the largest validating process
(:mod:`regkit.reports.validators`).

Run: ``.venv/bin/python benchmarks/bench_emir.py --trades 1000000``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from _memory import ChildPeaks, peak_mb

from regkit import PositionEffect, Product, Trade
from regkit.reports import emir
from regkit.samples import SampleConfig, generate

POOL = 20_000


def stream(pool: list[Trade], count: int) -> Iterator[Trade]:
    """``count`` trades: the pool over and over, each copy with its own id and no UTI.

    Each copy is made the way pydantic's own ``__copy__`` makes one, with the new fields put
    in its dict: the pool was validated when it was generated, and ``model_copy`` would cost
    about as much as rendering the trade.
    """
    size = len(pool)
    setattr_ = object.__setattr__
    for number in range(count):
        trade = pool[number % size]
        copied = object.__new__(Trade)
        fields = {**trade.__dict__, "trade_id": f"B{number:011d}", "uti": None}
        setattr_(copied, "__dict__", fields)
        setattr_(copied, "__pydantic_fields_set__", trade.__pydantic_fields_set__)
        setattr_(copied, "__pydantic_extra__", None)
        setattr_(copied, "__pydantic_private__", None)
        yield copied


def opening(trade: Trade) -> bool:
    """Whether the trade opens a CFD position (the reports this benchmark renders)."""
    return trade.instrument.product is Product.CFD and trade.position_effect in (
        PositionEffect.OPEN,
        None,
    )


def run(count: int, validate: bool, check: bool, workers: int | None) -> None:
    sample = generate(SampleConfig(trades=POOL))
    pool = [trade for trade in sample.trades if opening(trade)]
    started = time.perf_counter()
    for _ in stream(pool, min(count, 200_000)):
        pass
    copy_rate = min(count, 200_000) / (time.perf_counter() - started)
    with tempfile.TemporaryDirectory() as out, ChildPeaks() as children:
        started = time.perf_counter()
        files = emir.render(
            stream(pool, count),
            sample.accounts,
            sample.firm,
            out,
            validate=validate,
            check=check,
            workers=workers,
        )
        elapsed = time.perf_counter() - started
        size = sum(Path(path).stat().st_size for path in files)
    peak = peak_mb()
    child = children.peak_kb / 1024
    each = f" (validating processes {child:.0f} MB each)" if child else ""
    label = ("VR-checked, " if check else "") + ("validated" if validate else "not validated")
    print(
        f"{label:<25} {count / elapsed:>12,.0f} reports/s  ({files.reported:,} reports, "
        f"{len(files.skipped):,} skipped, {len(files)} files, {size / 1e6:,.0f} MB, "
        f"{elapsed:.1f} s); stream only {copy_rate:,.0f}/s; peak memory {peak:.0f} MB{each}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trades", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument(
        "--mode", choices=("all", "checked", "validated", "unvalidated"), default="all"
    )
    args = parser.parse_args()
    modes = {
        "checked": (True, True),
        "validated": (True, False),
        "unvalidated": (False, False),
    }
    if args.mode != "all":
        validate, check = modes[args.mode]
        run(args.trades, validate, check, args.workers)
        return
    print(f"rendering {args.trades:,} CFD openings to EMIR REFIT files (NEWT)")
    for mode in modes:
        command = [sys.executable, __file__, "--trades", str(args.trades), "--mode", mode]
        if args.workers is not None:
            command += ["--workers", str(args.workers)]
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
