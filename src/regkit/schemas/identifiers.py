"""Identifier algorithms: check digits, code lists, formats and the RTS 22 client identifier.

Every ``is_valid_*`` function takes a string and answers ``True`` or ``False``; it never
raises. Code lists come from maintained packages (pycountry for ISO 3166-1, iso4217 for
ISO 4217, iso10383 for ISO 10383) or, where no package exists, from JSON files in
``regkit/schemas/data`` that cite their source (ISO 10962 CFI groups, RTS 22 Annex II).
The validators are cached, because a day of trades repeats the same few hundred LEIs,
currencies and MICs.

:func:`national_client_id` and :func:`concat_code` build the identifier of a natural person
in a MiFIR transaction report (RTS 22 Art. 6 and Annex II). They raise
:class:`~regkit.errors.IdentifierError` when no identifier can be derived: a report with a
guessed client identifier is worse than no report.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from functools import cache, lru_cache, wraps
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal, NamedTuple, NotRequired, Protocol, TypedDict

import iso4217
import iso10383
import pycountry

from regkit.errors import IdentifierError

__all__ = [
    "CFI_TERMS",
    "EEA_COUNTRIES",
    "FULL_NAME_MAX",
    "CommodityClass",
    "InstrumentLike",
    "PersonLike",
    "cfi_pattern",
    "cfi_problem",
    "commodity_classification",
    "commodity_problem",
    "concat_code",
    "country_codes",
    "currency_codes",
    "currency_minor_units",
    "derive_cfi",
    "derive_full_name",
    "describe_cfi",
    "full_name_underlying",
    "generate_uti",
    "iban_check_digits",
    "is_eea_regulated_market",
    "is_valid_cfi",
    "is_valid_country",
    "is_valid_currency",
    "is_valid_iban",
    "is_valid_isin",
    "is_valid_lei",
    "is_valid_mic",
    "is_valid_upi",
    "is_valid_uti",
    "isin_check_digit",
    "lei_check_digits",
    "luhn_check_digit",
    "mic_category",
    "mic_codes",
    "mic_country",
    "mic_table",
    "national_client_id",
    "sector_problem",
    "transaction_reference",
    "upi_pattern",
    "uti_pattern",
]

_LEI_RE = re.compile(r"[0-9A-Z]{18}[0-9]{2}")
_ISIN_RE = re.compile(r"[A-Z]{2}[0-9A-Z]{9}[0-9]")
_MIC_RE = re.compile(r"[0-9A-Z]{4}")
_CFI_RE = re.compile(r"[A-Z]{6}")
_UTI_RE = re.compile(r"[0-9A-Z]{21,52}")
_IBAN_RE = re.compile(r"[A-Z]{2}[0-9]{2}[0-9A-Z]{11,30}")
_UPI_RE = re.compile(r"QZ[0-9A-Z]{10}")

#: MICs that RTS 22 accepts in the venue field although they name no market.
SPECIAL_MICS = frozenset({"XOFF", "XXXX"})

#: ISIN prefixes that are not ISO 3166-1 countries: XS (international, Euroclear and
#: Clearstream), EU (European Union issuers), EZ (OTC derivatives, from the ANNA Derivatives
#: Service Bureau), XA/XB/XC/XD (CUSIP Global Services), QS, QT.
_ISIN_EXTRA_PREFIXES = frozenset({"XS", "EU", "EZ", "XA", "XB", "XC", "XD", "QS", "QT"})


def _str_check(check: Callable[[str], bool]) -> Callable[[str], bool]:
    """Cache a string check, and answer ``False`` (not ``TypeError``) for a non-string."""
    cached = lru_cache(maxsize=65536)(check)

    @wraps(check)
    def checked(value: str) -> bool:
        return isinstance(value, str) and cached(value)

    return checked


@cache
def _data(name: str) -> Any:
    """A JSON file of ``regkit/schemas/data``, read once."""
    text = (resources.files("regkit.schemas") / "data" / name).read_text(encoding="utf-8")
    return json.loads(text)


def _letters_to_digits(text: str) -> str:
    """Replace A..Z by 10..35 (ISO 7064, ISO 6166 and ISO 13616 all do this)."""
    return "".join(str(int(ch, 36)) for ch in text)


def _mod97(text: str) -> int:
    """ISO 7064 MOD 97-10 remainder of ``text`` with its letters as numbers (LEI, IBAN)."""
    return int(_letters_to_digits(text)) % 97


def _mod97_check_digits(text: str) -> str:
    """The two MOD 97-10 check digits that, appended to ``text``, leave a remainder of 1."""
    return f"{98 - _mod97(text + '00'):02d}"


def _luhn_total(digits: str, *, with_check: bool) -> int:
    """The Luhn sum of ``digits``: from the right, every second digit doubled (its digits
    added), starting with the last one unless ``digits`` ends with its check digit."""
    first_doubled = 1 if with_check else 0
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = int(char)
        if index % 2 == first_doubled:
            number *= 2
            if number > 9:
                number -= 9
        total += number
    return total


def luhn_check_digit(digits: str) -> int:
    """The Luhn check digit that completes a string of decimal digits.

    Examples:
        >>> luhn_check_digit("811218987")
        6
    """
    return (10 - _luhn_total(digits, with_check=False) % 10) % 10


@_str_check
def is_valid_lei(value: str) -> bool:
    """ISO 17442 LEI: 18 upper-case letters or digits, then 2 digits with MOD 97-10 = 1.

    Examples:
        >>> is_valid_lei("5493001KJTIIGC8Y1R12")
        True
        >>> is_valid_lei("5493001KJTIIGC8Y1R13")
        False
    """
    return bool(_LEI_RE.fullmatch(value)) and _mod97(value) == 1


def lei_check_digits(prefix: str) -> str:
    """The two ISO 7064 MOD 97-10 check digits that complete an 18-character LEI prefix.

    Examples:
        >>> lei_check_digits("5493001KJTIIGC8Y1R")
        '12'
    """
    if not isinstance(prefix, str) or not re.fullmatch(r"[0-9A-Z]{18}", prefix):
        raise ValueError(f"an LEI prefix is 18 upper-case letters or digits, got {prefix!r}")
    return _mod97_check_digits(prefix)


@_str_check
def is_valid_isin(value: str) -> bool:
    """ISO 6166 ISIN: a country prefix, 9 letters or digits and a Luhn check digit.

    Examples:
        >>> is_valid_isin("US0378331005")
        True
        >>> is_valid_isin("US0378331006")
        False
    """
    if not _ISIN_RE.fullmatch(value):
        return False
    if not (is_valid_country(value[:2]) or value[:2] in _ISIN_EXTRA_PREFIXES):
        return False
    return _luhn_total(_letters_to_digits(value), with_check=True) % 10 == 0


def isin_check_digit(body: str) -> str:
    """The ISO 6166 check digit of an 11-character ISIN body (country and 9 characters).

    Examples:
        >>> isin_check_digit("US037833100")
        '5'
    """
    return str(luhn_check_digit(_letters_to_digits(body.upper())))


@_str_check
def is_valid_country(value: str) -> bool:
    """ISO 3166-1 alpha-2 country code (current codes, upper case).

    Examples:
        >>> is_valid_country("DE"), is_valid_country("de"), is_valid_country("UK")
        (True, False, False)
    """
    return value in country_codes()


@_str_check
def is_valid_currency(value: str) -> bool:
    """ISO 4217 alphabetic currency code (upper case).

    Examples:
        >>> is_valid_currency("EUR"), is_valid_currency("eur"), is_valid_currency("EUX")
        (True, False, False)
    """
    return value in currency_codes()


def currency_minor_units(code: str) -> int | None:
    """ISO 4217 minor units of a currency; ``None`` when it has none (gold, XXX).

    Examples:
        >>> currency_minor_units("EUR"), currency_minor_units("JPY"), currency_minor_units("XAU")
        (2, 0, None)
    """
    if not is_valid_currency(code):
        raise ValueError(f"not an ISO 4217 currency code: {code!r}")
    exponent = iso4217.Currency[code].exponent
    return None if exponent is None else int(exponent)


@_str_check
def is_valid_mic(value: str) -> bool:
    """ISO 10383 market identifier code from the registry; ``XOFF`` and ``XXXX`` accepted.

    Expired MICs stay valid: a trade executed on a venue before its MIC was retired keeps it.

    Examples:
        >>> is_valid_mic("XLON"), is_valid_mic("XOFF"), is_valid_mic("ZZZZ")
        (True, True, False)
    """
    return value in mic_codes()


@cache
def country_codes() -> frozenset[str]:
    """Every current ISO 3166-1 alpha-2 code, from pycountry."""
    return frozenset(country.alpha_2 for country in pycountry.countries)


@cache
def currency_codes() -> frozenset[str]:
    """Every ISO 4217 alphabetic currency code, from iso4217."""
    # iso4217 also lists each code in lower case, as an alias of the same member.
    members = iso4217.Currency.__members__
    return frozenset(code for code in members if len(code) == 3 and code.isupper())


@cache
def mic_codes() -> frozenset[str]:
    """Every ISO 10383 MIC in the registry (from iso10383), plus XOFF and XXXX."""
    registered = (name.upper() for name in iso10383.MIC.__members__)
    return frozenset(code for code in registered if _MIC_RE.fullmatch(code)) | SPECIAL_MICS


#: The countries of the European Economic Area: the EU's 27, Iceland, Liechtenstein, Norway.
EEA_COUNTRIES: frozenset[str] = frozenset(
    {
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
        "IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
    }
)  # fmt: skip


@cache
def mic_table(attribute: Literal["market_category_code", "iso_country_code"]) -> Mapping[str, str]:
    """Each ISO 10383 MIC's market category (``RMKT``, ``MLTF`` ...) or country code
    (``GB``), from the registry of the ``iso10383`` package."""
    table: dict[str, str] = {}
    for member in iso10383.MIC.__members__.values():
        entry = member.value
        code = getattr(entry, attribute)
        if code is not None:
            table[entry.mic.upper()] = str(code.name).upper()
    return MappingProxyType(table)


def mic_category(mic: str | None) -> str | None:
    """A MIC's ISO 10383 market category: ``RMKT`` a regulated market, ``MLTF`` an MTF,
    ``OTFS`` an OTF, ``NSPD`` not specified (as for XOFF and XXXX) ...; ``None`` for
    ``None`` and a MIC the registry lacks.

    Examples:
        >>> mic_category("XPAR"), mic_category("XOFF")
        ('RMKT', 'NSPD')
    """
    return None if mic is None else mic_table("market_category_code").get(mic)


def mic_country(mic: str | None) -> str | None:
    """A MIC's ISO 3166 country code; ``None`` as for :func:`mic_category`."""
    return None if mic is None else mic_table("iso_country_code").get(mic)


