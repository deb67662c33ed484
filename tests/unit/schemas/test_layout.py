"""The flat layout of records: which dotted columns a file may have and how rows nest."""

from __future__ import annotations

import pytest

from regkit import Account, AccountSnapshot, CashMovement, Firm, Trade
from regkit.schemas.layout import layout_of

TRADE_REQUIRED = {
    "trade_id",
    "account_id",
    "instrument.symbol",
    "instrument.product",
    "instrument.underlying_class",
    "side",
    "quantity",
    "price",
    "executed_at",
}


def test_trade_columns_are_dotted_for_the_instrument_in_model_order() -> None:
    layout = layout_of(Trade)
    assert layout.columns[:3] == ("trade_id", "account_id", "instrument.symbol")
    assert "instrument.price_multiplier" in layout.columns
    assert "instrument" not in layout.columns
    assert layout.columns.index("side") > layout.columns.index("instrument.expiry_date")
    assert len(layout.columns) == len(set(layout.columns))


def test_trade_required_columns_are_the_required_fields() -> None:
    # Fields with defaults (venue, capacity, price_multiplier) may be left out of a file.
    assert layout_of(Trade).required == TRADE_REQUIRED


def test_account_layout_has_both_holder_variants_once_and_nothing_of_them_required() -> None:
    layout = layout_of(Account)
    holder = [c for c in layout.columns if c.startswith("holder.")]
    assert holder == [
        "holder.kind",
        "holder.first_name",
        "holder.surname",
        "holder.date_of_birth",
        "holder.nationalities",
        "holder.residence_country",
        "holder.name",
        "holder.lei",
        "holder.country",
        "holder.nature",
        "holder.sector",
        "holder.above_clearing_threshold",
        "holder.reporting_obligation",
    ]
    # A person's row leaves the entity's columns empty and the other way round; an optional
    # kyc leaves kyc.status empty.
    assert layout.required == {"account_id", "category"}
    assert layout.lists == {"holder.nationalities"}
    assert layout.mappings == ("holder.national_ids.",)
    assert layout.union_tags == {"person", "entity"}
    assert layout.key_fields == ("account_id",)


def test_flat_models_have_no_dotted_columns() -> None:
    for model in (CashMovement, AccountSnapshot, Firm):
        layout = layout_of(model)
        assert all("." not in column for column in layout.columns)
        # A free-keyed mapping (the firm's traders) has no columns of its own.
        assert layout.columns == tuple(f for f in model.model_fields if f != "traders")


def test_layout_is_computed_once_per_class() -> None:
    assert layout_of(Trade) is layout_of(Trade)


def test_check_columns_accepts_a_complete_header() -> None:
    assert layout_of(Trade).check_columns(list(layout_of(Trade).columns)) == []
    assert layout_of(Trade).check_columns(sorted(TRADE_REQUIRED)) == []


def test_check_columns_names_unknown_columns_with_a_suggestion() -> None:
    header = [*sorted(TRADE_REQUIRED - {"quantity"}), "quantitiy", "instrument.symbl"]
    problems = layout_of(Trade).check_columns(header)
    assert (
        "unknown column 'quantitiy' (did you mean 'quantity' or 'quantity_currency'?)" in problems
    )
    assert any(
        p.startswith("unknown column 'instrument.symbl' (did you mean 'instrument.symbol'")
        for p in problems
    )
    assert "missing required column 'quantity'" in problems
    assert len(problems) == 3


def test_check_columns_gives_no_suggestion_when_nothing_is_close() -> None:
    problems = layout_of(Trade).check_columns([*TRADE_REQUIRED, "zzz"])
    assert problems == ["unknown column 'zzz'"]


def test_check_columns_reports_a_duplicated_column() -> None:
    problems = layout_of(Trade).check_columns([*sorted(TRADE_REQUIRED), "price"])
    assert problems == ["column 'price' appears twice"]


def test_mapping_columns_take_any_key_but_need_one() -> None:
    layout = layout_of(Account)
    assert layout.is_known("holder.national_ids.NIDN")
    assert layout.is_known("holder.national_ids.PESEL")
    assert not layout.is_known("holder.national_ids.")
    assert not layout.is_known("holder.national_ids")


def test_from_flat_nests_and_leaves_out_empty_cells() -> None:
    row = {
        "account_id": "A1",
        "category": "retail",
        "holder.kind": "person",
        "holder.first_name": "Anna",
        "holder.name": "",
        "holder.lei": None,
        "holder.national_ids.NIDN": "T22000129",
        "kyc.status": "",
    }
    assert layout_of(Account).from_flat(row) == {
        "account_id": "A1",
        "category": "retail",
        "holder": {"kind": "person", "first_name": "Anna", "national_ids": {"NIDN": "T22000129"}},
    }


def test_from_flat_splits_lists_written_as_text_only_when_asked() -> None:
    layout = layout_of(Account)
    row = {"holder.nationalities": "DE; FR;", "branch_country": "CY;DE"}
    assert layout.from_flat(row, lists_as_text=True) == {
        "holder": {"nationalities": ["DE", "FR"]},
        "branch_country": "CY;DE",  # not a list column: left for validation to reject
    }
    assert layout.from_flat(row) == {
        "holder": {"nationalities": "DE; FR;"},
        "branch_country": "CY;DE",
    }


def test_from_flat_takes_struct_values_leaf_by_leaf() -> None:
    # A Parquet struct column holds both holder variants' fields, null where unused.
    row = {
        "account_id": "A2",
        "holder": {"kind": "entity", "first_name": None, "nationalities": None, "name": "Acme"},
    }
    assert layout_of(Account).from_flat(row) == {
        "account_id": "A2",
        "holder": {"kind": "entity", "name": "Acme"},
    }


def test_from_flat_does_not_crash_on_a_value_and_a_dotted_child_of_it() -> None:
    nested = layout_of(Trade).from_flat({"instrument": "EURUSD", "instrument.symbol": "X"})
    assert nested == {"instrument": "EURUSD"}  # validation then says instrument is no object


def test_field_path_drops_union_tags() -> None:
    layout = layout_of(Account)
    assert layout.field_path(("holder", "person", "nationalities", 0)) == "holder.nationalities.0"
    assert layout.field_path(("holder", "entity", "lei")) == "holder.lei"
    assert layout.field_path(()) == ""


@pytest.mark.parametrize(
    ("model", "row", "expected"),
    [
        (Trade, {"trade_id": "T9", "price": "1"}, "T9"),
        (Trade, {"trade_id": "", "price": "1"}, None),
        (Trade, {"price": "1"}, None),
        (Trade, None, None),
        (
            AccountSnapshot,
            {"account_id": "A1", "at": "2026-11-20T22:00:00Z"},
            "A1|2026-11-20T22:00:00Z",
        ),
        (AccountSnapshot, {"account_id": "A1"}, None),
        (Firm, {"lei": "5493001KJTIIGC8Y1R12"}, None),  # a firm has no record key
    ],
)
def test_raw_key_reads_the_key_from_an_unvalidated_row(
    model: type, row: dict[str, str] | None, expected: str | None
) -> None:
    assert layout_of(model).raw_key(row) == expected
