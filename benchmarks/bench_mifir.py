"""Trades per second: MiFIR RTS 22 files rendered, checked and validated.

Three modes: ``validated`` (the default render: ESMA's content rules, the ``mifir-vr`` pack,
on every report, and the schema on every ``Tx``), ``unchecked`` (validated, without the
content rules) and ``unvalidated`` (checked, without the schema).

The trades come from the sample brokerage (:mod:`regkit.samples`): a pool of
generated trades whose instruments regkit can report (an ISIN, or a CFI given or derived;
no option without an ISIN) is cycled, each copy with a trade id of its own, so that any number
of trades streams through :func:`regkit.reports.mifir.render` without being held in memory.
The time to make the copies is measured on its own and printed ("stream only"); the render
rates include it.

Peak memory is ``ru_maxrss`` of this process, each mode run in a fresh process so that one
does not inherit the other's peak, and, apart, that of the largest validating process
(:mod:`regkit.reports.validators`; each holds one chunk at a time).

Run: ``.venv/bin/python benchmarks/bench_mifir.py --trades 1000000``. ``--profile`` runs
one mode (``--mode``, validated unless told otherwise) under cProfile instead, inline
(``workers=1``, so that the validation shows in the profile too), and prints the functions
that took the most time (``--sort``: ``tottime`` or ``cumtime``).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

from _memory import ChildPeaks, peak_mb

from regkit import Product, Trade
from regkit.errors import IdentifierError
from regkit.reports import mifir
from regkit.samples import SampleConfig, generate
from regkit.schemas.identifiers import derive_cfi

POOL = 20_000


def stream(pool: list[Trade], count: int) -> Iterator[Trade]:
    """``count`` trades: the pool over and over, each copy with its own trade id.

    Each copy is made the way pydantic's own ``__copy__`` makes one, with the new id put in
    its fields: the pool was validated when it was generated, and ``model_copy`` would cost
    about as much as rendering the trade.
    """
    size = len(pool)
    setattr_ = object.__setattr__
    for number in range(count):
        trade = pool[number % size]
        copied = object.__new__(Trade)
        setattr_(copied, "__dict__", {**trade.__dict__, "trade_id": f"B{number:011d}"})
        setattr_(copied, "__pydantic_fields_set__", trade.__pydantic_fields_set__)
        setattr_(copied, "__pydantic_extra__", None)
        setattr_(copied, "__pydantic_private__", None)
        yield copied


def reportable(trade: Trade) -> bool:
    """Whether regkit can describe the trade's instrument (the samples hold a few it cannot)."""
    instrument = trade.instrument
    if instrument.isin is not None:
        return True
    if instrument.product is Product.OPTION:
        return False
    try:
        derive_cfi(instrument)
    except IdentifierError:
        return instrument.cfi is not None
    return True


def run(count: int, mode: str, workers: int | None) -> None:
    sample = generate(SampleConfig(trades=POOL))
    pool = [trade for trade in sample.trades if reportable(trade)]
    started = time.perf_counter()
    for _ in stream(pool, min(count, 200_000)):
        pass
    copy_rate = min(count, 200_000) / (time.perf_counter() - started)
    with tempfile.TemporaryDirectory() as out, ChildPeaks() as children:
        started = time.perf_counter()
        files = mifir.render(
            stream(pool, count),
            sample.accounts,
            sample.firm,
            out,
            validate=mode != "unvalidated",
            check=mode != "unchecked",
            workers=workers,
        )
        elapsed = time.perf_counter() - started
    peak = peak_mb()
    child = children.peak_kb / 1024
    each = f" (validating processes {child:.0f} MB each)" if child else ""
    label = {"validated": "validated", "unchecked": "not checked", "unvalidated": "not validated"}[
        mode
    ]
    print(
        f"{label:<14} {count / elapsed:>12,.0f} trades/s  ({files.reported:,} Tx, "
        f"{len(files.skipped):,} skipped, {len(files)} files, {elapsed:.1f} s); "
        f"stream only {copy_rate:,.0f}/s; peak memory {peak:.0f} MB{each}"
    )


def profile(count: int, mode: str, sort: str) -> None:
    """Render ``count`` trades under cProfile and print the 30 costliest functions."""
    sample = generate(SampleConfig(trades=POOL))
    pool = [trade for trade in sample.trades if reportable(trade)]
    profiler = cProfile.Profile()
    with tempfile.TemporaryDirectory() as out:
        profiler.enable()
        mifir.render(
            stream(pool, count), sample.accounts, sample.firm, out, workers=1,
            validate=mode != "unvalidated", check=mode != "unchecked",
        )  # fmt: skip
        profiler.disable()
    pstats.Stats(profiler).sort_stats(sort).print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trades", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=None)
    modes = ("validated", "unchecked", "unvalidated")
    parser.add_argument("--mode", choices=("all", *modes), default="all")
    parser.add_argument("--profile", action="store_true", help="profile one mode")
    parser.add_argument("--sort", choices=("tottime", "cumtime"), default="tottime")
    args = parser.parse_args()
    if args.profile:
        profile(args.trades, "validated" if args.mode == "all" else args.mode, args.sort)
        return
    if args.mode != "all":
        run(args.trades, args.mode, args.workers)
        return
    print(f"rendering {args.trades:,} trades to MiFIR files")
    for mode in modes:
        command = [sys.executable, __file__, "--trades", str(args.trades), "--mode", mode]
        if args.workers is not None:
            command += ["--workers", str(args.workers)]
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