def is_eea_regulated_market(mic: str | None) -> bool:
    """Whether a MIC is an EEA regulated market (category RMKT, in an EEA country): a
    derivative traded there is exchange-traded, not OTC (EMIR Art. 2(7)).

    Examples:
        >>> is_eea_regulated_market("XPAR"), is_eea_regulated_market("XNAS")
        (True, False)
    """
    return mic_category(mic) == "RMKT" and mic_country(mic) in EEA_COUNTRIES


def uti_pattern() -> str:
    """The format of a UTI (:func:`is_valid_uti` adds the check digits of its LEI prefix)."""
    return f"^{_UTI_RE.pattern}$"


@cache
def cfi_pattern() -> str:
    """A regular expression that matches exactly the CFI codes :func:`is_valid_cfi` accepts."""
    groups = _cfi_groups()
    alternatives = "|".join(
        f"{category}[{''.join(sorted(letters))}]" for category, letters in sorted(groups.items())
    )
    return f"^(?:{alternatives})[A-Z]{{4}}$"


@cache
def _cfi_groups() -> dict[str, frozenset[str]]:
    categories = _data("cfi_groups.json")["categories"]
    return {letter: frozenset(entry["groups"]) for letter, entry in categories.items()}


@_str_check
def is_valid_cfi(value: str) -> bool:
    """ISO 10962:2019 CFI code: a category, a group of that category, 4 attribute letters.

    The category and group must be the standard's (table in ``data/cfi_groups.json``); the
    attribute letters depend on the group and are accepted as any A-Z (``X``: not
    applicable).

    Examples:
        >>> is_valid_cfi("JFTXCC")  # forward, foreign exchange, cash: an FX CFD
        True
        >>> is_valid_cfi("JZTXCC")  # forwards have no group Z
        False
    """
    return bool(_CFI_RE.fullmatch(value)) and value[1] in _cfi_groups().get(value[0], ())


def is_valid_uti(value: str) -> bool:
    """ISO 23897 UTI as EMIR REFIT wants it: a valid LEI, then 1-32 letters or digits.

    Upper-case letters and digits only, 52 characters at most.

    Examples:
        >>> is_valid_uti("5493001KJTIIGC8Y1R12" + "CFD20260101000001")
        True
        >>> is_valid_uti("5493001KJTIIGC8Y1R12")  # nothing after the LEI
        False
    """
    # Not cached: every UTI is unique; its LEI prefix repeats, and is_valid_lei is cached.
    return isinstance(value, str) and bool(_UTI_RE.fullmatch(value)) and is_valid_lei(value[:20])


def upi_pattern() -> str:
    """The format of a UPI, as :func:`is_valid_upi` checks it."""
    return f"^{_UPI_RE.pattern}$"


@_str_check
def is_valid_upi(value: str) -> bool:
    """ISO 4914 unique product identifier (UPI), as the ANNA DSB issues it: ``QZ`` and 10
    upper-case letters or digits, 12 characters in all (EMIR REFIT field 2.8).

    Only the format is checked. ESMA's EMIR-VR-2008-04 says the code ends in a check
    character, but the algorithm is set by ISO 4914 and the DSB's UPI specification, which
    are not public; regkit has no source to verify it against, so it does not guess one.
    Whether a UPI exists is referential (the DSB's database), which no format check can
    answer: a UPI is issued, never derived.

    Examples:
        >>> is_valid_upi("QZ4DF6TN8RC2")
        True
        >>> is_valid_upi("EZ4DF6TN8RC2")  # an ISIN prefix of the DSB, not a UPI
        False
        >>> is_valid_upi("QZ4DF6TN8RC")  # 11 characters
        False
    """
    return bool(_UPI_RE.fullmatch(value))


