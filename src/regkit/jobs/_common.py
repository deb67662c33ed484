"""What every job shares: its error, its progress callback and the checks of its arguments."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final, TypeVar

import polars as pl

from regkit.errors import JobError

T = TypeVar("T")

__all__ = [
    "JobError",
    "Progress",
    "as_path",
    "check_date",
    "check_period",
    "check_time",
    "counted",
    "optional_path",
    "row_count",
    "silent",
]

#: Told how a job is going: ``progress(what, done, total)``. A counted step (records
#: checked) gives its counts, ``progress("trades", 20_000, 200_000)``; a step that is not
#: counted gives its description and 0, 0 (``progress("reading trades.csv", 0, 0)``).
Progress = Callable[[str, int, int], None]


def silent(what: str, done: int, total: int) -> None:
    """A progress callback that shows nothing."""


#: Records between two calls of a counted step's progress.
_EVERY: Final = 5_000


def counted(items: Iterable[T], what: str, total: int, progress: Progress | None) -> Iterator[T]:
    """``items`` as they are, telling ``progress`` how many went by (every few thousand,
    and at the end) against ``total`` (0 when it is not known).

    Examples:
        >>> seen = []
        >>> list(counted(range(3), "trades", 3, lambda *told: seen.append(told)))
        [0, 1, 2]
        >>> seen
        [('trades', 0, 3), ('trades', 3, 3)]
    """
    if progress is None:
        yield from items
        return
    progress(what, 0, total)
    done = 0
    for item in items:
        yield item
        done += 1
        if done % _EVERY == 0:
            progress(what, done, total)
    progress(what, done, max(total, done) if total else 0)


def row_count(path: Path) -> int:
    """The rows of a Parquet file, from its footer (0 for another format: counting them
    would read the file once more)."""
    if path.suffix.lower() != ".parquet":
        return 0
    try:
        return int(pl.scan_parquet(path).select(pl.len()).collect().item())
    except (OSError, pl.exceptions.PolarsError):
        return 0


def as_path(name: str, value: object) -> Path:
    """``value`` as a path, or a :class:`TypeError` naming the argument."""
    if isinstance(value, str | os.PathLike):
        return Path(value)
    raise TypeError(f"{name} must be a path, got {type(value).__name__}")


def optional_path(name: str, value: object) -> Path | None:
    """``value`` as a path, ``None`` kept."""
    return None if value is None else as_path(name, value)


def check_date(name: str, value: Any) -> date | None:
    """``value`` when it is a date (not a datetime) or ``None``; else a :class:`TypeError`."""
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    raise TypeError(f"{name} must be a date, got {type(value).__name__}")


def check_period(start: object, end: object) -> None:
    """``start`` and ``end`` as days (or ``None``), the last not before the first."""
    first, last = check_date("start", start), check_date("end", end)
    if first is not None and last is not None and last < first:
        raise JobError(f"the last day {last} is before the first {first}")


def check_time(name: str, value: Any) -> datetime | None:
    """``value`` when it is a datetime or ``None``; else a :class:`TypeError`."""
    if value is None or isinstance(value, datetime):
        return value
    raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
