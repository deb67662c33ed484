"""same_name, overlaps and national_client_id on random records: the backends agree exactly."""

from __future__ import annotations

from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import accounts, identifiers, joined_frame, key_of, movements

from regkit import Account, CashMovement, NaturalPerson
from regkit.rules import Scope, compile_expr, to_polars, to_python
from regkit.schemas.columnar import to_frame

PARAMS: dict[str, Any] = {
    "countries": ["DE", "CZ", "CY", "US"],
    "none": [],
    "regime": "UK",
}
MOVEMENT = Scope("movement", {"account": Account}, PARAMS)
ACCOUNT = Scope("account", params=PARAMS)

#: Name pieces that normalise alike (or nearly): collisions are likely.
_PIECES = (
    "Ana", "ANA", "ána", "Silva", "SILVA", "Sá", "Dr.", "Mr", "Mrs.", "Ltd", "Limited",
    "S.A.", "GmbH", "Søren", "Soren", "O'Brien", "OBrien", "Weiß", "weiss", "Kestrel",
    "Payments", "Jan", "Novák", "Co.", "&", "Anne-Marie",
)  # fmt: skip
_SEPARATORS = (" ", ", ", "  ", "-", " / ")


@st.composite
def names(draw: st.DrawFn) -> str:
    """A name of pieces that often normalise to the same words."""
    pieces = draw(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=4))
    text = pieces[0]
    for piece in pieces[1:]:
        text += draw(st.sampled_from(_SEPARATORS)) + piece
    return text.strip(" ,-/") or "Ana"


@st.composite
def holder_accounts(draw: st.DrawFn) -> Account:
    """An account whose holder's names come from :func:`names` half of the time."""
    account = draw(accounts())
    holder = account.holder
    if draw(st.booleans()):
        if isinstance(holder, NaturalPerson):
            holder = holder.model_copy(
                update={"first_name": draw(names()), "surname": draw(names())}
            )
        else:
            holder = holder.model_copy(update={"name": draw(names())})
    return account.model_copy(update={"holder": holder})


def _full_name(account: Account) -> str:
    holder = account.holder
    if isinstance(holder, NaturalPerson):
        return f"{holder.first_name} {holder.surname}"
    return holder.name


@st.composite
def books(draw: st.DrawFn) -> tuple[list[CashMovement], list[Account]]:
    """Accounts with distinct ids (sometimes without any national id, so that the frame has
    no ``national_ids`` columns) and movements on them, paid by their holder (as written in
    another way), by a made-up name or by nobody."""
    ids = draw(st.lists(identifiers("A"), min_size=1, max_size=4, unique=True))
    book = [draw(holder_accounts()).model_copy(update={"account_id": i}) for i in ids]
    if draw(st.booleans()):
        book = [
            a.model_copy(update={"holder": a.holder.model_copy(update={"national_ids": {}})})
            if isinstance(a.holder, NaturalPerson)
            else a
            for a in book
        ]
    by_id = {account.account_id: account for account in book}
    found = []
    for movement in draw(st.lists(movements(), min_size=1, max_size=8, unique_by=key_of)):
        account_id = draw(st.sampled_from(ids))
        payer = draw(st.sampled_from(["holder", "upper", "reversed", "title", "other", "kept"]))
        name = _full_name(by_id[account_id])
        if payer == "holder":
            movement_payer: str | None = name
        elif payer == "upper":
            movement_payer = name.upper()
        elif payer == "reversed":
            movement_payer = ", ".join(reversed(name.split(" ")))
        elif payer == "title":
            movement_payer = "Dr. " + name
        elif payer == "other":
            movement_payer = draw(names())
        else:
            movement_payer = movement.payer_name
        update = {"account_id": account_id, "payer_name": movement_payer}
        found.append(movement.model_copy(update=update))
    return found, book