@_str_check
def is_valid_iban(value: str) -> bool:
    """ISO 13616 IBAN without spaces: country, 2 check digits, BBAN, MOD 97-10 = 1.

    The BBAN length of each country is not checked, only the overall 15-34 characters.

    Examples:
        >>> is_valid_iban("DE89370400440532013000")
        True
        >>> is_valid_iban("DE89370400440532013001")
        False
    """
    if not _IBAN_RE.fullmatch(value) or not is_valid_country(value[:2]):
        return False
    return _mod97(value[4:] + value[:4]) == 1


def iban_check_digits(country: str, bban: str) -> str:
    """The two ISO 13616 (MOD 97-10) check digits of an IBAN.

    Examples:
        >>> iban_check_digits("DE", "370400440532013000")
        '89'
    """
    return _mod97_check_digits(bban.upper() + country.upper())


# --- CONCAT (RTS 22 Art. 6(4)-(5); ESMA Guidelines on transaction reporting, ESMA/2016/1452,
# section 5 "Identifiers for natural persons"). Titles and prefixes are ESMA's lists as
# ESMA spells them; they are matched after the same folding as the names.

_CONCAT_TITLES = (
    "atty", "coach", "dame", "dr", "fr", "gov", "honorable", "madam", "madame", "maid",
    "master", "miss", "monsieur", "mr", "mrs", "ms", "mx", "ofc", "ph.d", "pres", "prof",
    "rev", "sir",
)  # fmt: skip
_CONCAT_SURNAME_PREFIXES = (
    "am", "auf", "auf dem", "aus der", "d", "da", "de", "de l'", "del", "de la", "de le",
    "di", "do", "dos", "du", "im", "la", "le", "mac", "mc", "mhac", "mhíc", "mhic giolla",
    "mic", "ni", "ní", "níc", "o", "ó", "ua", "ui", "uí", "van", "van de", "van den",
    "van der", "vom", "von", "von dem", "von den", "von der",
)  # fmt: skip

#: Letters NFKD does not reduce to A-Z, and what CONCAT writes for them. ESMA fixes
#: Æ→A, Ø→O, Œ→O, ß→S, Þ→T (a general transliterator would write AE, OE, SS, TH); the
#: others have no ESMA rule and take the letter they are drawn from (Ð, Đ→D; Ł→L; Ħ→H;
#: ı→I; ĸ→K; Ŋ→N; Ŧ→T). Apostrophe look-alikes become "'" so that "de l’" matches.
_CONCAT_FOLD = str.maketrans(
    {
        **dict.fromkeys("Ææ", "A"), **dict.fromkeys("ØøŒœ", "O"), **dict.fromkeys("ßẞ", "S"),
        **dict.fromkeys("Þþ", "T"), **dict.fromkeys("ÐðĐđ", "D"), **dict.fromkeys("Łł", "L"),
        **dict.fromkeys("Ħħ", "H"), "ı": "I", "ĸ": "K", **dict.fromkeys("Ŋŋ", "N"),
        **dict.fromkeys("Ŧŧ", "T"), **dict.fromkeys("’‘ʼ`´′", "'"),
    }
)  # fmt: skip


def _fold(text: str) -> str:
    """Upper-case A-Z letters: diacritics dropped (NFKD), ESMA's exceptions applied.

    The table runs before NFKD (which would split ´ into a space and an accent) and after it
    (which exposes Ø in Ǿ and ʼ in ŉ).
    """
    decomposed = unicodedata.normalize("NFKD", text.translate(_CONCAT_FOLD))
    return (
        "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        .translate(_CONCAT_FOLD)
        .upper()
    )


_TITLES = frozenset(_fold(title).replace(".", "") for title in _CONCAT_TITLES)
#: Longest first, so that "van der" wins over "van".
_PREFIXES = tuple(
    sorted({_fold(prefix) for prefix in _CONCAT_SURNAME_PREFIXES}, key=lambda p: (-len(p), p))
)


def _drop_titles(words: list[str], *, keep_last: bool) -> list[str]:
    """Remove leading titles ("Prof. Dr."); with ``keep_last`` never the last word.

    A surname that is only a title word ("Master", "Dame") is the surname; a first name that
    is only titles ("Mr.") is no first name.
    """
    keep = 1 if keep_last else 0
    while len(words) > keep and words[0].replace(".", "").replace(",", "") in _TITLES:
        words = words[1:]
    return words


def _drop_prefix(surname: str) -> str:
    """Remove the longest listed prefix that stands as whole leading words.

    "Van der Rohe" loses "VAN DER"; "Vandenberg", "O'Brian" and "MacDonald" keep theirs
    (attached); "de l'Isle" loses "DE L'", whose apostrophe joins it to the name; a prefix
    that is the whole surname ("Van") is the surname. One prefix is removed, not a chain.
    """
    if surname in _PREFIXES:
        return surname
    for prefix in _PREFIXES:
        if surname.startswith(prefix if prefix.endswith("'") else prefix + " "):
            return surname[len(prefix) :].lstrip()
    return surname


def _concat_part(words: list[str], what: str, given: str) -> str:
    """Join the words, drop punctuation and spaces, take 5 characters, pad with '#'."""
    text = "".join(
        ch for ch in "".join(words) if not (ch.isspace() or unicodedata.category(ch)[0] == "P")
    )
    foreign = sorted({ch for ch in text if not "A" <= ch <= "Z"})
    if foreign:
        raise IdentifierError(
            f"CONCAT: {what} {given!r} has characters with no A-Z spelling "
            f"({''.join(foreign)!r}); give the name in Latin script"
        )
    if not text:
        raise IdentifierError(
            f"CONCAT: {what} {given!r} is empty once titles, prefixes and punctuation are removed"
        )
    return text[:5].ljust(5, "#")


def concat_code(country: str, date_of_birth: date | None, first_name: str, surname: str) -> str:
    """The CONCAT identifier of RTS 22 Art. 6(4): country, YYYYMMDD, 5 + 5 name characters.

    Following ESMA/2016/1452 section 5: only the first first name counts (a hyphenated name
    is one name); leading titles (MR, DR, PROF, SIR ...) are removed, and so is a surname
    prefix (van der, de l', mhic giolla ...) that stands as whole leading words; apostrophes,
    hyphens, commas, full stops and spaces go; diacritics are dropped, with Æ→A, Ø→O, Œ→O,
    ß→S, Þ→T; a part shorter than 5 characters is padded with ``#``.

    Args:
        country: the nationality, ISO 3166-1 alpha-2 (case and spaces are forgiven).
        date_of_birth: the date of birth.
        first_name: the first name(s) as on the identity document.
        surname: the surname(s) as on the identity document.

    Returns:
        20 characters: 2 letters, 8 digits, 10 of A-Z and ``#``.

    Raises:
        IdentifierError: the country is not ISO 3166-1, the date of birth is missing, or a
            name part is empty (or not Latin script) once cleaned.

    Examples:
        >>> concat_code("IE", date(1980, 1, 13), "John", "O'Brian")
        'IE19800113JOHN#OBRIA'
        >>> concat_code("HU", date(1981, 2, 14), "Ludwig", "Van der Rohe")
        'HU19810214LUDWIROHE#'
    """
    code = country.strip().upper() if isinstance(country, str) else ""
    if not is_valid_country(code):
        raise IdentifierError(
            f"CONCAT: the nationality must be an ISO 3166-1 alpha-2 code, got {country!r}"
        )
    if date_of_birth is None:
        raise IdentifierError("CONCAT: the date of birth is missing; CONCAT starts with it")
    born = f"{date_of_birth.year:04d}{date_of_birth.month:02d}{date_of_birth.day:02d}"
    first = _drop_titles(_fold(first_name).split(), keep_last=False)[:1]
    last = _drop_prefix(" ".join(_drop_titles(_fold(surname).split(), keep_last=True)))
    return (
        code
        + born
        + _concat_part(first, "first name", first_name)
        + _concat_part([last], "surname", surname)
    )


