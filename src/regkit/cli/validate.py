"""``regkit validate``: regulator XML files against their XSDs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from regkit.cli._common import positive
from regkit.cli._progress import Progress, add_quiet
from regkit.errors import RegkitError
from regkit.reports.xml import DEFAULT_MAX_PROBLEMS, ValidationResult
from regkit.reports.xml import validate as validate_xml

__all__ = ["add", "run"]

#: ``validate`` counts up to this many times the problems it lists, to say how many it did
#: not show (counting them all would cost as much again on a large, badly broken file).
_COUNTED_PER_SHOWN = 10


def add(commands: Any) -> None:
    """The ``validate`` command's parser."""
    validate = commands.add_parser(
        "validate",
        help="validate regulator XML files against their XSDs",
        description="Validate MiFIR and EMIR XML files against the regulator's XSD, the "
        "message found from each file's namespace (inside a BizData envelope too). Prints "
        "FILE:LINE: PATH: REASON per problem. Exit 1 when a file is invalid, 2 when one "
        "cannot be read or is no known message.",
    )
    validate.add_argument(
        "files", nargs="+", type=Path, metavar="FILE.xml", help="the files to validate"
    )
    validate.add_argument(
        "--max-problems",
        type=positive,
        default=DEFAULT_MAX_PROBLEMS,
        metavar="N",
        help=f"list at most N problems of a file (default: {DEFAULT_MAX_PROBLEMS}); "
        "how many more there are is said after them",
    )
    add_quiet(validate)
    validate.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Validate each file; exit 1 when one is invalid, 2 when one cannot be read."""
    code = 0
    shown: int = args.max_problems
    with Progress("validate", quiet=args.quiet) as progress:
        for path in args.files:
            code = max(code, _validate(path, shown, progress))
    return code


def _validate(path: Path, shown: int, progress: Progress) -> int:
    """Validate one file and print what was found: its exit code."""
    progress(f"validating {path}", 0, 0)

    def told(what: str, done: int, total: int) -> None:
        progress(f"{what} {path.name} (bytes)", done, total)

    try:
        result = validate_xml(path, max_problems=shown * _COUNTED_PER_SHOWN, progress=told)
    except RegkitError as exc:
        progress.pause()
        print(f"regkit validate: error: {exc}", file=sys.stderr)
        return 2
    progress.pause()
    if result.ok:
        envelope = f" in {result.envelope}" if result.envelope else ""
        print(f"{path}: OK ({result.message}{envelope})", file=sys.stdout)
        return 0
    _print_problems(path, result, shown)
    return 1


def _print_problems(path: Path, result: ValidationResult, shown: int) -> None:
    """The first ``shown`` problems, then how many more there are."""
    for line in result.lines()[:shown]:
        print(line, file=sys.stdout)
    hidden = len(result.problems) - shown
    if hidden > 0:
        more = f"more than {hidden:,}" if result.truncated else f"{hidden:,}"
        print(
            f"{path}: {more} more problem(s) not shown (--max-problems N lists more)",
            file=sys.stdout,
        )
