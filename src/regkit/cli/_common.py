"""What the commands share: the parser's layout, argument types, usage errors, progress."""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from regkit.errors import RecordError
from regkit.rules.findings import Severity
from regkit.schemas.kinds import KINDS
from regkit.schemas.types import utc_time

__all__ = [
    "ArgumentParser",
    "UsageError",
    "add_record_files",
    "as_of",
    "day",
    "file_flags",
    "positive",
    "print_record_errors",
    "severity",
    "whole_number",
]


class UsageError(Exception):
    """A problem with what the user asked for, reported as exit code 2."""


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's layout of help, without breaking a line inside a hyphenated name
    (``esma-cfd-\\nretail`` cannot be copied back into a command)."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return textwrap.fill(
            " ".join(text.split()),
            width,
            initial_indent=indent,
            subsequent_indent=indent,
            break_on_hyphens=False,
        )


class ArgumentParser(argparse.ArgumentParser):
    """A parser whose help uses :class:`_HelpFormatter`; its subcommands' parsers are of
    this class too, so every command's help is laid out the same way."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)


def file_flag(plural: str) -> str:
    """A kind's file option: ``--trades``, ``--emir-reports`` (its dest is the plural)."""
    return "--" + plural.replace("_", "-")


def file_flags() -> str:
    """The options naming record files, for a message: ``--trades, --accounts, ...``."""
    return ", ".join(file_flag(kind.plural) for kind in KINDS.values())


def add_record_files(parser: argparse.ArgumentParser) -> None:
    """An option per record kind: ``--trades FILE`` ..."""
    for kind in KINDS.values():
        words = kind.plural.replace("_", " ")
        parser.add_argument(
            file_flag(kind.plural),
            dest=kind.plural,
            type=Path,
            metavar="FILE",
            help=f"the {words} file",
        )


def as_of(text: str) -> datetime:
    """An ISO 8601 time with a zone, read the way the library reads it."""
    try:
        return utc_time(text, None)  # the library's own reading; argparse names the option
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def severity(text: str) -> Severity:
    """A severity name."""
    try:
        return Severity.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def day(text: str) -> date:
    """An ISO 8601 date."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date: {text!r}") from None


def whole_number(text: str) -> int:
    """A whole number; ``_`` and ``,`` may group its digits."""
    try:
        return int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def positive(text: str) -> int:
    """A whole number of 1 or more."""
    value = whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value:,}")
    return value


def print_record_errors(command: str, errors: Sequence[RecordError], shown: int = 20) -> None:
    """The first ``shown`` bad rows, one a line, on stderr."""
    for error in errors[:shown]:
        print(f"regkit {command}: {error}", file=sys.stderr)