# --- National client identifier (RTS 22 Art. 6 and Annex II). Everything per country is in
# data/annex2_national_client_ids.json; the code below only walks it.


class PersonLike(Protocol):
    """What :func:`national_client_id` reads from a person (``NaturalPerson`` fits)."""

    @property
    def first_name(self) -> str:
        """First name(s) as on the identity document."""

    @property
    def surname(self) -> str:
        """Surname(s) as on the identity document."""

    @property
    def date_of_birth(self) -> date | None:
        """Date of birth, needed for CONCAT."""

    @property
    def nationalities(self) -> Sequence[str]:
        """Every nationality, ISO 3166-1 alpha-2."""

    @property
    def national_ids(self) -> Mapping[str, str]:
        """Identifier values, without country prefix, by Annex II key or by NIDN / CCPT."""


class _Priority(TypedDict):
    key: str
    scheme: Literal["NIDN", "CCPT", "CONCAT"]
    name: str
    format: str
    format_source: str
    note: NotRequired[str]


@cache
def _pattern(regex: str) -> re.Pattern[str]:
    return re.compile(regex)


def _fit(value: str, country: str, priority: _Priority) -> str | None:
    """The value as reported (no country prefix) if it has the priority's format, else None.

    A value that starts with the country code and has the format without it is taken to
    carry the prefix already ("PL85062412345" for a PESEL), and the prefix is dropped.
    """
    pattern = _pattern(priority["format"])
    if value.startswith(country) and pattern.fullmatch(value[2:]):
        return value[2:]
    return value if pattern.fullmatch(value) else None


def _label(priority: _Priority) -> str:
    if priority["scheme"] == "CONCAT":
        return "CONCAT"
    return f"{priority['name']} (key {priority['key']} or {priority['scheme']})"


def national_client_id(person: PersonLike, regime: Literal["EU", "UK"] = "EU") -> tuple[str, str]:
    """The RTS 22 identifier of a natural person: ``(scheme, country code + identifier)``.

    The nationality is the first EEA one in alphabetical order of code, or, for a person
    with none, the first nationality and Annex II's "all other countries" row (passport,
    then CONCAT). That country's Annex II priorities are walked in order and the first
    identifier the person has is used. Under ``regime="UK"`` the FCA's version of Annex II
    applies, which lists GB (National Insurance number, then CONCAT); under ``"EU"`` GB is a
    third country.

    ``person.national_ids`` holds values without the country prefix (spaces and case are
    forgiven), under an Annex II key (``PESEL``, ``NINO``, ``CODICE_FISCALE`` ...; see
    ``data/annex2_national_client_ids.json``) or a generic scheme (``NIDN``, ``CCPT``), which
    fills the first priority of that scheme whose format it has. The values are taken to be
    the chosen nationality's documents (``national_ids`` does not say who issued them).
    CONCAT is derived from the name and date of birth.

    Args:
        person: any object with ``first_name``, ``surname``, ``date_of_birth``,
            ``nationalities`` and ``national_ids``.
        regime: ``"EU"`` (Delegated Regulation (EU) 2017/590) or ``"UK"`` (FCA Handbook).

    Returns:
        The scheme (``NIDN``, ``CCPT`` or ``CONCAT``) and the identifier for RTS 22 field
        7 or 16, e.g. ``("NIDN", "PL85062412345")``.

    Raises:
        IdentifierError: no usable nationality; a value under an Annex II key (or a generic
            value) without the expected format; nothing the country accepts is available.
        ValueError: ``regime`` is neither ``"EU"`` nor ``"UK"``.

    Examples:
        >>> from types import SimpleNamespace
        >>> person = SimpleNamespace(first_name="Jean", surname="Cocteau",
        ...     date_of_birth=date(1968, 3, 12), nationalities=["FR", "US"], national_ids={})
        >>> national_client_id(person)
        ('CONCAT', 'FR19680312JEAN#COCTE')
        >>> person.nationalities, person.national_ids = ["US"], {"CCPT": "123456789"}
        >>> national_client_id(person)
        ('CCPT', 'US123456789')
    """
    table = _data("annex2_national_client_ids.json")
    if regime not in table["regimes"]:
        raise ValueError(f"regime must be 'EU' or 'UK', got {regime!r}")
    nationalities = sorted({code.strip().upper() for code in person.nationalities})
    if not nationalities:
        raise IdentifierError("national client id: the person has no nationality")
    for code in nationalities:
        if not is_valid_country(code):
            raise IdentifierError(
                f"national client id: nationality {code!r} is not an ISO 3166-1 alpha-2 code"
            )
    listed = [code for code in nationalities if code in table["regimes"][regime]["listed"]]
    country = (listed or nationalities)[0]
    row = table["countries"][country] if listed else table["all_other_countries"]
    return _walk(person, country, row["priorities"], regime)


def _walk(
    person: PersonLike, country: str, priorities: list[_Priority], regime: str
) -> tuple[str, str]:
    """Use the first of the country's Annex II priorities the person has."""
    ids = {
        key.strip().upper(): "".join(value.split()).upper()
        for key, value in person.national_ids.items()
    }
    # A generic value that fits none of the country's identifiers of its scheme is a typo;
    # skipping it would silently report a lower priority than the person has.
    for scheme in ("NIDN", "CCPT"):
        options = [p for p in priorities if p["scheme"] == scheme]
        if (
            scheme in ids
            and options
            and all(_fit(ids[scheme], country, p) is None for p in options)
        ):
            expected = " or ".join(f"{p['name']} /{p['format']}/" for p in options)
            raise IdentifierError(
                f"national client id ({regime}): {scheme} {ids[scheme]!r} (nationality "
                f"{country}) matches no {country} identifier; expected {expected}"
            )
    for priority in priorities:
        if priority["scheme"] == "CONCAT":
            if person.date_of_birth is not None:
                code = concat_code(country, person.date_of_birth, person.first_name, person.surname)
                return "CONCAT", code
            continue
        if priority["key"] in ids:
            value = _fit(ids[priority["key"]], country, priority)
            if value is None:
                raise IdentifierError(
                    f"national client id ({regime}): {priority['key']} "
                    f"{ids[priority['key']]!r} is not a {country} {priority['name']}; "
                    f"expected format /{priority['format']}/"
                )
            return priority["scheme"], country + value
        generic = ids.get(priority["scheme"])
        if generic is not None and (value := _fit(generic, country, priority)) is not None:
            return priority["scheme"], country + value
    accepted = ", then ".join(_label(p) for p in priorities)
    missing_birth = person.date_of_birth is None and any(
        p["scheme"] == "CONCAT" for p in priorities
    )
    raise IdentifierError(
        f"national client id ({regime}): no identifier for nationality {country}; Annex II "
        f"accepts {accepted}"
        + ("; CONCAT needs the date of birth, which is missing" if missing_birth else "")
    )


