"""Deprecated: moved to regkit.reports.iso20022.reading; this path re-exports for one release."""

from regkit.reports.iso20022.reading import (
    child_text,
    describe,
    iso_datetime,
    line_of,
    locate,
    qualified,
    required_text,
    text_of,
)

__all__ = [
    "child_text",
    "describe",
    "iso_datetime",
    "line_of",
    "locate",
    "qualified",
    "required_text",
    "text_of",
]
