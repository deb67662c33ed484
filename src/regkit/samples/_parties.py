"""Account holders: people with the national identifiers of their nationalities,
companies with LEIs, and their bank accounts."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import NamedTuple

from regkit.schemas.identifiers import iban_check_digits, lei_check_digits, luhn_check_digit

__all__ = [
    "EEA",
    "ENTITY_CORES",
    "ENTITY_FORMS",
    "ENTITY_PREFIXES",
    "NAMES",
    "SHOWCASE",
    "THIRD_PARTIES",
    "Entity",
    "Person",
    "make_lei",
    "random_entity",
    "random_iban",
    "random_person",
]


def make_lei(prefix: str) -> str:
    """The LEI of an 18-character ``prefix``, with its two check digits."""
    return prefix + lei_check_digits(prefix)


#: The EEA countries of RTS 22 Annex II.
EEA = frozenset(
    ("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
     "IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK")
)  # fmt: skip


class _Showcase(NamedTuple):
    first: str
    surname: str
    nationalities: tuple[str, ...]


#: The first person accounts: every CONCAT rule (prefixes as whole words, surnames that
#: only start with prefix letters or are one, titles, hyphens, apostrophes, Ø ß Æ Þ Œ,
#: accents, short names, second first names) and every nationality the samples use.
SHOWCASE: tuple[_Showcase, ...] = (
    _Showcase("Anna Maria", "van der Berg", ("NL",)),
    _Showcase("Jean-Claude", "de la Fontaine", ("FR",)),
    _Showcase("Dr. Anna", "von Bülow", ("DE",)),
    _Showcase("Siobhán", "O'Brien", ("IE",)),
    _Showcase("Giulia", "D'Angelo", ("IT",)),
    _Showcase("Søren", "Ødegård", ("DK",)),
    _Showcase("Klaus", "Weiß", ("AT",)),
    _Showcase("Æsa", "Jónsdóttir", ("IS",)),
    _Showcase("Þór", "Gunnarsson", ("IS",)),
    _Showcase("Œdipe", "Lefèvre", ("FR",)),
    _Showcase("José", "Núñez", ("ES",)),
    _Showcase("Li", "Ng", ("CN",)),
    _Showcase("Bo", "Li", ("SE",)),
    _Showcase("Marie", "Dupont", ("BE",)),
    _Showcase("Pieter", "Vandermeer", ("NL",)),
    _Showcase("Ewan", "Macdonald", ("GB",)),
    _Showcase("Hans", "Van", ("NL",)),
    _Showcase("Seán", "Mac Carthaigh", ("IE",)),
    _Showcase("Ciara", "Mc Donagh", ("IE",)),
    _Showcase("Marco", "di Stefano", ("IT",)),
    _Showcase("Claire", "du Pont", ("LU",)),
    _Showcase("Juliette", "de l'Isle", ("FR",)),
    _Showcase("Lena", "Schmidt", ("DE", "FR")),
    _Showcase("John", "Murphy", ("US", "IE")),
    _Showcase("Mrs. Eleanor", "Wright", ("GB",)),
    _Showcase("Luca", "Bianchi", ("IT", "BR")),
    _Showcase("Ivan", "Petrov", ("BG",)),
    _Showcase("Andreas", "Georgiou", ("CY",)),
    _Showcase("Tomáš", "Novák", ("CZ",)),
    _Showcase("Jüri", "Tamm", ("EE",)),
    _Showcase("Mikko", "Virtanen", ("FI",)),
    _Showcase("Eleni", "Papadopoulou", ("GR",)),
    _Showcase("Ana", "Horvat", ("HR",)),
    _Showcase("Péter", "Nagy", ("HU",)),
    _Showcase("Sophie", "Büchel", ("LI",)),
    _Showcase("Jonas", "Kazlauskas", ("LT",)),
    _Showcase("Jānis", "Bērziņš", ("LV",)),
    _Showcase("Maria", "Borg", ("MT",)),
    _Showcase("Ola", "Nordmann", ("NO",)),
    _Showcase("Jan", "Kowalski", ("PL",)),
    _Showcase("João", "Silva", ("PT",)),
    _Showcase("Andrei", "Popescu", ("RO",)),
    _Showcase("Luka", "Novak", ("SI",)),
    _Showcase("Ján", "Kováč", ("SK",)),
    _Showcase("Lucas", "Weber", ("CH",)),
    _Showcase("Thabo", "Nkosi", ("ZA",)),
    _Showcase("Ahmed", "Al Mansoori", ("AE",)),
    _Showcase("Priya", "Sharma", ("IN",)),
    _Showcase("Gabriel", "Souza", ("BR",)),
    _Showcase("Emily", "Johnson", ("US",)),
)

#: First names and surnames by nationality, for the accounts after the showcase.
NAMES: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "DE": (("Lukas", "Anna", "Jonas", "Lea", "Felix", "Sophie", "Maximilian"),
           ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "von Arnim", "Becker")),
    "FR": (("Louis", "Camille", "Hugo", "Chloé", "Jean-Luc", "Élodie"),
           ("Martin", "Bernard", "Dubois", "Lefèvre", "de la Croix", "Moreau")),
    "IT": (("Marco", "Giulia", "Alessandro", "Francesca", "Matteo"),
           ("Rossi", "Russo", "Ferrari", "Esposito", "Romano", "De Luca")),
    "ES": (("Alejandro", "Lucía", "Javier", "María José", "Pablo"),
           ("García", "Fernández", "López", "Martínez", "Sánchez", "de la Vega")),
    "PL": (("Jakub", "Zofia", "Piotr", "Katarzyna", "Michał"),
           ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński")),
    "NL": (("Daan", "Emma", "Sem", "Julia", "Lars"),
           ("de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser")),
    "AT": (("Florian", "Katharina", "Tobias", "Lena"), ("Gruber", "Huber", "Bauer", "Wagner")),
    "BE": (("Arthur", "Louise", "Noah", "Elise"), ("Peeters", "Janssens", "Maes", "Dupont")),
    "IE": (("Conor", "Aoife", "Cian", "Niamh"), ("Murphy", "Kelly", "O'Sullivan", "Walsh")),
    "PT": (("Tiago", "Beatriz", "Rodrigo"), ("Santos", "Ferreira", "Pereira", "Costa")),
    "SE": (("Erik", "Astrid", "Oskar", "Maja"), ("Andersson", "Johansson", "Lindqvist")),
    "DK": (("Mads", "Freja", "Søren"), ("Jensen", "Nielsen", "Sørensen", "Møller")),
    "CZ": (("Jakub", "Tereza", "Petr"), ("Svoboda", "Dvořák", "Černý")),
    "RO": (("Mihai", "Ioana", "Andrei"), ("Popa", "Ionescu", "Dumitru")),
    "GR": (("Giorgos", "Maria", "Nikos"), ("Papadopoulos", "Nikolaidis", "Oikonomou")),
    "CY": (("Andreas", "Elena", "Christos"), ("Christodoulou", "Ioannou", "Charalambous")),
    "FI": (("Eero", "Aino", "Juha"), ("Korhonen", "Mäkinen", "Nieminen")),
    "HU": (("Bence", "Zsófia", "Máté"), ("Kovács", "Szabó", "Tóth")),
    "NO": (("Magnus", "Ingrid", "Håkon"), ("Hansen", "Olsen", "Løvås")),
    "GB": (("Oliver", "Amelia", "Harry", "Isla"), ("Smith", "Jones", "Taylor", "Brown")),
    "US": (("James", "Olivia", "Michael", "Ava"), ("Williams", "Miller", "Davis", "Garcia")),
    "CH": (("Noah", "Mia", "Luca"), ("Meier", "Keller", "Brunner")),
    "BR": (("Miguel", "Helena", "Arthur"), ("Oliveira", "Santos", "Lima")),
    "IN": (("Arjun", "Ananya", "Rohan"), ("Patel", "Gupta", "Reddy")),
    "CN": (("Wei", "Fang", "Jun"), ("Wang", "Liu", "Chen")),
    "ZA": (("Sipho", "Naledi", "Pieter"), ("Dlamini", "van Wyk", "Botha")),
    "AE": (("Omar", "Fatima", "Khalid"), ("Al Nahyan", "Al Suwaidi", "Haddad")),
}  # fmt: skip

#: Nationalities of the later person accounts, weighted.
_NATIONALITY_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("DE", 14), ("FR", 10), ("IT", 9), ("ES", 8), ("PL", 6), ("NL", 5), ("AT", 3), ("BE", 3),
    ("IE", 2), ("PT", 2), ("SE", 2), ("DK", 1), ("CZ", 2), ("RO", 2), ("GR", 2), ("CY", 2),
    ("FI", 1), ("HU", 2), ("NO", 1), ("GB", 8), ("US", 3), ("CH", 3), ("BR", 1), ("IN", 1),
    ("CN", 1), ("ZA", 1), ("AE", 1),
)  # fmt: skip
#: Second nationalities some later persons have, by first nationality.
#: Pairs are chosen so that both RTS 22 versions pick an identifier the person has: under
#: the UK's Annex II, GB counts as listed, so GB with a later-sorting country that has its
#: own NIDN (PL, say) would need two NIDN values.
_SECOND_NATIONALITY = {"DE": "FR", "FR": "DE", "US": "IE", "IT": "BR", "PL": "DE", "GB": "IE"}

#: Payers of planted third-party deposits: nobody who holds an account.
THIRD_PARTIES: tuple[tuple[str, str], ...] = (
    ("Viktor Sokolov", "CY"),
    ("Marta Quintero", "ES"),
    ("Kestrel Payments Ltd", "MT"),
    ("Dmitri Orlov", "LV"),
    ("Hana Bauerová", "CZ"),
)

ENTITY_PREFIXES = ("Alpine", "Nordic", "Helios", "Meridian", "Baltic", "Iberia", "Rhein",
                    "Aurora", "Thames", "Danube", "Cedar", "Atlas")  # fmt: skip
ENTITY_CORES = ("Capital", "Trading", "Invest", "Treasury", "Holdings", "Asset Management",
                 "Family Office", "Markets")  # fmt: skip
ENTITY_FORMS = {"DE": "GmbH", "AT": "GmbH", "CH": "AG", "LU": "S.A.", "NL": "B.V.",
                 "CY": "Ltd", "GB": "Ltd", "IE": "Limited", "MT": "Ltd", "US": "LLC",
                 "SE": "AB", "NO": "AS", "ES": "S.L."}  # fmt: skip
_ENTITY_COUNTRIES = tuple(ENTITY_FORMS)


class Person(NamedTuple):
    """A natural person holding an account, before it becomes a record."""

    first: str
    surname: str
    born: date
    nationalities: tuple[str, ...]
    national_ids: dict[str, str]
    residence: str

    @property
    def name(self) -> str:
        """First names and surname, as the person writes them."""
        return f"{self.first} {self.surname}"


class Entity(NamedTuple):
    """A company holding an account, before it becomes a record."""

    name: str
    lei: str
    country: str
    nature: str = "N"
    """EMIR nature (REFIT 1.11)."""
    sector: str = "K"
    """REFIT 1.12 corporate sector that fits the nature."""


#: Each name core's EMIR nature and corporate sector (REFIT 1.11-1.12): investment firms,
#: funds and asset managers are financial counterparties, the others non-financial with
#: a NACE section (G: trade; K: financial and insurance activities of a group).
ENTITY_NATURES = {
    "Capital": ("F", "INVF"), "Trading": ("N", "G"), "Invest": ("F", "AIFD"),
    "Treasury": ("N", "K"), "Holdings": ("N", "K"), "Asset Management": ("F", "UCIT"),
    "Family Office": ("N", "K"), "Markets": ("F", "INVF"),
}  # fmt: skip


# --- national identifiers (formats of RTS 22 Annex II; check digits where simple) ----------


def _digits(rng: random.Random, count: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(count))


def _yymmdd(born: date) -> str:
    return f"{born.year % 100:02d}{born.month:02d}{born.day:02d}"


def _ddmmyy(born: date) -> str:
    return f"{born.day:02d}{born.month:02d}{born.year % 100:02d}"


def _weighted_mod11(digits: str, weights: Sequence[int]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11


def _id_be(rng: random.Random, born: date, _p: tuple[str, str]) -> dict[str, str]:
    base = _yymmdd(born) + f"{rng.randrange(1, 998):03d}"
    number = int(("2" if born.year >= 2000 else "") + base)
    return {"NIDN": f"{base}{97 - number % 97:02d}"}


def _id_bg(rng: random.Random, born: date, _p: tuple[str, str]) -> dict[str, str]:
    month = born.month + (40 if born.year >= 2000 else 0)
    base = f"{born.year % 100:02d}{month:02d}{born.day:02d}{_digits(rng, 3)}"
    check = _weighted_mod11(base, (2, 4, 8, 5, 10, 9, 7, 3, 6)) % 10
    return {"NIDN": f"{base}{check}"}


def _id_cz(rng: random.Random, born: date, _p: tuple[str, str]) -> dict[str, str]:
    while True:
        base = _yymmdd(born) + _digits(rng, 3)
        check = int(base) % 11
        if check < 10:  # the whole number is then divisible by 11
            return {"NIDN": f"{base}{check}"}


def _id_ee_lt(rng: random.Random, born: date, _p: tuple[str, str]) -> dict[str, str]:
    century = (3 if born.year < 2000 else 5) + rng.randrange(2)
    base = f"{century}{_yymmdd(born)}{_digits(rng, 3)}"
    check = _weighted_mod11(base, (1, 2, 3, 4, 5, 6, 7, 8, 9, 1))
    if check == 10:
        check = _weighted_mod11(base, (3, 4, 5, 6, 7, 8, 9, 1, 2, 3)) % 10
    return {"NIDN": f"{base}{check}"}


def _id_es(rng: random.Random, _b: date, _p: tuple[str, str]) -> dict[str, str]:
    number = rng.randrange(10_000_000, 99_999_999)
    return {"NIDN": f"{number:08d}{'TRWAGMYFPDXBNJZSQVHLCKE'[number % 23]}"}


def _id_fi(rng: random.Random, born: date, _p: tuple[str, str]) -> dict[str, str]:
    serial = f"{rng.randrange(2, 900):03d}"
    check = "0123456789ABCDEFHJKLMNPRSTUVWXY"[int(_ddmmyy(born) + serial) % 31]
    return {"NIDN": f"{_ddmmyy(born)}{'-' if born.year < 2000 else 'A'}{serial}{check}"}


_NINO_LETTERS = "ABCEGHJKLMNPRSTWXYZ"
_NINO_EXCLUDED = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def _id_gb(rng: random.Random, _b: date, _p: tuple[str, str]) -> dict[str, str]:
    prefix = "ZZ"
    while prefix in _NINO_EXCLUDED:
        prefix = rng.choice(_NINO_LETTERS) + rng.choice(_NINO_LETTERS)
    return {"NIDN": f"{prefix}{_digits(rng, 6)}{rng.choice('ABCD')}", "CCPT": _digits(rng, 9)}


def _id_hr(rng: random.Random, _b: date, _p: tuple[str, str]) -> dict[str, str]:
    base = str(rng.randrange(1, 10)) + _digits(rng, 9)
    carry = 10
    for char in base:  # ISO 7064 MOD 11,10
        carry = (carry + int(char)) % 10 or 10
        carry = carry * 2 % 11
    return {"NIDN": f"{base}{(11 - carry) % 10}"}


def _id_is(rng: random.Random, born: date, _p: tuple[str, str]) -> dict[str, str]:
    while True:
        base = _ddmmyy(born) + f"{rng.randrange(20, 100):02d}"
        check = 11 - _weighted_mod11(base, (3, 2, 7, 6, 5, 4, 3, 2))
        if check != 10:
            century = "9" if born.year < 2000 else "0"
            return {"NIDN": f"{base}{check % 11}{century}"}


_CF_ODD = dict(
    zip(
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        (1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11,
         3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23),
        strict=True,
    )
)  # fmt: skip


def _plain_letters(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name.upper())
    return "".join(ch for ch in folded if "A" <= ch <= "Z")


def _cf_part(name: str, *, first: bool) -> str:
    letters = _plain_letters(name)
    consonants = [ch for ch in letters if ch not in "AEIOU"]
    vowels = [ch for ch in letters if ch in "AEIOU"]
    if first and len(consonants) >= 4:
        return consonants[0] + consonants[2] + consonants[3]
    return "".join([*consonants, *vowels, "X", "X", "X"])[:3]


def _id_it(rng: random.Random, born: date, names: tuple[str, str]) -> dict[str, str]:
    """The Italian codice fiscale, with its check letter."""
    first, surname = names
    body = (
        _cf_part(surname, first=False)
        + _cf_part(first.split()[0], first=True)
        + f"{born.year % 100:02d}{'ABCDEHLMPRST'[born.month - 1]}{born.day:02d}"
        + rng.choice(("H501", "F205", "F839", "L219", "G273"))
    )
    total = sum(
        _CF_ODD[ch] if index % 2 == 0 else int(ch) if ch.isdigit() else ord(ch) - 65
        for index, ch in enumerate(body)
    )
    return {"NIDN": body + chr(65 + total % 26)}


def _id_lv(rng: random.Random, born: date, _p: tuple[str, str]) -> dict[str, str]:
    return {"NIDN": f"{_ddmmyy(born)}{1 if born.year < 2000 else 2}{_digits(rng, 4)}"}


def _id_mt(rng: random.Random, _b: date, _p: tuple[str, str]) -> dict[str, str]:
    return {"NIDN": f"{rng.randrange(1, 999_999)}{rng.choice('MGAHLPBZ')}"}


def _id_no(rng: random.Random, born: date, _p: tuple[str, str]) -> dict[str, str]:
    low = 0 if born.year < 2000 else 500
    while True:
        base = _ddmmyy(born) + f"{rng.randrange(low, low + 500):03d}"
        first = (11 - _weighted_mod11(base, (3, 7, 6, 1, 8, 9, 4, 5, 2))) % 11
        second = (11 - _weighted_mod11(base + str(first), (5, 4, 3, 2, 7, 6, 5, 4, 3, 2))) % 11
        if first < 10 and second < 10:
            return {"NIDN": f"{base}{first}{second}"}


def _id_pl(rng: random.Random, born: date, _p: tuple[str, str]) -> dict[str, str]:
    month = born.month + (20 if born.year >= 2000 else 0)
    base = f"{born.year % 100:02d}{month:02d}{born.day:02d}{_digits(rng, 4)}"
    total = sum(int(d) * w for d, w in zip(base, (1, 3, 7, 9, 1, 3, 7, 9, 1, 3), strict=True))
    return {"NIDN": f"{base}{(10 - total % 10) % 10}"}


def _id_pt(rng: random.Random, _b: date, _p: tuple[str, str]) -> dict[str, str]:
    base = str(rng.randrange(1, 4)) + _digits(rng, 7)
    check = 11 - sum(int(d) * (9 - i) for i, d in enumerate(base)) % 11
    return {"NIDN": f"{base}{0 if check >= 10 else check}"}


def _id_ro(rng: random.Random, born: date, _p: tuple[str, str]) -> dict[str, str]:
    sex = (1 if born.year < 2000 else 5) + rng.randrange(2)
    base = f"{sex}{_yymmdd(born)}{rng.randrange(1, 47):02d}{rng.randrange(1, 1000):03d}"
    check = sum(int(d) * int(w) for d, w in zip(base, "279146358279", strict=True)) % 11
    return {"NIDN": f"{base}{1 if check == 10 else check}"}


def _id_se(rng: random.Random, born: date, _p: tuple[str, str]) -> dict[str, str]:
    base = _yymmdd(born) + _digits(rng, 3)
    return {"NIDN": f"{base}{luhn_check_digit(base)}"}


def _id_si(rng: random.Random, born: date, _p: tuple[str, str]) -> dict[str, str]:
    while True:
        base = f"{born.day:02d}{born.month:02d}{born.year % 1000:03d}50{_digits(rng, 3)}"
        check = 11 - _weighted_mod11(base, (7, 6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2))
        if check < 10:
            return {"NIDN": f"{base}{check}"}
        if check == 11:
            return {"NIDN": f"{base}0"}


_IdMaker = Callable[[random.Random, date, tuple[str, str]], dict[str, str]]


def _passport(prefix: str, digits: int) -> _IdMaker:
    def make(rng: random.Random, _b: date, _p: tuple[str, str]) -> dict[str, str]:
        return {"CCPT": prefix + _digits(rng, digits)}

    return make


def _id_gr(rng: random.Random, _b: date, _p: tuple[str, str]) -> dict[str, str]:
    return {"NIDN": _digits(rng, 10)}


def _id_dk(rng: random.Random, born: date, _p: tuple[str, str]) -> dict[str, str]:
    return {"NIDN": _ddmmyy(born) + _digits(rng, 4)}


def _id_nl(rng: random.Random, _b: date, _p: tuple[str, str]) -> dict[str, str]:
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    return {"CCPT": "N" + rng.choice(letters) + rng.choice(letters) + _digits(rng, 6)}


#: Identifier makers by nationality. CONCAT-first countries (AT DE FR HU IE LU) need none.
_ID_MAKERS: Mapping[str, _IdMaker] = {
    "BE": _id_be, "BG": _id_bg, "CY": _passport("K", 8), "CZ": _id_cz, "DK": _id_dk,
    "EE": _id_ee_lt, "ES": _id_es, "FI": _id_fi, "GB": _id_gb, "GR": _id_gr, "HR": _id_hr,
    "IS": _id_is, "IT": _id_it, "LI": _passport("R", 5), "LT": _id_ee_lt, "LV": _id_lv,
    "MT": _id_mt, "NL": _id_nl, "NO": _id_no, "PL": _id_pl, "PT": _id_pt, "RO": _id_ro,
    "SE": _id_se, "SI": _id_si, "SK": _id_cz, "US": _passport("", 9), "CH": _passport("X", 7),
    "ZA": _passport("A", 8), "AE": _passport("", 9), "CN": _passport("E", 8),
    "IN": _passport("K", 7), "BR": _passport("FZ", 6),
}  # fmt: skip


def _national_ids(
    rng: random.Random, born: date, first: str, surname: str, nationalities: Sequence[str]
) -> dict[str, str]:
    """Identifiers for each nationality; RTS 22's own first nationality wins a shared key."""
    ordered = sorted(nationalities, key=lambda code: (code not in EEA, code))
    ids: dict[str, str] = {}
    for code in ordered:
        maker = _ID_MAKERS.get(code)
        if maker is not None:
            for key, value in maker(rng, born, (first, surname)).items():
                ids.setdefault(key, value)
    return ids


