"""Files written column-wise from plain rows hold the bytes the record models write."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from regkit.samples import SampleConfig, write_samples
from regkit.samples._brokerage import CURRENCIES, Brokerage, snapshot_record
from regkit.samples._common import (
    cents_text,
    fast_draw,
    from_cents,
    to_datetime,
    to_iso,
    to_iso_ms,
)
from regkit.samples._files import write_rows
from regkit.samples._movements import MovementRow, build_movement
from regkit.samples._tables import (
    Table,
    movement_table,
    snapshot_plain,
    snapshot_table,
    trade_table,
)
from regkit.samples._trades import trade_record
from regkit.schemas.io import FileFormat, write_records
from regkit.schemas.layout import layout_of
from regkit.schemas.trade import Trade

FORMATS: tuple[FileFormat, ...] = ("parquet", "csv", "jsonl")
CONFIG = SampleConfig(trades=3_000, accounts=90, seed=99, days=3, leverage_breach_per_mille=100)


@given(st.integers(0, 2**32), st.lists(st.integers(1, 2**70), min_size=1, max_size=40))
def test_draw_gives_what_random_gives(seed: int, bounds: list[int]) -> None:
    ours, theirs = random.Random(seed), random.Random(seed)
    draw = fast_draw(ours)
    for n in bounds:
        assert draw(n) == theirs.randrange(n)
        assert 3 + draw(n) == theirs.randint(3, n + 2)
        items = list(range(n % 50 + 1))
        assert items[draw(len(items))] == theirs.choice(items)


@given(st.integers(-(10**20), 10**20))
def test_cents_text_is_the_decimal_text(cents: int) -> None:
    assert cents_text(cents) == str(from_cents(cents))


@given(st.integers(-(10**12), 4 * 10**12))
def test_iso_ms_is_the_datetime_text(ms: int) -> None:
    assert to_iso_ms(ms) == to_iso(to_datetime(ms))


def _streams() -> list[tuple[str, Table[Any], list[Any], Callable[[Any], Any]]]:
    book = Brokerage(CONFIG)
    trades = list(book.trade_rows())
    movements = list(book.movement_rows())
    snapshots = list(book.snapshot_rows())

    def trade(row: Any) -> Trade:
        return trade_record(row, book.instruments)

    return [
        ("trades", trade_table(book.instruments), trades, trade),
        ("movements", movement_table(), movements, build_movement),
        ("snapshots", snapshot_table(), snapshots, snapshot_record),
    ]


def _both(
    tmp_path: Path,
    table: Table[Any],
    rows: list[Any],
    record: Callable[[Any], Any],
    fmt: FileFormat,
    chunk_rows: int | None = None,
) -> tuple[bytes, bytes]:
    ours, theirs = tmp_path / f"ours.{fmt}", tmp_path / f"theirs.{fmt}"
    assert write_rows(rows, table, ours, fmt, chunk_rows=chunk_rows) == len(rows)
    models: Iterable[Any] = (record(row) for row in rows)
    write_records(models, theirs, format=fmt, columns=table.columns)
    return ours.read_bytes(), theirs.read_bytes()


@pytest.mark.parametrize("fmt", FORMATS)
def test_rows_write_the_bytes_the_models_write(tmp_path: Path, fmt: FileFormat) -> None:
    for stem, table, rows, record in _streams():
        assert rows, stem
        ours, theirs = _both(tmp_path, table, rows, record, fmt)
        assert ours == theirs, stem


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_small_chunks_write_the_same_text(tmp_path: Path, fmt: FileFormat) -> None:
    for stem, table, rows, record in _streams():
        ours, theirs = _both(tmp_path, table, rows, record, fmt, chunk_rows=333)
        assert ours == theirs, stem


def test_small_parquet_chunks_hold_the_same_records(tmp_path: Path) -> None:
    for stem, table, rows, _ in _streams():
        one, many = tmp_path / f"{stem}-one.parquet", tmp_path / f"{stem}-many.parquet"
        write_rows(rows, table, one, "parquet")
        write_rows(rows, table, many, "parquet", chunk_rows=333)
        assert pl.read_parquet(one).equals(pl.read_parquet(many)), stem


_AWKWARD = ['Anne "Nan" O\'Neil', "back\\slash", "comma, inside", "tab\there", "cr\rhere",
            "new\nline", "Zoë Ærø 東京", "\x01control", "x"]  # fmt: skip


@pytest.mark.parametrize("fmt", FORMATS)
def test_awkward_text_is_written_as_the_models_write_it(tmp_path: Path, fmt: FileFormat) -> None:
    rows = [
        MovementRow(
            f"M{n:09d}", "A000001", "deposit", "10.00", "EUR", 1_700_000_000_000 + n,
            "card", name, None if n % 2 else "DE", None,
        )
        for n, name in enumerate(_AWKWARD)
    ]  # fmt: skip
    ours, theirs = _both(tmp_path, movement_table(), rows, build_movement, fmt)
    assert ours == theirs


def test_progress_names_each_file_with_its_count(tmp_path: Path) -> None:
    seen: list[tuple[str, int]] = []
    manifest = write_samples(tmp_path, CONFIG, "csv", progress=lambda n, c: seen.append((n, c)))
    assert [name for name, _ in seen] == [item.name for item in manifest.files]
    assert dict(seen)["trades.csv"] == CONFIG.trades
    assert not list(tmp_path.glob("*.part*")), "no part file is left behind"
    assert len(layout_of(Trade).columns) == len(trade_table([]).columns)


def test_snapshot_integers_make_the_text_of_the_rows() -> None:
    book = Brokerage(CONFIG)
    rows = list(book.snapshot_rows())
    flat = [value for records in book.blocks() for value in records.snapshots]
    assert any(row.equity.startswith("-") for row in rows), "a negative amount is covered"
    table = snapshot_table()
    assert table.finish is not None
    assert table.finish(snapshot_plain(flat, CURRENCIES)).equals(table.frame(rows))
