"""What the regulator-file renderers share: their result, the problems they collect, and
the text of values as the XSDs want it (escaped text, plain decimals, UTC times)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from regkit.errors import RenderError
from regkit.schemas.types import to_utc

if TYPE_CHECKING:
    from regkit.reports.precheck import ContentCheck

__all__ = [
    "BadField",
    "BuiltReports",
    "RefusedError",
    "Rendered",
    "Skipped",
    "creation_time",
    "refusal",
    "xml_decimal",
    "xml_text",
    "xml_utc",
]


@dataclass(frozen=True)
class Skipped:
    """A trade left out of the report because it is not reportable.

    Attributes:
        key: the trade's key (its ``trade_id``).
        reason: why, in words.
    """

    key: str
    reason: str


class Rendered(list[Path]):
    """The files written, in order, with what went into them.

    Attributes:
        reported: trades reported (``Tx/New``).
        cancelled: transaction references cancelled (``Tx/Cxl``).
        skipped: trades not reportable, each with the reason.
        content_check: what the pre-submission check of the regulator's validation rules
            found (EMIR: :mod:`regkit.reports.emir.precheck`), or None when none ran.
    """

    def __init__(
        self,
        paths: Iterable[Path] = (),
        *,
        reported: int = 0,
        cancelled: int = 0,
        skipped: Sequence[Skipped] = (),
        content_check: ContentCheck | None = None,
    ) -> None:
        super().__init__(paths)
        self.reported = reported
        self.cancelled = cancelled
        self.skipped: tuple[Skipped, ...] = tuple(skipped)
        self.content_check = content_check


@dataclass(frozen=True)
class BadField:
    """One field of one record that cannot be reported: the record's key, the field, why."""

    key: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.key}: {self.field}: {self.reason}"


R = TypeVar("R")


@dataclass
class BuiltReports(Generic[R]):
    """The report records of a batch, the trades left out, and the fields that cannot be
    reported (what each regime's ``build_reports`` returns).

    Attributes:
        reports: the report records, in the trades' order.
        skipped: the trades left out (not reportable), with why.
        refused: every field of every trade that cannot be reported (trade, field, reason).

    Examples:
        >>> BuiltReports().raise_for_refusals()
    """

    reports: list[R] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    refused: list[BadField] = field(default_factory=list)

    def raise_for_refusals(self) -> None:
        """Raise the :class:`~regkit.errors.RenderError` the renderer raises for the refused
        trades (every trade, field and reason), if any."""
        if self.refused:
            raise refusal(self.refused)


class RefusedError(Exception):
    """One field of one record that cannot be reported (collected, never raised out)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def refusal(bad: Sequence[BadField]) -> RenderError:
    """The one error that refuses a batch, naming every field that cannot be reported.

    Examples:
        >>> print(refusal([BadField("T1", "price_currency", "missing")]))
        1 trade(s) cannot be reported (1 problem(s)); no file was written. Trade: field: reason:
          T1: price_currency: missing
    """
    lines = "\n".join(f"  {item}" for item in bad)
    trades = len({item.key for item in bad})
    return RenderError(
        f"{trades} trade(s) cannot be reported ({len(bad)} problem(s)); no file was "
        f"written. Trade: field: reason:\n{lines}"
    )


# Characters XML 1.0 cannot hold at all (most C0 controls, surrogates, U+FFFE, U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;"}
)


def xml_text(value: str, field: str, limit: int) -> str:
    """Escaped XML text of at most ``limit`` characters (newlines kept as references)."""
    if _NOT_XML.search(value):
        raise RefusedError(field, f"{value!r} has characters an XML file cannot hold")
    if len(value) > limit:
        raise RefusedError(field, f"{len(value)} characters, more than the {limit} allowed")
    return value.translate(_ESCAPES)


def xml_decimal(value: Decimal, field: str, fraction: int, total: int = 18) -> str:
    """A decimal as the XSD wants it: plain digits, at most ``fraction`` after the point and
    ``total`` in all. The source's digits are kept; trailing zeros go only when they do not
    fit.

    The size is checked on the decimal's digits and exponent before any text is made: the
    plain form of ``1E+999999999999`` would need a terabyte. NaN and infinities are refused.
    """
    if not value.is_finite():
        raise RefusedError(field, f"{value} is not a number an XML file can hold")
    text = str(value)
    # The common case, once per field of every record: str() gave plain digits that fit.
    # (Plain digits are as long as the value's own digits, so this text is never huge.)
    if "E" not in text and (len(text) <= min(fraction, total) or _fits(text, fraction, total)):
        return text
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # a finite decimal has a numeric exponent
    significant = len(digits)
    while significant > 1 and digits[significant - 1] == 0:
        significant -= 1
    if digits[:significant] == (0,):  # zero: "0" (or "-0"), however many zeros it was given
        significant, shift = 1, -exponent
    else:
        shift = len(digits) - significant
    decimals = max(0, -(exponent + shift))
    whole = max(0, significant + exponent + shift) if digits[0] else 0
    if decimals > fraction or whole + decimals > total:
        raise RefusedError(
            field, f"{value} has more than {fraction} decimals or {total} digits (the XSD's limit)"
        )
    plain = len(digits) + exponent if exponent >= 0 else max(len(digits), -exponent) + 2
    if plain > fraction + total + 2:  # the source's trailing zeros cannot all fit: drop them
        return format(Decimal((sign, digits[:significant], exponent + shift)), "f")
    if "E" in text:  # str() writes exponents where the XSD wants plain digits
        text = format(value, "f")
    if len(text) <= fraction + 1 or _fits(text, fraction, total):
        return text
    if "." in text:
        text = text.rstrip("0").rstrip(".")
        if _fits(text, fraction, total):
            return text
    raise RefusedError(  # pragma: no cover (the digit count above refused it)
        field, f"{value} has more than {fraction} decimals or {total} digits (the XSD's limit)"
    )


def _fits(text: str, fraction: int, total: int) -> bool:
    whole, _, decimals = text.partition(".")
    return len(decimals) <= fraction and len(whole.lstrip("-0")) + len(decimals) <= total


def xml_utc(moment: datetime) -> str:
    """ISO 8601 UTC ending in ``Z``, with the fractional seconds the time has (none when it has
    none; ``.123`` for 123 ms: trailing zeros of the microseconds are not digits of the
    source)."""
    text = moment.isoformat()
    if text.endswith("+00:00"):
        text = text[:-6]
    else:
        moment = to_utc(moment)
        text = moment.replace(tzinfo=None).isoformat()
    if moment.microsecond:
        text = text.rstrip("0")
    return text + "Z"


def creation_time(created_at: datetime | None) -> datetime:
    """``created_at`` in UTC, now when it is None (a naive time is refused)."""
    if created_at is None:
        return datetime.now(UTC)
    if created_at.utcoffset() is None:
        raise RenderError("created_at has no timezone; give an aware datetime (UTC)")
    return to_utc(created_at)
