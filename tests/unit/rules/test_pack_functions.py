"""same_name, overlaps and national_client_id in expressions: values, nulls, checks, backends."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import polars as pl
import pytest

import regkit as rk
from regkit import Account, CashMovement
from regkit.errors import PolicyError
from regkit.rules.lang import Scope, compile_expr, to_polars, to_python
from regkit.rules.policy import parse_policy
from regkit.schemas.io import to_frame

AS_OF = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
LEI = "5493001KJTIIGC8Y1R12"
PARAMS: dict[str, Any] = {
    "high_risk_countries": ["KP", "IR", "CZ"],
    "none": [],
    "regime": "UK",
    "bad_regime": "US",
    "numbers": [1, 2],
}
MOVEMENT = Scope("movement", {"account": Account}, PARAMS)
ACCOUNT = Scope("account", params=PARAMS)


def _person(account_id: str = "A1", **holder: Any) -> Account:
    data: dict[str, Any] = {
        "kind": "person",
        "first_name": "Jan",
        "surname": "Novák",
        "nationalities": ["CZ"],
        "date_of_birth": "1980-02-29",
    }
    data.update(holder)
    return Account.model_validate({"account_id": account_id, "holder": data, "category": "retail"})


def _entity(account_id: str = "A1", name: str = "Kestrel Payments Ltd") -> Account:
    return Account.model_validate(
        {
            "account_id": account_id,
            "holder": {"kind": "entity", "name": name, "lei": LEI, "country": "MT"},
            "category": "professional",
        }
    )


def _movement(payer: str | None = "NOVAK JAN", account_id: str = "A1") -> CashMovement:
    return CashMovement.model_validate(
        {
            "movement_id": f"M-{account_id}",
            "account_id": account_id,
            "kind": "deposit",
            "amount": "100",
            "currency": "EUR",
            "at": "2026-11-20T10:00:00Z",
            "payer_name": payer,
        }
    )


def _movements_frame(movements: list[CashMovement], accounts: list[Account]) -> pl.DataFrame:
    frame = to_frame(movements)
    if not accounts:
        return frame
    side = to_frame(accounts)
    side = side.rename({name: f"account.{name}" for name in side.columns})
    return frame.join(
        side, left_on="account_id", right_on="account.account_id", how="left", maintain_order="left"
    )


def _both_movement(text: str, movement: CashMovement, account: Account | None) -> Any:
    """The value on both backends, which must agree."""
    expr = compile_expr(text, MOVEMENT, where="test")
    value = to_python(expr)(movement=movement, account=account, as_of=AS_OF)
    frame = _movements_frame([movement], [account] if account is not None else [])
    if account is None:
        frame = frame.with_columns(
            pl.lit(None).alias(n) for n in expr.names if n.startswith("account.")
        )
    got = frame.with_columns(to_polars(expr, as_of=AS_OF).alias("v"))["v"].to_list()
    assert got == [value], (text, value, got)
    return value


def _both_accounts(text: str, accounts: list[Account]) -> list[Any]:
    expr = compile_expr(text, ACCOUNT, where="test")
    function = to_python(expr)
    values = [function(account=account) for account in accounts]
    got = to_frame(accounts).with_columns(to_polars(expr).alias("v"))["v"].to_list()
    assert got == values, (text, values, got)
    return values


# --- same_name -----------------------------------------------------------------------------

SAME_NAME = "same_name(movement.payer_name, account.holder.first_name, account.holder.surname)"
SAME_ENTITY = "same_name(movement.payer_name, account.holder.name)"


@pytest.mark.parametrize(
    ("payer", "account", "text", "expected"),
    [
        ("NOVAK JAN", _person(), SAME_NAME, True),
        ("Novák, Jan", _person(), SAME_NAME, True),
        ("Mr. Jan Novák", _person(), SAME_NAME, True),
        ("Jana Nováková", _person(), SAME_NAME, False),
        ("Viktor Sokolov", _person(), SAME_NAME, False),
        ("NOVAK JAN", _person(), SAME_ENTITY, False),  # a person has no name: False
        ("KESTREL PAYMENTS LIMITED", _entity(), SAME_ENTITY, True),
        ("Kestrel Payments", _entity(), SAME_ENTITY, True),
        ("Kestrel Capital Ltd", _entity(), SAME_ENTITY, False),
        ("Kestrel Payments Ltd", _entity(), SAME_NAME, False),  # an entity has no first name
        (None, _person(), SAME_NAME, False),
        ("NOVAK JAN", None, SAME_NAME, False),
        ("NOVAK JAN", None, SAME_ENTITY, False),
        ("Jan Novák", _person(), 'same_name(movement.payer_name, "novak, jan")', True),
        ("Jan Novák", _person(), 'same_name("Jan", "Jan", account.holder.surname)', False),
        ("Jan Novák", _person(), 'same_name("Novák Jan", "Jan", account.holder.surname)', True),
        ("x", _person(), 'same_name("Dr. Hana Bauerová", "hana bauerova")', True),
        ("x", _person(), 'same_name("SILVA, Ana", "Ana", "Silva")', True),
        ("x", _person(), 'same_name("Mr", "Mr")', False),
    ],
)
def test_same_name(payer: str | None, account: Account | None, text: str, expected: bool) -> None:
    assert _both_movement(text, _movement(payer), account) is expected


def test_same_name_in_a_rule() -> None:
    text = f"{SAME_NAME} or {SAME_ENTITY}"
    assert _both_movement(text, _movement("NOVAK, JAN"), _person()) is True
    assert _both_movement(text, _movement("Kestrel Payments"), _entity()) is True
    assert _both_movement(f"not ({text})", _movement("Dmitri Orlov"), _person()) is True
    assert _both_movement(f"not ({text})", _movement(None), _person()) is True


def test_same_name_is_computed_once_per_distinct_row_in_order() -> None:
    accounts = [_person("A1"), _entity("A2"), _person("A3", first_name="Ana", surname="Silva")]
    payers = ["NOVAK JAN", "Kestrel Payments Limited", "Silva, Ana", None, "Ana Silva", "x"]
    movements = [
        _movement(payer, account_id=f"A{1 + i % 3}").model_copy(update={"movement_id": f"M{i}"})
        for i, payer in enumerate(payers * 3)
    ]
    by_id = {account.account_id: account for account in accounts}
    expr = compile_expr(f"{SAME_NAME} or {SAME_ENTITY}", MOVEMENT)
    function = to_python(expr)
    expected = [function(movement=m, account=by_id[m.account_id]) for m in movements]
    frame = _movements_frame(movements, accounts)
    assert frame.select(to_polars(expr).alias("v"))["v"].to_list() == expected
    assert expected[:6] == [True, True, True, False, False, False]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("same_name(movement.payer_name)", "same_name() takes 2 to 3 argument(s), got 1"),
        ('same_name("a", "b", "c", "d")', "same_name() takes 2 to 3 argument(s), got 4"),
        (
            "same_name(movement.amount, account.holder.name)",
            "same_name() needs strings, not decimal",
        ),
        ('same_name(movement.kind, "deposit")', "same_name() needs strings, not enum MovementKind"),
        ("same_name(movement.payer_name, None)", "same_name() needs strings, not none"),
        (
            "same_name(movement.payer_name, account.holder)",
            "a nested record is not a value",
        ),
        ("same_name(movement.payer_name, name=account.holder.name)", "takes no keyword"),
    ],
)
def test_same_name_errors(text: str, problem: str) -> None:
    with pytest.raises(PolicyError, match=r"^test: ") as caught:
        compile_expr(text, MOVEMENT, where="test")
    assert problem in str(caught.value)


# --- overlaps ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "overlaps(account.holder.nationalities, params.high_risk_countries)",
            [True, False, False],
        ),
        (
            "overlaps(params.high_risk_countries, account.holder.nationalities)",
            [True, False, False],
        ),
        ('overlaps(account.holder.nationalities, ["FR", "DE"])', [False, True, False]),
        ('overlaps(["FR", "DE"], account.holder.nationalities)', [False, True, False]),
        ("overlaps(account.holder.nationalities, [])", [False, False, False]),
        ("overlaps(account.holder.nationalities, params.none)", [False, False, False]),
        (
            "overlaps(account.holder.nationalities, account.holder.nationalities)",
            [True, True, False],
        ),
        ('overlaps(["A", "B"], ["B"])', [True, True, True]),
        ('overlaps(["A", "B"], ["C"])', [False, False, False]),
        ('overlaps(["A", None], [None])', [False, False, False]),
        ('not overlaps(account.holder.nationalities, ["CZ"])', [False, True, True]),
    ],
)
def test_overlaps(text: str, expected: list[bool]) -> None:
    accounts = [_person("A1"), _person("A2", nationalities=["DE", "US"]), _entity("A3")]
    assert _both_accounts(text, accounts) == expected


def test_overlaps_of_a_missing_account_is_false() -> None:
    text = "overlaps(account.holder.nationalities, params.high_risk_countries)"
    assert _both_movement(text, _movement(), None) is False
    assert _both_movement(text, _movement(), _person()) is True
    assert _both_movement(f"not {text}", _movement(), None) is True


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            'overlaps(account.holder.first_name, ["Jan"])',
            "overlaps() needs two lists of strings, not str",
        ),
        ("overlaps(params.numbers, [1])", "overlaps() needs two lists of strings, not list of int"),
        ("overlaps(account.holder.nationalities)", "overlaps() takes 2 argument(s), got 1"),
        ("overlaps(account.holder.nationalities, None)", "overlaps() needs two lists of strings"),
        ("overlaps(account.holder.nationalities, params.regime)", "not str"),
    ],
)
def test_overlaps_errors(text: str, problem: str) -> None:
    with pytest.raises(PolicyError) as caught:
        compile_expr(text, ACCOUNT)
    assert problem in str(caught.value)


# --- national_client_id --------------------------------------------------------------------


def test_national_client_id_of_persons_and_entities() -> None:
    accounts = [
        _person("A1", nationalities=["PL"], national_ids={"PESEL": "80022912345"}),
        _person("A2"),  # CZ without an id: CONCAT from the name and date of birth
        _person("A3", date_of_birth=None),  # CZ: no id and no CONCAT
        _entity("A4"),
        _person("A5", nationalities=["GB"], national_ids={"NINO": "AB123456C"}),
        _person("A6", nationalities=["PL"], national_ids={"PESEL": "not-a-pesel"}),
        _person("A7", nationalities=["DE", "CZ"], national_ids={"NIDN": "8002291234"}),
    ]
    eu = _both_accounts("national_client_id(account.holder)", accounts)
    assert eu == [
        "PL80022912345",
        "CZ19800229JAN##NOVAK",
        None,
        None,
        "GB19800229JAN##NOVAK",  # under the EU's Annex II, GB is a third country
        None,
        "CZ8002291234",  # CZ sorts before DE
    ]
    assert _both_accounts('national_client_id(account.holder, "EU")', accounts) == eu
    uk = _both_accounts('national_client_id(account.holder, "UK")', accounts)
    assert uk[4] == "GBAB123456C"
    assert _both_accounts("national_client_id(account.holder, params.regime)", accounts) == uk
    assert _both_accounts("national_client_id(account.holder) is None", accounts) == [
        value is None for value in eu
    ]


def test_national_client_id_without_national_ids_columns() -> None:
    accounts = [_person("A1"), _entity("A2"), _person("A3", date_of_birth=None)]
    frame = to_frame(accounts)
    assert not [name for name in frame.columns if "national_ids" in name]
    assert _both_accounts("national_client_id(account.holder)", accounts) == [
        "CZ19800229JAN##NOVAK",
        None,
        None,
    ]


def test_national_client_id_of_a_related_account() -> None:
    text = "national_client_id(account.holder)"
    person = _person(nationalities=["PL"], national_ids={"PESEL": "80022912345"})
    assert _both_movement(text, _movement(), person) == "PL80022912345"
    assert _both_movement(text, _movement(), _entity()) is None
    assert _both_movement(text, _movement(), None) is None
    assert _both_movement(f"{text} is not None", _movement(), None) is False
    assert _both_movement(f'{text} == "PL80022912345"', _movement(), person) is True


def test_national_client_id_with_other_column_names() -> None:
    """Columns named by ``columns=``: the national_ids columns are found by the same rule."""
    accounts = [
        _person("A1", nationalities=["PL"], national_ids={"PESEL": "80022912345"}),
        _person("A2", nationalities=["US"], national_ids={"CCPT": "123456789"}),
        _entity("A3"),
    ]
    frame = to_frame(accounts)
    frame = frame.rename({name: "acct__" + name.replace(".", "__") for name in frame.columns})
    expr = compile_expr("national_client_id(account.holder)", ACCOUNT)
    got = frame.select(
        to_polars(expr, columns=lambda path: path.replace(".", "__").replace("account", "acct"))
    ).to_series()
    assert got.to_list() == ["PL80022912345", "US123456789", None]


def test_national_client_id_reads_the_holder_fields() -> None:
    expr = compile_expr("national_client_id(account.holder) is None", MOVEMENT)
    assert expr.names == {
        "account.holder.kind",
        "account.holder.first_name",
        "account.holder.surname",
        "account.holder.date_of_birth",
        "account.holder.nationalities",
    }
    assert str(expr.type) == "bool"
    assert str(compile_expr("national_client_id(account.holder)", MOVEMENT).type) == "str"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("national_client_id(account.kyc)", "national_client_id() needs a holder record"),
        ("national_client_id(account.holder.first_name)", "needs a holder record (account.holder)"),
        ("national_client_id(account)", "'account' is a record"),
        ('national_client_id(account.holder, "US")', "must be 'EU' or 'UK'"),
        ('national_client_id(account.holder, "eu")', "must be 'EU' or 'UK'"),
        ("national_client_id(account.holder, params.bad_regime)", "must be 'EU' or 'UK'"),
        ("national_client_id(account.holder, account.holder.first_name)", "must be 'EU' or 'UK'"),
        ("national_client_id(account.holder, 1)", "must be 'EU' or 'UK'"),
        ('national_client_id(account.holder, "EU", "UK")', "takes 1 to 2 argument(s), got 3"),
        ("national_client_id()", "takes 1 to 2 argument(s), got 0"),
        ("len(account.holder)", "a nested record is not a value"),
        ('same_name(account.holder, "x")', "a nested record is not a value"),
    ],
)
def test_national_client_id_errors(text: str, problem: str) -> None:
    with pytest.raises(PolicyError) as caught:
        compile_expr(text, MOVEMENT)
    assert problem in str(caught.value)


# --- in a policy, on both engines ----------------------------------------------------------

POLICY = """\
policy: pack-functions
version: "1"
parameters:
  high_risk_countries: [KP, IR, CZ]
  regime: EU
