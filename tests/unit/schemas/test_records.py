"""The record classes: what a broker's data must look like to become a record.

Each test states a rule from the records' contract (DESIGN.md, "Records"): frozen and
strict, exact decimals, UTC datetimes, checked codes, cross-field checks, conversions.
"""

from __future__ import annotations

import enum
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from regkit import (
    Account,
    AccountSnapshot,
    Capacity,
    CashMovement,
    ClientCategory,
    Delivery,
    Firm,
    Instrument,
    Kyc,
    KycStatus,
    LegalEntity,
    MovementKind,
    NaturalPerson,
    PaymentMethod,
    PositionEffect,
    Product,
    Record,
    RiskRating,
    Side,
    Trade,
    UnderlyingClass,
)

MODELS = {
    "trade": Trade,
    "account": Account,
    "instrument": Instrument,
    "movement": CashMovement,
    "snapshot": AccountSnapshot,
    "firm": Firm,
    "person": NaturalPerson,
    "entity": LegalEntity,
    "kyc": Kyc,
}


@pytest.fixture
def data_of(
    trade_data: dict[str, Any],
    account_data: dict[str, Any],
    instrument_data: dict[str, Any],
    movement_data: dict[str, Any],
    snapshot_data: dict[str, Any],
    firm_data: dict[str, Any],
    person_data: dict[str, Any],
    entity_data: dict[str, Any],
    kyc_data: dict[str, Any],
) -> dict[str, dict[str, Any]]:
    return {
        "trade": trade_data,
        "account": account_data,
        "instrument": instrument_data,
        "movement": movement_data,
        "snapshot": snapshot_data,
        "firm": firm_data,
        "person": person_data,
        "entity": entity_data,
        "kyc": kyc_data,
    }


