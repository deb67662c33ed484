"""``regkit samples``: a deterministic synthetic brokerage."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, get_args

from regkit import jobs
from regkit.cli._common import whole_number
from regkit.cli._progress import Progress, add_quiet
from regkit.jobs import sample_lines
from regkit.samples import DEFAULT_SEED
from regkit.schemas.io import FileFormat

__all__ = ["add", "run"]

_FORMATS: tuple[str, ...] = get_args(FileFormat)
_MIN_TRADES, _MAX_TRADES = 10, 10_000_000


def add(commands: Any) -> None:
    """The ``samples`` command's parser."""
    samples = commands.add_parser(
        "samples",
        help="write a deterministic synthetic brokerage",
        description="Write accounts, trades, movements and snapshots of a synthetic "
        "brokerage, with planted violations listed in planted.jsonl.",
    )
    samples.add_argument(
        "--trades",
        type=_trade_count,
        required=True,
        metavar="N",
        help=f"number of trades ({_MIN_TRADES:,} to {_MAX_TRADES:,})",
    )
    samples.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="directory to write to"
    )
    samples.add_argument(
        "--format",
        choices=_FORMATS,
        default="parquet",
        help="file format of the records (default: parquet)",
    )
    samples.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default: {DEFAULT_SEED})"
    )
    add_quiet(samples)
    samples.set_defaults(run=run)


def _trade_count(text: str) -> int:
    value = whole_number(text)
    if not _MIN_TRADES <= value <= _MAX_TRADES:
        raise argparse.ArgumentTypeError(
            f"must be from {_MIN_TRADES:,} to {_MAX_TRADES:,}, got {value:,}"
        )
    return value


def run(args: argparse.Namespace) -> int:
    """Write the set and list its files."""
    with Progress("samples", quiet=args.quiet) as progress:
        progress(f"generating {args.trades:,} trades and their brokerage", 0, 0)

        def written(name: str, records: int) -> None:
            progress.note(f"wrote {name} ({records:,} records)")
            progress("generating the next file", 0, 0)

        manifest = jobs.samples(
            args.out, trades=args.trades, format=args.format, seed=args.seed, progress=written
        )
    for line in sample_lines(manifest):
        print(line, file=sys.stdout)
    print(f"manifest.json written to {manifest.out_dir}", file=sys.stdout)
    return 0
