"""The language reads the record kinds from the kind table at use time, not at import."""

from __future__ import annotations

import types
from datetime import UTC, datetime
from decimal import Decimal
from typing import ClassVar

import polars as pl
import pytest

from regkit.errors import PolicyError
from regkit.rules.lang import RECORD_KINDS, Scope, compile_expr
from regkit.schemas import kinds
from regkit.schemas.base import Record
from regkit.schemas.kinds import KINDS, RecordKind


class Toy(Record):
    """A record kind the table does not hold until the test adds it."""

    key_fields: ClassVar[tuple[str, ...]] = ("toy_id",)

    toy_id: str
    amount: Decimal
    colour: str | None = None
    at: datetime


@pytest.fixture
def toy_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    table = {**KINDS, "toy": RecordKind("toy", "toys", Toy, "at")}
    monkeypatch.setattr(kinds, "KINDS", types.MappingProxyType(table))


def test_record_kinds_is_a_view_of_the_table() -> None:
    assert list(RECORD_KINDS) == list(KINDS)
    assert {name: RECORD_KINDS[name] for name in RECORD_KINDS} == {
        name: kind.model for name, kind in KINDS.items()
    }
    assert "toy" not in RECORD_KINDS
    with pytest.raises(PolicyError, match="unknown record kind 'toy'"):
        Scope("toy")


@pytest.mark.usefixtures("toy_kind")
def test_a_kind_added_later_is_usable_on_both_backends() -> None:
    assert RECORD_KINDS["toy"] is Toy
    assert len(RECORD_KINDS) == len(KINDS) + 1
    expr = compile_expr("toy.amount > 5 and toy.colour is None", Scope("toy"))
    assert expr.names == {"toy.amount", "toy.colour"}
    at = datetime(2026, 11, 20, tzinfo=UTC)
    toys = [
        Toy(toy_id="a", amount=Decimal("7.5"), at=at),
        Toy(toy_id="b", amount=Decimal("2"), at=at),
        Toy(toy_id="c", amount=Decimal("9"), colour="red", at=at),
    ]
    python = [expr.python()(toy=toy) for toy in toys]
    frame = pl.DataFrame(
        {
            "amount": [toy.amount for toy in toys],
            "colour": [toy.colour for toy in toys],
        },
        schema={"amount": pl.Decimal(38, 1), "colour": pl.String},
    )
    polars = frame.select(expr.polars().alias("x"))["x"].to_list()
    assert python == polars == [True, False, False]
    with pytest.raises(PolicyError, match="toy has no field 'amonut'"):
        compile_expr("toy.amonut > 5", Scope("toy"))
