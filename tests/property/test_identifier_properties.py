"""Property tests of the identifier algorithms, against python-stdnum as an oracle."""

from __future__ import annotations

import re
import string
import unicodedata
from datetime import date

import pycountry
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import isin as std_isin
from stdnum import lei as std_lei

from regkit.errors import IdentifierError
from regkit.schemas import identifiers as ids

SETTINGS = settings(max_examples=200, deadline=None)

ALNUM = string.digits + string.ascii_uppercase
COUNTRIES = sorted(country.alpha_2 for country in pycountry.countries)

lei_prefixes = st.text(alphabet=ALNUM, min_size=18, max_size=18)
isin_bodies = st.tuples(
    st.sampled_from(COUNTRIES), st.text(alphabet=ALNUM, min_size=9, max_size=9)
).map("".join)


# --- LEI ----------------------------------------------------------------------------------


@SETTINGS
@given(lei_prefixes)
def test_generated_leis_are_valid_and_agree_with_stdnum(prefix: str) -> None:
    lei = prefix + ids.lei_check_digits(prefix)
    assert ids.is_valid_lei(lei)
    assert std_lei.is_valid(lei)


@SETTINGS
@given(
    st.text(alphabet=ALNUM, min_size=18, max_size=18),
    st.text(string.digits, min_size=2, max_size=2),
)
def test_any_lei_shaped_string_agrees_with_stdnum(prefix: str, check: str) -> None:
    assert ids.is_valid_lei(prefix + check) == std_lei.is_valid(prefix + check)


@SETTINGS
@given(lei_prefixes, st.integers(0, 19), st.data())
def test_a_same_kind_substitution_in_a_lei_is_rejected(
    prefix: str, at: int, data: st.DataObject
) -> None:
    """MOD 97-10 catches any digit-for-digit or letter-for-letter substitution.

    A letter-for-digit substitution is NOT always caught: the letter expands to two digits
    and shifts the number, so about 1 in 97 pass (N2EYZ91O28LOZ4SJKD60 and
    N2EYZ91O28LOZ4SJK360 are both valid). The claim tested is the one that holds.
    """
    lei = prefix + ids.lei_check_digits(prefix)
    kind = string.digits if lei[at].isdigit() else string.ascii_uppercase
    char = data.draw(st.sampled_from(kind.replace(lei[at], "")))
    assert not ids.is_valid_lei(lei[:at] + char + lei[at + 1 :])


def test_a_letter_for_digit_substitution_can_pass_mod_97() -> None:
    assert ids.is_valid_lei("N2EYZ91O28LOZ4SJKD60")
    assert ids.is_valid_lei("N2EYZ91O28LOZ4SJK360")


# --- ISIN ---------------------------------------------------------------------------------


@SETTINGS
@given(isin_bodies)
def test_generated_isins_are_valid_and_agree_with_stdnum(body: str) -> None:
    isin = body + std_isin.calc_check_digit(body)
    assert ids.is_valid_isin(isin)
    assert std_isin.is_valid(isin)


@SETTINGS
@given(isin_bodies, st.sampled_from(string.digits))
def test_any_other_isin_check_digit_is_rejected(body: str, digit: str) -> None:
    check = std_isin.calc_check_digit(body)
    assert ids.is_valid_isin(body + digit) == (digit == check)


@SETTINGS
@given(isin_bodies, st.data())
def test_a_digit_substitution_in_an_isin_body_is_rejected(body: str, data: st.DataObject) -> None:
    """Luhn catches any single digit changed into another digit (not every letter change)."""
    isin = body + std_isin.calc_check_digit(body)
    digits_at = [i for i in range(2, 11) if isin[i].isdigit()]
    if not digits_at:
        return
    at = data.draw(st.sampled_from(digits_at))
    digit = data.draw(st.sampled_from(string.digits.replace(isin[at], "")))
    assert not ids.is_valid_isin(isin[:at] + digit + isin[at + 1 :])


# --- CONCAT -------------------------------------------------------------------------------

CONCAT_RE = re.compile(r"[A-Z]{2}[0-9]{8}[A-Z#]{10}")
#: Latin letters a European register may hold, with the separators CONCAT removes.
LATIN = "".join(
    ch
    for ch in map(chr, range(0x41, 0x250))
    if unicodedata.category(ch) in {"Lu", "Ll"} and ch.isalpha()
)
latin_names = st.text(alphabet=st.sampled_from(LATIN + "   -'’."), max_size=30)


def _check_concat(country: str, born: date, first: str, surname: str) -> None:
    try:
        code = ids.concat_code(country, born, first, surname)
    except IdentifierError:
        return  # a name part empty after cleaning, or not Latin script
    assert CONCAT_RE.fullmatch(code)
    assert code.startswith(country + f"{born.year:04d}{born.month:02d}{born.day:02d}")


@SETTINGS
@given(st.sampled_from(COUNTRIES), st.dates(), latin_names, latin_names)
def test_concat_of_latin_names_has_the_rts22_shape(
    country: str, born: date, first: str, surname: str
) -> None:
    _check_concat(country, born, first, surname)


@SETTINGS
@given(st.sampled_from(COUNTRIES), st.dates(), st.text(max_size=20), st.text(max_size=20))
def test_concat_of_any_text_has_the_shape_or_raises_identifier_error(
    country: str, born: date, first: str, surname: str
) -> None:
    _check_concat(country, born, first, surname)


@SETTINGS
@given(
    st.text(string.ascii_letters, min_size=1, max_size=12),
    st.text(string.ascii_letters, min_size=1, max_size=12),
)
def test_concat_of_plain_one_word_names_is_their_first_five_letters(
    first: str, surname: str
) -> None:
    """A one-word surname has no prefix to drop; a first name that is no title stays."""
    if first.upper() in {"ATTY", "COACH", "DAME", "DR", "FR", "GOV", "HONORABLE", "MADAM",
                         "MADAME", "MAID", "MASTER", "MISS", "MONSIEUR", "MR", "MRS", "MS",
                         "MX", "OFC", "PHD", "PRES", "PROF", "REV", "SIR"}:  # fmt: skip
        return
    code = ids.concat_code("FR", date(2000, 2, 29), first, surname)
    expected = first.upper()[:5].ljust(5, "#") + surname.upper()[:5].ljust(5, "#")
    assert code == "FR20000229" + expected


# --- UPI (ISO 4914; EMIR REFIT 2.8) ----------------------------------------------------------


@given(st.text(alphabet=ALNUM, min_size=10, max_size=10))
def test_qz_and_ten_letters_or_digits_is_a_upi_and_nothing_else_is(body: str) -> None:
    upi = "QZ" + body
    assert ids.is_valid_upi(upi)
    assert re.fullmatch(ids.upi_pattern(), upi)
    assert not ids.is_valid_upi(upi[:-1])  # 11 characters
    assert not ids.is_valid_upi(upi + body[0])  # 13
    assert not ids.is_valid_upi("EZ" + body)  # the DSB's ISIN prefix


@given(st.text(max_size=14))
def test_the_upi_check_and_its_pattern_agree_on_any_text(text: str) -> None:
    assert ids.is_valid_upi(text) == (re.fullmatch(ids.upi_pattern(), text) is not None)