_TRN = re.compile(r"[A-Z0-9]{1,52}")
_NOT_ALNUM = re.compile(r"[^A-Z0-9]")


class _Traded(Protocol):
    @property
    def trade_id(self) -> str: ...


def transaction_reference(trade: _Traded | str) -> str:
    """The transaction reference number (RTS 22 field 2) of a trade: upper-case letters and
    digits, at most 52, unique per trade and the same on every run.

    A trade id that is already such a reference is used as it is; any other is cleaned to
    its first 40 upper-case letters and digits and given 12 characters of the SHA-256 of the
    id (base32), so that ids that clean to the same text stay apart.

    Examples:
        >>> transaction_reference("T20261120000123")
        'T20261120000123'
        >>> transaction_reference("t-1")
        'T1I3U3YNDWZEXK'
    """
    trade_id = trade if isinstance(trade, str) else trade.trade_id
    if _TRN.fullmatch(trade_id):
        return trade_id
    cleaned = _NOT_ALNUM.sub("", trade_id.upper())[:40]
    digest = base64.b32encode(hashlib.sha256(trade_id.encode()).digest()).decode()
    return cleaned + digest[:12]


_UTI_CODE = re.compile(r"[A-Z0-9]{1,32}")


def generate_uti(lei: str, trade_id: str) -> str:
    """An ISO 23897 UTI for a trade that has none: the generating entity's LEI and a code
    unique to the trade, upper-case letters and digits, 52 characters at most in all.

    The code is the trade id itself when it is already 1-32 upper-case letters and digits;
    any other id is cleaned to its first 20 upper-case letters and digits and given 12
    characters of the SHA-256 of the id (base32), so that ids that clean to the same text
    stay apart. The same LEI and trade id give the same UTI on every run, so a later report
    (a valuation, a termination) names the derivative that its first report created.

    Args:
        lei: the LEI of the entity that generates the UTI (the reporting firm).
        trade_id: the trade's unique id.

    Returns:
        The UTI (it passes :func:`is_valid_uti`).

    Raises:
        IdentifierError: ``lei`` is not a valid LEI, or ``trade_id`` is empty.

    Examples:
        >>> generate_uti("5493001KJTIIGC8Y1R12", "T20261120000123")
        '5493001KJTIIGC8Y1R12T20261120000123'
        >>> generate_uti("5493001KJTIIGC8Y1R12", "t-1")
        '5493001KJTIIGC8Y1R12T1I3U3YNDWZEXK'
    """
    if not is_valid_lei(lei):
        raise IdentifierError(f"UTI: {lei!r} is not an ISO 17442 LEI (20 characters, MOD 97-10)")
    if not trade_id:
        raise IdentifierError("UTI: the trade id is empty")
    if _UTI_CODE.fullmatch(trade_id):
        return lei + trade_id
    cleaned = _NOT_ALNUM.sub("", trade_id.upper())[:20]
    digest = base64.b32encode(hashlib.sha256(trade_id.encode()).digest()).decode()
    return lei + cleaned + digest[:12]


# --- EMIR REFIT code lists (Delegated Regulation (EU) 2022/1855, Annex; ESMA74-362-2683) ---

#: REFIT 1.6 / 1.12, taxonomy for financial counterparties (nature ``F``): investment firm,
#: credit institution, (re)insurance undertaking, UCITS, IORP, AIF, central securities
#: depository (EMIR-VR-1006-01, EMIR-VR-1012-01).
FINANCIAL_SECTORS = frozenset({"INVF", "CDTI", "INUN", "UCIT", "ORPI", "AIFD", "CSDS"})

#: REFIT 1.6 / 1.12, taxonomy for non-financial counterparties (nature ``N``): the sections
#: A to U of NACE Rev. 2 (Regulation (EC) No 1893/2006) (EMIR-VR-1006-02, EMIR-VR-1012-02).
NACE_SECTIONS = frozenset("ABCDEFGHIJKLMNOPQRSTU")

#: REFIT 2.34 master agreement types (EMIR-VR-2034-01): ISDA, FIA-ISDA cleared derivatives
#: execution agreement, European master agreement, FOA professional client agreement, FBF,
#: German DRV, Spanish CMOF, Swiss, Islamic (IIFM), EFET, GMRA, GMSLA, a bilateral
#: agreement, or OTHR.
MASTER_AGREEMENT_TYPES = frozenset(
    {
        "ISDA", "CDEA", "EUMA", "FPCA", "FMAT", "DERV", "CMOP",
        "CHMA", "IDMA", "EFMA", "GMRA", "GMSL", "BIAG", "OTHR",
    }
)  # fmt: skip

#: REFIT 2.138: codes ESMA refuses as a strike price currency (EMIR-VR-2138-03): precious
#: metals, bond market units, special drawing rights and "no currency".
STRIKE_CURRENCY_REFUSED = frozenset(
    {"XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XEU", "XFU", "XPD", "XPT", "XXX"}
)

_OTHR = frozenset({"OTHR"})


def _further(*codes: str) -> frozenset[str]:
    return frozenset(codes) | _OTHR


#: REFIT 2.116-2.118, the commodity classification (Table 4 of the Annex of Delegated
#: Regulation (EU) 2022/1855, as EMIR-VR-2116-01, EMIR-VR-2117-01..10 and
#: EMIR-VR-2118-01..13 list it): base product → sub-product → the further sub-products
#: that sub-product requires (empty: it takes none). A base product with no entry here
#: takes no sub-product.
COMMODITY_CLASSIFICATION: dict[str, dict[str, frozenset[str]]] = {
    "AGRI": {
        "GROS": _further("FWHT", "SOYB", "CORN", "RPSD", "RICE"),
        "SOFT": _further("CCOA", "ROBU", "WHSG", "BRWN"),
        "POTA": frozenset(), "OOLI": _further("LAMP"), "DIRY": frozenset(),
        "FRST": frozenset(), "SEAF": frozenset(), "LSTK": frozenset(),
        "GRIN": _further("MWHT"), "OTHR": frozenset(),
    },
    "NRGY": {
        "ELEC": _further("BSLD", "FITR", "PKLD", "OFFP"),
        "NGAS": _further("GASP", "LNGG", "NBPG", "NCGG", "TTFG"),
        "OILP": _further(
            "BAKK", "BDSL", "BRNT", "BRNX", "CNDA", "COND", "DSEL", "DUBA", "ESPO", "ETHA",
            "FUEL", "FOIL", "GOIL", "GSLN", "HEAT", "JTFL", "KERO", "LLSO", "MARS", "NAPH",
            "NGLO", "TAPI", "URAL", "WTIO",
        ),
        "COAL": frozenset(), "INRG": frozenset(), "RNNG": frozenset(), "LGHT": frozenset(),
        "DIST": frozenset(), "OTHR": frozenset(),
    },
    "ENVR": {
        "EMIS": _further("CERE", "ERUE", "EUAE", "EUAA"),
        "WTHR": frozenset(), "CRBR": frozenset(), "OTHR": frozenset(),
    },
    "FRGT": {
        "WETF": _further("TNKR"), "DRYF": _further("DBCR"), "CSHP": frozenset(),
        "OTHR": frozenset(),
    },
    "FRTL": {
        code: frozenset() for code in ("AMMO", "DAPH", "PTSH", "SLPH", "UREA", "UAAN", "OTHR")
    },
    "INDP": {"CSTR": frozenset(), "MFTG": frozenset()},
    "METL": {
        "NPRM": _further(
            "ALUM", "ALUA", "CBLT", "COPR", "IRON", "LEAD", "MOLY", "NASC", "NICK", "STEL",
            "TINN", "ZINC",
        ),
        "PRME": _further("GOLD", "SLVR", "PTNM", "PLDM"),
    },
    "PAPR": {code: frozenset() for code in ("CBRD", "NSPT", "PULP", "RCVP", "OTHR")},
    "POLY": {"PLST": frozenset(), "OTHR": frozenset()},
    "MCEX": {}, "INFL": {}, "OEST": {}, "OTHC": {}, "OTHR": {},
}  # fmt: skip


