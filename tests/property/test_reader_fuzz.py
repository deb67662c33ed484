"""Fuzzing the record readers (issue 13): a broken or hostile file never crashes a reader,
never loses a row and never changes a value.

Small valid files are written by ``write_records`` from sample records, in Parquet, CSV and
JSON Lines, then mutated: bytes flipped, the end cut off, lines inserted or repeated, cells
replaced with the hostile values of issue 13. ``read_records``, ``iter_records`` and
``read_frame`` must then give, for every row, a record or a RecordError naming it; raise
nothing; agree on the rows both accept; and give an unmutated row its original values.

Parquet bytes are not flipped here: polars aborts the whole process (an allocation failure
it cannot turn into an error) on some corrupted page headers, which no reader can catch.
Parquet files are cut short and given hostile columns instead.
"""

from __future__ import annotations

import random
import tempfile
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import HOSTILE_NUMBERS, HOSTILE_TIMES

from regkit import Account, CashMovement, Record, RecordError, Trade, iter_records, read_records
from regkit.samples import SampleConfig, generate
from regkit.schemas.io import read_frame, write_records
from regkit.schemas.io.columnar import _spec

MODELS: list[type[Record]] = [Trade, CashMovement, Account]
FORMATS = ["csv", "jsonl", "parquet"]
HOSTILE_TEXT = ["", "   ", "\u0000", "\u202e", "x" * 300, '"', "{}", "[1]", "null"]


@cache
def _samples(model: type[Record]) -> tuple[Record, ...]:
    sample = generate(SampleConfig(trades=20, seed=13))
    pools: dict[type[Record], list[Any]] = {
        Trade: sample.trades,
        CashMovement: sample.movements,
        Account: sample.accounts,
    }
    return tuple(pools[model][:8])


@dataclass
class _Case:
    path: Path
    originals: dict[str, Record]
    """The records written, by key."""
    untouched: set[str]
    """Keys of the rows a structured mutation left as written (empty after byte flips)."""


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")


def _key_line(line: bytes, keys: list[str]) -> str | None:
    return next((key for key in keys if key.encode() in line), None)


@st.composite
def _cases(draw: st.DrawFn, model: type[Record], file_format: str, folder: Path) -> _Case:
    records = list(_samples(model))[: draw(st.integers(1, 8))]
    path = folder / f"records.{file_format}"
    write_records(records, path)
    originals = {str(r.key): r for r in records}
    keys = list(originals)
    untouched = set(keys)
    mutation = draw(
        st.sampled_from(
            ["cell", "truncate", "insert", "repeat"]
            + (["flip"] if file_format != "parquet" else ["column"])
        )
    )
    if file_format == "parquet":
        frame = pl.read_parquet(path)
        if mutation == "truncate":
            data = path.read_bytes()
            path.write_bytes(data[: draw(st.integers(0, len(data) - 1))])
            return _Case(path, originals, set())
        frame = _mutated_frame(draw, model, frame, mutation, untouched, keys)
        frame.write_parquet(path)
        return _Case(path, originals, untouched)
    lines = _lines(path)
    first = 1 if file_format == "csv" else 0
    if mutation == "flip":
        data = bytearray(path.read_bytes())
        for _ in range(draw(st.integers(1, 4))):
            data[draw(st.integers(0, len(data) - 1))] ^= 1 << draw(st.integers(0, 7))
        path.write_bytes(bytes(data))
        return _Case(path, originals, set())
    if mutation == "truncate":
        data = path.read_bytes()
        cut = draw(st.integers(0, len(data) - 1))
        path.write_bytes(data[:cut])
        kept = data[:cut].split(b"\n")
        untouched = {k for k in keys if any(k.encode() in line for line in kept[:-1])}
        if kept and kept[-1]:
            untouched.discard(_key_line(kept[-1], keys) or "")
        return _Case(path, originals, untouched)
    body = lines[first:-1]
    if mutation == "insert":
        extra = draw(st.sampled_from([b"", b"   ", b"\r", b"garbage", b"{", b",,,", b"[]"]))
        lines.insert(draw(st.integers(first, len(lines) - 1)), extra)
    elif mutation == "repeat":
        lines.insert(draw(st.integers(first, len(lines) - 1)), draw(st.sampled_from(body)))
    else:
        at = draw(st.integers(first, len(lines) - 2))
        untouched.discard(_key_line(lines[at], keys) or "")
        lines[at] = _hostile_line(draw, lines[at], file_format)
    path.write_bytes(b"\n".join(lines))
    return _Case(path, originals, untouched)