def _reason(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return str(exc.value)


def _locs(exc: pytest.ExceptionInfo[ValidationError]) -> set[tuple[Any, ...]]:
    return {tuple(error["loc"]) for error in exc.value.errors()}


# --- frozen, strict ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(MODELS))
def test_every_record_is_valid_from_its_sample(kind: str, data_of: dict[str, Any]) -> None:
    record = MODELS[kind](**data_of[kind])
    assert isinstance(record, Record)


@pytest.mark.parametrize("kind", list(MODELS))
def test_records_are_frozen(kind: str, data_of: dict[str, Any]) -> None:
    record = MODELS[kind](**data_of[kind])
    name = next(iter(MODELS[kind].model_fields))
    with pytest.raises(ValidationError, match="frozen"):
        setattr(record, name, getattr(record, name))


@pytest.mark.parametrize("kind", list(MODELS))
def test_unknown_fields_are_rejected(kind: str, data_of: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted") as info:
        MODELS[kind](**data_of[kind], comment="typo'd or unexpected field")
    assert ("comment",) in _locs(info)


def test_unknown_nested_field_is_rejected_with_its_path(trade_data: dict[str, Any]) -> None:
    trade_data["instrument"]["tick_size"] = "0.00001"
    with pytest.raises(ValidationError) as info:
        Trade(**trade_data)
    assert ("instrument", "tick_size") in _locs(info)


OPTIONAL_FIELDS = {
    Trade: [
        "price_currency",
        "leverage",
        "margin",
        "position_effect",
        "uti",
        "lp_reference",
        "execution_decision",
        "investment_decision",
        "requested_price",
    ],
    Account: ["branch_country", "base_currency", "opened_at", "closed_at", "kyc"],
    Instrument: [
        "base_currency",
        "quote_currency",
        "isin",
        "cfi",
        "full_name",
        "delivery",
        "underlying_isin",
        "underlying_index",
        "expiry_date",
    ],
    CashMovement: ["method", "payer_name", "payer_country", "payer_iban"],
    AccountSnapshot: ["margin_required"],
    Firm: ["submitting_entity_lei", "competent_authority"],
    NaturalPerson: ["date_of_birth", "residence_country"],
    LegalEntity: ["lei", "country"],
    Kyc: ["verified_at", "expires_at", "risk_rating"],
}

MINIMAL = {
    Trade: {
        "trade_id": "T1",
        "account_id": "A1",
        "side": "buy",
        "quantity": "1",
        "price": "2000.5",
        "executed_at": "2026-11-20T09:30:00Z",
        "instrument": {"symbol": "XAUUSD", "product": "cfd", "underlying_class": "gold"},
    },
    Account: {
        "account_id": "A1",
        "category": "retail",
        "holder": {"first_name": "Jan", "surname": "Novák", "nationalities": ["CZ"]},
    },
    Instrument: {"symbol": "US500", "product": "cfd", "underlying_class": "index_major"},
    CashMovement: {
        "movement_id": "M1",
        "account_id": "A1",
        "kind": "deposit",
        "amount": "100",
        "currency": "EUR",
        "at": "2026-11-20T10:00:00Z",
    },
    AccountSnapshot: {
        "account_id": "A1",
        "at": "2026-11-20T22:00:00Z",
        "balance": "0",
        "equity": "0",
        "currency": "EUR",
    },
    Firm: {"lei": "5493001KJTIIGC8Y1R12", "name": "Example Markets Ltd", "country": "CY"},
    NaturalPerson: {"first_name": "Jan", "surname": "Novák", "nationalities": ["CZ"]},
    LegalEntity: {"name": "Acme Trading GmbH"},
    Kyc: {"status": "pending"},
}


@pytest.mark.parametrize("model", list(OPTIONAL_FIELDS), ids=lambda m: m.__name__)
def test_optional_fields_default_to_none(model: type[Record]) -> None:
    record = model(**MINIMAL[model])
    assert {name: getattr(record, name) for name in OPTIONAL_FIELDS[model]} == dict.fromkeys(
        OPTIONAL_FIELDS[model]
    )


def test_defaults_that_are_not_none() -> None:
    trade = Trade(**MINIMAL[Trade])
    assert trade.venue == "XOFF"  # RTS 22: off venue
    assert trade.capacity is Capacity.DEAL
    assert trade.instrument.price_multiplier == Decimal(1)
    assert Kyc(status="pending").pep is False
    assert Firm(**MINIMAL[Firm]).investment_firm is True
    assert AccountSnapshot(**MINIMAL[AccountSnapshot]).open_positions == 0
    assert NaturalPerson(**MINIMAL[NaturalPerson]).national_ids == {}


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (Trade, "trade_id"),
        (Trade, "quantity"),
        (Trade, "executed_at"),
        (Trade, "instrument"),
        (Account, "holder"),
        (Account, "category"),
        (CashMovement, "amount"),
        (CashMovement, "currency"),
        (AccountSnapshot, "equity"),
        (Firm, "lei"),
        (NaturalPerson, "nationalities"),
        (Kyc, "status"),
    ],
)
def test_required_fields_are_required(model: type[Record], field: str) -> None:
    data = dict(MINIMAL[model])
    del data[field]
    with pytest.raises(ValidationError, match="Field required") as info:
        model(**data)
    assert (field,) in _locs(info)


# --- decimals ------------------------------------------------------------------------------

DECIMAL_FIELDS = [
    (Trade, "quantity"),
    (Trade, "price"),
    (Trade, "leverage"),
    (Trade, "margin"),
    (Trade, "requested_price"),
    (Instrument, "price_multiplier"),
    (CashMovement, "amount"),
    (AccountSnapshot, "balance"),
    (AccountSnapshot, "equity"),
    (AccountSnapshot, "margin_required"),
]


@pytest.mark.parametrize(
    ("model", "field"), DECIMAL_FIELDS, ids=lambda x: getattr(x, "__name__", x)
)
def test_amounts_are_exact_decimals_even_from_floats(model: type[Record], field: str) -> None:
    record = model(**{**MINIMAL[model], field: 1.1})
    value = getattr(record, field)
    assert type(value) is Decimal
    assert value == Decimal("1.1")


@pytest.mark.parametrize(
    ("model", "field"), DECIMAL_FIELDS, ids=lambda x: getattr(x, "__name__", x)
)
@pytest.mark.parametrize("bad", ["NaN", float("inf"), "-Infinity"])
def test_amounts_reject_nan_and_infinity(model: type[Record], field: str, bad: Any) -> None:
    with pytest.raises(ValidationError, match="finite number") as info:
        model(**{**MINIMAL[model], field: bad})
    assert (field,) in _locs(info)


