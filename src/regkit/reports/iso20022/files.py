"""File naming shared by regulator reports: ``..._{YYYYMMDD}_{NNNNNN}.xml``.

ESMA's file names end in keys left to the exchange; regkit's renderers end them in the
creation date (UTC) and a six-digit sequence number, so that numbering may start again
every day and two runs on one day continue it.

Examples:
    >>> from datetime import UTC, datetime
    >>> dated_sequence(datetime(2026, 11, 20, 18, 0, tzinfo=UTC), 1)
    '20261120_000001'
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Final

from regkit.errors import RenderError
from regkit.schemas.types import to_utc

__all__ = ["MAX_SEQUENCE", "Numbering", "dated_sequence", "numbering"]

#: The highest sequence number six digits hold.
MAX_SEQUENCE: Final = 999_999


def dated_sequence(created_at: datetime, sequence: int) -> str:
    """``{YYYYMMDD}_{NNNNNN}``: the creation date in UTC and the file's sequence number.

    Raises:
        RenderError: the sequence number is outside 1 to :data:`MAX_SEQUENCE`.
    """
    if not 1 <= sequence <= MAX_SEQUENCE:
        raise RenderError(f"file sequence {sequence} is outside 1 to {MAX_SEQUENCE:,}")
    return f"{to_utc(created_at):%Y%m%d}_{sequence:06d}"


#: How a run numbers its files: the first file's sequence number (the next ones follow it),
#: or a function from a file's place in the run (1, 2 ...) to its number, such as a store
#: handing out the day's next number (:meth:`regkit.store.Store.next_sequence`).
Numbering = int | Callable[[int], int]


def numbering(first: Numbering) -> Callable[[int], int]:
    """The sequence number of each file of a run (by its place, from 1), from a first number
    or a function. A function is asked once per file, however often the number is needed
    (in the file's name and in its header).

    Raises:
        RenderError: a first number below 1.
        TypeError: neither a whole number nor a function.

    Examples:
        >>> number = numbering(7)
        >>> number(1), number(3)
        (7, 9)
        >>> handed = iter([41, 42])
        >>> number = numbering(lambda place: next(handed))
        >>> number(1), number(1), number(2)
        (41, 41, 42)
    """
    if isinstance(first, bool) or not (isinstance(first, int) or callable(first)):
        raise TypeError(f"first_sequence must be a whole number or a function, got {first!r}")
    if isinstance(first, int):
        if first < 1:
            raise RenderError(f"first_sequence must be at least 1, got {first}")
        return lambda place: first + place - 1
    given: dict[int, int] = {}

    def number(place: int) -> int:
        if place not in given:
            given[place] = first(place)
        return given[place]

    return number
