"""Names compared as payers write them: normalise_name and same_name."""

from __future__ import annotations

import pytest

from regkit import LegalEntity, NaturalPerson
from regkit.rules.names import LEGAL_FORMS, TITLES, normalise_name, same_name
from regkit.samples import SampleConfig, generate
from regkit.samples import _parties as samples


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Ana Silva", ("ana", "silva")),
        ("SILVA, Ana", ("ana", "silva")),
        ("  silva   ANA ", ("ana", "silva")),
        ("Dr. Hana Bauerová", ("bauerova", "hana")),
        ("Søren Ødegård", ("odegard", "soren")),
        ("Klaus Weiß", ("klaus", "weiss")),
        ("Œdipe Lefèvre", ("lefevre", "oedipe")),
        ("Æsa Jónsdóttir", ("aesa", "jonsdottir")),
        ("Þór Gunnarsson", ("gunnarsson", "thor")),
        ("Siobhán O'Brien", ("obrien", "siobhan")),
        ("Giulia D’Angelo", ("dangelo", "giulia")),
        ("Jean-Claude de la Fontaine", ("claude", "de", "fontaine", "jean", "la")),
        ("Sig.ra Giulia Rossi", ("giulia", "rossi")),
        ("Mme Élodie Moreau", ("elodie", "moreau")),
        ("Herr Prof. Dr. Lukas Müller", ("lukas", "muller")),
        ("Ing. Petr Černý", ("cerny", "petr")),
        ("Kestrel Payments Ltd", ("kestrel", "payments")),
        ("KESTREL PAYMENTS LIMITED", ("kestrel", "payments")),
        ("Alpine Capital S.A.", ("alpine", "capital")),
        ("Rhein Invest GmbH & Co. KG", ("invest", "rhein")),
        ("Helios Markets Sp. z o.o.", ("helios", "markets")),
        ("Iberia Trading S.L.", ("iberia", "trading")),
        ("Ltd", ("ltd",)),  # never the whole name
        ("Ltd Kestrel", ("kestrel", "ltd")),  # only at the end
        ("Mr.", ()),
        ("", ()),
        ("...", ()),
        ("Иван Петров", ("иван", "петров")),
    ],
)
def test_normalise_name(text: str, words: tuple[str, ...]) -> None:
    assert normalise_name(text) == words


def test_legal_forms_may_be_kept() -> None:
    assert normalise_name("Ana Sá", legal_forms=False) == ("ana", "sa")
    assert normalise_name("Ana Sá") == ("ana",)
    assert normalise_name("Kestrel Ltd", legal_forms=False) == ("kestrel", "ltd")


def test_every_title_is_one_word_and_every_form_some() -> None:
    for title in TITLES:
        assert len(normalise_name(f"{title} Ana", legal_forms=False)) == 1, title
    for form in LEGAL_FORMS:
        assert normalise_name(f"Kestrel {form}") == ("kestrel",), form
        assert normalise_name(f"Kestrel {form.upper()}") == ("kestrel",), form


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("SILVA, Ana", "Ana Silva"),
        ("Dr. Hana Bauerová", "hana bauerova"),
        ("Kestrel Payments Ltd", "KESTREL PAYMENTS LIMITED"),
        ("Kestrel Payments Ltd.", "Kestrel Payments"),
        ("Mrs. Eleanor Wright", "WRIGHT ELEANOR"),
        ("Anne-Marie Dupont", "Dupont Anne Marie"),
        ("Jean Claude Van Damme", "VAN DAMME, JEAN-CLAUDE"),
        ("Alpine Capital GmbH", "ALPINE CAPITAL"),
        ("Nordic Invest AB", "Nordic Invest A.B."),
    ],
)
def test_same_name(first: str, second: str) -> None:
    assert same_name(first, second)
    assert same_name(second, first)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Ana Silva", "Ana Silvia"),  # no fuzzy matching
        ("Ana Silva", "Ana Maria Silva"),  # every word counts
        ("Ana Ana Silva", "Ana Silva"),  # a multiset: words count as often as they stand
        ("Kestrel Payments Ltd", "Kestrel Ltd"),
        ("Ltd", "Limited"),
        ("Mr", "Mr"),  # no words: no name, not even the same one
        ("", ""),
        ("Jan Novák", "Jana Nováková"),
    ],
)
def test_not_same_name(first: str, second: str) -> None:
    assert not same_name(first, second)
    assert not same_name(second, first)


