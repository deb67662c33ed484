"""Annotated field types shared by every record.

Each type normalises what it can (strip, upper-case, convert to UTC) and rejects the rest
with a message that says what was expected. The identifier checks are the functions of
:mod:`regkit.schemas.identifiers`, so a model field and a direct call never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from regkit.schemas import identifiers as ids

__all__ = [
    "Cfi",
    "CountryCode",
    "CurrencyCode",
    "Iban",
    "Isin",
    "Lei",
    "Mic",
    "Money",
    "NonNegativeDecimal",
    "PositiveDecimal",
    "Text",
    "UtcDatetime",
    "Uti",
    "to_utc",
]

_Code = StringConstraints(strip_whitespace=True, to_upper=True)


def _checked(check: Callable[[str], bool], expected: str) -> AfterValidator:
    def validate(value: str) -> str:
        if not check(value):
            raise ValueError(f"not {expected}")
        return value

    return AfterValidator(validate)


def _normalise_iban(value: str) -> str:
    return value.replace(" ", "").upper()


def to_utc(value: datetime) -> datetime:
    """Return ``value`` in UTC; reject a naive datetime, whose instant is unknown."""
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(
            "timestamp has no timezone; give an offset or Z (e.g. 2026-11-20T09:30:00Z)"
        )
    if value.tzinfo is UTC:
        return value
    return value.astimezone(UTC)


Lei = Annotated[
    str,
    _Code,
    _checked(ids.is_valid_lei, "an ISO 17442 LEI (20 characters, MOD 97-10 check digits)"),
]
"""ISO 17442 legal entity identifier."""

Isin = Annotated[
    str, _Code, _checked(ids.is_valid_isin, "an ISO 6166 ISIN (country, 9 characters, Luhn digit)")
]
"""ISO 6166 international securities identification number."""

Cfi = Annotated[str, _Code, _checked(ids.is_valid_cfi, "an ISO 10962 CFI code (6 letters)")]
"""ISO 10962 classification of financial instruments."""

Mic = Annotated[str, _Code, _checked(ids.is_valid_mic, "an ISO 10383 MIC, XOFF or XXXX")]
"""ISO 10383 market identifier code."""

CurrencyCode = Annotated[
    str, _Code, _checked(ids.is_valid_currency, "an ISO 4217 currency code (e.g. EUR)")
]
"""ISO 4217 alphabetic currency code."""

CountryCode = Annotated[
    str, _Code, _checked(ids.is_valid_country, "an ISO 3166-1 alpha-2 country code (e.g. DE)")
]
"""ISO 3166-1 alpha-2 country code."""

Uti = Annotated[
    str,
    _Code,
    _checked(ids.is_valid_uti, "an ISO 23897 UTI (LEI then A-Z/0-9, at most 52 characters)"),
]
"""ISO 23897 unique transaction identifier."""

Iban = Annotated[
    str,
    AfterValidator(_normalise_iban),
    _checked(ids.is_valid_iban, "an ISO 13616 IBAN (country, check digits, account)"),
]
"""ISO 13616 international bank account number (spaces removed, upper case)."""

UtcDatetime = Annotated[datetime, AfterValidator(to_utc)]
"""A timezone-aware datetime, normalised to UTC."""

Money = Annotated[Decimal, Field(allow_inf_nan=False)]
"""An exact decimal amount that may be negative (a balance, an equity)."""

PositiveDecimal = Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]
"""An exact decimal strictly above zero (a price, a quantity)."""

NonNegativeDecimal = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]
"""An exact decimal at or above zero (a margin)."""

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
"""A non-empty string, stripped of surrounding white space."""