# --- bank accounts -----------------------------------------------------------------------------

#: BBAN layouts: (bank code letters, digits). Countries not listed have no IBAN.
_BBAN: Mapping[str, tuple[int, int]] = {
    "AT": (0, 16), "BE": (0, 12), "BG": (4, 14), "CY": (0, 24), "CZ": (0, 20), "DE": (0, 18),
    "DK": (0, 14), "EE": (0, 16), "ES": (0, 20), "FI": (0, 14), "FR": (0, 23), "GR": (0, 23),
    "HR": (0, 17), "HU": (0, 24), "IE": (4, 14), "IS": (0, 22), "IT": (1, 22), "LI": (0, 17),
    "LT": (0, 16), "LU": (0, 16), "LV": (4, 13), "MT": (4, 23), "NL": (4, 10), "NO": (0, 11),
    "PL": (0, 24), "PT": (0, 21), "RO": (4, 16), "SE": (0, 20), "SI": (0, 15), "SK": (0, 20),
    "GB": (4, 14), "CH": (0, 17), "AE": (0, 19),
}  # fmt: skip


def random_iban(rng: random.Random, country: str) -> str | None:
    """A valid IBAN of ``country``, or None for a country without a bank-account layout here."""
    layout = _BBAN.get(country)
    if layout is None:
        return None
    letters, digits = layout
    bban = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(letters))
    bban += _digits(rng, digits)
    return f"{country}{iban_check_digits(country, bban)}{bban}"


