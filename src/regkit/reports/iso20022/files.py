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

from datetime import datetime
from typing import Final

from regkit.errors import RenderError
from regkit.schemas.types import to_utc

__all__ = ["MAX_SEQUENCE", "dated_sequence"]

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
