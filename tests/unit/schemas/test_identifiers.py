"""Unit tests of regkit.schemas.identifiers: code lists, check digits, CONCAT, Annex II."""

from __future__ import annotations

import doctest
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from typing import Any, Literal

import pycountry
import pytest
from stdnum import iban as std_iban
from stdnum import isin as std_isin
from stdnum import lei as std_lei

from regkit.errors import IdentifierError
from regkit.schemas import NaturalPerson
from regkit.schemas import identifiers as ids

EU27 = frozenset(
    {
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
        "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
    }
)  # fmt: skip
EEA30 = EU27 | {"IS", "LI", "NO"}

APPLE_LEI = "HWUPKR0MPOU8FGXBT394"
DEUTSCHE_BANK_LEI = "7LTWFZYICNSX8D621K86"


def _data(name: str) -> Any:
    return json.loads(
        (resources.files("regkit.schemas") / "data" / name).read_text(encoding="utf-8")
    )


# --- module hygiene ---------------------------------------------------------------------


def test_all_is_sorted_and_exists() -> None:
    # ruff's order (RUF022): constants, then classes, then functions, each alphabetical
    def kind(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert ids.__all__ == sorted(ids.__all__, key=kind)
    assert all(hasattr(ids, name) for name in ids.__all__)


def test_docstring_examples_run() -> None:
    result = doctest.testmod(ids)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize(
    "check",
    [
        ids.is_valid_lei,
        ids.is_valid_isin,
        ids.is_valid_cfi,
        ids.is_valid_mic,
        ids.is_valid_country,
        ids.is_valid_currency,
        ids.is_valid_uti,
        ids.is_valid_iban,
    ],
)
@pytest.mark.parametrize("value", [None, 42, ["XLON"], b"XLON", {"a": 1}])
def test_validators_answer_false_for_non_strings(check: Any, value: Any) -> None:
    assert check(value) is False


# --- LEI, ISIN ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lei",
    [
        APPLE_LEI,
        DEUTSCHE_BANK_LEI,
        "5493001KJTIIGC8Y1R12",
        "529900T8BM49AURSDO55",  # Deutsche Boerse AG
    ],
)
def test_real_leis_are_valid(lei: str) -> None:
    assert ids.is_valid_lei(lei)
    assert std_lei.is_valid(lei)
    assert ids.lei_check_digits(lei[:18]) == lei[18:]


@pytest.mark.parametrize(
    "lei",
    [
        "HWUPKR0MPOU8FGXBT395",  # check digits off by one
        "HWUPKR0MPOU8FGXBT39",  # 19 characters
        "HWUPKR0MPOU8FGXBT3940",  # 21 characters
        "hwupkr0mpou8fgxbt394",  # lower case
        "HWUPKR0MPOU8FGXBT3A4",  # letter among the check digits
        "HWUPKR0MPOU8FGXB-394",
        "",
    ],
)
def test_bad_leis_are_invalid(lei: str) -> None:
    assert not ids.is_valid_lei(lei)


@pytest.mark.parametrize(
    "prefix", ["HWUPKR0MPOU8FGXBT", "hwupkr0mpou8fgxbt3", "HWUPKR0MPOU8FGX-T3"]
)
def test_lei_check_digits_rejects_a_bad_prefix(prefix: str) -> None:
    with pytest.raises(ValueError, match="18 upper-case letters or digits"):
        ids.lei_check_digits(prefix)


@pytest.mark.parametrize(
    "isin",
    [
        "US0378331005",  # Apple
        "DE0007164600",  # SAP
        "GB0002634946",  # BAE Systems
        "US5949181045",  # Microsoft
        "IE00B4L5Y983",  # iShares Core MSCI World
    ],
)
def test_real_isins_are_valid(isin: str) -> None:
    assert ids.is_valid_isin(isin)
    assert std_isin.is_valid(isin)


@pytest.mark.parametrize(
    "isin",
    [
        "US0378331006",  # wrong check digit
        "US0378331015",  # a digit changed
        "ZZ0378331005",  # no such country prefix
        "us0378331005",
        "US037833100",
        "US03783310055",
        "US037833100X",  # the check digit is a digit
    ],
)
def test_bad_isins_are_invalid(isin: str) -> None:
    assert not ids.is_valid_isin(isin)


# --- CFI, MIC, currency, country, UTI, IBAN --------------------------------------------


