"""The shared field types: what each accepts, how it normalises, and what it says when not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError
from stdnum.iso7064 import mod_97_10

from regkit.schemas.types import (
    DECIMAL_PLACES,
    MAX_DIGITS,
    WHOLE_DIGITS,
    Cfi,
    CountryCode,
    CurrencyCode,
    ExactDecimal,
    Iban,
    Isin,
    Lei,
    Mic,
    Money,
    NonNegativeDecimal,
    PositiveDecimal,
    Text,
    UtcDatetime,
    Uti,
    to_utc,
)

VALID_LEI = "5493001KJTIIGC8Y1R12"

_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _validate(annotation: Any, value: Any) -> Any:
    adapter = _ADAPTERS.setdefault(annotation, TypeAdapter(annotation))
    return adapter.validate_python(value)


def _error(annotation: Any, value: Any) -> str:
    with pytest.raises(ValidationError) as info:
        _validate(annotation, value)
    return str(info.value)


# --- datetimes -----------------------------------------------------------------------------


def test_to_utc_keeps_the_instant_of_an_offset_time() -> None:
    cyprus_morning = datetime(2026, 11, 20, 11, 30, 0, 123000, tzinfo=timezone(timedelta(hours=2)))
    utc = to_utc(cyprus_morning)
    assert utc.tzinfo is UTC
    assert utc == cyprus_morning
    assert (utc.hour, utc.minute, utc.microsecond) == (9, 30, 123000)


def test_to_utc_follows_daylight_saving_time() -> None:
    # 09:30 in Nicosia is 06:30Z in summer (UTC+3) but 07:30Z in winter (UTC+2).
    nicosia = ZoneInfo("Europe/Nicosia")
    assert to_utc(datetime(2026, 7, 1, 9, 30, tzinfo=nicosia)).hour == 6
    assert to_utc(datetime(2026, 12, 1, 9, 30, tzinfo=nicosia)).hour == 7


def test_to_utc_rejects_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="timestamp has no timezone"):
        to_utc(datetime(2026, 11, 20, 9, 30))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20T09:30:00Z", datetime(2026, 11, 20, 9, 30, tzinfo=UTC)),
        ("2026-11-20T09:30:00+01:00", datetime(2026, 11, 20, 8, 30, tzinfo=UTC)),
        ("2026-11-20T09:30:00.123456-05:00", datetime(2026, 11, 20, 14, 30, 0, 123456, tzinfo=UTC)),
        ("2026-11-20 23:30:00+00:00", datetime(2026, 11, 20, 23, 30, tzinfo=UTC)),
    ],
)
def test_utc_datetime_parses_iso_8601_into_utc(text: str, expected: datetime) -> None:
    value = _validate(UtcDatetime, text)
    assert value == expected
    assert value.utcoffset() == timedelta(0)
    assert value.isoformat() == expected.isoformat()


@pytest.mark.parametrize(
    "naive",
    ["2026-11-20T09:30:00", "2026-11-20 09:30", "2026-11-20", datetime(2026, 11, 20, 9, 30)],
)
def test_utc_datetime_rejects_naive_input_saying_why(naive: Any) -> None:
    message = _error(UtcDatetime, naive)
    assert "timestamp has no timezone; give an offset or Z" in message


def test_utc_datetime_rejects_text_that_is_no_time() -> None:
    assert "datetime" in _error(UtcDatetime, "yesterday")


# --- decimals ------------------------------------------------------------------------------


@pytest.mark.parametrize("annotation", [Money, PositiveDecimal, NonNegativeDecimal])
@pytest.mark.parametrize(
    ("given_value", "expected"),
    [
        (1.1, "1.1"),
        (0.3, "0.3"),
        ("1.0850", "1.0850"),
        (100000, "100000"),
        (Decimal("2.50"), "2.50"),
    ],
)
def test_decimal_types_are_exact(annotation: Any, given_value: Any, expected: str) -> None:
    value = _validate(annotation, given_value)
    assert type(value) is Decimal
    # str() shows the exact digits: a float input 1.1 is 1.1, not 1.100000000000000088817...
    assert str(value) == expected


@pytest.mark.parametrize("annotation", [Money, PositiveDecimal, NonNegativeDecimal])
@pytest.mark.parametrize(
    "not_finite",
    ["NaN", "nan", "inf", "-Infinity", float("nan"), float("inf"), Decimal("NaN"), Decimal("-inf")],
)
def test_decimal_types_reject_nan_and_infinity(annotation: Any, not_finite: Any) -> None:
    assert "finite number" in _error(annotation, not_finite)


@pytest.mark.parametrize("annotation", [Money, PositiveDecimal, NonNegativeDecimal])
@pytest.mark.parametrize("not_a_number", ["1,085", "12.3.4", "ten", ""])
def test_decimal_types_reject_text_that_is_no_number(annotation: Any, not_a_number: str) -> None:
    assert "decimal" in _error(annotation, not_a_number)


def test_money_may_be_negative() -> None:
    assert _validate(Money, "-250.50") == Decimal("-250.50")


@pytest.mark.parametrize("value", ["0", "-0.01", 0, -5])
def test_positive_decimal_rejects_zero_and_below(value: Any) -> None:
    assert "greater than 0" in _error(PositiveDecimal, value)


def test_non_negative_decimal_takes_zero_but_not_less() -> None:
    assert _validate(NonNegativeDecimal, "0") == 0
    assert "greater than or equal to 0" in _error(NonNegativeDecimal, "-0.01")


DECIMALS = [ExactDecimal, Money, PositiveDecimal, NonNegativeDecimal]


def test_the_digit_limits_fill_a_128_bit_decimal() -> None:
    # A polars Decimal(38, scale) column holds any mix of the values a record accepts.
    assert (WHOLE_DIGITS, DECIMAL_PLACES, MAX_DIGITS) == (20, 18, 38)


@pytest.mark.parametrize("annotation", DECIMALS)
@pytest.mark.parametrize(
    "extreme",
    [
        "99999999999999999999.999999999999999999",  # 20 digits, then 18 places
        "12000000000",
        "0.000000000000000001",
        "1E-18",
        "1E+19",
        "1.500000000000000000000000",  # trailing zeros are not places
        "0000000000000000000000012.5",  # nor are leading zeros digits
    ],
)
def test_decimal_types_take_every_value_within_the_limits_unchanged(
    annotation: Any, extreme: str
) -> None:
    value = _validate(annotation, extreme)
    assert value == Decimal(extreme)
    assert str(value) == str(Decimal(extreme))


@pytest.mark.parametrize("annotation", DECIMALS)
@pytest.mark.parametrize(
    ("beyond", "reason"),
    [
        # The report: a margin computed by division has 28 places; it is refused, not rounded.
        (Decimal(1) / Decimal(7), "no more than 18 decimal places"),
        ("0.1234567890123456789", "no more than 18 decimal places"),
        ("1E-19", "no more than 18 decimal places"),
        ("123456789012345678901", "no more than 20 digits before the decimal point"),
        ("1E+20", "no more than 20 digits before the decimal point"),
        ("12345678901234567890.1234567890123456789", "no more than 38 digits in total"),
        (1e-20, "no more than 18 decimal places"),
    ],
)
def test_decimal_types_refuse_values_beyond_the_limits_saying_which(
    annotation: Any, beyond: Any, reason: str
) -> None:
    assert reason in _error(annotation, beyond)


# --- codes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("annotation", "given_value", "expected"),
    [
        (CurrencyCode, "eur", "EUR"),
        (CurrencyCode, " usd ", "USD"),
        (CountryCode, "de", "DE"),
        (Mic, "xlon", "XLON"),
        (Mic, "XOFF", "XOFF"),
        (Mic, "xxxx", "XXXX"),
        (Cfi, "jftxcc", "JFTXCC"),
        (Lei, VALID_LEI.lower(), VALID_LEI),
        (Isin, " us0378331005", "US0378331005"),
        (Uti, VALID_LEI.lower() + "cfd20260101000001", VALID_LEI + "CFD20260101000001"),
        (Iban, "DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
        (Iban, "gb82 west 1234 5698 7654 32", "GB82WEST12345698765432"),
    ],
)
def test_codes_are_normalised(annotation: Any, given_value: str, expected: str) -> None:
    assert _validate(annotation, given_value) == expected


@pytest.mark.parametrize(
    ("annotation", "bad", "expected"),
    [
        (CurrencyCode, "EUX", "not an ISO 4217 currency code"),
        (CurrencyCode, "EURO", "not an ISO 4217 currency code"),
        (CountryCode, "UK", "not an ISO 3166-1 alpha-2 country code"),  # it is GB
        (CountryCode, "DEU", "not an ISO 3166-1 alpha-2 country code"),
        (Mic, "ZZZZ", "not an ISO 10383 MIC, XOFF or XXXX"),
        (Mic, "XLONX", "not an ISO 10383 MIC, XOFF or XXXX"),
        (Cfi, "JZTXCC", "not an ISO 10962 CFI code"),  # forwards have no group Z
        (Cfi, "JFTXC", "not an ISO 10962 CFI code"),
        (Lei, VALID_LEI[:-1] + "3", "not an ISO 17442 LEI"),  # check digits off by one
        (Lei, VALID_LEI[:-1], "not an ISO 17442 LEI"),
        (Isin, "US0378331006", "not an ISO 6166 ISIN"),  # Luhn digit wrong
        (Isin, "ZZ0378331005", "not an ISO 6166 ISIN"),  # no such country
        (Uti, VALID_LEI, "not an ISO 23897 UTI"),  # nothing after the LEI
        (Uti, VALID_LEI + "A" * 33, "not an ISO 23897 UTI"),  # 53 characters
        (Uti, "5493001KJTIIGC8Y1R13" + "CFD1", "not an ISO 23897 UTI"),  # LEI part invalid
        (Iban, "DE89 3704 0044 0532 0130 01", "not an ISO 13616 IBAN"),
        (Iban, "XX89370400440532013000", "not an ISO 13616 IBAN"),
    ],
)
def test_bad_codes_are_rejected_saying_what_was_expected(
    annotation: Any, bad: str, expected: str
) -> None:
    assert expected in _error(annotation, bad)


@given(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=18, max_size=18), st.booleans())
def test_lei_agrees_with_an_independent_mod_97_10(prefix: str, right_digits: bool) -> None:
    digits = mod_97_10.calc_check_digits(prefix)
    if not right_digits:
        digits = f"{(int(digits) + 1) % 100:02d}"
    lei = prefix + digits
    if mod_97_10.is_valid(lei):
        assert _validate(Lei, lei) == lei
    else:
        assert "not an ISO 17442 LEI" in _error(Lei, lei)


@given(
    st.sampled_from(["DE", "FR", "GB", "CY", "PL"]),
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=11, max_size=30),
)
def test_iban_accepts_any_bban_with_right_check_digits(country: str, bban: str) -> None:
    iban = country + mod_97_10.calc_check_digits(bban + country) + bban
    spaced = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)).lower()
    assert _validate(Iban, spaced) == iban


# --- text ----------------------------------------------------------------------------------


def test_text_is_stripped() -> None:
    assert _validate(Text, "  Anna Müller \n") == "Anna Müller"


@pytest.mark.parametrize("blank", ["", "   ", "\t\n"])
def test_text_must_not_be_blank(blank: str) -> None:
    assert "at least 1 character" in _error(Text, blank)