class CommodityClass(NamedTuple):
    """A commodity classification: REFIT 2.116 base product, 2.117 sub-product and 2.118
    further sub-product (``None`` where the classification takes none)."""

    base_product: str
    sub_product: str | None = None
    further_sub_product: str | None = None

    def __str__(self) -> str:
        return "/".join(code for code in self if code is not None)


_GOLD = CommodityClass("METL", "PRME", "GOLD")
#: Symbols whose commodity is unambiguous, by the start of the symbol (letters and digits
#: only, upper case): precious metals by their ISO 4217 codes and names, crude oil by its
#: benchmark, natural gas. A US natural gas CFD tracks Henry Hub, which REFIT's list of gas
#: hubs does not name: OTHR.
_SYMBOL_CLASSES: tuple[tuple[tuple[str, ...], CommodityClass], ...] = (
    (("XAU", "GOLD"), _GOLD),
    (("XAG", "SILVER"), CommodityClass("METL", "PRME", "SLVR")),
    (("XPT", "PLATINUM"), CommodityClass("METL", "PRME", "PTNM")),
    (("XPD", "PALLADIUM"), CommodityClass("METL", "PRME", "PLDM")),
    (("WTI", "USOIL", "USCRUDE"), CommodityClass("NRGY", "OILP", "WTIO")),
    (("BRENT", "UKOIL", "UKBRENT"), CommodityClass("NRGY", "OILP", "BRNT")),
    (("NATGAS", "NGAS", "XNG", "USNATGAS"), CommodityClass("NRGY", "NGAS", "OTHR")),
)
_NOT_COMMODITY = frozenset({"fx_major", "fx_minor", "index_major", "index_minor", "equity", "bond"})


def commodity_classification(underlying_class: str, symbol: str) -> CommodityClass | None:
    """The commodity classification (REFIT 2.116-2.118) of an instrument, where its
    underlying class and symbol make it unambiguous; ``None`` elsewhere.

    Gold (``underlying_class`` gold) is METL/PRME/GOLD whatever its symbol; a commodity is
    classified by the start of its symbol: silver (XAG), platinum (XPT), palladium (XPD),
    WTI and Brent crude oil, natural gas.

    Examples:
        >>> str(commodity_classification("gold", "XAUUSD"))
        'METL/PRME/GOLD'
        >>> str(commodity_classification("commodity", "UKOIL"))
        'NRGY/OILP/BRNT'
        >>> commodity_classification("commodity", "COCOA") is None  # say it on the instrument
        True
    """
    if underlying_class == "gold":
        return _GOLD
    if underlying_class != "commodity" or not isinstance(symbol, str):
        return None
    letters = _NOT_ALNUM.sub("", symbol.upper())
    for starts, found in _SYMBOL_CLASSES:
        if letters.startswith(starts):
            return found
    return None


def commodity_problem(
    underlying_class: str,
    symbol: str,
    base_product: str | None,
    sub_product: str | None,
    further_sub_product: str | None,
) -> str | None:
    """What is wrong with an instrument's commodity classification, or ``None``.

    The codes given must form one path of :data:`COMMODITY_CLASSIFICATION` (EMIR-VR-2117
    and EMIR-VR-2118: each level takes exactly the codes its parent allows, and requires
    one where its parent has any), together with what :func:`commodity_classification`
    derives, which a given code must not contradict. Only commodity underlyings (gold,
    commodity, crypto, other) are classified.

    Examples:
        >>> commodity_problem("gold", "XAUUSD", "METL", None, None) is None
        True
        >>> commodity_problem("gold", "XAUUSD", "METL", "PRME", "SLVR")
        'commodity classification METL/PRME/SLVR contradicts METL/PRME/GOLD, derived from gold XAUUSD'
    """  # noqa: E501
    given = (base_product, sub_product, further_sub_product)
    if all(code is None for code in given):
        return None
    codes = "/".join(code or "-" for code in given)
    if underlying_class in _NOT_COMMODITY:
        return (
            f"commodity classification {codes}: REFIT 2.116-2.118 classify commodities, "
            f"not a {underlying_class} underlying"
        )
    derived = commodity_classification(underlying_class, symbol)
    if derived is not None:
        if any(code is not None and code != own for code, own in zip(given, derived, strict=True)):
            return (
                f"commodity classification {codes} contradicts {derived}, derived from "
                f"{underlying_class} {symbol}"
            )
        return None
    return _classification_path(base_product, sub_product, further_sub_product, codes)


def _classification_path(
    base: str | None, sub: str | None, further: str | None, codes: str
) -> str | None:
    head = f"commodity classification {codes}"
    if base is None:
        return f"{head}: a sub-product needs its base product (REFIT 2.116)"
    subs = COMMODITY_CLASSIFICATION.get(base)
    if subs is None:
        return f"{head}: {base} is not a base product (EMIR-VR-2116-01)"
    if sub is None:
        if subs:
            return f"{head}: base product {base} needs a sub-product: {_listed(subs)}"
        return None if further is None else f"{head}: a further sub-product needs a sub-product"
    if sub not in subs:
        allowed = _listed(subs) if subs else "none"
        return f"{head}: {sub} is not a sub-product of {base} ({allowed}; EMIR-VR-2117)"
    furthers = subs[sub]
    if further is None:
        if furthers:
            return f"{head}: sub-product {sub} needs a further sub-product: {_listed(furthers)}"
        return None
    if further not in furthers:
        allowed = _listed(furthers) if furthers else "none"
        return f"{head}: {further} is not a further sub-product of {sub} ({allowed}; EMIR-VR-2118)"
    return None


def _listed(codes: Iterable[str]) -> str:
    return ", ".join(sorted(codes))