@pytest.mark.parametrize(
    "cfi",
    [
        "JFTXCC",  # forward, FX: the RTS 22 code of an FX CFD
        "JESXCC",  # forward, equity: an equity CFD
        "SESCXC",  # swap, equity
        "ESVUFR",  # common shares
        "FFICSX",  # financial future
        "OCASPS",  # call option
        "DBFTFB",  # bond
        "CEOGEU",  # ETF
        "RFBTCE",  # mini-future certificate (2019 group)
        "IFXXXP",  # FX spot
        "KYXXXX",  # mixed-asset strategy
        "LRCFXD",  # repo
        "TCXXXX",  # referential: currency
        "MMXXXX",
    ],
)
def test_cfi_accepts_iso_10962_groups(cfi: str) -> None:
    assert ids.is_valid_cfi(cfi)


@pytest.mark.parametrize(
    "cfi",
    [
        "JZTXCC",  # forwards have no group Z
        "EJXXXX",  # equities have no group J
        "ZZZZZZ",  # no category Z
        "JFTXC",
        "JFTXCCX",
        "jftxcc",
        "JF1XCC",
        "FMXXXX",  # futures have no group M
        "",
    ],
)
def test_cfi_rejects_what_the_standard_lacks(cfi: str) -> None:
    assert not ids.is_valid_cfi(cfi)


def test_cfi_table_has_the_fourteen_categories_and_cites_its_source() -> None:
    table = _data("cfi_groups.json")
    assert set(table["categories"]) == set("ECDROFSHIJKLTM")
    assert "ISO 10962:2019" in table["source"]
    for category in table["categories"].values():
        assert category["groups"], category["name"]
        assert all(re.fullmatch("[A-Z]", letter) for letter in category["groups"])


@pytest.mark.parametrize(("mic", "valid"), [("XOFF", True), ("XXXX", True), ("XLON", True)])
def test_mic_accepts_registry_and_rts22_codes(mic: str, valid: bool) -> None:
    assert ids.is_valid_mic(mic) is valid


@pytest.mark.parametrize("mic", ["ZZZZ", "xlon", "XLO", "XLONX", ""])
def test_mic_rejects_unknown_codes(mic: str) -> None:
    assert not ids.is_valid_mic(mic)


@pytest.mark.parametrize(
    ("code", "minor"), [("EUR", 2), ("USD", 2), ("JPY", 0), ("BHD", 3), ("XAU", None)]
)
def test_currency_and_minor_units(code: str, minor: int | None) -> None:
    assert ids.is_valid_currency(code)
    assert ids.currency_minor_units(code) == minor


@pytest.mark.parametrize("code", ["eur", "EURO", "EU", "ABC", ""])
def test_bad_currency(code: str) -> None:
    assert not ids.is_valid_currency(code)
    with pytest.raises(ValueError, match="not an ISO 4217 currency code"):
        ids.currency_minor_units(code)


@pytest.mark.parametrize(("code", "valid"), [("DE", True), ("GB", True), ("LI", True)])
def test_good_country(code: str, valid: bool) -> None:
    assert ids.is_valid_country(code) is valid


@pytest.mark.parametrize("code", ["UK", "EL", "de", "DEU", "XX", ""])
def test_bad_country(code: str) -> None:
    assert not ids.is_valid_country(code)


@pytest.mark.parametrize(
    "uti",
    [
        APPLE_LEI + "X",
        DEUTSCHE_BANK_LEI + "CFD20260101000001",
        APPLE_LEI + "9" * 32,  # 52 characters
    ],
)
def test_good_uti(uti: str) -> None:
    assert ids.is_valid_uti(uti)


@pytest.mark.parametrize(
    "uti",
    [
        APPLE_LEI,  # nothing after the LEI
        APPLE_LEI + "9" * 33,  # 53 characters
        APPLE_LEI + "cfd1",  # lower case
        APPLE_LEI + "CFD-1",  # hyphen
        "HWUPKR0MPOU8FGXBT395" + "CFD1",  # the first 20 characters are no LEI
        "",
    ],
)
def test_bad_uti(uti: str) -> None:
    assert not ids.is_valid_uti(uti)


