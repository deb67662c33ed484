"""The ``regkit`` command: presentation over :mod:`regkit.jobs` (argument parsing, progress
and output), one module per command.

``regkit samples`` writes a deterministic synthetic brokerage (see
:mod:`regkit.samples`); ``regkit check`` checks record files against a policy;
``regkit demo`` writes a small brokerage and walks through what regkit does with it, one
step per capability (:data:`DEMO_STEPS`); ``regkit validate`` checks regulator XML files
against their XSDs (see :mod:`regkit.reports.xml`); ``regkit feedback`` reconciles a trade
repository's EMIR rejection feedback and an NCA's MiFIR status advice with the trades
reported, naming the rules each rejection broke (see :mod:`regkit.reports.emir.feedback`
and :mod:`regkit.reports.mifir.feedback`); ``regkit runs``, ``regkit cases`` and
``regkit store`` read and work a history store (see :mod:`regkit.store`), which
``regkit check --store`` records runs in; ``regkit report NAME --store`` records each file
in the store's submissions ledger, ``regkit feedback ingest`` the regulator's answers,
``regkit status`` lists where each transaction stands and ``regkit submissions`` the files,
the unmatched feedback and a trade state report's differences (see
:mod:`regkit.store.ledger`).

Progress: check, report, pack, validate and samples say on stderr what they are doing (the
step that runs, and the records done against their total where it is known) when stderr is
a terminal; nothing with ``--quiet``, or when stderr is a pipe or a file.

Exit codes: 0 when all went well; 1 when ``check`` found findings at or above ``--fail-on``,
when ``validate`` found an invalid file, when ``feedback`` lists a rejection (or the demo
found something wrong in its own data);
2 for bad input or usage (a bad option, a record file with bad rows, an invalid policy, a
directory that cannot be written, an XML file that cannot be read or is no known message).
User errors print on stderr, never a traceback.

Examples:
    >>> main(["--version"])  # doctest: +ELLIPSIS
    regkit ...
    0
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from regkit._version import __version__
from regkit.cli import (
    check,
    demo,
    feedback,
    ledger,
    pack,
    report,
    samples,
    store,
    validate,
    verify,
)
from regkit.cli._common import ArgumentParser, UsageError, print_record_errors
from regkit.cli._findings import FINDINGS_FORMATS
from regkit.cli.demo import DemoContext
from regkit.errors import RegkitError
from regkit.jobs import DEMO_STEPS, DemoStep, JobError, load_firm

__all__ = [
    "DEMO_STEPS",
    "FINDINGS_FORMATS",
    "DemoContext",
    "DemoStep",
    "build_parser",
    "main",
]

#: The reporting firm from its TOML or JSON file: :func:`regkit.jobs.load_firm`, under the
#: name it had here before the jobs moved out of the command line.
read_firm = load_firm


def main(argv: list[str] | None = None) -> int:
    """Run the ``regkit`` command line and return its exit code.

    Args:
        argv: the arguments after the program name; ``None`` reads ``sys.argv``.

    Returns:
        0 on success, 1 when the demo finds a problem, 2 for bad input or usage.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help, --version and usage errors
        return _exit_code(exc.code)
    command: Callable[[argparse.Namespace], int] | None = getattr(args, "run", None)
    if command is None:
        parser.print_usage(sys.stderr)
        names = ", ".join(_command_names(parser))
        print(f"regkit: error: choose a command ({names}); regkit --help", file=sys.stderr)
        return 2
    try:
        return command(args)
    except (UsageError, RegkitError, OSError) as exc:
        if isinstance(exc, JobError):
            print_record_errors(args.command, exc.record_errors)
        print(f"regkit {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("regkit: interrupted", file=sys.stderr)
        return 130


def _command_names(parser: argparse.ArgumentParser) -> list[str]:
    """The names of the commands, as the parser has them."""
    return [
        name
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for name in action.choices
    ]


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    return code if isinstance(code, int) else 2


def build_parser() -> argparse.ArgumentParser:
    """The parser of the ``regkit`` command and all its subcommands (the CLI reference,
    docs/cli.md, is generated from it by :mod:`regkit.clidocs`)."""
    parser = ArgumentParser(
        prog="regkit",
        description="Typed brokerage records, compliance checks and regulator reports.",
    )
    parser.add_argument("--version", action="version", version=f"regkit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in (samples, demo, check, report, validate, pack, verify, feedback, store, ledger):
        command.add(commands)
    return parser