def sector_problem(
    nature: str | None, sector: str | None, above_clearing_threshold: bool | None
) -> str | None:
    """What is wrong with a counterparty's nature, corporate sector and clearing threshold
    together (REFIT 1.5-1.7 and 1.11-1.13), or ``None``.

    A financial counterparty (``F``) takes a financial sector code (:data:`FINANCIAL_SECTORS`,
    EMIR-VR-1012-01), a non-financial one (``N``) a NACE section letter (EMIR-VR-1012-02); a
    central counterparty (``C``) or another entity (``O``) takes no sector and no clearing
    threshold (EMIR-VR-1012-03, EMIR-VR-1013-02). A sector without a nature cannot be
    checked, and is refused.

    Examples:
        >>> sector_problem("F", "INVF", True) is None
        True
        >>> sector_problem("N", "INVF", None)
        'sector INVF does not fit nature N: a non-financial counterparty takes a NACE section letter A-U (EMIR-VR-1012-02)'
    """  # noqa: E501
    if nature is None:
        return None if sector is None else f"sector {sector} needs the nature (F or N) it is of"
    if nature in ("C", "O"):
        given = [
            name
            for name, value in (
                ("sector", sector),
                ("above_clearing_threshold", above_clearing_threshold),
            )
            if value is not None
        ]
        if given:
            return (
                f"{' and '.join(given)}: a counterparty of nature {nature} has none "
                "(EMIR-VR-1012-03, EMIR-VR-1013-02)"
            )
        return None
    if sector is None:
        return None
    if nature == "F" and sector not in FINANCIAL_SECTORS:
        return (
            f"sector {sector} does not fit nature F: a financial counterparty takes one of "
            f"{_listed(FINANCIAL_SECTORS)} (EMIR-VR-1012-01)"
        )
    if nature == "N" and sector not in NACE_SECTIONS:
        return (
            f"sector {sector} does not fit nature N: a non-financial counterparty takes a "
            "NACE section letter A-U (EMIR-VR-1012-02)"
        )
    return None


# --- Derived CFI and full name (ISO 10962:2019; RTS 22 Annex I table 2 fields 42-43) -------
# The letters and what each is derived from are package data (data/cfi_attributes.json);
# the code below only reads that table.


class InstrumentLike(Protocol):
    """What :func:`derive_cfi` and :func:`derive_full_name` read from an instrument
    (:class:`~regkit.schemas.instrument.Instrument` fits); enumerations as their values."""

    @property
    def symbol(self) -> str:
        """The broker's symbol."""

    @property
    def product(self) -> str:
        """spot, forward, swap, option, cfd or spread_bet."""

    @property
    def underlying_class(self) -> str:
        """fx_major, fx_minor, gold, commodity, index_major ... other."""

    @property
    def delivery(self) -> str | None:
        """cash or physical."""

    @property
    def option_type(self) -> str | None:
        """call or put."""

    @property
    def exercise_style(self) -> str | None:
        """european, american or bermudan."""

    @property
    def base_product(self) -> str | None:
        """Commodity base product (EMIR REFIT 2.116)."""

    @property
    def asset_class(self) -> str | None:
        """EMIR REFIT asset class of an underlying REFIT does not classify."""

    @property
    def underlying_index(self) -> str | None:
        """Name or ISIN of the underlying index."""

    @property
    def base_currency(self) -> str | None:
        """First currency of a pair."""

    @property
    def quote_currency(self) -> str | None:
        """Second currency of a pair, or the price currency."""

    @property
    def strike_price(self) -> Decimal | None:
        """An option's strike."""

    @property
    def expiry_date(self) -> date | None:
        """Expiry or maturity."""


#: The instrument fields :func:`cfi_problem` takes after the CFI, in order: a
#: ``RowCheck(("cfi", *CFI_TERMS), cfi_problem)`` checks a given CFI against the derived one.
CFI_TERMS: tuple[str, ...] = (
    "product", "underlying_class", "delivery", "option_type", "exercise_style", "symbol",
    "base_product", "asset_class", "underlying_index",
)  # fmt: skip


class _CfiTerms(NamedTuple):
    product: str
    underlying_class: str
    delivery: str | None
    option_type: str | None
    exercise_style: str | None
    symbol: str
    base_product: str | None
    asset_class: str | None
    underlying_index: str | None


def _value(value: Any) -> str | None:
    """An enumeration's value (or a string) as a plain string; ``None`` stays ``None``."""
    return None if value is None else str(getattr(value, "value", value))


def _terms(values: Sequence[Any]) -> _CfiTerms:
    return _CfiTerms(*(_value(value) for value in values))  # type: ignore[arg-type]


@cache
def _cfi_table() -> Mapping[str, Any]:
    table: Mapping[str, Any] = _data("cfi_attributes.json")
    return table


def _keys(terms: _CfiTerms) -> tuple[str, ...]:
    """The keys an underlying is looked up by, most specific first: its class with its
    commodity base product, with its asset class, with ``index``, then the class alone."""
    klass = terms.underlying_class
    derived = commodity_classification(klass, terms.symbol)
    base = derived.base_product if derived is not None else terms.base_product
    refinements = (base, terms.asset_class, "index" if terms.underlying_index else None)
    return (*(f"{klass}/{item}" for item in refinements if item), klass)


def _lookup(table: Mapping[str, str], keys: Iterable[str]) -> str | None:
    return next((table[key] for key in keys if key in table), None)


def _delivery(terms: _CfiTerms) -> str | None:
    table = _cfi_table()
    nature = table["delivery_by_nature"].get(terms.product)
    if nature is not None and terms.delivery not in (None, nature):
        raise IdentifierError(
            f"CFI of {terms.symbol}: a {terms.product} settles in {nature}, "
            f"not {terms.delivery} (ISO 10962)"
        )
    return terms.delivery or nature or table["delivery_if_unstated"].get(terms.product)


def _attribute_keys(source: str, terms: _CfiTerms) -> tuple[str, ...]:
    if source == "underlying":
        return _keys(terms)
    if source == "product":
        return (terms.product,)
    if source == "option":
        return (f"{terms.exercise_style}/{terms.option_type}",)
    delivery = _delivery(terms)
    return () if delivery is None else (delivery,)


_SOURCE_FIELDS = {
    "underlying": "underlying_class",
    "product": "product",
    "option": "exercise_style and option_type",
    "delivery": "delivery",
}


@lru_cache(maxsize=4096)
def _derived_cfi(terms: _CfiTerms) -> str:
    table = _cfi_table()
    keys = _keys(terms)
    group = _lookup(table["groups_by_product"].get(terms.product, {}), keys)
    if group is None:
        raise IdentifierError(
            f"CFI of {terms.symbol}: regkit derives no ISO 10962 group for a {terms.product} "
            f"on a {terms.underlying_class} underlying"
            f"{'' if terms.asset_class is None else ' of asset class ' + terms.asset_class}; "
            "give the instrument's cfi"
        )
    letters = [group]
    for position, attribute in enumerate(table["groups"][group]["attributes"], start=1):
        source = attribute.get("from")
        if source is None:
            letters.append(next(iter(attribute["letters"])))
            continue
        letter = _lookup(attribute["derive"], _attribute_keys(source, terms))
        if letter is None:
            given = _SOURCE_FIELDS[source]
            raise IdentifierError(
                f"CFI of {terms.symbol}: attribute {position} of group {group} "
                f"({attribute['name']}) needs a {given} it has a letter for; "
                f"{terms.product} {terms.underlying_class} gives none (ISO 10962)"
            )
        letters.append(letter)
    return "".join(letters)