@pytest.mark.parametrize(
    ("iban", "valid"),
    [
        ("DE89370400440532013000", True),
        ("GB82WEST12345698765432", True),
        ("NO9386011117947", True),  # the shortest, 15 characters
        ("DE89370400440532013001", False),
        ("de89370400440532013000", False),
        ("DE89 3704 0044 0532 0130 00", False),  # types.Iban removes the spaces first
        ("XX89370400440532013000", False),
    ],
)
def test_iban(iban: str, valid: bool) -> None:
    assert ids.is_valid_iban(iban) is valid


@pytest.mark.parametrize(
    "iban", ["DE89370400440532013000", "GB82WEST12345698765432", "FR1420041010050500013M02606"]
)
def test_iban_agrees_with_stdnum(iban: str) -> None:
    assert ids.is_valid_iban(iban)
    assert std_iban.is_valid(iban)


# --- CONCAT -------------------------------------------------------------------------------

BORN = date(1980, 1, 13)


@pytest.mark.parametrize(
    ("country", "born", "first", "surname", "expected"),
    [
        ("IE", date(1980, 1, 13), "John", "O'Brian", "IE19800113JOHN#OBRIA"),
        ("HU", date(1981, 2, 14), "Ludwig", "Van der Rohe", "HU19810214LUDWIROHE#"),
        ("US", date(1973, 3, 22), "Victor", "Vandenberg", "US19730322VICTOVANDE"),
        ("NO", date(1976, 3, 15), "Eli", "Ødegård", "NO19760315ELI##ODEGA"),
        ("LU", date(1966, 4, 16), "Willeke", "de Bruijn", "LU19660416WILLEBRUIJ"),
        ("US", date(1965, 4, 17), "Jon Ian", "Dewitt", "US19650417JON##DEWIT"),
        ("PT", date(1990, 5, 17), "Amy-Ally", "Garção de Magalhães", "PT19900517AMYALGARCA"),
        ("FR", date(1990, 6, 18), "Giovani", "dos Santos", "FR19900618GIOVASANTO"),
        ("DE", date(1980, 7, 15), "Günter", "Voẞ", "DE19800715GUNTEVOS##"),
    ],
)
def test_concat_esma_guideline_examples(
    country: str, born: date, first: str, surname: str, expected: str
) -> None:
    """The worked examples of ESMA/2016/1452 section 5."""
    assert ids.concat_code(country, born, first, surname) == expected