SAME_PERSON = "same_name(movement.payer_name, account.holder.first_name, account.holder.surname)"
SAME_ENTITY = "same_name(movement.payer_name, account.holder.name)"
MOVEMENT_TEXTS = [
    SAME_PERSON,
    SAME_ENTITY,
    f"{SAME_PERSON} or {SAME_ENTITY}",
    f'movement.kind == "deposit" and not ({SAME_PERSON} or {SAME_ENTITY})',
    "same_name(account.holder.first_name, account.holder.surname)",
    'same_name(movement.payer_name, "Ana Silva")',
    'same_name(movement.payer_name, "Kestrel Payments Limited")',
    "same_name(movement.payer_name, movement.payer_name)",
    "overlaps(account.holder.nationalities, params.countries)",
    'overlaps(["GB", "AE"], account.holder.nationalities)',
    "overlaps(account.holder.nationalities, params.none)",
    'not overlaps(account.holder.nationalities, ["US"])',
    "national_client_id(account.holder)",
    'national_client_id(account.holder, "UK")',
    "national_client_id(account.holder, params.regime)",
    "national_client_id(account.holder) is None",
    'national_client_id(account.holder, "EU") == national_client_id(account.holder, "UK")',
    "len(national_client_id(account.holder))",
    f"national_client_id(account.holder) is not None and {SAME_PERSON}",
    'startswith(movement.payer_name, "A")',
    "startswith(movement.payer_name, account.holder.first_name)",
    'startswith(movement.kind, "dep") and not startswith(movement.payer_iban, "DE")',
    'coalesce(movement.payer_name, "nobody") == "nobody"',
    "coalesce(movement.payer_country, movement.currency) == movement.currency",
]
ACCOUNT_TEXTS = [
    "national_client_id(account.holder)",
    "national_client_id(account.holder, params.regime)",
    "overlaps(account.holder.nationalities, params.countries)",
    "same_name(account.holder.name, account.holder.name)",
    "same_name(account.holder.surname, account.holder.first_name)",
    'same_name(account.holder.name, "Kestrel Payments")',
    'upper(national_client_id(account.holder)) == national_client_id(account.holder, "UK")',
]


@settings(max_examples=60, deadline=None)
@given(books(), st.lists(st.sampled_from(MOVEMENT_TEXTS), min_size=1, max_size=4))
def test_movement_rules_agree(
    book: tuple[list[CashMovement], list[Account]], texts: list[str]
) -> None:
    found, owners = book
    by_id = {account.account_id: account for account in owners}
    frame = joined_frame(found, owners)
    for text in texts:
        expr = compile_expr(text, MOVEMENT, where="property")
        function = to_python(expr)
        expected = [function(movement=m, account=by_id[m.account_id]) for m in found]
        got = frame.with_columns(to_polars(expr).alias("v"))["v"].to_list()
        assert got == expected, text
        if expr.type.kind == "bool":
            assert all(type(value) is bool for value in expected), text


@settings(max_examples=40, deadline=None)
@given(
    st.lists(holder_accounts(), min_size=1, max_size=8, unique_by=key_of),
    st.sampled_from(ACCOUNT_TEXTS),
)
def test_account_rules_agree(book: list[Account], text: str) -> None:
    expr = compile_expr(text, ACCOUNT, where="property")
    function = to_python(expr)
    expected = [function(account=account) for account in book]
    got = to_frame(book).with_columns(to_polars(expr).alias("v"))["v"].to_list()
    assert got == expected, text


@settings(max_examples=30, deadline=None)
@given(st.lists(movements(), min_size=1, max_size=5, unique_by=key_of))
def test_movements_without_accounts_agree(found: list[CashMovement]) -> None:
    """No account at all: the engine adds the columns the expression reads, as nulls."""
    for text in MOVEMENT_TEXTS:
        expr = compile_expr(text, MOVEMENT, where="property")
        function = to_python(expr)
        expected = [function(movement=m) for m in found]
        frame = to_frame(found).with_columns(
            pl.lit(None).alias(name) for name in sorted(expr.names) if name.startswith("account.")
        )
        got = frame.with_columns(to_polars(expr).alias("v"))["v"].to_list()
        assert got == expected, text