def test_float_sums_keep_their_exact_float_digits() -> None:
    # 0.1 + 0.2 is not 0.3 as a float; the record keeps what it was given, not a rounding.
    trade = Trade(**{**MINIMAL[Trade], "quantity": 0.1 + 0.2})
    assert trade.quantity == Decimal("0.30000000000000004")


@pytest.mark.parametrize("field", ["quantity", "price"])
@pytest.mark.parametrize("bad", ["0", "-1", "-0.0001"])
def test_quantity_and_price_must_be_above_zero(field: str, bad: str) -> None:
    with pytest.raises(ValidationError, match="greater than 0"):
        Trade(**{**MINIMAL[Trade], field: bad})


@pytest.mark.parametrize("bad", ["0.99", "0", "-30"])
def test_leverage_is_at_least_one_to_one(bad: str) -> None:
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        Trade(**{**MINIMAL[Trade], "leverage": bad})


def test_leverage_of_one_and_more_is_accepted() -> None:
    assert Trade(**{**MINIMAL[Trade], "leverage": "1"}).leverage == 1
    assert Trade(**{**MINIMAL[Trade], "leverage": 30}).leverage == Decimal(30)


def test_amount_of_a_movement_is_positive_and_balance_may_be_negative() -> None:
    with pytest.raises(ValidationError, match="greater than 0"):
        CashMovement(**{**MINIMAL[CashMovement], "amount": "-100"})
    snapshot = AccountSnapshot(**{**MINIMAL[AccountSnapshot], "balance": "-5", "equity": "-7.5"})
    assert (snapshot.balance, snapshot.equity) == (Decimal(-5), Decimal("-7.5"))


def test_margin_and_open_positions_are_not_negative() -> None:
    with pytest.raises(ValidationError):
        AccountSnapshot(**{**MINIMAL[AccountSnapshot], "margin_required": "-0.01"})
    with pytest.raises(ValidationError):
        AccountSnapshot(**{**MINIMAL[AccountSnapshot], "open_positions": -1})
    with pytest.raises(ValidationError):
        Trade(**{**MINIMAL[Trade], "margin": "-1"})


def test_notional_is_quantity_times_price_times_multiplier() -> None:
    eurusd = Trade(**{**MINIMAL[Trade], "quantity": "100000", "price": "1.0850"})
    assert eurusd.notional == Decimal("108500.0000")
    index_cfd = Trade(
        **{
            **MINIMAL[Trade],
            "quantity": "2",
            "price": "5012.25",
            "instrument": {
                "symbol": "US500",
                "product": "cfd",
                "underlying_class": "index_major",
                "price_multiplier": "10",
            },
        }
    )
    assert index_cfd.notional == Decimal("100245.00")
    assert type(index_cfd.notional) is Decimal


# --- datetimes and dates -------------------------------------------------------------------

DATETIME_FIELDS = [
    (Trade, "executed_at"),
    (Account, "opened_at"),
    (Account, "closed_at"),
    (CashMovement, "at"),
    (AccountSnapshot, "at"),
    (Kyc, "verified_at"),
    (Kyc, "expires_at"),
]


@pytest.mark.parametrize(
    ("model", "field"), DATETIME_FIELDS, ids=lambda x: getattr(x, "__name__", x)
)
def test_datetimes_are_normalised_to_utc(model: type[Record], field: str) -> None:
    record = model(**{**MINIMAL[model], field: "2026-11-20T11:30:00.250+02:00"})
    value = getattr(record, field)
    assert value.utcoffset().total_seconds() == 0
    assert value == datetime(2026, 11, 20, 9, 30, 0, 250000, tzinfo=UTC)
    assert value.isoformat() == "2026-11-20T09:30:00.250000+00:00"


@pytest.mark.parametrize(
    ("model", "field"), DATETIME_FIELDS, ids=lambda x: getattr(x, "__name__", x)
)
@pytest.mark.parametrize("naive", ["2026-11-20T09:30:00", datetime(2026, 11, 20, 9, 30)])
def test_naive_datetimes_are_rejected(model: type[Record], field: str, naive: Any) -> None:
    with pytest.raises(ValidationError, match="timestamp has no timezone") as info:
        model(**{**MINIMAL[model], field: naive})
    assert (field,) in _locs(info)