@pytest.mark.parametrize(
    ("first", "surname", "names"),
    [
        # only the first first name; a hyphenated name is one name
        ("Jean-Claude", "Dupont", "JEANCDUPON"),
        ("Jean Claude", "Dupont", "JEAN#DUPON"),
        ("Anne-Marie Louise", "Byrne", "ANNEMBYRNE"),
        ("  Mary   Ann ", "Byrne", "MARY#BYRNE"),
        # titles, with and without full stops, stacked, any case
        ("Mr John", "Smith", "JOHN#SMITH"),
        ("MRS Mary", "Smith", "MARY#SMITH"),
        ("Ms. Ann", "Smith", "ANN##SMITH"),
        ("Miss Ann", "Smith", "ANN##SMITH"),
        ("Dr. Robert", "Ford", "ROBERFORD#"),
        ("Prof. Dr. Hans", "Müller", "HANS#MULLE"),
        ("Sir Elton", "John", "ELTONJOHN#"),
        ("ph.d Anna", "Berg", "ANNA#BERG#"),
        ("Dame Judi", "Dench", "JUDI#DENCH"),
        ("Monsieur Paul", "Martin", "PAUL#MARTI"),
        ("Ann", "Dr Smith", "ANN##SMITH"),
        ("Ann", "Master", "ANN##MASTE"),  # a surname that is only a title word stays
        # surname prefixes as whole leading words, one word and several
        ("Ann", "van Dijk", "ANN##DIJK#"),
        ("Ann", "von Trapp", "ANN##TRAPP"),
        ("Ann", "Mac Donald", "ANN##DONAL"),
        ("Ann", "Mc Carthy", "ANN##CARTH"),
        ("Ann", "O Neill", "ANN##NEILL"),
        ("Ann", "Ó Briain", "ANN##BRIAI"),
        ("Ann", "Ní Bhraonáin", "ANN##BHRAO"),
        ("Ann", "le Pen", "ANN##PEN##"),
        ("Ann", "D Souza", "ANN##SOUZA"),
        ("Ann", "van der Berg", "ANN##BERG#"),
        ("Ann", "van den Broek", "ANN##BROEK"),
        ("Ann", "von dem Bussche", "ANN##BUSSC"),
        ("Ann", "von der Leyen", "ANN##LEYEN"),
        ("Ann", "aus der Au", "ANN##AU###"),
        ("Ann", "auf dem Brinke", "ANN##BRINK"),
        ("Ann", "De La Cruz", "ANN##CRUZ#"),
        ("Ann", "mhic giolla Bhríde", "ANN##BHRID"),
        ("Ann", "de l'Isle", "ANN##ISLE#"),  # apostrophe-joined
        ("Ann", "de l’Isle", "ANN##ISLE#"),  # typographic apostrophe
        ("Ann", "de l' Estrange", "ANN##ESTRA"),
        ("Ann", "VAN DER ROHE", "ANN##ROHE#"),  # case-insensitive
        ("Ann", "vAn DeR rohe", "ANN##ROHE#"),
        # a prefix that is the whole surname is the surname
        ("Ann", "Van", "ANN##VAN##"),
        ("Ann", "Van Der", "ANN##VANDE"),
        ("Ann", "de la", "ANN##DELA#"),
        ("Ann", "Le", "ANN##LE###"),
        # prefix letters attached to the name stay
        ("Ann", "Dupont", "ANN##DUPON"),
        ("Ann", "Macdonald", "ANN##MACDO"),
        ("Ann", "MacDonald", "ANN##MACDO"),
        ("Ann", "O'Neill", "ANN##ONEIL"),
        ("Ann", "O´Neill", "ANN##ONEIL"),  # acute accent used as apostrophe
        ("Ann", "Delacroix", "ANN##DELAC"),
        ("Ann", "Van-Dyke", "ANN##VANDY"),
        ("Ann", "d'Artagnan", "ANN##DARTA"),
        # apostrophes, hyphens, commas, full stops, spaces
        ("D'Arcy", "Smith-Jones", "DARCYSMITH"),
        ("Ann", "St. John", "ANN##STJOH"),
        ("Ann", "Smith, Jr.", "ANN##SMITH"),
        ("Ann", "Lloyd Webber", "ANN##LLOYD"),
        # letters: ESMA's exceptions and the ones without a decomposition
        ("Øystein", "Ærø", "OYSTEARO##"),
        ("Ann", "Weiß", "ANN##WEIS#"),
        ("Ann", "Großmann", "ANN##GROSM"),
        ("Þór", "Þórsdóttir", "TOR##TORSD"),
        ("Cæsar", "Œuvray", "CASAROUVRA"),
        ("Ðóra", "Łukasz", "DORA#LUKAS"),
        ("Đorđe", "Ħabib", "DORDEHABIB"),
        # accents
        ("Zoé", "Peña", "ZOE##PENA#"),
        ("Jürgen", "Müller", "JURGEMULLE"),
        ("Ewa", "Łęcka-Żółć", "EWA##LECKA"),
        ("Seán", "Ó Súilleabháin", "SEAN#SUILL"),
        # short names are padded, case does not matter
        ("Al", "Li", "AL###LI###"),
        ("jOHN", "o'bRIAN", "JOHN#OBRIA"),
    ],
)
def test_concat_rules(first: str, surname: str, names: str) -> None:
    assert ids.concat_code("IE", BORN, first, surname) == "IE19800113" + names


def test_concat_forgives_country_case_and_spaces() -> None:
    assert ids.concat_code(" ie ", BORN, "John", "O'Brian") == "IE19800113JOHN#OBRIA"


def test_concat_pads_the_year() -> None:
    assert ids.concat_code("IE", date(987, 6, 5), "Ann", "Lee") == "IE09870605ANN##LEE##"


@pytest.mark.parametrize(
    ("country", "born", "first", "surname", "message"),
    [
        ("XX", BORN, "John", "Smith", "ISO 3166-1 alpha-2"),
        ("IRL", BORN, "John", "Smith", "ISO 3166-1 alpha-2"),
        ("IE", None, "John", "Smith", "date of birth is missing"),
        ("IE", BORN, "", "Smith", "first name '' is empty"),
        ("IE", BORN, "Mr.", "Smith", "first name 'Mr.' is empty"),
        ("IE", BORN, "John", "--", "surname '--' is empty"),
        ("IE", BORN, "John", "'", 'surname "\'" is empty'),
        ("IE", BORN, "Иван", "Smith", "no A-Z spelling"),
        ("IE", BORN, "John", "Smith 3rd", "no A-Z spelling"),
    ],
)
def test_concat_errors(
    country: str, born: date | None, first: str, surname: str, message: str
) -> None:
    with pytest.raises(IdentifierError, match=re.escape(message)):
        ids.concat_code(country, born, first, surname)