def random_person(rng: random.Random, ordinal: int, start: date) -> Person:
    """Person holder number ``ordinal``: the showcase first, then drawn by nationality."""
    if ordinal < len(SHOWCASE):
        first, surname, nationalities = SHOWCASE[ordinal]
    else:
        country = _weighted(rng, _NATIONALITY_WEIGHTS)
        firsts, surnames = NAMES[country]
        first, surname = rng.choice(firsts), rng.choice(surnames)
        second = _SECOND_NATIONALITY.get(country)
        nationalities = (country, second) if second and rng.randrange(100) < 8 else (country,)
    born = start - timedelta(days=rng.randint(19 * 365, 75 * 365))
    residence = nationalities[0]
    if rng.randrange(100) < 12:
        residence = rng.choice(("CY", "DE", "GB", "CH", "AE", "ES", "MT"))
    ids = _national_ids(rng, born, first, surname, nationalities)
    return Person(first, surname, born, nationalities, ids, residence)


def random_entity(rng: random.Random, ordinal: int) -> Entity:
    """Company holder number ``ordinal``, named in order, with a random LEI."""
    country = _ENTITY_COUNTRIES[rng.randrange(len(_ENTITY_COUNTRIES))]
    prefix = ENTITY_PREFIXES[ordinal % len(ENTITY_PREFIXES)]
    core = ENTITY_CORES[(ordinal // len(ENTITY_PREFIXES)) % len(ENTITY_CORES)]
    series = ordinal // (len(ENTITY_PREFIXES) * len(ENTITY_CORES))
    name = f"{prefix} {core}{f' {series + 1}' if series else ''} {ENTITY_FORMS[country]}"
    body = "".join(rng.choice("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(12))
    nature, sector = ENTITY_NATURES[core]
    return Entity(name, make_lei(f"529900{body}"), country, nature, sector)


def _weighted(rng: random.Random, table: Sequence[tuple[str, int]]) -> str:
    roll = rng.randrange(sum(weight for _, weight in table))
    for value, weight in table:
        if roll < weight:
            return value
        roll -= weight
    raise AssertionError("unreachable")  # pragma: no cover