def derive_cfi(instrument: InstrumentLike) -> str:
    """The ISO 10962:2019 CFI (RTS 22 field 43) of an OTC derivative, from what its
    instrument record says: product, underlying class, delivery and option terms.

    The group follows from the product and the underlying class, each attribute letter
    from one field, as ``data/cfi_attributes.json`` tabulates them: a CFD, spread bet or
    forward is a forward (J), its third attribute the payout (C contract for difference,
    S spread-bet, F forward price); a spot contract I, an FX swap SF, an option H with
    its style and type. CFDs and spread bets settle in cash. Where the standard gives no
    letter the table records regkit's choice under ``judgments`` (crypto-assets: commodity
    forward, others). Deterministic: the same terms always give the same code.

    Raises:
        IdentifierError: no CFI can be derived (a swap on shares, an option without its
            type, a forward without its delivery ...): give the instrument's ``cfi``.

    Examples:
        >>> from regkit.schemas.instrument import Instrument
        >>> derive_cfi(Instrument(symbol="EURUSD", product="cfd", underlying_class="fx_major",
        ...                       base_currency="EUR", quote_currency="USD"))
        'JFTXCC'
        >>> derive_cfi(Instrument(symbol="UK100", product="spread_bet",
        ...                       underlying_class="index_major", underlying_index="FTSE 100"))
        'JEIXSC'
    """
    return _derived_cfi(_terms([getattr(instrument, name) for name in CFI_TERMS]))


def cfi_problem(cfi: str | None, *terms: Any) -> str | None:
    """What is wrong with the CFI an instrument gives, or ``None``: it must be the one
    :func:`derive_cfi` derives from the fields :data:`CFI_TERMS` (in that order), where one
    can be derived; where none can, the given CFI stands.

    Examples:
        >>> cfi_problem("JFTXCC", "cfd", "fx_major", None, None, None, "EURUSD", None, None, None)
        >>> cfi_problem("JFTXSC", "cfd", "fx_major", None, None, None, "EURUSD", None, None, None)
        'cfi JFTXSC contradicts JFTXCC, derived from a cfd on a fx_major underlying (ISO 10962)'
    """
    if cfi is None:
        return None
    parsed = _terms(terms)
    try:
        derived = _derived_cfi(parsed)
    except IdentifierError:
        return None
    if cfi == derived:
        return None
    return (
        f"cfi {cfi} contradicts {derived}, derived from a {parsed.product} on a "
        f"{parsed.underlying_class} underlying (ISO 10962)"
    )


def describe_cfi(cfi: str) -> tuple[tuple[str, str], ...]:
    """What each letter of a CFI means: (name, meaning) of its category, group and four
    attributes, the attributes as far as ``data/cfi_attributes.json`` tabulates its group
    (else ``("attribute N", "not tabulated")``).

    Examples:
        >>> describe_cfi("JFTXCC")[2:]
        (('Underlying assets', 'Spot'), ('Not applicable', 'Not applicable/undefined'), \
('Return or payout trigger', 'Contract for difference'), ('Delivery', 'Cash'))
    """
    if not is_valid_cfi(cfi):
        raise IdentifierError(f"not an ISO 10962 CFI code: {cfi!r}")
    category = _data("cfi_groups.json")["categories"][cfi[0]]
    pairs = [("category", category["name"]), ("group", category["groups"][cfi[1]])]
    group = _cfi_table()["groups"].get(cfi[:2])
    for position, letter in enumerate(cfi[2:], start=1):
        if group is None:
            pairs.append((f"attribute {position}", "not tabulated"))
            continue
        attribute = group["attributes"][position - 1]
        meaning = attribute["letters"].get(letter, f"{letter}: not a letter of this attribute")
        pairs.append((attribute["name"], meaning))
    return tuple(pairs)


#: RTS 22 field 42 holds at most 350 characters.
FULL_NAME_MAX = 350

_FX_CLASSES = frozenset({"fx_major", "fx_minor"})
#: The forms of a derived full name, by product and whether the underlying is a currency
#: pair: ``{name}`` is the pair (``EUR/USD``) or the underlying, ``{terms}`` the strike,
#: expiry and style an instrument has.
_FULL_NAME_FORMS: Mapping[tuple[str, bool], str] = {
    ("cfd", True): "CFD {name}{terms}",
    ("cfd", False): "CFD on {name}{terms}",
    ("spread_bet", True): "Spread bet on {name}{terms}",
    ("spread_bet", False): "Spread bet on {name}{terms}",
    ("forward", True): "FX forward {name}{terms}",
    ("forward", False): "Forward on {name}{terms}",
    ("spot", True): "FX spot {name}{terms}",
    ("spot", False): "Spot {name}{terms}",
    ("swap", True): "FX swap {name}{terms}",
    ("swap", False): "Swap on {name}{terms}",
    ("option", True): "FX {kind} {name}{terms}",
    ("option", False): "{Kind} on {name}{terms}",
}


def full_name_underlying(instrument: InstrumentLike) -> str:
    """The underlying as a derived full name shows it: the pair ``BASE/QUOTE`` where the
    instrument has both currencies (FX, gold as XAU/USD), else the underlying index, else
    the symbol.

    Examples:
        >>> from regkit.schemas.instrument import Instrument
        >>> full_name_underlying(Instrument(symbol="GER40", product="cfd",
        ...                                 underlying_class="index_major", underlying_index="DAX"))
        'DAX'
    """
    base, quote = instrument.base_currency, instrument.quote_currency
    if base is not None and quote is not None:
        return f"{base}/{quote}"
    return instrument.underlying_index or instrument.symbol


def derive_full_name(instrument: InstrumentLike) -> str:
    """A full name (RTS 22 field 42) for an instrument without an ISIN: what it is, on
    what, and its strike, expiry and exercise style where it has them; at most 350
    characters, the same for the same instrument.

    The forms: ``CFD EUR/USD`` (``CFD on DAX`` for an underlying that is not a pair),
    ``Spread bet on DAX``, ``FX forward EUR/USD 2026-12-18`` (``Forward on ...``),
    ``FX spot EUR/USD``, ``FX swap USD/JPY 2026-12-18``, ``FX call EUR/USD 1.1000
    2026-12-18 European`` (``Put on S&P 500 ...``). The underlying is
    :func:`full_name_underlying`; a dated CFD shows its expiry too.

    Examples:
        >>> from datetime import date
        >>> from decimal import Decimal
        >>> from regkit.schemas.instrument import Instrument
        >>> derive_full_name(Instrument(symbol="EURUSD", product="cfd",
        ...                             underlying_class="fx_major", base_currency="EUR",
        ...                             quote_currency="USD"))
        'CFD EUR/USD'
        >>> derive_full_name(Instrument(symbol="EURUSD.C110", product="option",
        ...     underlying_class="fx_major", base_currency="EUR", quote_currency="USD",
        ...     option_type="call", strike_price=Decimal("1.1000"), exercise_style="european",
        ...     expiry_date=date(2026, 12, 18)))
        'FX call EUR/USD 1.1000 2026-12-18 European'
    """
    product = _value(instrument.product) or ""
    fx = _value(instrument.underlying_class) in _FX_CLASSES
    kind = _value(instrument.option_type) or "option"
    style = _value(instrument.exercise_style)
    details = (
        None if instrument.strike_price is None else str(instrument.strike_price),
        None if instrument.expiry_date is None else instrument.expiry_date.isoformat(),
        None if style is None else style.capitalize(),
    )
    terms = "".join(f" {item}" for item in details if item)
    name = " ".join(full_name_underlying(instrument).split())
    form = _FULL_NAME_FORMS[(product, fx)]
    text = form.format(name=name, terms=terms, kind=kind, Kind=kind.capitalize())
    return text[:FULL_NAME_MAX].rstrip()