def test_same_name_of_first_and_last_names() -> None:
    assert same_name("SILVA, Ana", "Ana", "Silva")
    assert same_name("Dr. Anna von Bülow", "Dr. Anna", "von Bülow")
    assert same_name("VON BULOW ANNA", "Dr. Anna", "von Bülow")
    assert same_name("Ana Sá", "Ana", "Sá")  # legal forms are kept: Sá is a surname
    assert not same_name("Ana", "Ana", "Sá")
    assert not same_name("Ana Silva", "Ana Maria", "Silva")
    assert not same_name("Ana Silva", "Mr.", "")


#: How the five third-party payers of the samples could be written by their banks.
_VARIANTS = {
    "Viktor Sokolov": ["SOKOLOV, VIKTOR", "Mr Viktor Sokolov", "viktor  sokolov"],
    "Marta Quintero": ["QUINTERO MARTA", "Sra. Marta Quintero", "Quintero, Marta"],
    "Kestrel Payments Ltd": [
        "KESTREL PAYMENTS LIMITED",
        "Kestrel Payments",
        "Kestrel Payments LTD.",
    ],
    "Dmitri Orlov": ["ORLOV DMITRI", "Herr Dmitri Orlov", "Orlov, Dmitri"],
    "Hana Bauerová": ["BAUEROVA HANA", "Dr. Hana Bauerová", "Bauerova, Hana", "Mgr. Hana BAUEROVÁ"],
}


def test_the_sample_payers_match_their_own_variants() -> None:
    payers = [name for name, _country in samples.THIRD_PARTIES]
    assert sorted(payers) == sorted(_VARIANTS)
    for payer, variants in _VARIANTS.items():
        for variant in variants:
            assert same_name(variant, payer), (variant, payer)
            if " " in payer and not payer.endswith("Ltd"):
                first, last = payer.split(" ")
                assert same_name(variant, first, last), (variant, payer)
        for other in payers:
            if other != payer:
                assert not any(same_name(v, other) for v in variants), (payer, other)


def test_the_sample_payers_match_no_sample_holder() -> None:
    people = [(s.first, s.surname) for s in samples.SHOWCASE]
    people += [
        (first, last)
        for firsts, lasts in samples.NAMES.values()
        for first in firsts
        for last in lasts
    ]
    companies = [
        f"{prefix} {core} {form}"
        for prefix in samples.ENTITY_PREFIXES
        for core in samples.ENTITY_CORES
        for form in samples.ENTITY_FORMS.values()
    ]
    for payer, _country in samples.THIRD_PARTIES:
        for variant in [payer, *_VARIANTS[payer]]:
            assert not any(same_name(variant, first, last) for first, last in people), variant
            assert not any(same_name(variant, f"{first} {last}") for first, last in people)
            assert not any(same_name(variant, company) for company in companies), variant


def test_the_samples_third_party_deposits_are_exactly_those_not_by_the_holder() -> None:
    sample = generate(SampleConfig(trades=3000))
    holders = {account.account_id: account.holder for account in sample.accounts}
    not_holder = set()
    for movement in sample.movements:
        if movement.kind != "deposit" or movement.payer_name is None:
            continue
        holder = holders[movement.account_id]
        if isinstance(holder, NaturalPerson):
            same = same_name(movement.payer_name, holder.first_name, holder.surname)
        else:
            assert isinstance(holder, LegalEntity)
            same = same_name(movement.payer_name, holder.name)
        if not same:
            not_holder.add(movement.movement_id)
    planted = {item.keys[0] for item in sample.planted_of("third_party_payer")}
    assert planted
    assert not_holder == planted