# --- national client identifier (RTS 22 Art. 6, Annex II) ---------------------------------


@dataclass(frozen=True)
class Person:
    """A minimal PersonLike."""

    nationalities: Sequence[str]
    national_ids: Mapping[str, str] = field(default_factory=dict)
    first_name: str = "Jean"
    surname: str = "Cochon"
    date_of_birth: date | None = date(1968, 3, 12)


@pytest.mark.parametrize(
    ("person", "regime", "expected"),
    [
        # NIDN first: the specific key, the generic key, spaces/case/prefix forgiven
        (Person(["BE"], {"NRN": "85062412345"}), "EU", ("NIDN", "BE85062412345")),
        (Person(["BE"], {"NIDN": "850624 123 45"}), "EU", ("NIDN", "BE85062412345")),
        (Person(["BE"], {"nidn": "BE85062412345"}), "EU", ("NIDN", "BE85062412345")),
        (Person(["BE"], {"NRN": "85062412345", "NIDN": "99999999999"}), "EU",
         ("NIDN", "BE85062412345")),
        (Person(["IT"], {"CODICE_FISCALE": "rssmra85t10a562s"}), "EU",
         ("NIDN", "ITRSSMRA85T10A562S")),
        (Person(["BE"]), "EU", ("CONCAT", "BE19680312JEAN#COCHO")),  # second priority
        # CONCAT first: national ids of the country are not asked for
        (Person(["FR"]), "EU", ("CONCAT", "FR19680312JEAN#COCHO")),
        (Person(["DE"], {"NIDN": "T22000129"}), "EU", ("CONCAT", "DE19680312JEAN#COCHO")),
        # passport second / identity card second
        (Person(["CZ"], {"PASSPORT": "12345678"}), "EU", ("CCPT", "CZ12345678")),
        (Person(["CZ"], {"CCPT": "12345678", "RODNE_CISLO": "7857231234"}), "EU",
         ("NIDN", "CZ7857231234")),
        (Person(["NL"], {"ID_CARD": "IB1234567"}), "EU", ("NIDN", "NLIB1234567")),
        (Person(["NL"], {"CCPT": "NW1234567", "ID_CARD": "IB1234567"}), "EU",
         ("CCPT", "NLNW1234567")),
        (Person(["MT"], {"CCPT": "1234567"}), "EU", ("CCPT", "MT1234567")),
        (Person(["CY"], {"CCPT": "K12345678"}), "EU", ("CCPT", "CYK12345678")),
        # several EEA nationalities: the first in alphabetical order of code
        (Person(["SE", "FI"]), "EU", ("CONCAT", "FI19680312JEAN#COCHO")),
        (Person(["PL", "DE"], {"PESEL": "85062412345"}), "EU", ("CONCAT", "DE19680312JEAN#COCHO")),
        # EEA and non-EEA: the EEA one
        (Person(["US", "PT"], {"NIF": "123456789"}), "EU", ("NIDN", "PT123456789")),
        (Person(["CH", "IS"], {"KENNITALA": "1201743399"}), "EU", ("NIDN", "IS1201743399")),
        # only non-EEA: passport, then CONCAT; the first nationality alphabetically
        (Person(["US"], {"CCPT": "123456789"}), "EU", ("CCPT", "US123456789")),
        (Person(["US"], {"PASSPORT": "US123456789"}), "EU", ("CCPT", "US123456789")),
        (Person(["US", "CH"], {"CCPT": "X1234567"}), "EU", ("CCPT", "CHX1234567")),
        (Person(["US"]), "EU", ("CONCAT", "US19680312JEAN#COCHO")),
        # GB: a third country for EU reports, Annex II's GB row for UK reports
        (Person(["GB"], {"NINO": "AB123456C", "CCPT": "123456789"}), "EU",
         ("CCPT", "GB123456789")),
        (Person(["GB"], {"NINO": "AB123456C"}), "EU", ("CONCAT", "GB19680312JEAN#COCHO")),
        (Person(["GB", "SI"], {"NINO": "AB123456C"}), "EU", ("CONCAT", "SI19680312JEAN#COCHO")),
        (Person(["GB"], {"NINO": "ab 12 34 56 c"}), "UK", ("NIDN", "GBAB123456C")),
        (Person(["GB"], {"NIDN": "AB123456C"}), "UK", ("NIDN", "GBAB123456C")),
        (Person(["GB"], {"CCPT": "123456789"}), "UK", ("CONCAT", "GB19680312JEAN#COCHO")),
        (Person(["SI", "GB"], {"NINO": "AB123456C"}), "UK", ("NIDN", "GBAB123456C")),
        (Person(["US"], {"CCPT": "123456789"}), "UK", ("CCPT", "US123456789")),
        (Person(["LI"], {"ID_CARD": "ID123456"}), "UK", ("NIDN", "LIID123456")),
        # a generic key fills the first priority whose format it has
        (Person(["PL"], {"NIDN": "85062412345"}), "EU", ("NIDN", "PL85062412345")),
        (Person(["PL"], {"NIDN": "8506241234"}), "EU", ("NIDN", "PL8506241234")),
        (Person(["PL"], {"NIDN": "PL85062412345"}), "EU", ("NIDN", "PL85062412345")),
        (Person(["PL"], {"NIP": "1234567890", "PESEL": "85062412345"}), "EU",
         ("NIDN", "PL85062412345")),
    ],
)  # fmt: skip
def test_national_client_id(
    person: Person, regime: Literal["EU", "UK"], expected: tuple[str, str]
) -> None:
    assert ids.national_client_id(person, regime) == expected


