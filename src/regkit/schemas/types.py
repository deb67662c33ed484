"""Annotated field types shared by every record.

Each type normalises what it can (strip, upper-case, convert to UTC) and rejects the rest
with a message that says what was expected. The identifier checks are the functions of
:mod:`regkit.schemas.identifiers`, so a model field and a direct call never disagree.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, GetCoreSchemaHandler, StringConstraints
from pydantic_core import PydanticCustomError, core_schema

from regkit.schemas.identifiers import (
    COMMODITY_CLASSIFICATION,
    FINANCIAL_SECTORS,
    MASTER_AGREEMENT_TYPES,
    NACE_SECTIONS,
    cfi_pattern,
    country_codes,
    currency_codes,
    is_valid_cfi,
    is_valid_country,
    is_valid_currency,
    is_valid_iban,
    is_valid_isin,
    is_valid_lei,
    is_valid_mic,
    is_valid_upi,
    is_valid_uti,
    mic_codes,
    upi_pattern,
    uti_pattern,
)

__all__ = [
    "DATETIME_PATTERN",
    "DATETIME_REASON",
    "DATE_PATTERN",
    "DATE_REASON",
    "DECIMAL_PATTERN",
    "DECIMAL_PLACES",
    "DECIMAL_REASON",
    "DECIMAL_TEXT",
    "INTEGER_PATTERN",
    "INTEGER_REASON",
    "MAX_DIGITS",
    "OUTSIDE_CALENDAR",
    "WHOLE_DIGITS",
    "AgreementName",
    "AgreementYear",
    "BaseProduct",
    "Cfi",
    "Checked",
    "CountryCode",
    "CurrencyCode",
    "ExactDecimal",
    "Flag",
    "FurtherSubProduct",
    "Iban",
    "Isin",
    "IsoDate",
    "Lei",
    "MasterAgreementType",
    "Mic",
    "Money",
    "NonNegativeDecimal",
    "PortfolioCode",
    "PositiveDecimal",
    "SectorCode",
    "StrikeCurrency",
    "SubProduct",
    "Text",
    "TimeArgument",
    "Upi",
    "UtcDatetime",
    "Uti",
    "WholeNumber",
    "to_utc",
    "utc_time",
]

_Code = StringConstraints(strip_whitespace=True, to_upper=True)


@dataclass(frozen=True)
class Checked:
    """Marks an Annotated type with its check and runs it as the field's validator.

    A check given as a finite code list (``codes``) or a regular expression (``pattern``)
    runs inside pydantic-core, with no Python call per value; any other check runs as an
    after-validator. The columnar path (:mod:`regkit.schemas.io.columnar`) reads the same marker
    from the annotation to run ``check`` once per distinct value of a column.
    """

    check: Callable[[str], bool]
    expected: str
    normalise: Literal["upper", "iban", "strip"] = "upper"
    codes: Callable[[], frozenset[str]] | None = None
    pattern: Callable[[], str] | None = None
    prefix: tuple[int, Callable[[str], bool]] | None = None
    """A check that is the format ``pattern`` plus a check of the first N characters (a UTI:
    its format, then its LEI). The columnar path runs the pattern vectorised and checks each
    distinct prefix once; ``check`` stays the whole truth for single values."""

    @property
    def message(self) -> str:
        """The error message of a value that fails the check."""
        return f"not {self.expected}"

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        schema = handler(source)
        inner: core_schema.CoreSchema
        if self.prefix is not None and self.pattern is not None:
            # The format inside pydantic-core; only the prefix check (cached) is Python.
            formatted = core_schema.custom_error_schema(
                core_schema.str_schema(pattern=self.pattern()),
                custom_error_type="code",
                custom_error_message=self.message,
            )
            return core_schema.no_info_after_validator_function(
                self._validate_prefix, core_schema.chain_schema([schema, formatted])
            )
        if self.codes is not None:
            inner = core_schema.literal_schema(sorted(self.codes()))
        elif self.pattern is not None:
            inner = core_schema.str_schema(pattern=self.pattern())
        else:
            return core_schema.no_info_after_validator_function(self._validate, schema)
        checked = core_schema.custom_error_schema(
            inner, custom_error_type="code", custom_error_message=self.message
        )
        return core_schema.chain_schema([schema, checked])

    def _validate_prefix(self, value: str) -> str:
        assert self.prefix is not None
        length, check = self.prefix
        if not check(value[:length]):
            raise PydanticCustomError("code", self.message)
        return value

    def _validate(self, value: str) -> str:
        if not self.check(value):
            raise PydanticCustomError("code", self.message)
        return value


def _normalise_iban(value: str) -> str:
    return "".join(value.split()).upper()  # printed IBANs come in groups of four


def to_utc(value: datetime) -> datetime:
    """Return ``value`` in UTC; reject a naive datetime, whose instant is unknown."""
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(
            "timestamp has no timezone; give an offset or Z (e.g. 2026-11-20T09:30:00Z)"
        )
    if value.tzinfo is UTC:
        return value
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # 0001-01-01T00:00:00+01:00 is an instant before year 1 in UTC: no datetime holds it.
        raise ValueError(OUTSIDE_CALENDAR) from None


#: A point in time given as an argument (``as_of``): a date, an aware datetime or ISO 8601
#: text; :func:`utc_time` makes it an aware datetime in UTC.
TimeArgument = datetime | date | str

_TEXT_FORMS = (
    "ISO 8601 text with an offset or Z (2026-11-21T09:30:00Z) or a plain date (2026-11-21)"
)
_TIME_FORMS = f"a date, an aware datetime or {_TEXT_FORMS}"


def utc_time(value: object, name: str | None = "as_of") -> datetime:
    """A point in time given as an argument, as an aware datetime in UTC.

    Time is UTC and an argument must name one instant: a ``date`` means the start of that
    day in UTC; an aware datetime is converted to UTC; ISO 8601 text is a time with an
    offset or ``Z``, or a plain date. A naive datetime (its instant depends on the
    machine's zone) is refused, and so is anything else: a number, a bool, ``None``.

    Args:
        value: the time as given.
        name: the argument's name, which the error message starts with (``None``: when the
            caller names it, as a command line's option does).

    Raises:
        TypeError: ``value`` is not a date, a datetime or text.
        ValueError: a naive datetime, or text that is not such ISO 8601.

    Example:
        >>> utc_time("2026-11-21T10:30:00+01:00")
        datetime.datetime(2026, 11, 21, 9, 30, tzinfo=datetime.timezone.utc)
        >>> utc_time(date(2026, 11, 21)) == utc_time("2026-11-21T00:00:00Z")
        True
    """
    head = f"{name}: " if name else ""
    if isinstance(value, str):
        return _parse_time(value.strip(), head)
    if isinstance(value, datetime):
        try:
            return to_utc(value)
        except ValueError:
            raise ValueError(
                f"{head}expected an aware datetime, got a naive one ({value.isoformat()}), "
                "whose instant is unknown; give tzinfo=UTC (or an offset) or a date"
            ) from None
    if isinstance(value, date):
        return datetime.combine(value, time(), UTC)
    raise TypeError(f"{head}expected {_TIME_FORMS}, got {type(value).__name__} {value!r}")


def _parse_time(text: str, head: str) -> datetime:
    try:
        if _DATE.fullmatch(text):
            return datetime.combine(date.fromisoformat(text), time(), UTC)  # a plain date
        if _DATETIME.fullmatch(text.upper()):
            return to_utc(datetime.fromisoformat(text.upper()))
    except ValueError as exc:
        raise ValueError(f"{head}{exc}") from None
    if _NAIVE.fullmatch(text.upper()):
        raise ValueError(
            f"{head}{text!r} has no offset, so its instant is unknown; add Z or an offset "
            "(2026-11-21T09:30:00Z), or give a plain date"
        )
    raise ValueError(f"{head}expected {_TEXT_FORMS}, got {text!r}")


_LEI = Checked(is_valid_lei, "an ISO 17442 LEI (20 characters, MOD 97-10 check digits)")
Lei = Annotated[str, _Code, _LEI]
"""ISO 17442 legal entity identifier."""

_ISIN = Checked(is_valid_isin, "an ISO 6166 ISIN (country, 9 characters, Luhn digit)")
Isin = Annotated[str, _Code, _ISIN]
"""ISO 6166 international securities identification number."""

_CFI = Checked(is_valid_cfi, pattern=cfi_pattern, expected="an ISO 10962 CFI code (6 letters)")
Cfi = Annotated[str, _Code, _CFI]
"""ISO 10962 classification of financial instruments."""

_MIC = Checked(is_valid_mic, codes=mic_codes, expected="an ISO 10383 MIC, XOFF or XXXX")
Mic = Annotated[str, _Code, _MIC]
"""ISO 10383 market identifier code."""

_CURRENCY_CODE = Checked(
    is_valid_currency, codes=currency_codes, expected="an ISO 4217 currency code (e.g. EUR)"
)
CurrencyCode = Annotated[str, _Code, _CURRENCY_CODE]
"""ISO 4217 alphabetic currency code."""

_COUNTRY_CODE = Checked(
    is_valid_country,
    codes=country_codes,
    expected="an ISO 3166-1 alpha-2 country code (e.g. DE)",
)
CountryCode = Annotated[str, _Code, _COUNTRY_CODE]
"""ISO 3166-1 alpha-2 country code."""

_UTI = Checked(
    is_valid_uti,
    "an ISO 23897 UTI (LEI then A-Z/0-9, at most 52 characters)",
    pattern=uti_pattern,
    prefix=(20, is_valid_lei),
)
Uti = Annotated[str, _Code, _UTI]
"""ISO 23897 unique transaction identifier."""

_IBAN = Checked(is_valid_iban, "an ISO 13616 IBAN (country, check digits, account)", "iban")
Iban = Annotated[str, AfterValidator(_normalise_iban), _IBAN]
"""ISO 13616 international bank account number (spaces removed, upper case)."""


_UPI = Checked(is_valid_upi, "an ISO 4914 UPI (QZ and 10 letters or digits)", pattern=upi_pattern)
Upi = Annotated[str, _Code, _UPI]
"""ISO 4914 unique product identifier (EMIR REFIT field 2.8), issued by the ANNA DSB."""


def _code_list(codes: frozenset[str], expected: str) -> Checked:
    return Checked(codes.__contains__, expected, codes=lambda: codes)


_SECTORS = FINANCIAL_SECTORS | NACE_SECTIONS
SectorCode = Annotated[
    str,
    _Code,
    _code_list(
        _SECTORS,
        "a REFIT corporate sector (INVF, CDTI, INUN, UCIT, ORPI, AIFD, CSDS, or a NACE "
        "section letter A-U)",
    ),
]
"""EMIR REFIT field 1.6 / 1.12 corporate sector: a financial sector code or a NACE section."""

MasterAgreementType = Annotated[
    str,
    _Code,
    _code_list(MASTER_AGREEMENT_TYPES, "a REFIT master agreement type (ISDA, EUMA ... OTHR)"),
]
"""EMIR REFIT field 2.34 master agreement type (EMIR-VR-2034-01)."""

_BASE_PRODUCTS = frozenset(COMMODITY_CLASSIFICATION)
_SUB_PRODUCTS = frozenset(sub for subs in COMMODITY_CLASSIFICATION.values() for sub in subs)
_FURTHER_SUB_PRODUCTS = frozenset(
    code for subs in COMMODITY_CLASSIFICATION.values() for codes in subs.values() for code in codes
)
BaseProduct = Annotated[
    str, _Code, _code_list(_BASE_PRODUCTS, "a REFIT base product (METL, NRGY, AGRI ...)")
]
"""EMIR REFIT field 2.116 base product of a commodity (EMIR-VR-2116-01)."""
SubProduct = Annotated[
    str, _Code, _code_list(_SUB_PRODUCTS, "a REFIT sub-product (PRME, OILP, NGAS ...)")
]
"""EMIR REFIT field 2.117 sub-product of a commodity (EMIR-VR-2117)."""
FurtherSubProduct = Annotated[
    str,
    _Code,
    _code_list(_FURTHER_SUB_PRODUCTS, "a REFIT further sub-product (GOLD, WTIO, BRNT ...)"),
]
"""EMIR REFIT field 2.118 further sub-product of a commodity (EMIR-VR-2118)."""

_PORTFOLIO_RE = re.compile(r"[A-Za-z0-9]{1,52}")
PortfolioCode = Annotated[
    str,
    Checked(
        lambda value: _PORTFOLIO_RE.fullmatch(value) is not None,
        "a collateral portfolio code (1-52 letters or digits, no special characters)",
        "strip",
    ),
]
"""EMIR REFIT field 2.27 collateral portfolio code (EMIR-VR-2027-01)."""

AgreementName = Annotated[
    str,
    Checked(
        lambda value: 1 <= len(value) <= 50 and value.isprintable(),
        "the name of a master agreement (1-50 printable characters)",
        "strip",
    ),
]
"""EMIR REFIT field 2.35 other master agreement type: the agreement's name, when field 2.34
is OTHR (EMIR-VR-2035-01)."""

_STRIKE_CURRENCY_RE = re.compile(r"[A-Z]{3}(?:/[A-Z]{3})?")
StrikeCurrency = Annotated[
    str,
    _Code,
    Checked(
        lambda value: _STRIKE_CURRENCY_RE.fullmatch(value) is not None,
        "a currency (USD) or, for a currency option, a pair (EUR/USD)",
        pattern=lambda: f"^{_STRIKE_CURRENCY_RE.pattern}$",
    ),
]
"""EMIR REFIT field 2.138 strike price currency, or currency pair for an FX option."""


def _strip(value: Any) -> Any:
    # A padded cell (" 2026-11-20 ") means what it says, on every path that reads it.
    return value.strip() if isinstance(value, str) else value


# --- the one grammar of numbers and times in text ----------------------------------------
# Python's own parsers accept more than any file format means: Decimal("1_0851") is 10851,
# Decimal("١٢٣") is 123, and pydantic reads 1700000000 as a timestamp. Every path that reads
# text (the record models, the columnar checks, as_of arguments) uses these patterns, so a
# value is accepted or refused the same way however it is read.

#: A decimal in text: optional sign, ASCII digits with an optional point, an optional
#: exponent (``1.5E+3``); no underscores, no other scripts' digits, no NaN or Infinity.
DECIMAL_PATTERN = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
DECIMAL_REASON = "Input should be a valid decimal"
#: An ISO 8601 timestamp with ``Z`` or an offset (``T`` or a space between date and time,
#: seconds and their fraction optional), matched on the upper-cased text.
DATETIME_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ](?:[01][0-9]|2[0-3]):[0-5][0-9]"
    r"(?::[0-5][0-9](?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})$"
)
DATETIME_REASON = (
    "Input should be a valid datetime with a timezone (naive timestamps are rejected; "
    "give an offset or Z)"
)
#: A whole number in text: optional sign and ASCII digits (no ``1_000``, no ``1e3``).
INTEGER_PATTERN = r"^[+-]?[0-9]+$"
INTEGER_REASON = "Input should be a valid integer"
#: An ISO 8601 calendar date.
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
DATE_REASON = "Input should be a valid date in the format YYYY-MM-DD"
#: The instant of a timestamp whose UTC form no datetime holds.
OUTSIDE_CALENDAR = "timestamp is outside years 1 to 9999 in UTC"

_DECIMAL = re.compile(DECIMAL_PATTERN)
_DATETIME = re.compile(DATETIME_PATTERN)
_DATE = re.compile(DATE_PATTERN)
_INTEGER = re.compile(INTEGER_PATTERN)
#: A timestamp that would match but for its missing offset (its own, clearer message).
_NAIVE = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?$"
)
#: Not-a-number and infinity as Python spells them, refused with their own reason.
_NOT_FINITE = frozenset({"nan", "snan", "inf", "infinity"})


def _decimal_text(value: Any) -> Any:
    """Text of a decimal field checked against :data:`DECIMAL_PATTERN` (other inputs:
    Decimal, int and binary floating-point numbers, pass to pydantic's own checks)."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if _DECIMAL.fullmatch(text) is None:
        if text.lstrip("+-").lower() in _NOT_FINITE:
            raise PydanticCustomError("finite_number", "Input should be a finite number")
        raise PydanticCustomError("decimal_parsing", DECIMAL_REASON)
    return text


def _datetime_input(value: Any) -> Any:
    """A timestamp field's input: a datetime, or text in :data:`DATETIME_PATTERN`; never
    a number (epoch seconds name no format the files have)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        text = value.strip().upper()
        if _DATETIME.fullmatch(text) is not None:
            return text
        if _NAIVE.fullmatch(text) is not None:
            raise ValueError(
                "timestamp has no timezone; give an offset or Z (e.g. 2026-11-20T09:30:00Z)"
            )
    raise PydanticCustomError("datetime_parsing", DATETIME_REASON)


def _date_input(value: Any) -> Any:
    """A date field's input: a date, or text in :data:`DATE_PATTERN`; never a number."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if _DATE.fullmatch(text) is not None:
            return text
    raise PydanticCustomError("date_parsing", DATE_REASON)


def _integer_text(value: Any) -> Any:
    """Text of a whole-number field checked against :data:`INTEGER_PATTERN`."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if _INTEGER.fullmatch(text) is None:
        raise PydanticCustomError("int_parsing", INTEGER_REASON)
    return text


WholeNumber = Annotated[int, BeforeValidator(_integer_text)]
"""A whole number; as text, only a sign and ASCII digits."""

UtcDatetime = Annotated[datetime, BeforeValidator(_datetime_input), AfterValidator(to_utc)]
"""A timezone-aware datetime, normalised to UTC."""

IsoDate = Annotated[date, BeforeValidator(_date_input)]
"""An ISO 8601 calendar date (``2026-11-20``)."""

Flag = Annotated[bool, BeforeValidator(_strip)]
"""A yes/no field (``true``/``false``, ``1``/``0``, ``yes``/``no``)."""

#: Most digits before the decimal point of any decimal field (10^20: any amount in any
#: currency, quantities in the smallest units).
WHOLE_DIGITS = 20
#: Most decimal places of any decimal field (18: a crypto quantity in its smallest unit).
DECIMAL_PLACES = 18
#: Most digits of any decimal field in all, the 38 of a 128-bit decimal: a column of a
#: validated frame (polars ``Decimal(38, scale)``) holds every value a record accepts,
#: however large and small values mix in it.
MAX_DIGITS = WHOLE_DIGITS + DECIMAL_PLACES

# Digits are counted on the value, not its spelling: 1.50 has one place, 1E+3 four digits.
_EXACT = Field(allow_inf_nan=False, max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
#: Text of a decimal field must be in :data:`DECIMAL_PATTERN`.
DECIMAL_TEXT = BeforeValidator(_decimal_text)

ExactDecimal = Annotated[Decimal, _EXACT, DECIMAL_TEXT]
"""A finite decimal with at most 20 digits before the point and 18 after it; the base of
every decimal field (another field adds its bounds, e.g. ``Annotated[ExactDecimal,
Field(ge=1)]``). A value with more places is refused, never rounded: round it first, for
example with ``value.quantize(Decimal("0.01"))``."""

Money = Annotated[Decimal, _EXACT, DECIMAL_TEXT]
"""An exact decimal amount that may be negative (a balance, an equity)."""

PositiveDecimal = Annotated[Decimal, Field(gt=0), _EXACT, DECIMAL_TEXT]
"""An exact decimal strictly above zero (a price, a quantity)."""

NonNegativeDecimal = Annotated[Decimal, Field(ge=0), _EXACT, DECIMAL_TEXT]
"""An exact decimal at or above zero (a margin)."""

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
"""A non-empty string, stripped of surrounding white space."""

AgreementYear = Annotated[WholeNumber, Field(ge=1900, le=2099)]
"""EMIR REFIT field 2.36 master agreement version: a year, 19xx or 20xx (EMIR-VR-2036-02)."""
