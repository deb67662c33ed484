"""``regkit demo``: a small sample brokerage, and what regkit does with it, step by step
(the steps are :data:`regkit.jobs.DEMO_STEPS`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from regkit import jobs
from regkit.samples import DEFAULT_SEED

__all__ = ["DemoContext", "add", "run"]


class DemoContext(jobs.DemoContext):
    """What the demo steps share, printing each line to ``out``
    (:class:`regkit.jobs.DemoContext` with a stream instead of a callback).

    Attributes:
        out: where the steps print.

    Examples:
        >>> import io
        >>> out = io.StringIO()
        >>> DemoContext(Path("build/demo"), DEFAULT_SEED, out).say("hello")
        >>> out.getvalue()
        'hello\\n'
    """

    def __init__(self, out_dir: Path, seed: int, out: TextIO, **fields: Any) -> None:
        super().__init__(out_dir, seed, self._print, **fields)
        self.out = out

    def _print(self, text: str) -> None:
        print(text, file=self.out)


def add(commands: Any) -> None:
    """The ``demo`` command's parser."""
    demo = commands.add_parser(
        "demo",
        help="write a small sample brokerage and show what regkit does with it",
        description="Write about 2,000 trades and walk through each regkit capability.",
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=Path("build/demo"),
        metavar="DIR",
        help="directory to write to (default: build/demo)",
    )
    demo.add_argument("--seed", type=int, default=DEFAULT_SEED, help=argparse.SUPPRESS)
    demo.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run every step; exit 1 when one found something wrong."""
    ctx = jobs.demo(args.out, context=DemoContext(out_dir=args.out, seed=args.seed, out=sys.stdout))
    if ctx.problems:
        for problem in ctx.problems:
            print(f"regkit demo: {problem}", file=sys.stderr)
        return 1
    return 0
