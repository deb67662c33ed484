"""Loading and writing records: every row becomes a record or an error that names it.

A compliance officer must be able to trust that a file of 10,000 trades gives 10,000
outcomes: records for the good rows, and for each bad row an error saying where it is
(file, line, row, key), which field is wrong, why, and what value was found.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from regkit import (
    Account,
    AccountSnapshot,
    CashMovement,
    LegalEntity,
    NaturalPerson,
    RecordBatch,
    RecordError,
    Trade,
    iter_records,
    read_records,
)
from regkit.schemas import io as rio
from regkit.schemas.io import detect_format, write_records
from regkit.schemas.layout import layout_of

HEADER = (
    "trade_id,account_id,instrument.symbol,instrument.product,instrument.underlying_class,"
    "side,quantity,price,executed_at"
)


def trade_line(number: int, quantity: str = "1", executed_at: str = "2026-11-20T09:30:00Z") -> str:
    return f"T{number},A1,XAUUSD,cfd,gold,buy,{quantity},2000.5,{executed_at}\n"


def write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def ids(batch: RecordBatch[Any]) -> list[str]:
    return [record.key for record in batch.records]


def movement(number: int, **changes: Any) -> CashMovement:
    data: dict[str, Any] = {
        "movement_id": f"M{number}",
        "account_id": "A1",
        "kind": "deposit",
        "amount": "100.50",
        "currency": "EUR",
        "at": "2026-11-20T10:00:00Z",
    }
    return CashMovement(**{**data, **changes})


# --- CSV -----------------------------------------------------------------------------------


def test_csv_with_dotted_columns_becomes_records(tmp_path: Path) -> None:
    path = write(tmp_path / "trades.csv", HEADER + "\n" + trade_line(1) + trade_line(2, "0.5"))
    batch = read_records(path, Trade)
    assert batch.ok
    assert batch.rows == 2
    assert ids(batch) == ["T1", "T2"]
    assert batch.records[1].quantity == Decimal("0.5")
    assert batch.records[0].instrument.symbol == "XAUUSD"
    assert batch.source == str(path)


def test_csv_lists_are_split_on_semicolons_and_holder_variants_share_columns(
    tmp_path: Path,
) -> None:
    text = (
        "account_id,category,holder.kind,holder.first_name,holder.surname,holder.nationalities,"
        "holder.national_ids.NIDN,holder.name,holder.lei,kyc.status,kyc.pep\n"
        "A1,retail,person,Anna,Müller,DE;FR,T22000129,,,verified,false\n"
        "A2,professional,entity,,,,,Acme Ltd,529900T8BM49AURSDO55,,\n"
        "A3,retail,,,,,,Beta GmbH,,,\n"
    )
    batch = read_records(write(tmp_path / "accounts.csv", text), Account)
    assert batch.errors == []
    anna, acme, beta = batch.records
    assert isinstance(anna.holder, NaturalPerson)
    assert anna.holder.nationalities == ("DE", "FR")
    assert anna.holder.national_ids == {"NIDN": "T22000129"}
    assert anna.kyc is not None
    assert anna.kyc.pep is False
    assert acme.holder == LegalEntity(name="Acme Ltd", lei="529900T8BM49AURSDO55")
    assert acme.kyc is None
    assert isinstance(beta.holder, LegalEntity)  # no kind, but a name: an entity


def test_csv_with_byte_order_mark_crlf_and_blank_lines(tmp_path: Path) -> None:
    text = HEADER + "\r\n" + trade_line(1) + "\r\n\r\n" + trade_line(2)
    path = write(tmp_path / "trades.csv", b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    batch = read_records(path, Trade)
    assert batch.errors == []
    assert ids(batch) == ["T1", "T2"]
    assert batch.rows == 2  # blank lines are no rows


def test_header_only_csv_is_an_empty_batch(tmp_path: Path) -> None:
    batch = read_records(write(tmp_path / "trades.csv", HEADER + "\n"), Trade)
    assert (batch.records, batch.errors, batch.rows) == ([], [], 0)


def test_bad_row_names_file_line_row_key_field_reason_and_value(tmp_path: Path) -> None:
    path = write(tmp_path / "trades.csv", HEADER + "\n" + trade_line(1) + trade_line(2, "-5"))
    batch = read_records(path, Trade)
    assert ids(batch) == ["T1"]
    (error,) = batch.errors
    assert (error.file, error.line, error.row, error.key, error.field, error.value) == (
        str(path),
        3,
        2,
        "T2",
        "quantity",
        "-5",
    )
    assert error.reason == "Input should be greater than 0"
    assert error.model == "Trade"
    assert str(error) == (
        f"Trade: {path}, line 3, row 2, key 'T2', field 'quantity': "
        "Input should be greater than 0 (got '-5')"
    )
    assert error.errors == [
        {
            "loc": "quantity",
            "msg": "Input should be greater than 0",
            "type": "greater_than",
            "input": "-5",
        }
    ]


def test_naive_timestamp_in_a_file_is_reported_with_the_timezone_advice(tmp_path: Path) -> None:
    path = write(
        tmp_path / "t.csv", HEADER + "\n" + trade_line(1, executed_at="2026-11-20T09:30:00")
    )
    (error,) = read_records(path, Trade).errors
    assert error.field == "executed_at"
    assert "timestamp has no timezone" in error.reason
    assert error.value == "2026-11-20T09:30:00"


def test_every_problem_of_a_row_is_kept(tmp_path: Path) -> None:
    line = "T1,A1,XAUUSD,cfd,gold,hold,-1,abc,2026-11-20T09:30:00Z\n"
    (error,) = read_records(write(tmp_path / "t.csv", HEADER + "\n" + line), Trade).errors
    assert {detail["loc"] for detail in error.errors} == {"side", "quantity", "price"}
    assert "also" in error.reason


def test_nested_field_errors_name_the_dotted_path(tmp_path: Path) -> None:
    header = HEADER + ",instrument.base_currency,instrument.quote_currency"
    line = trade_line(1).rstrip("\n").replace("gold", "fx_major") + ",EUR,EURO\n"
    (error,) = read_records(write(tmp_path / "t.csv", header + "\n" + line), Trade).errors
    assert error.field == "instrument.quote_currency"
    assert "ISO 4217" in error.reason
    assert error.value == "EURO"


def test_holder_errors_name_the_field_without_the_variant_tag(tmp_path: Path) -> None:
    rows = [
        {"account_id": "A1", "category": "retail", "holder": {"first_name": "Jan", "surname": "N"}}
    ]
    (error,) = read_records(rows, Account).errors
    assert error.field == "holder.nationalities"
    assert error.reason == "Field required"


def test_duplicate_key_is_an_error_on_the_later_row(tmp_path: Path) -> None:
    text = HEADER + "\n" + trade_line(1) + trade_line(2) + trade_line(1, "7")
    batch = read_records(write(tmp_path / "t.csv", text), Trade)
    assert ids(batch) == ["T1", "T2"]
    assert batch.records[0].quantity == 1  # the first one seen is kept
    (error,) = batch.errors
    assert (error.row, error.line, error.key) == (3, 4, "T1")
    assert error.reason == "duplicate key (first seen in row 1)"


def test_duplicate_snapshot_key_is_account_and_instant(tmp_path: Path) -> None:
    rows = [
        {
            "account_id": "A1",
            "at": "2026-11-20T22:00:00Z",
            "balance": "1",
            "equity": "1",
            "currency": "EUR",
        },
        {
            "account_id": "A1",
            "at": "2026-11-21T00:00:00+02:00",
            "balance": "2",
            "equity": "2",
            "currency": "EUR",
        },
        {
            "account_id": "A2",
            "at": "2026-11-20T22:00:00Z",
            "balance": "3",
            "equity": "3",
            "currency": "EUR",
        },
    ]
    batch = read_records(rows, AccountSnapshot)
    # Row 2 is the same account at the same instant, written in another timezone.
    assert [error.row for error in batch.errors] == [2]
    assert len(batch.records) == 2


# --- file-level problems -------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_an_empty_file_is_one_clear_error(tmp_path: Path, suffix: str) -> None:
    path = write(tmp_path / f"trades{suffix}", b"")
    batch = read_records(path, Trade)
    assert batch.records == []
    (error,) = batch.errors
    assert error.file == str(path)
    assert "the file is empty" in error.reason


def test_missing_required_column_is_named(tmp_path: Path) -> None:
    header = HEADER.replace(",price", "")
    line = trade_line(1).replace(",2000.5", "")
    (error,) = read_records(write(tmp_path / "t.csv", f"{header}\n{line}"), Trade).errors
    assert error.reason == "missing required column 'price'; no row of the file was read"
    assert (error.file, error.line) == (str(tmp_path / "t.csv"), 1)


def test_unknown_column_suggests_the_close_one(tmp_path: Path) -> None:
    header = HEADER.replace("quantity", "qty").replace("executed_at", "executed_on")
    batch = read_records(write(tmp_path / "t.csv", header + "\n" + trade_line(1)), Trade)
    reasons = [error.reason for error in batch.errors]
    assert (
        "unknown column 'executed_on' (did you mean 'executed_at'?); no row of the file was read"
        in reasons
    )
    assert "missing required column 'quantity'; no row of the file was read" in reasons
    assert "missing required column 'executed_at'; no row of the file was read" in reasons


def test_duplicated_column_is_an_error(tmp_path: Path) -> None:
    text = HEADER + ",price\n" + trade_line(1).rstrip("\n") + ",2000.5\n"
    (error,) = read_records(write(tmp_path / "t.csv", text), Trade).errors
    assert "column 'price' appears twice" in error.reason


def test_missing_file_and_unknown_suffix_are_errors(tmp_path: Path) -> None:
    (missing,) = read_records(tmp_path / "nope.csv", Trade).errors
    assert missing.reason == "no such file"
    (unknown,) = read_records(write(tmp_path / "t.txt", HEADER), Trade).errors
    assert "unknown file type '.txt'" in unknown.reason
    assert ".csv" in unknown.reason


def test_format_argument_overrides_the_suffix(tmp_path: Path) -> None:
    path = write(tmp_path / "export.txt", HEADER + "\n" + trade_line(1))
    assert ids(read_records(path, Trade, format="csv")) == ["T1"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.csv", "csv"),
        ("a.CSV", "csv"),
        ("a.jsonl", "jsonl"),
        ("a.ndjson", "jsonl"),
        ("a.pq", "parquet"),
    ],
)
def test_detect_format_by_suffix(name: str, expected: str) -> None:
    assert detect_format(name) == expected


def test_detect_format_rejects_unknown_suffix() -> None:
    with pytest.raises(RecordError, match="unknown file type '\\(no suffix\\)'"):
        detect_format("trades")


def test_unreadable_parquet_is_an_error(tmp_path: Path) -> None:
    (error,) = read_records(write(tmp_path / "t.parquet", b"PAR1 not really"), Trade).errors
    assert error.reason.startswith("not a readable Parquet file")


# --- broken rows never take good rows with them --------------------------------------------


def test_invalid_utf8_row_is_an_error_and_its_neighbours_are_read(tmp_path: Path) -> None:
    bad = trade_line(2).encode().replace(b"A1", b"A\xff1")
    content = (HEADER + "\n" + trade_line(1)).encode() + bad + trade_line(3).encode()
    batch = read_records(write(tmp_path / "t.csv", content), Trade)
    assert ids(batch) == ["T1", "T3"]
    (error,) = batch.errors
    assert (error.row, error.line, error.key) == (2, 3, "T2")
    assert error.reason == "not valid UTF-8: byte 0xff at column 5"


def test_invalid_utf8_in_the_header_stops_the_file(tmp_path: Path) -> None:
    content = HEADER.replace("side", "s\xe9de").encode("latin-1") + b"\n" + trade_line(1).encode()
    errors = read_records(write(tmp_path / "t.csv", content), Trade).errors
    assert errors[0].reason.startswith("the header is not valid UTF-8")


def test_truncated_last_csv_line_is_reported(tmp_path: Path) -> None:
    text = HEADER + "\n" + trade_line(1) + trade_line(2) + "T3,A1,XAUUSD,cfd"
    batch = read_records(write(tmp_path / "t.csv", text), Trade)
    assert ids(batch) == ["T1", "T2"]
    (error,) = batch.errors
    assert (error.row, error.line, error.key) == (3, 4, "T3")
    assert error.reason == "truncated last line: 4 of 9 fields and no line end"


def test_truncated_last_csv_line_inside_a_quote_is_reported(tmp_path: Path) -> None:
    text = HEADER + "\n" + trade_line(1) + 'T2,A1,XAUUSD,cfd,gold,buy,1,2000.5,"2026-11'
    batch = read_records(write(tmp_path / "t.csv", text), Trade)
    assert ids(batch) == ["T1"]
    (error,) = batch.errors
    assert (error.row, error.line) == (2, 3)
    assert error.reason.startswith("truncated last line")


def test_row_with_too_many_fields_is_an_error(tmp_path: Path) -> None:
    text = HEADER + "\n" + trade_line(1).replace("\n", ",extra\n") + trade_line(2)
    batch = read_records(write(tmp_path / "t.csv", text), Trade)
    assert ids(batch) == ["T2"]
    assert batch.errors[0].reason == "10 fields where the header has 9"


def test_broken_quote_mid_file_loses_only_its_own_row(tmp_path: Path) -> None:
    bad = 'T2,A1,XAUUSD,cfd,gold,buy,"1"x,2000.5,2026-11-20T09:30:00Z\n'
    text = HEADER + "\n" + trade_line(1) + bad + trade_line(3) + trade_line(4)
    batch = read_records(write(tmp_path / "t.csv", text), Trade)
    assert ids(batch) == ["T1", "T3", "T4"]
    (error,) = batch.errors
    assert (error.row, error.line) == (2, 3)
    assert error.reason.startswith("unreadable CSV")


def test_unclosed_quote_mid_file_does_not_swallow_the_rows_after_it(tmp_path: Path) -> None:
    bad = 'T2,A1,XAUUSD,cfd,gold,buy,"1,2000.5,2026-11-20T09:30:00Z\n'
    text = HEADER + "\n" + trade_line(1) + bad + trade_line(3) + trade_line(4)
    batch = read_records(write(tmp_path / "t.csv", text), Trade)
    assert ids(batch) == ["T1", "T3", "T4"]
    assert batch.rows == 4
    (error,) = batch.errors
    assert (error.row, error.line) == (2, 3)
    assert "quoted field opened on line 3 is never closed" in error.reason


def test_multi_line_quoted_cell_counts_as_one_row(tmp_path: Path) -> None:
    header = HEADER + ",lp_reference"
    multi = trade_line(2).rstrip("\n") + ',"LP ref\nsecond line"\n'
    text = (
        header
        + "\n"
        + trade_line(1).rstrip("\n")
        + ",x\n"
        + multi
        + trade_line(3, "-1").rstrip("\n")
        + ",y\n"
    )
    batch = read_records(write(tmp_path / "t.csv", text), Trade)
    assert batch.records[1].lp_reference == "LP ref\nsecond line"
    (error,) = batch.errors
    assert (error.row, error.line) == (3, 5)  # row 2 took lines 3 and 4


# --- JSON Lines ----------------------------------------------------------------------------


def test_jsonl_reads_nested_objects_and_exact_numbers(tmp_path: Path) -> None:
    lines = [
        {
            "trade_id": "T1",
            "account_id": "A1",
            "instrument": {
                "symbol": "EURUSD",
                "product": "cfd",
                "underlying_class": "fx_major",
                "base_currency": "EUR",
                "quote_currency": "USD",
            },
            "side": "sell",
            "quantity": 100000,
            "price": 1.08501,
            "executed_at": "2026-11-20T11:30:00+02:00",
        }
    ]
    path = write(tmp_path / "t.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n\n")
    batch = read_records(path, Trade)
    assert batch.errors == []
    (trade,) = batch.records
    assert str(trade.price) == "1.08501"  # read as a decimal, never through a float
    assert trade.executed_at.isoformat() == "2026-11-20T09:30:00+00:00"


def test_jsonl_bad_lines_are_errors_with_their_line(tmp_path: Path) -> None:
    good = movement(1).to_json()
    text = "\n".join(
        [
            good,
            "",
            '{"movement_id": "M2", "amount": }',
            "[1, 2]",
            movement(3).to_json().replace('"100.50"', '"-1"'),
            movement(4).to_json(),
        ]
    )
    batch = read_records(write(tmp_path / "m.jsonl", text + "\n"), CashMovement)
    assert ids(batch) == ["M1", "M4"]
    assert [(e.row, e.line) for e in batch.errors] == [(2, 3), (3, 4), (4, 5)]
    assert batch.errors[0].reason.startswith("not valid JSON")
    assert batch.errors[1].reason == "expected a JSON object, got list"
    assert (batch.errors[2].key, batch.errors[2].field) == ("M3", "amount")


def test_jsonl_cut_mid_object_is_a_truncated_last_line(tmp_path: Path) -> None:
    text = movement(1).to_json() + "\n" + movement(2).to_json()[:40]
    batch = read_records(write(tmp_path / "m.jsonl", text), CashMovement)
    assert ids(batch) == ["M1"]
    (error,) = batch.errors
    assert (error.row, error.line) == (2, 2)
    assert error.reason.startswith("truncated last line")


def test_jsonl_invalid_utf8_is_an_error_and_the_rest_is_read(tmp_path: Path) -> None:
    content = movement(1).to_json().encode().replace(b"A1", b"A\xc31") + b"\n"
    content += movement(2).to_json().encode() + b"\n"
    batch = read_records(write(tmp_path / "m.jsonl", content), CashMovement)
    assert ids(batch) == ["M2"]
    (error,) = batch.errors
    assert error.row == 1
    assert error.reason.startswith("not valid UTF-8: byte 0xc3")


def test_jsonl_misspelt_field_gets_a_suggestion(tmp_path: Path) -> None:
    data = json.loads(movement(1).to_json())
    data["curency"] = data.pop("currency")
    (error,) = read_records(
        write(tmp_path / "m.jsonl", json.dumps(data) + "\n"), CashMovement
    ).errors
    assert "curency: Extra inputs are not permitted (did you mean 'currency'?)" in error.reason


# --- in-memory sources ---------------------------------------------------------------------


def test_iterable_of_nested_and_flat_dicts() -> None:
    nested = Trade.from_row(
        {
            "trade_id": "T1",
            "account_id": "A1",
            "instrument.symbol": "XAUUSD",
            "instrument.product": "cfd",
            "instrument.underlying_class": "gold",
            "side": "buy",
            "quantity": "1",
            "price": "2000.5",
            "executed_at": "2026-11-20T09:30:00Z",
        }
    )
    flat = nested.model_copy(update={"trade_id": "T2"})
    batch = read_records([nested.to_dict(), flat.to_row()], Trade)
    assert batch.records == [nested, flat]
    assert batch.source == "<iterable>"


def test_iterable_item_that_is_no_mapping_is_an_error() -> None:
    batch = read_records([movement(1).to_dict(), ["M2"], movement(3).to_dict()], CashMovement)
    assert ids(batch) == ["M1", "M3"]
    (error,) = batch.errors
    assert (error.row, error.reason, error.file, error.line) == (
        2,
        "expected a mapping, got list",
        None,
        None,
    )


def test_csv_dictreader_rows_read_like_the_csv_file() -> None:
    # Empty cells are missing values, and ';' lists are split, whatever the source.
    text = (
        "account_id,category,holder.first_name,holder.surname,holder.nationalities,base_currency\n"
        "A1,retail,Anna,Müller,DE;FR,\n"
    )
    (account,) = read_records(csv.DictReader(io.StringIO(text)), Account).records
    assert isinstance(account.holder, NaturalPerson)
    assert account.holder.nationalities == ("DE", "FR")
    assert account.base_currency is None
    flat_text = (
        "movement_id,account_id,kind,amount,currency,at,payer_name\n"
        "M1,A1,fee,5,EUR,2026-11-20T10:00:00Z,\n"
    )
    batch = read_records(csv.DictReader(io.StringIO(flat_text)), CashMovement)
    assert batch.errors == []
    assert batch.records[0].payer_name is None


def test_dataframe_with_dotted_columns() -> None:
    frame = pl.DataFrame(
        {
            "trade_id": ["T1", "T2"],
            "account_id": ["A1", "A1"],
            "instrument.symbol": ["XAUUSD", "XAUUSD"],
            "instrument.product": ["cfd", "cfd"],
            "instrument.underlying_class": ["gold", "gold"],
            "instrument.price_multiplier": [None, "100"],
            "side": ["buy", "sell"],
            "quantity": ["1", "-1"],
            "price": ["2000.5", "2001"],
            "executed_at": ["2026-11-20T09:30:00Z", "2026-11-20T09:31:00Z"],
        }
    )
    batch = read_records(frame, Trade)
    assert ids(batch) == ["T1"]
    assert batch.records[0].instrument.price_multiplier == 1
    (error,) = batch.errors
    assert (error.row, error.key, error.field, error.file) == (2, "T2", "quantity", None)
    assert batch.source == "<DataFrame>"


def test_dataframe_with_struct_columns_and_both_holder_variants() -> None:
    frame = pl.DataFrame(
        {
            "account_id": ["A1", "A2"],
            "holder": [
                {
                    "kind": "person",
                    "first_name": "Jan",
                    "surname": "Novák",
                    "nationalities": ["CZ"],
                    "name": None,
                },
                {
                    "kind": "entity",
                    "first_name": None,
                    "surname": None,
                    "nationalities": None,
                    "name": "Acme",
                },
            ],
            "category": ["retail", "professional"],
        }
    )
    batch = read_records(frame, Account)
    assert batch.errors == []
    assert [type(a.holder) for a in batch.records] == [NaturalPerson, LegalEntity]


def test_dataframe_with_lists_as_text_like_a_csv_read_by_polars(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.csv",
        "account_id,category,holder.first_name,holder.surname,holder.nationalities\nA1,retail,Jan,Novák,CZ;SK\n",
    )
    (account,) = read_records(pl.read_csv(path, infer_schema=False), Account).records
    assert isinstance(account.holder, NaturalPerson)
    assert account.holder.nationalities == ("CZ", "SK")


def test_dataframe_with_unknown_column_is_rejected() -> None:
    frame = pl.DataFrame(
        {
            **{
                name: ["x"]
                for name in ("movement_id", "account_id", "kind", "amount", "currency", "at")
            },
            "ammount": ["1"],
        }
    )
    (error,) = read_records(frame, CashMovement).errors
    assert error.reason == "unknown column 'ammount' (did you mean 'amount'?)"


# --- errors="raise" and streaming ----------------------------------------------------------


def test_raise_mode_raises_the_first_record_error(tmp_path: Path) -> None:
    text = HEADER + "\n" + trade_line(1) + trade_line(2, "-5") + trade_line(3, "0")
    with pytest.raises(RecordError) as info:
        read_records(write(tmp_path / "t.csv", text), Trade, errors="raise")
    assert (info.value.row, info.value.key) == (2, "T2")
    assert isinstance(info.value, ValueError)


def test_raise_mode_raises_a_file_error(tmp_path: Path) -> None:
    with pytest.raises(RecordError, match="the file is empty"):
        read_records(write(tmp_path / "t.csv", b""), Trade, errors="raise")


def test_batch_raise_for_errors_and_helpers() -> None:
    batch = read_records([movement(1).to_dict(), {"movement_id": "M2"}], CashMovement)
    assert not batch.ok
    assert len(batch) == 1
    assert list(batch) == batch.records
    with pytest.raises(RecordError) as info:
        batch.raise_for_errors()
    assert info.value is batch.errors[0]
    read_records([movement(1).to_dict()], CashMovement).raise_for_errors()  # no error: no raise


def test_iter_records_yields_records_and_errors_in_row_order() -> None:
    rows = [movement(1).to_dict(), {"movement_id": "M2"}, movement(3).to_dict()]
    items = list(iter_records(rows, CashMovement))
    assert [type(item) for item in items] == [CashMovement, RecordError, CashMovement]
    assert isinstance(items[1], RecordError)
    assert items[1].row == 2


def test_iter_records_in_raise_mode_yields_the_good_rows_before_the_bad_one() -> None:
    rows = [movement(1).to_dict(), movement(2).to_dict(), {"movement_id": "M3"}]
    stream = iter_records(rows, CashMovement, errors="raise")
    assert [next(stream).key, next(stream).key] == ["M1", "M2"]
    with pytest.raises(RecordError) as info:
        next(stream)
    assert info.value.row == 3


def test_iter_records_streams_without_reading_the_whole_source(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rio.rows, "CHUNK_ROWS", 10)  # the row validator reads it there
    read = 0

    def endless() -> Iterator[dict[str, Any]]:
        nonlocal read
        for number in itertools.count(1):
            read += 1
            yield movement(number).to_dict()

    first = list(itertools.islice(iter_records(endless(), CashMovement), 3))
    assert [m.key for m in first] == ["M1", "M2", "M3"]
    assert read <= 10


def test_iter_records_on_a_file_error_yields_it() -> None:
    (item,) = list(iter_records("missing.jsonl", CashMovement))
    assert isinstance(item, RecordError)
    assert item.reason == "no such file"


# --- writing -------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_write_then_read_gives_the_same_records(tmp_path: Path, suffix: str) -> None:
    records = [movement(1), movement(2, payer_iban="DE89370400440532013000", method="card")]
    path = tmp_path / f"m{suffix}"
    assert write_records(records, path) == 2
    batch = read_records(path, CashMovement)
    assert batch.errors == []
    assert batch.records == records
    assert os.listdir(tmp_path) == [path.name]


def test_written_csv_keeps_decimal_places_and_utc_times(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    write_records([movement(1, amount="9500.00", at="2026-11-20T12:00:00+02:00")], path)
    header, line = path.read_text("utf-8").splitlines()
    row = dict(zip(header.split(","), line.split(","), strict=True))
    assert row["amount"] == "9500.00"
    assert row["at"] == "2026-11-20T10:00:00Z"
    assert row["method"] == ""


def test_written_jsonl_has_decimals_as_strings(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    write_records([movement(1, amount="0.10")], path)
    assert json.loads(path.read_text("utf-8"))["amount"] == "0.10"


def test_written_csv_survives_carriage_returns_in_text(tmp_path: Path) -> None:
    records = [movement(1, payer_name="Line\rbreak"), movement(2, payer_name="two\r\nlines")]
    path = tmp_path / "m.csv"
    write_records(records, path)
    assert read_records(path, CashMovement).records == records


def test_written_csv_has_mapping_columns_of_the_records(tmp_path: Path) -> None:
    account = Account(
        account_id="A1",
        category="retail",
        holder={
            "first_name": "Anna",
            "surname": "Müller",
            "nationalities": ["DE"],
            "national_ids": {"CCPT": "C01X00T47"},
        },
    )
    path = tmp_path / "a.csv"
    write_records([account], path)
    assert "holder.national_ids.CCPT" in path.read_text("utf-8").splitlines()[0].split(",")
    assert read_records(path, Account).records == [account]


def test_parquet_written_in_parts_keeps_one_type_per_column(tmp_path: Path) -> None:
    # A column empty in the first part and filled in the next must still concatenate.
    records = [movement(1), movement(2, method="card", payer_country="DE")]
    path = tmp_path / "m.parquet"
    names = list(rio.layout_of(CashMovement).columns)
    assert rio._write_parquet(records, path, names, chunk_rows=1) == 2
    assert read_records(path, CashMovement).records == records
    assert pl.read_parquet_schema(path)["at"] == pl.Datetime("us", "UTC")


def _failing(records: list[CashMovement], after: int) -> Iterator[CashMovement]:
    for number, record in enumerate(records):
        if number == after:
            raise RuntimeError("source system went away")
        yield record


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
@pytest.mark.parametrize("columns", [None, list(rio.layout_of(CashMovement).columns)])
def test_failed_write_leaves_no_file_behind(
    tmp_path: Path, suffix: str, columns: list[str] | None
) -> None:
    records = [movement(n) for n in range(1, 7)]
    path = tmp_path / f"m{suffix}"
    with pytest.raises(RuntimeError, match="went away"):
        write_records(_failing(records, 3), path, model=CashMovement, columns=columns)
    assert not path.exists()
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_failed_write_keeps_the_previous_file(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"m{suffix}"
    write_records([movement(1)], path)
    before = path.read_bytes()
    with pytest.raises(RuntimeError):
        write_records(_failing([movement(2), movement(3)], 1), path, model=CashMovement)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == [path.name]


# --- columnar sources check what the row path checks ----------------------------------------


def _snapshot_rows() -> list[dict[str, str]]:
    common = {"balance": "1", "equity": "1", "currency": "EUR"}
    return [
        {"account_id": "A1", "at": "2026-11-20T22:00:00Z", **common},
        {"account_id": "A1", "at": "2026-11-21T00:00:00+02:00", **common},  # same instant
        {"account_id": "A2", "at": "2026-11-20T22:00:00Z", **common},
    ]


@pytest.mark.parametrize("as_frame", [False, True])
def test_duplicate_instant_in_another_offset_is_found_in_every_source(as_frame: bool) -> None:
    rows = _snapshot_rows()
    batch = read_records(pl.DataFrame(rows) if as_frame else rows, AccountSnapshot)
    assert [(error.row, error.reason) for error in batch.errors] == [
        (2, "duplicate key (first seen in row 1)")
    ]


def test_duplicate_key_with_surrounding_spaces_is_found_in_a_frame() -> None:
    frame = pl.DataFrame(
        [movement(1).to_row(), {**movement(2).to_row(), "movement_id": " M1 "}]
    ).with_columns(pl.col("amount").cast(pl.String), pl.col("kind").cast(pl.String))
    batch = read_records(frame, CashMovement)
    assert [(error.row, error.key) for error in batch.errors] == [(2, "M1")]


def test_frame_keeps_the_decimal_places_of_each_row() -> None:
    base = {
        "account_id": "A1",
        "instrument.symbol": "US500",
        "instrument.product": "cfd",
        "instrument.underlying_class": "index_major",
        "side": "buy",
        "quantity": "1",
        "price": "5000",
        "executed_at": "2026-11-20T09:30:00Z",
    }
    rows = [
        {**base, "trade_id": "T1", "instrument.price_multiplier": "10"},
        {**base, "trade_id": "T2", "instrument.price_multiplier": "10.0"},
    ]
    for source in (rows, pl.DataFrame(rows)):
        multipliers = [str(t.instrument.price_multiplier) for t in read_records(source, Trade)]
        assert multipliers == ["10", "10.0"]


def test_parquet_with_struct_columns_and_both_holder_variants(tmp_path: Path) -> None:
    path = tmp_path / "accounts.parquet"
    pl.DataFrame(
        {
            "account_id": ["A1", "A2"],
            "holder": [
                {"kind": "person", "first_name": "Jan", "surname": "Novák", "name": None},
                {"kind": "entity", "first_name": None, "surname": None, "name": "Acme"},
            ],
            "holder.nationalities": [["CZ", "SK"], None],
            "category": ["retail", "professional"],
        }
    ).write_parquet(path)
    batch = read_records(path, Account)
    assert batch.errors == []
    person, entity = batch.records
    assert isinstance(person.holder, NaturalPerson)
    assert person.holder.nationalities == ("CZ", "SK")
    assert entity.holder == LegalEntity(name="Acme")


def test_parquet_bad_row_names_the_file_and_row(tmp_path: Path) -> None:
    path = tmp_path / "m.parquet"
    rows = [json.loads(movement(n).to_json()) for n in (1, 2, 3)]
    rows[1]["amount"] = "-5"
    pl.DataFrame(rows).write_parquet(path)
    batch = read_records(path, CashMovement)
    assert ids(batch) == ["M1", "M3"]
    (error,) = batch.errors
    assert (error.file, error.line, error.row, error.key, error.field, error.value) == (
        str(path),
        None,
        2,
        "M2",
        "amount",
        "-5",
    )


# --- guards added with the writer review ---------------------------------------------------


def test_file_level_errors_name_the_record_class(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "trade_id,acount_id\nT1,A1\n")
    errors = read_records(path, Trade).errors
    assert errors, "an unknown column must be reported"
    assert all(str(error).startswith("Trade: ") for error in errors)


def test_writing_an_empty_csv_needs_the_model(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="pass model="):
        write_records([], tmp_path / "t.csv")
    assert not (tmp_path / "t.csv").exists()
    write_records([], tmp_path / "t.csv", model=Trade)
    assert read_records(tmp_path / "t.csv", Trade).errors == []


def test_writer_refuses_to_drop_a_field_missing_from_columns(tmp_path: Path) -> None:
    account = Account.model_validate(
        {
            "account_id": "A1",
            "category": "retail",
            "holder": {
                "first_name": "Jan",
                "surname": "Kowalski",
                "nationalities": ["PL"],
                "national_ids": {"PESEL": "85062412345"},
            },
        }
    )
    columns = list(layout_of(Account).columns)  # no holder.national_ids.PESEL
    with pytest.raises(ValueError, match=r"holder\.national_ids\.PESEL"):
        write_records([account], tmp_path / "a.csv", columns=columns)
    assert not (tmp_path / "a.csv").exists()
