"""What every job shares: its error, its progress callback and the checks of its arguments."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from regkit.errors import JobError

__all__ = ["JobError", "Progress", "as_path", "check_date", "check_time", "optional_path"]

#: Told how a job is going: ``progress(what, done, total)``. A counted step (records
#: checked) gives its counts, ``progress("trades", 20_000, 200_000)``; a step that is not
#: counted gives its description and 0, 0 (``progress("reading trades.csv", 0, 0)``).
Progress = Callable[[str, int, int], None]


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


def check_time(name: str, value: Any) -> datetime | None:
    """``value`` when it is a datetime or ``None``; else a :class:`TypeError`."""
    if value is None or isinstance(value, datetime):
        return value
    raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
