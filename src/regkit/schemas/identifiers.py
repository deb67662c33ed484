"""Identifier algorithms: check digits, code lists and formats.

Every ``is_valid_*`` function takes a string and answers ``True`` or ``False``; it never
raises. Code lists come from maintained packages (pycountry for ISO 3166-1, iso4217 for
ISO 4217, iso10383 for ISO 10383), not from hand-typed tables. The validators are cached,
because a day of trades repeats the same few hundred LEIs, currencies and MICs.
"""

from __future__ import annotations

import re
from functools import lru_cache

import iso4217
import iso10383
import pycountry

__all__ = [
    "currency_minor_units",
    "is_valid_country",
    "is_valid_currency",
    "is_valid_isin",
    "is_valid_lei",
    "is_valid_mic",
    "lei_check_digits",
]

_LEI_RE = re.compile(r"[0-9A-Z]{18}[0-9]{2}")
_ISIN_RE = re.compile(r"[A-Z]{2}[0-9A-Z]{9}[0-9]")
_MIC_RE = re.compile(r"[0-9A-Z]{4}")

#: MICs that RTS 22 accepts in the venue field although they name no market.
SPECIAL_MICS = frozenset({"XOFF", "XXXX"})


def _letters_to_digits(text: str) -> str:
    """Replace A..Z by 10..35 (ISO 7064 and ISO 6166 both do this)."""
    return "".join(str(int(ch, 36)) for ch in text)


@lru_cache(maxsize=65536)
def is_valid_lei(value: str) -> bool:
    """ISO 17442 LEI: 18 upper-case letters or digits, then 2 digits with MOD 97-10 = 1.

    Example:
        >>> is_valid_lei("5493001KJTIIGC8Y1R12")
        True
        >>> is_valid_lei("5493001KJTIIGC8Y1R13")
        False
    """
    if not isinstance(value, str) or not _LEI_RE.fullmatch(value):
        return False
    return int(_letters_to_digits(value)) % 97 == 1


def lei_check_digits(prefix: str) -> str:
    """The two ISO 7064 MOD 97-10 check digits that complete an 18-character LEI prefix."""
    if not re.fullmatch(r"[0-9A-Z]{18}", prefix):
        raise ValueError(f"an LEI prefix is 18 upper-case letters or digits, got {prefix!r}")
    return f"{98 - int(_letters_to_digits(prefix) + '00') % 97:02d}"


@lru_cache(maxsize=65536)
def is_valid_isin(value: str) -> bool:
    """ISO 6166 ISIN: a country prefix, 9 letters or digits and a Luhn check digit.

    Example:
        >>> is_valid_isin("US0378331005")
        True
    """
    if not isinstance(value, str) or not _ISIN_RE.fullmatch(value):
        return False
    if not (is_valid_country(value[:2]) or value[:2] in _ISIN_EXTRA_PREFIXES):
        return False
    digits = _letters_to_digits(value)
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = int(char)
        if index % 2 == 1:
            number *= 2
            if number > 9:
                number -= 9
        total += number
    return total % 10 == 0


#: ISIN prefixes that are not ISO 3166-1 countries: XS (international, Euroclear and
#: Clearstream), EU (European Union issuers), XA/XB/XC/XD (CUSIP Global Services), QS, QT.
_ISIN_EXTRA_PREFIXES = frozenset({"XS", "EU", "XA", "XB", "XC", "XD", "QS", "QT"})


@lru_cache(maxsize=1024)
def is_valid_country(value: str) -> bool:
    """ISO 3166-1 alpha-2 country code (current codes, upper case), e.g. ``"DE"``."""
    return (
        isinstance(value, str)
        and len(value) == 2
        and value.isupper()
        and pycountry.countries.get(alpha_2=value) is not None
    )


@lru_cache(maxsize=1024)
def is_valid_currency(value: str) -> bool:
    """ISO 4217 alphabetic currency code (upper case), e.g. ``"EUR"``."""
    return (
        isinstance(value, str)
        and len(value) == 3
        and value.isupper()
        and value in iso4217.Currency.__members__
    )


def currency_minor_units(code: str) -> int | None:
    """ISO 4217 minor units of a currency (2 for EUR, 0 for JPY); ``None`` when it has none."""
    if not is_valid_currency(code):
        raise ValueError(f"not an ISO 4217 currency code: {code!r}")
    exponent = iso4217.Currency[code].exponent
    return None if exponent is None else int(exponent)


@lru_cache(maxsize=8192)
def is_valid_mic(value: str) -> bool:
    """ISO 10383 market identifier code from the registry; ``XOFF`` and ``XXXX`` accepted.

    Expired MICs stay valid: a trade executed on a venue before its MIC was retired keeps it.
    """
    if not isinstance(value, str) or not _MIC_RE.fullmatch(value):
        return False
    return value in SPECIAL_MICS or value.lower() in iso10383.MIC.__members__


_IBAN_RE = re.compile(r"[A-Z]{2}[0-9]{2}[0-9A-Z]{11,30}")


@lru_cache(maxsize=65536)
def is_valid_iban(value: str) -> bool:
    """ISO 13616 IBAN: country, two check digits, account; MOD 97-10 over the rearranged text.

    Spaces must already be removed. The per-country length is not checked here.

    Example:
        >>> is_valid_iban("GB82WEST12345698765432")
        True
    """
    if not isinstance(value, str) or not _IBAN_RE.fullmatch(value):
        return False
    if not is_valid_country(value[:2]):
        return False
    return int(_letters_to_digits(value[4:] + value[:4])) % 97 == 1
