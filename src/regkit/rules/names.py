"""Whether two names name the same person or company: :func:`same_name`.

A payment carries its payer's name as the payer's bank wrote it: in capitals, surname first
after a comma, with a title, without accents, ``Limited`` for ``Ltd``. :func:`normalise_name`
reduces a name to its words so that such spellings of one name become equal, and
:func:`same_name` compares two names by those words. There is no fuzzy matching: a name
with a typo, a missing middle name or a nickname is another name.

:func:`normalise_name` takes these steps, in order:

1. The letters that Unicode decomposition does not reduce to Latin letters are replaced
   (``Æ``→``ae``, ``Ø``→``o``, ``Œ``→``oe``, ``Ł``→``l``, ``Đ``/``Ð``→``d``, ``Þ``→``th``,
   ``ı``→``i``), the text is decomposed (NFKD), its non-spacing marks (accents) are
   dropped, and it is case-folded (``ß``→``ss``).
2. Apostrophes (``'`` and its look-alikes ``’ ‘ ʼ ` ´ ′``) and full stops are deleted, so
   that ``O'Brien`` is ``obrien`` and ``S.A.`` is ``sa``. Every other character that is
   not a letter, a digit or a mark (white space, commas, hyphens, slashes, brackets,
   ``&`` ...) separates words: ``Anne-Marie`` is ``anne marie``.
3. Words that are titles or honorifics (:data:`TITLES`) are dropped, wherever they stand.
4. With ``legal_forms`` (the default): legal forms (:data:`LEGAL_FORMS`, one or more
   words) at the end of the name are dropped, repeatedly (``GmbH & Co. KG``), but never
   the name's last remaining word.
5. The words are sorted: their order does not count (``SILVA, Ana`` is ``Ana Silva``).

Two names are the same when their sorted words are equal: equal multisets of words (a
word written twice must be there twice). A name with no words left (empty, or only
titles) is the same as no name, not even itself.

Examples:
    >>> normalise_name("Dr. Hana Bauerová")
    ('bauerova', 'hana')
    >>> same_name("SILVA, Ana", "Ana Silva"), same_name("Kestrel Payments Ltd",
    ...     "KESTREL PAYMENTS LIMITED")
    (True, True)
    >>> same_name("Mrs A. Silva", "Ana", "Silva")
    False
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable

__all__ = ["LEGAL_FORMS", "TITLES", "normalise_name", "same_name"]

#: Titles and honorifics dropped from names, as people write them (case, accents and full
#: stops do not matter): English, French, German, Spanish, Portuguese and Italian forms
#: of address, and the academic titles written before a name in Germany, Italy and Czechia.
TITLES: tuple[str, ...] = (
    # English
    "mr", "mrs", "ms", "miss", "mx", "master", "sir", "dame", "madam", "dr", "prof",
    "professor", "rev",
    # French
    "m", "mme", "mlle", "monsieur", "madame", "mademoiselle",
    # German
    "herr", "frau", "dipl",
    # Spanish and Portuguese
    "sr", "sra", "srta", "snr", "snra", "señor", "señora", "señorita", "senhor", "senhora",
    # Italian
    "sig", "sig.ra", "sig.na", "signor", "signora", "signorina", "dott", "dott.ssa", "avv",
    # Czech and Slovak
    "ing", "mgr", "bc", "judr", "mudr", "phdr", "rndr",
)  # fmt: skip

#: Legal forms of companies dropped from the end of a name (one or more words, written as
#: companies write them; case, accents and full stops do not matter).
LEGAL_FORMS: tuple[str, ...] = (
    # British, Irish, American
    "ltd", "limited", "plc", "llp", "lp", "llc", "inc", "incorporated", "corp",
    "corporation", "co",
    # German, Austrian, Swiss
    "gmbh", "ag", "kg", "ohg", "ug", "se", "sàrl",
    # French, Belgian, Luxembourgish, Spanish, Italian, Portuguese
    "sa", "sas", "sarl", "srl", "spa", "sapa", "snc", "sl", "slu", "lda", "ltda",
    # Dutch and Belgian
    "bv", "nv", "vof", "cv",
    # Nordic
    "as", "asa", "aps", "oy", "oyj", "ab", "hf", "ehf",
    # Central and Eastern European
    "sp. z o.o.", "sp. k.", "s.r.o.", "a.s.", "kft", "zrt", "nyrt", "d.o.o.", "d.d.", "ood",
    "ead", "sia", "uab", "oü",
    # Cypriot, Maltese, Greek
    "ae", "epe",
)  # fmt: skip

#: Letters that NFKD leaves as they are, and what they become.
_FOLD = str.maketrans(
    {
        **dict.fromkeys("Ææ", "ae"), **dict.fromkeys("Øø", "o"), **dict.fromkeys("Œœ", "oe"),
        **dict.fromkeys("Łł", "l"), **dict.fromkeys("ĐđÐð", "d"), **dict.fromkeys("Þþ", "th"),
        "ı": "i",
    }
)  # fmt: skip
#: Deleted characters: apostrophes, their look-alikes, and full stops.
_DELETE = str.maketrans(dict.fromkeys("'’‘ʼ`´′.", None))


def _words(text: str) -> list[str]:
    """Steps 1 and 2: folded words, in written order."""
    # Delete before NFKD (which turns ´ into a space and an accent) and after it (ŉ → ʼn).
    folded = unicodedata.normalize("NFKD", text.translate(_DELETE).translate(_FOLD))
    folded = "".join(ch for ch in folded if unicodedata.category(ch) != "Mn")
    folded = folded.translate(_DELETE).translate(_FOLD).casefold()
    spaced = "".join(ch if unicodedata.category(ch)[0] in "LMN" else " " for ch in folded)
    return spaced.split()


def _title_words(titles: Iterable[str]) -> frozenset[str]:
    return frozenset(word for title in titles for word in _words(title))


_TITLE_WORDS = _title_words(TITLES)
#: Legal forms as word tuples, longest first.
_FORM_WORDS = tuple(
    sorted({tuple(_words(form)) for form in LEGAL_FORMS}, key=lambda form: (-len(form), form))
)


@functools.lru_cache(maxsize=65_536)
def _normalise(text: str, legal_forms: bool) -> tuple[str, ...]:
    words = [word for word in _words(text) if word not in _TITLE_WORDS]
    if legal_forms:
        stripped = True
        while stripped:
            stripped = False
            for form in _FORM_WORDS:
                if len(words) > len(form) and tuple(words[-len(form) :]) == form:
                    del words[-len(form) :]
                    stripped = True
                    break
    return tuple(sorted(words))


def normalise_name(text: str, *, legal_forms: bool = True) -> tuple[str, ...]:
    """The words of a name, normalised (steps 1-5 of the module) and sorted.

    Args:
        text: a person's or a company's name, as written.
        legal_forms: drop legal forms at the end of the name (for company names).

    Returns:
        The words in sorted order; two names are the same when these are equal and not
        empty.

    Examples:
        >>> normalise_name("SILVA, Ana"), normalise_name("Kestrel Payments Ltd.")
        (('ana', 'silva'), ('kestrel', 'payments'))
    """
    return _normalise(text, legal_forms)


def same_name(name: str, other: str, last: str | None = None) -> bool:
    """Whether ``name`` names the same person or company as ``other`` (and ``last``).

    With two arguments both are whole names, compared with legal forms dropped (a company
    name, or a person's full name). With three, ``other`` and ``last`` are a person's first
    name(s) and surname, joined by a space, and legal forms are kept on both sides (so that
    the surname Sá is not the legal form S.A.).

    Args:
        name: the name to test (a payer's name, as a payment carried it).
        other: a whole name, or the first name(s) when ``last`` is given.
        last: the surname, for a person given by first name(s) and surname.

    Returns:
        ``True`` when the two names have the same words once normalised (see the module)
        and those are not empty.

    Examples:
        >>> same_name("Dr. Hana Bauerová", "hana bauerova")
        True
        >>> same_name("BAUEROVA HANA", "Hana", "Bauerová"), same_name("Hana Bauer", "Hana",
        ...     "Bauerová")
        (True, False)
    """
    if last is None:
        mine, theirs = _normalise(name, True), _normalise(other, True)
    else:
        mine, theirs = _normalise(name, False), _normalise(f"{other} {last}", False)
    return bool(mine) and mine == theirs