@pytest.mark.parametrize(
    ("person", "regime", "message"),
    [
        # a value under a specific key must have that identifier's format
        (Person(["PL"], {"PESEL": "8506241234"}), "EU", "PESEL '8506241234' is not a PL"),
        (Person(["GB"], {"NINO": "123456789"}), "UK", "expected format"),
        (Person(["CY"], {"PASSPORT": "A123"}), "EU", "CY National Passport Number"),
        # a generic value must fit one of the country's identifiers of its scheme
        (Person(["PL"], {"NIDN": "850624123"}), "EU", "matches no PL identifier"),
        (Person(["BE"], {"NIDN": "123"}), "EU", "Belgian National Number"),
        (Person(["US"], {"CCPT": "12-345"}), "EU", "matches no US identifier"),
        # nothing the country accepts
        (Person(["EE"]), "EU", "accepts Estonian Personal Identification Code"),
        (Person(["PL"]), "EU", "key PESEL or NIDN), then Tax Number"),
        (Person(["MT"], {"ID_CARD": "1234567M"}), "EU", "no identifier for nationality MT"),
        # CONCAT needed but no date of birth
        (Person(["DE"], date_of_birth=None), "EU", "CONCAT needs the date of birth"),
        (Person(["US"], date_of_birth=None), "EU", "National Passport Number"),
        (Person(["GB"], date_of_birth=None), "UK", "UK National Insurance number"),
        # CONCAT that cannot be built
        (Person(["FR"], first_name="Dr."), "EU", "first name 'Dr.' is empty"),
        # no usable nationality
        (Person([]), "EU", "no nationality"),
        (Person(["XX"]), "EU", "'XX' is not an ISO 3166-1"),
    ],
)
def test_national_client_id_errors(
    person: Person, regime: Literal["EU", "UK"], message: str
) -> None:
    with pytest.raises(IdentifierError, match=re.escape(message)):
        ids.national_client_id(person, regime)


def test_national_client_id_reads_a_natural_person_record() -> None:
    person = NaturalPerson(
        first_name="Jan",
        surname="Kowalski",
        date_of_birth=date(1985, 6, 24),
        nationalities=["pl"],
        national_ids={"pesel": "85062412345"},
    )
    assert ids.national_client_id(person) == ("NIDN", "PL85062412345")


def test_national_client_id_rejects_an_unknown_regime() -> None:
    with pytest.raises(ValueError, match="regime must be 'EU' or 'UK'"):
        ids.national_client_id(Person(["DE"]), "US")  # type: ignore[arg-type]


# --- the Annex II table -------------------------------------------------------------------

ANNEX2 = _data("annex2_national_client_ids.json")