def test_dates_are_iso_8601() -> None:
    person = NaturalPerson(**{**MINIMAL[NaturalPerson], "date_of_birth": "1980-05-17"})
    assert person.date_of_birth == date(1980, 5, 17)
    with pytest.raises(ValidationError):
        NaturalPerson(**{**MINIMAL[NaturalPerson], "date_of_birth": "17/05/1980"})
    instrument = Instrument(**{**MINIMAL[Instrument], "expiry_date": "2026-12-18"})
    assert instrument.expiry_date == date(2026, 12, 18)


@pytest.mark.parametrize("closed_at", ["2025-01-10T09:00:00Z", "2025-01-10T08:59:59Z"])
def test_account_cannot_close_before_it_opened(closed_at: str) -> None:
    data = {**MINIMAL[Account], "opened_at": "2025-01-10T09:00:00Z", "closed_at": closed_at}
    with pytest.raises(ValidationError, match=r"closed_at .* must be after opened_at"):
        Account(**data)


def test_account_closing_after_opening_is_fine_across_timezones() -> None:
    # 10:30+02:00 is 08:30Z, before 09:00Z: the check compares instants, not wall clocks.
    with pytest.raises(ValidationError, match="must be after"):
        Account(
            **MINIMAL[Account],
            opened_at="2025-01-10T09:00:00Z",
            closed_at="2025-01-10T10:30:00+02:00",
        )
    account = Account(
        **MINIMAL[Account], opened_at="2025-01-10T09:00:00Z", closed_at="2025-01-10T11:30:00+02:00"
    )
    assert account.closed_at == datetime(2025, 1, 10, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize("expires_at", ["2025-01-10T12:00:00Z", "2024-01-10T12:00:00Z"])
def test_kyc_cannot_expire_before_it_was_verified(expires_at: str) -> None:
    with pytest.raises(ValidationError, match=r"expires_at .* must be after verified_at"):
        Kyc(status="verified", verified_at="2025-01-10T12:00:00Z", expires_at=expires_at)


def test_kyc_with_only_one_date_is_fine() -> None:
    assert Kyc(status="expired", expires_at="2020-01-01T00:00:00Z").verified_at is None


# --- enums ---------------------------------------------------------------------------------

ENUM_VALUES: dict[type[enum.Enum], set[str]] = {
    ClientCategory: {"retail", "professional", "eligible_counterparty"},
    KycStatus: {"verified", "pending", "rejected", "expired"},
    RiskRating: {"low", "medium", "high"},
    Product: {"spot", "forward", "swap", "option", "cfd", "spread_bet"},
    UnderlyingClass: {
        "fx_major",
        "fx_minor",
        "gold",
        "commodity",
        "index_major",
        "index_minor",
        "equity",
        "crypto",
        "bond",
        "other",
    },
    Delivery: {"cash", "physical"},
    Side: {"buy", "sell"},
    Capacity: {"DEAL", "MTCH", "AOTC"},
    PositionEffect: {"open", "close"},
    MovementKind: {"deposit", "withdrawal", "bonus", "fee", "transfer_in", "transfer_out"},
    PaymentMethod: {"card", "bank_transfer", "e_wallet", "crypto", "internal"},
}


@pytest.mark.parametrize("enum_class", list(ENUM_VALUES), ids=lambda e: e.__name__)
def test_enums_are_str_enums_with_the_documented_values(enum_class: type[enum.Enum]) -> None:
    assert issubclass(enum_class, enum.StrEnum)
    assert {member.value for member in enum_class} == ENUM_VALUES[enum_class]
    for member in enum_class:
        expected = member.value.upper() if enum_class is Capacity else member.value.lower()
        assert member.value == expected
        assert member == member.value  # compares (and serialises) as its plain value


@pytest.mark.parametrize("enum_class", list(ENUM_VALUES), ids=lambda e: e.__name__)
def test_enums_accept_any_letter_case(enum_class: type[enum.Enum]) -> None:
    for member in enum_class:
        assert enum_class(member.value.upper()) is member
        assert enum_class(member.value.lower()) is member
        assert enum_class(f" {member.value.title()} ") is member
    with pytest.raises(ValueError, match="is not a valid"):
        enum_class("no such value")


def test_record_enum_fields_accept_any_case() -> None:
    trade = Trade(
        **{**MINIMAL[Trade], "side": "SELL", "capacity": "mtch", "position_effect": "Open"}
    )
    assert (trade.side, trade.capacity, trade.position_effect) == (
        Side.SELL,
        Capacity.MTCH,
        PositionEffect.OPEN,
    )
    assert Account(**{**MINIMAL[Account], "category": "Retail"}).category is ClientCategory.RETAIL


def test_record_enum_fields_accept_any_case_in_json() -> None:
    text = json.dumps({**MINIMAL[CashMovement], "kind": "DEPOSIT", "method": "Bank_Transfer"})
    movement = CashMovement.from_json(text)
    assert (movement.kind, movement.method) == (MovementKind.DEPOSIT, PaymentMethod.BANK_TRANSFER)


def test_unknown_enum_value_is_rejected_naming_the_choices() -> None:
    with pytest.raises(ValidationError, match="'buy' or 'sell'"):
        Trade(**{**MINIMAL[Trade], "side": "hold"})


# --- instruments: FX pairs -------------------------------------------------------------------


def _instrument(underlying: str, base: str | None, quote: str | None) -> Instrument:
    return Instrument(
        symbol=f"{base or ''}{quote or ''}" or "X",
        product="cfd",
        underlying_class=underlying,
        base_currency=base,
        quote_currency=quote,
    )


@pytest.mark.parametrize(
    ("base", "quote"), [("EUR", "USD"), ("USD", "JPY"), ("GBP", "CHF"), ("CAD", "eur")]
)
def test_a_pair_of_two_majors_is_fx_major(base: str, quote: str) -> None:
    instrument = _instrument("fx_major", base, quote)
    assert instrument.is_fx
    assert instrument.quote_currency == quote.upper()


@pytest.mark.parametrize(("base", "quote"), [("EUR", "PLN"), ("AUD", "USD"), ("USD", "TRY")])
def test_a_pair_with_a_minor_currency_is_not_fx_major(base: str, quote: str) -> None:
    with pytest.raises(ValidationError, match=r"not a major pair.*classify it fx_minor"):
        _instrument("fx_major", base, quote)
    assert _instrument("fx_minor", base, quote).underlying_class is UnderlyingClass.FX_MINOR


def test_a_pair_of_two_majors_is_not_fx_minor() -> None:
    with pytest.raises(ValidationError, match="is a major pair; classify it fx_major"):
        _instrument("fx_minor", "EUR", "USD")


@pytest.mark.parametrize("underlying", ["fx_major", "fx_minor"])
def test_an_fx_pair_needs_two_different_currencies(underlying: str) -> None:
    with pytest.raises(ValidationError, match="two different currencies"):
        _instrument(underlying, "EUR", "EUR")
    with pytest.raises(ValidationError, match="needs base_currency and quote_currency"):
        _instrument(underlying, None, "USD")
    with pytest.raises(ValidationError, match="needs base_currency and quote_currency"):
        _instrument(underlying, "EUR", None)


def test_fx_currencies_must_be_iso_4217() -> None:
    with pytest.raises(ValidationError, match="not an ISO 4217 currency code"):
        _instrument("fx_minor", "EUR", "RUR")


@pytest.mark.parametrize("underlying", ["gold", "index_major", "crypto", "equity", "commodity"])
def test_non_fx_instruments_may_leave_base_currency_empty(underlying: str) -> None:
    instrument = _instrument(underlying, None, "USD")
    assert instrument.base_currency is None
    assert not instrument.is_fx


def test_instrument_identifiers_are_checked() -> None:
    good = Instrument(
        **MINIMAL[Instrument],
        isin="us78378x1072",
        cfi="jeixcc",
        underlying_isin="US0378331005",
    )
    assert (good.isin, good.cfi) == ("US78378X1072", "JEIXCC")
    with pytest.raises(ValidationError, match="ISIN") as info:
        Instrument(**MINIMAL[Instrument], isin="US78378X1073")
    assert ("isin",) in _locs(info)
    with pytest.raises(ValidationError, match="CFI"):
        Instrument(**MINIMAL[Instrument], cfi="QXXXXX")
    with pytest.raises(ValidationError, match="greater than 0"):
        Instrument(**MINIMAL[Instrument], price_multiplier="0")


# --- trades: codes -------------------------------------------------------------------------


def test_trade_codes_are_upper_cased_and_checked() -> None:
    trade = Trade(
        **MINIMAL[Trade],
        venue="xlon",
        price_currency="usd",
        uti="5493001kjtiigc8y1r12cfd0001",
    )
    assert (trade.venue, trade.price_currency, trade.uti) == (
        "XLON",
        "USD",
        "5493001KJTIIGC8Y1R12CFD0001",
    )
    assert Trade(**MINIMAL[Trade], venue="XXXX").venue == "XXXX"
    with pytest.raises(ValidationError, match="MIC"):
        Trade(**MINIMAL[Trade], venue="LOND")
    with pytest.raises(ValidationError, match="UTI"):
        Trade(**MINIMAL[Trade], uti="NOT-A-UTI")


@pytest.mark.parametrize("who", ["jsmith", "ALGO:momentum_v2", "trader.7@desk", "NORE"])
def test_decision_makers_are_trader_ids_algorithms_or_nore(who: str) -> None:
    assert Trade(**MINIMAL[Trade], execution_decision=who).execution_decision == who


@pytest.mark.parametrize("bad", ["J Smith", "ALGO:", "x" * 51])
def test_a_decision_maker_that_is_no_id_is_rejected(bad: str) -> None:
    with pytest.raises(ValidationError, match="trader id"):
        Trade(**MINIMAL[Trade], investment_decision=bad)


# --- parties -------------------------------------------------------------------------------


def test_person_nationalities_are_upper_cased_and_checked() -> None:
    person = NaturalPerson(**{**MINIMAL[NaturalPerson], "nationalities": ["de", "fr"]})
    assert person.nationalities == ("DE", "FR")
    with pytest.raises(ValidationError, match="country code"):
        NaturalPerson(**{**MINIMAL[NaturalPerson], "nationalities": ["UK"]})


def test_a_person_has_at_least_one_nationality_each_listed_once() -> None:
    with pytest.raises(ValidationError, match="at least 1 item"):
        NaturalPerson(**{**MINIMAL[NaturalPerson], "nationalities": []})
    with pytest.raises(ValidationError, match="a nationality is listed twice"):
        NaturalPerson(**{**MINIMAL[NaturalPerson], "nationalities": ["DE", "de"]})


def test_national_id_schemes_are_upper_cased() -> None:
    person = NaturalPerson(**MINIMAL[NaturalPerson], national_ids={" nidn ": "T22000129"})
    assert person.national_ids == {"NIDN": "T22000129"}


def test_entity_lei_is_checked() -> None:
    assert LegalEntity(name="Acme", lei="529900t8bm49aursdo55").lei == "529900T8BM49AURSDO55"
    with pytest.raises(ValidationError, match="LEI"):
        LegalEntity(name="Acme", lei="529900T8BM49AURSDO56")


def test_holder_kind_chooses_person_or_entity(
    person_data: dict[str, Any], entity_data: dict[str, Any]
) -> None:
    assert type(Account(**{**MINIMAL[Account], "holder": person_data}).holder) is NaturalPerson
    assert type(Account(**{**MINIMAL[Account], "holder": entity_data}).holder) is LegalEntity


def test_holder_without_kind_is_an_entity_when_it_has_a_name() -> None:
    account = Account(**{**MINIMAL[Account], "holder": {"name": "Acme Ltd", "country": "GB"}})
    assert isinstance(account.holder, LegalEntity)
    assert account.holder.kind == "entity"
    person = Account(**MINIMAL[Account]).holder
    assert isinstance(person, NaturalPerson)
    assert person.kind == "person"


def test_holder_kind_is_read_in_any_case(person_data: dict[str, Any]) -> None:
    account = Account(**{**MINIMAL[Account], "holder": {**person_data, "kind": "Person"}})
    assert isinstance(account.holder, NaturalPerson)
    assert account.holder.kind == "person"


def test_holder_of_unknown_kind_is_rejected_saying_which_kinds_exist() -> None:
    with pytest.raises(ValidationError, match=r"holder\.kind must be 'person' or 'entity'"):
        Account(**{**MINIMAL[Account], "holder": {"kind": "trust", "name": "Family Trust"}})


def test_a_person_holder_with_entity_fields_is_rejected(person_data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as info:
        Account(**{**MINIMAL[Account], "holder": {**person_data, "lei": "529900T8BM49AURSDO55"}})
    assert ("holder", "person", "lei") in _locs(info)


def test_holder_may_be_given_as_a_record(entity_data: dict[str, Any]) -> None:
    entity = LegalEntity(**entity_data)
    assert Account(**{**MINIMAL[Account], "holder": entity}).holder == entity


def test_firm_reports_itself_unless_an_arm_submits() -> None:
    firm = Firm(**MINIMAL[Firm])
    assert (firm.reporting_lei, firm.report_recipient) == ("5493001KJTIIGC8Y1R12", "CY")
    via_arm = Firm(
        **MINIMAL[Firm], submitting_entity_lei="529900T8BM49AURSDO55", competent_authority="de"
    )
    assert (via_arm.reporting_lei, via_arm.report_recipient) == ("529900T8BM49AURSDO55", "DE")
    with pytest.raises(ValidationError, match="LEI"):
        Firm(**{**MINIMAL[Firm], "lei": "5493001KJTIIGC8Y1R13"})


def test_iban_of_a_payer_loses_its_spaces() -> None:
    movement = CashMovement(**MINIMAL[CashMovement], payer_iban="de89 3704 0044 0532 0130 00")
    assert movement.payer_iban == "DE89370400440532013000"
    with pytest.raises(ValidationError, match="IBAN"):
        CashMovement(**MINIMAL[CashMovement], payer_iban="DE89 3704 0044 0532 0130 01")


# --- keys ----------------------------------------------------------------------------------


def test_record_keys_identify_records() -> None:
    assert Trade(**MINIMAL[Trade]).key == "T1"
    assert CashMovement(**MINIMAL[CashMovement]).key == "M1"
    assert Account(**MINIMAL[Account]).key == "A1"
    snapshot = AccountSnapshot(**MINIMAL[AccountSnapshot])
    assert snapshot.key.startswith("A1|2026-11-20")
    other = AccountSnapshot(**{**MINIMAL[AccountSnapshot], "at": "2026-11-21T22:00:00Z"})
    assert other.key != snapshot.key


# --- conversions ---------------------------------------------------------------------------


def test_to_dict_keeps_python_values_and_leaves_out_none(trade_data: dict[str, Any]) -> None:
    trade = Trade(**trade_data)
    data = trade.to_dict()
    assert data["quantity"] == Decimal("100000")
    assert data["executed_at"] == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    assert data["instrument"]["base_currency"] == "EUR"
    assert "leverage" not in data
    assert Trade.from_dict(data) == trade


def test_to_json_is_one_line_with_decimals_as_strings_and_utc_times() -> None:
    movement = CashMovement(**{**MINIMAL[CashMovement], "amount": "9500.00", "currency": "eur"})
    text = movement.to_json()
    assert "\n" not in text
    assert json.loads(text) == {
        "movement_id": "M1",
        "account_id": "A1",
        "kind": "deposit",
        "amount": "9500.00",
        "currency": "EUR",
        "at": "2026-11-20T10:00:00Z",
    }
    assert CashMovement.from_json(text) == movement
    assert CashMovement.from_json(text.encode()) == movement


def test_from_json_reads_json_numbers_exactly() -> None:
    text = '{"movement_id": "M1", "account_id": "A1", "kind": "fee", "amount": 0.1,'
    text += ' "currency": "EUR", "at": "2026-11-20T10:00:00Z"}'
    assert str(CashMovement.from_json(text).amount) == "0.1"


def test_to_row_has_dotted_keys_and_keeps_lists(account_data: dict[str, Any]) -> None:
    account = Account(**account_data)
    row = account.to_row()
    assert row["holder.first_name"] == "Anna"
    assert row["holder.nationalities"] == ("DE", "FR")
    assert row["holder.national_ids.NIDN"] == "T22000129"
    assert row["kyc.status"] == "verified"
    assert "holder" not in row
    assert "kyc.risk_rating" in row
    assert "closed_at" not in row
    assert Account.from_row(row) == account


def test_from_row_treats_empty_strings_as_absent() -> None:
    row = {
        "trade_id": "T1",
        "account_id": "A1",
        "instrument.symbol": "XAUUSD",
        "instrument.product": "cfd",
        "instrument.underlying_class": "gold",
        "instrument.base_currency": "",
        "side": "buy",
        "quantity": "1",
        "price": "2000.5",
        "executed_at": "2026-11-20T09:30:00Z",
        "leverage": "",
        "venue": None,
    }
    trade = Trade.from_row(row)
    assert trade.instrument.base_currency is None
    assert trade.leverage is None
    assert trade.venue == "XOFF"


def test_from_row_with_entity_row_ignores_empty_person_columns() -> None:
    row = {
        "account_id": "A2",
        "category": "professional",
        "holder.kind": "entity",
        "holder.first_name": "",
        "holder.nationalities": None,
        "holder.name": "Acme Ltd",
        "holder.lei": "529900T8BM49AURSDO55",
    }
    account = Account.from_row(row)
    assert account.holder == LegalEntity(name="Acme Ltd", lei="529900T8BM49AURSDO55")


def test_from_row_with_a_value_and_a_dotted_child_of_it_is_a_validation_error() -> None:
    with pytest.raises(ValidationError) as info:
        Trade.from_row({**MINIMAL[Trade], "instrument": "XAUUSD", "instrument.symbol": "X"})
    assert ("instrument",) in _locs(info)


def test_a_national_id_scheme_given_twice_in_two_cases_is_rejected_not_merged() -> None:
    with pytest.raises(ValidationError, match="national id scheme is listed twice"):
        NaturalPerson(**MINIMAL[NaturalPerson], national_ids={"nidn": "1", "NIDN": "2"})


def test_only_the_execution_decision_may_be_nore() -> None:
    # RTS 22: field 59 (execution) takes NORE for the client; field 57 (investment) does not.
    assert Trade(**MINIMAL[Trade], execution_decision="NORE").execution_decision == "NORE"
    with pytest.raises(ValidationError, match="trader id"):
        Trade(**MINIMAL[Trade], investment_decision="NORE")


def test_investment_decision_has_no_nore() -> None:
    # RTS 22 field 57 is left empty when the client decides; NORE belongs to field 59 only.
    base = {
        "trade_id": "T1",
        "account_id": "A1",
        "side": "buy",
        "quantity": "1",
        "price": "1",
        "executed_at": "2026-11-20T09:30:00Z",
        "instrument": {
            "symbol": "EURUSD",
            "product": "cfd",
            "underlying_class": "fx_major",
            "base_currency": "EUR",
            "quote_currency": "USD",
        },
    }
    with pytest.raises(ValidationError, match="field 57 has no NORE"):
        Trade.model_validate(base | {"investment_decision": "NORE"})
    assert Trade.model_validate(base | {"execution_decision": "NORE"}).execution_decision == "NORE"
    assert Trade.model_validate(base | {"investment_decision": "ALGO:MM1"}).investment_decision


def test_every_record_hashes_by_value() -> None:
    # Frozen records go into sets and serve as dict keys, persons with identifiers included.
    person = {
        "first_name": "Jan",
        "surname": "Novák",
        "nationalities": ["CZ"],
        "national_ids": {"NIDN": "8001011234"},
    }
    first = Account.model_validate({"account_id": "A1", "category": "retail", "holder": person})
    again = Account.model_validate({"account_id": "A1", "category": "retail", "holder": person})
    other = Account.model_validate(
        {
            "account_id": "A1",
            "category": "retail",
            "holder": person | {"national_ids": {"NIDN": "8001019999"}},
        }
    )
    assert hash(first) == hash(again)
    assert len({first, again, other}) == 2
