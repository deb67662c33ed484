"""The exception tree and what RecordError says: one line, what and where, expected vs found."""

from __future__ import annotations

import copy
import pickle
import re
from decimal import Decimal
from typing import Any

import pytest

import regkit
from regkit import errors
from regkit.errors import (
    IdentifierError,
    PackError,
    PackIntegrityError,
    PolicyError,
    RecordError,
    RegkitError,
    RenderError,
    XsdValidationError,
)


def _drawn_tree() -> dict[str, str]:
    """Child → parent, read from the tree drawn in the errors module's docstring."""
    assert errors.__doc__ is not None
    parents: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in errors.__doc__.splitlines():
        match = re.match(r"^(\s*)(?:[│ ]*[├└]── )?([A-Z]\w*Error)\b", line)
        if not match:
            continue
        depth = len(line) - len(line.lstrip(" │├└─"))
        name = match.group(2)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if stack:
            parents[name] = stack[-1][1]
        stack.append((depth, name))
    return parents


def test_the_drawn_tree_is_the_class_tree() -> None:
    drawn = _drawn_tree()
    assert set(drawn) == set(errors.__all__) - {"RegkitError"}
    for child, parent in drawn.items():
        child_class = getattr(errors, child)
        assert parent in [base.__name__ for base in child_class.__bases__], (child, parent)


@pytest.mark.parametrize(
    ("error_class", "parents"),
    [
        (RecordError, (RegkitError, ValueError)),
        (IdentifierError, (RegkitError, ValueError)),
        (PolicyError, (RegkitError,)),
        (RenderError, (RegkitError,)),
        (XsdValidationError, (RenderError, RegkitError)),
        (PackError, (RegkitError,)),
        (PackIntegrityError, (PackError, RegkitError)),
    ],
)
def test_every_error_is_a_regkit_error_with_its_stdlib_mixin(
    error_class: type[Exception], parents: tuple[type[Exception], ...]
) -> None:
    for parent in parents:
        assert issubclass(error_class, parent)


def test_regkit_error_catches_everything_regkit_raises_on_purpose() -> None:
    assert issubclass(RegkitError, Exception)
    assert not issubclass(RegkitError, ValueError)  # misuse and broken files differ
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), RegkitError)
        assert getattr(regkit, name) is getattr(errors, name)


FULL = RecordError(
    "Input should be greater than 0",
    file="trades.csv",
    line=3,
    row=2,
    key="T2",
    field="quantity",
    value="-5",
    model="Trade",
)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            FULL,
            "Trade: trades.csv, line 3, row 2, key 'T2', field 'quantity': "
            "Input should be greater than 0 (got '-5')",
        ),
        (
            RecordError("the file is empty: no header and no rows", file="trades.csv"),
            "trades.csv: the file is empty: no header and no rows",
        ),
        (
            RecordError("unknown column 'qty' (did you mean 'quantity'?)", file="t.csv", line=1),
            "t.csv, line 1: unknown column 'qty' (did you mean 'quantity'?)",
        ),
        (
            RecordError("duplicate key (first seen in row 1)", row=4, key="T1", model="Trade"),
            "Trade: row 4, key 'T1': duplicate key (first seen in row 1)",
        ),
        (RecordError("no such file"), "no such file"),
        (RecordError("bad", model="Trade"), "Trade: bad"),
        (RecordError("not a number", value=0), "not a number (got 0)"),
        (
            RecordError("finite number", field="price", value=Decimal("NaN")),
            "field 'price': finite number (got Decimal('NaN'))",
        ),
        (
            RecordError("too long", value="x" * 100),
            "too long (got '" + "x" * 76 + "...)",
        ),
    ],
)
def test_record_error_says_what_and_where_in_one_line(error: RecordError, expected: str) -> None:
    assert str(error) == expected
    assert "\n" not in str(error)
    assert error.args == (expected,)


def test_record_error_keeps_its_parts_as_attributes() -> None:
    assert (FULL.file, FULL.line, FULL.row, FULL.key, FULL.field, FULL.value, FULL.model) == (
        "trades.csv",
        3,
        2,
        "T2",
        "quantity",
        "-5",
        "Trade",
    )
    assert FULL.reason == "Input should be greater than 0"
    assert RecordError("x").errors == []


def test_record_error_as_dict_is_plain_data() -> None:
    assert FULL.as_dict() == {
        "model": "Trade",
        "file": "trades.csv",
        "line": 3,
        "row": 2,
        "key": "T2",
        "field": "quantity",
        "reason": "Input should be greater than 0",
        "value": "-5",
    }
    odd = RecordError("bad", value=Decimal("-5"))
    assert odd.as_dict()["value"] == "Decimal('-5')"


def _state(error: RecordError) -> dict[str, Any]:
    return {**vars(error), "str": str(error), "args": error.args}


@pytest.mark.parametrize(
    "make",
    [
        lambda: RecordError(**FULL.as_dict()),
        lambda: RecordError("bad", value=Decimal("1.5"), key="M1"),
        lambda: RecordError("no such file", file="missing.csv"),
    ],
)
def test_record_error_survives_pickling_and_copying(make: Any) -> None:
    error = make()
    error.errors = [{"loc": "quantity", "msg": "bad", "type": "value_error", "input": "-5"}]
    for again in (pickle.loads(pickle.dumps(error)), copy.deepcopy(error)):
        assert type(again) is RecordError
        assert _state(again) == _state(error)


def test_record_error_from_a_read_survives_pickling() -> None:
    batch = regkit.read_records(
        [
            {
                "movement_id": "M1",
                "account_id": "A1",
                "kind": "deposit",
                "amount": "-5",
                "currency": "EUR",
                "at": "2026-11-20T10:00:00Z",
            }
        ],
        regkit.CashMovement,
    )
    (error,) = batch.errors
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error)
    assert again.errors == error.errors != []


def test_record_error_is_raised_and_caught_as_value_error() -> None:
    with pytest.raises(ValueError, match="row 2"):
        raise FULL