def _hostile_value(draw: st.DrawFn) -> str:
    return draw(st.sampled_from([*HOSTILE_NUMBERS, *HOSTILE_TIMES, *HOSTILE_TEXT]))


def _hostile_line(draw: st.DrawFn, line: bytes, file_format: str) -> bytes:
    value = _hostile_value(draw).replace('"', "")
    if file_format == "csv":
        cells = line.split(b",")
        cells[draw(st.integers(0, len(cells) - 1))] = value.encode()
        return b",".join(cells)
    # A JSON value replaced (or a key given twice) by text surgery, as an editor would.
    parts = line.split(b'": ')
    at = draw(st.integers(1, max(1, len(parts) - 1)))
    if at < len(parts):
        rest = parts[at].split(b",", 1)
        tail = b"," + rest[1] if len(rest) > 1 else b"}"
        parts[at] = draw(st.sampled_from([f'"{value}"', value, "[1]", "{}"])).encode() + tail
    return b'": '.join(parts)


def _mutated_frame(
    draw: st.DrawFn,
    model: type[Record],
    frame: pl.DataFrame,
    mutation: str,
    untouched: set[str],
    keys: list[str],
) -> pl.DataFrame:
    index = draw(st.integers(0, frame.height - 1))
    untouched.discard(keys[index])
    columns = [
        c
        for c in _spec(model).columns
        if c.path in frame.columns and not frame.schema[c.path].is_nested()
    ]
    column = draw(st.sampled_from(columns))
    if mutation in ("insert", "repeat"):
        untouched.clear()  # a repeated key moves which row is first: no row is "as written"
        return pl.concat([frame, frame.slice(index, 1)])
    if mutation == "column":
        shape = draw(st.sampled_from(["float32", "list", "naive", "null"]))
        if shape == "float32" and column.kind == "decimal":
            untouched.clear()
            return frame.with_columns(pl.col(column.path).cast(pl.Float32, strict=False))
        if shape == "naive":
            untouched.clear()  # the other rows lose the column's value
            naive = pl.lit(datetime(2026, 11, 20, 9, 30))
            at_index = pl.int_range(pl.len()) == index
            return frame.with_columns(pl.when(at_index).then(naive).alias(column.path))
        if shape == "list":
            untouched.clear()
            return frame.with_columns(pl.col(column.path).cast(pl.String).reshape((-1, 1)))
        untouched.clear()
        return frame.with_columns(pl.lit(None, dtype=pl.String).alias(column.path))
    text = frame[column.path].cast(pl.String).to_list()
    text[index] = _hostile_value(draw)
    return frame.with_columns(pl.Series(column.path, text, dtype=pl.String))


def _check(case: _Case, model: type[Record]) -> None:
    batch = read_records(case.path, model)
    streamed = list(iter_records(case.path, model))
    columnar = read_frame(case.path, model)

    # iter_records streams what read_records collects, in file order.
    assert [x for x in streamed if not isinstance(x, RecordError)] == batch.records
    assert [str(x) for x in streamed if isinstance(x, RecordError)] == [
        str(e) for e in batch.errors
    ]
    for errors in (batch.errors, columnar.errors):
        assert all(isinstance(error, RecordError) for error in errors)
        assert all(error.file == str(case.path) for error in errors)
    # Every row ends as a record or an error naming it, where rows can be counted.
    if all(error.row is not None for error in batch.errors):
        rows = {error.row for error in batch.errors}
        assert len(batch.records) + len(rows) == batch.rows
    # A row both readers accept has the same values on both.
    by_key = {str(r.key): r for r in batch.records}
    for record in columnar.records():
        if str(record.key) in by_key:
            assert record == by_key[str(record.key)]
    # A row no mutation touched keeps the values written.
    for record in batch.records:
        key = str(record.key)
        if key in case.untouched:
            assert record == case.originals[key]


@pytest.mark.parametrize("file_format", FORMATS)
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_mutated_files_end_as_records_or_named_errors(
    model: type[Record], file_format: str, data: st.DataObject
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        case = data.draw(_cases(model, file_format, Path(folder)))
        _check(case, model)


def test_the_seeded_flips_of_a_csv_file_are_all_read(tmp_path: Path) -> None:
    # A fixed sweep beside the random cases: every byte of a small file flipped once.
    path = tmp_path / "records.csv"
    write_records(list(_samples(CashMovement))[:3], path)
    data = path.read_bytes()
    rng = random.Random(13)
    originals = {str(r.key): r for r in _samples(CashMovement)}
    for position in range(len(data)):
        flipped = bytearray(data)
        flipped[position] ^= 1 << rng.randrange(8)
        path.write_bytes(bytes(flipped))
        _check(_Case(path, originals, set()), CashMovement)