#: Annex II as read on EUR-Lex / the FCA Handbook: each country's priorities by key.
EXPECTED_ROWS = {
    "AT": ["CONCAT"],
    "BE": ["NRN", "CONCAT"],
    "BG": ["EGN", "CONCAT"],
    "CY": ["PASSPORT", "CONCAT"],
    "CZ": ["RODNE_CISLO", "PASSPORT", "CONCAT"],
    "DE": ["CONCAT"],
    "DK": ["CPR", "CONCAT"],
    "EE": ["ISIKUKOOD"],
    "ES": ["NIF"],
    "FI": ["HETU", "CONCAT"],
    "FR": ["CONCAT"],
    "GB": ["NINO", "CONCAT"],
    "GR": ["DSS_INVESTOR_SHARE", "CONCAT"],
    "HR": ["OIB", "CONCAT"],
    "HU": ["CONCAT"],
    "IE": ["CONCAT"],
    "IS": ["KENNITALA"],
    "IT": ["CODICE_FISCALE"],
    "LI": ["PASSPORT", "ID_CARD", "CONCAT"],
    "LT": ["ASMENS_KODAS", "PASSPORT", "CONCAT"],
    "LU": ["CONCAT"],
    "LV": ["PERSONAS_KODS", "CONCAT"],
    "MT": ["NATIONAL_ID", "PASSPORT"],
    "NL": ["PASSPORT", "ID_CARD", "CONCAT"],
    "NO": ["FODSELSNUMMER", "CONCAT"],
    "PL": ["PESEL", "NIP"],
    "PT": ["NIF", "PASSPORT", "CONCAT"],
    "RO": ["CNP", "PASSPORT", "CONCAT"],
    "SE": ["PERSONNUMMER", "CONCAT"],
    "SI": ["EMSO", "CONCAT"],
    "SK": ["RODNE_CISLO", "PASSPORT", "CONCAT"],
}
SCHEME_OF_KEY = {"PASSPORT": "CCPT", "CONCAT": "CONCAT"}


def _priorities() -> list[tuple[str, dict[str, str]]]:
    rows = [(code, row) for code, row in ANNEX2["countries"].items()]
    rows.append(("other", ANNEX2["all_other_countries"]))
    return [(code, p) for code, row in rows for p in row["priorities"]]


def test_annex2_covers_the_eea_and_gb() -> None:
    assert all(pycountry.countries.get(alpha_2=code) for code in EEA30)
    assert set(ANNEX2["countries"]) == EEA30 | {"GB"}
    assert set(ANNEX2["regimes"]["EU"]["listed"]) == EEA30
    assert set(ANNEX2["regimes"]["UK"]["listed"]) == EEA30 | {"GB"}
    assert {"EU", "UK"} <= set(ANNEX2["source"])
    assert "2017/590" in ANNEX2["source"]["EU"]
    assert "FCA" in ANNEX2["source"]["UK"]


@pytest.mark.parametrize(("country", "keys"), sorted(EXPECTED_ROWS.items()))
def test_annex2_rows(country: str, keys: list[str]) -> None:
    priorities = ANNEX2["countries"][country]["priorities"]
    assert [p["key"] for p in priorities] == keys
    for priority in priorities:
        assert priority["scheme"] == SCHEME_OF_KEY.get(priority["key"], "NIDN")


def test_annex2_all_other_countries_row() -> None:
    priorities = ANNEX2["all_other_countries"]["priorities"]
    assert [(p["scheme"], p["name"]) for p in priorities] == [
        ("CCPT", "National Passport Number"),
        ("CONCAT", "CONCAT"),
    ]


@pytest.mark.parametrize(("country", "priority"), _priorities())
def test_annex2_priority_is_well_formed(country: str, priority: dict[str, str]) -> None:
    assert priority["scheme"] in {"NIDN", "CCPT", "CONCAT"}
    assert priority["key"]
    assert priority["name"]
    re.compile(priority["format"])
    assert priority["format_source"] in {
        "regulation",
        "esma_guidelines",
        "national_structure",
        "permissive",
    }
    if priority["format_source"] == "permissive":
        assert "no format" in priority["note"]


def test_annex2_concat_format_matches_concat_code() -> None:
    (concat_format,) = {p["format"] for _, p in _priorities() if p["scheme"] == "CONCAT"}
    code = ids.concat_code("IE", BORN, "John", "O'Brian")
    assert re.fullmatch(concat_format, code[2:])