rules:
  - id: THIRD-PARTY
    title: Deposit not paid by the holder
    severity: high
    applies_to: movement
    when: movement.payer_name is not None and account.category is not None
    assert: >-
      same_name(movement.payer_name, account.holder.first_name, account.holder.surname)
      or same_name(movement.payer_name, account.holder.name)
    message: "paid by {movement.payer_name}"
  - id: NATIONAL-ID
    title: No national client id
    severity: high
    applies_to: account
    when: account.holder.kind == "person"
    assert: national_client_id(account.holder, params.regime) is not None
    message: "no id for {account.holder.surname}"
  - id: HIGH-RISK
    title: High-risk nationality
    severity: medium
    applies_to: account
    assert: not overlaps(account.holder.nationalities, params.high_risk_countries)
    message: "nationalities {account.holder.nationalities}"
"""


def test_a_policy_using_the_functions_finds_the_same_on_both_engines() -> None:
    policy = parse_policy(POLICY, "pack.yaml")
    accounts = [
        _person("A1"),
        _person("A2", nationalities=["DE"], date_of_birth=None),
        _entity("A3"),
    ]
    movements = [
        _movement("Novák, Jan", "A1"),
        _movement("Viktor Sokolov", "A1").model_copy(update={"movement_id": "M2"}),
        _movement("KESTREL PAYMENTS LIMITED", "A3"),
        _movement("Hana Bauerová", "A3").model_copy(update={"movement_id": "M4"}),
    ]
    found = {}
    for engine in ("python", "polars"):
        result = rk.check(
            policy, accounts=accounts, movements=movements, as_of=AS_OF, engine=engine
        )
        found[engine] = sorted((f.rule_id, f.record_id) for f in result.findings)
    assert found["python"] == found["polars"]
    assert found["python"] == [
        ("HIGH-RISK", "A1"),
        ("NATIONAL-ID", "A2"),
        ("THIRD-PARTY", "M2"),
        ("THIRD-PARTY", "M4"),
    ]
