"""The record files, column-wise: chunks of plain rows as typed polars frames and JSON lines.

A chunk of rows (:class:`~regkit.samples._trades.TradeRow`, ``MovementRow``,
``SnapshotRow``) becomes one polars frame with the file's columns, in the file's order and
with the types :func:`regkit.schemas.io.write_records` gives them (decimals and codes as
text, times as UTC datetimes), or JSON lines with the text ``Record.to_json`` gives. No
model is built: the rows hold exactly the values the models would, and tests hold every
file to what the models write.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

import polars as pl

from regkit.samples._brokerage import SNAPSHOT_INTS, SnapshotRow
from regkit.samples._movements import MovementRow
from regkit.samples._trades import TradeRow
from regkit.schemas.account import AccountSnapshot
from regkit.schemas.cash import CashMovement
from regkit.schemas.instrument import Instrument
from regkit.schemas.layout import LIST_SEPARATOR, layout_of
from regkit.schemas.trade import Trade

__all__ = [
    "Table",
    "json_lines",
    "movement_table",
    "snapshot_plain",
    "snapshot_table",
    "text_frame",
    "trade_table",
]

Row = TypeVar("Row", TradeRow, MovementRow, SnapshotRow)

_UTC_US = pl.Datetime("us", "UTC")
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@dataclass(frozen=True)
class Table(Generic[Row]):
    """How one kind of row goes into files.

    Attributes:
        columns: the file's columns, in order (the model's layout).
        dtypes: each column's type where it holds a value (a column never filled is text).
        frame: a chunk of rows as a frame of ``columns``, typed by ``dtypes``.
        finish: a frame of the rows' fields (as :func:`~regkit.samples._trades.trade_frame`
            makes them) as a frame of ``columns``; ``None`` where rows are not given so.
    """

    columns: tuple[str, ...]
    dtypes: Mapping[str, pl.DataType]
    frame: Callable[[Sequence[Row]], pl.DataFrame]
    finish: Callable[[pl.DataFrame], pl.DataFrame] | None = None


def _transpose(rows: Sequence[tuple[Any, ...]], width: int) -> list[Sequence[Any]]:
    return list(zip(*rows, strict=True)) if rows else [()] * width


def _datetimes(ms: str) -> pl.Expr:
    return (pl.col(ms) * 1000).cast(_UTC_US)


def _typed(columns: Mapping[str, Sequence[Any]], dtypes: Mapping[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(
        {name: pl.Series(name, values, dtype=dtypes[name]) for name, values in columns.items()}
    )


# trades ----------------------------------------------------------------------------------

_TRADE_OWN = (
    "side",
    "quantity",
    "price",
    "executed_at",
    "price_currency",
    "venue",
    "capacity",
    "leverage",
    "margin",
    "position_effect",
    "uti",
    "lp_reference",
    "execution_decision",
    "investment_decision",
    "requested_price",
    "option_premium",
    "option_premium_payment_date",
    "closes",
    "near_leg_rate",
    "near_leg_value_date",
    "quantity_currency",
)
#: Columns the generator never fills: no value, text.
_TRADE_EMPTY = ("option_premium_payment_date", "near_leg_rate", "near_leg_value_date")


def _cell_value(value: Any) -> Any:
    """A row value as ``write_records`` puts it into Parquet."""
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Decimal | enum.Enum):
        return str(value)
    return value


def _dtype_of(value: Any) -> pl.DataType:
    if isinstance(value, bool):
        return pl.Boolean()
    if isinstance(value, int):
        return pl.Int64()
    if isinstance(value, datetime):
        return _UTC_US
    if isinstance(value, date):
        return pl.Date()
    if isinstance(value, list):
        return pl.List(pl.String())
    return pl.String()


def _instrument_frame(instruments: Sequence[Instrument]) -> pl.DataFrame:
    """One row per instrument, with the trade file's ``instrument.*`` columns."""
    names = [name for name in layout_of(Trade).columns if name.startswith("instrument.")]
    rows = [{f"instrument.{k}": v for k, v in item.to_row().items()} for item in instruments]
    columns: dict[str, list[Any]] = {
        name: [_cell_value(row.get(name)) for row in rows] for name in names
    }
    dtypes = {
        name: _dtype_of(next((v for v in values if v is not None), ""))
        for name, values in columns.items()
    }
    return _typed(columns, dtypes)


def trade_table(instruments: Sequence[Instrument]) -> Table[TradeRow]:
    """How trades go into files, their instruments taken from ``instruments``."""
    catalog = _instrument_frame(instruments)
    own: dict[str, pl.DataType] = {name: pl.String() for name in TradeRow._fields}
    own.update(spec=pl.UInt32(), at_ms=pl.Int64())
    dtypes: dict[str, pl.DataType] = {name: pl.String() for name in layout_of(Trade).columns}
    dtypes.update(catalog.schema)
    dtypes["executed_at"] = _UTC_US

    def frame(rows: Sequence[TradeRow]) -> pl.DataFrame:
        values = _transpose(rows, len(TradeRow._fields))
        return finish(_typed(dict(zip(TradeRow._fields, values, strict=True)), own))

    def finish(plain: pl.DataFrame) -> pl.DataFrame:
        gathered = catalog.select(pl.all().gather(plain["spec"]))
        return pl.concat(
            [
                plain.select(
                    *(name for name in TradeRow._fields if name not in ("spec", "at_ms")),
                    _datetimes("at_ms").alias("executed_at"),
                    pl.lit("XOFF").alias("venue"),
                    pl.lit("DEAL").alias("capacity"),
                    *(pl.lit(None, pl.String()).alias(name) for name in _TRADE_EMPTY),
                ),
                gathered,
            ],
            how="horizontal",
        ).select(layout_of(Trade).columns)

    return Table(layout_of(Trade).columns, dtypes, frame, finish)


# movements -------------------------------------------------------------------------------

_MOVEMENT_OWN: dict[str, pl.DataType] = {name: pl.String() for name in MovementRow._fields}
_MOVEMENT_OWN["at_ms"] = pl.Int64()
_MOVEMENT_KEYS = layout_of(CashMovement).columns


def _movement_frame(rows: Sequence[MovementRow]) -> pl.DataFrame:
    values = _transpose(rows, len(MovementRow._fields))
    plain = _typed(dict(zip(MovementRow._fields, values, strict=True)), _MOVEMENT_OWN)
    return plain.select(
        *MovementRow._fields[:5],
        _datetimes("at_ms").alias("at"),
        *MovementRow._fields[6:],
    )


def movement_table() -> Table[MovementRow]:
    """How cash movements go into files."""
    dtypes: dict[str, pl.DataType] = {name: pl.String() for name in _MOVEMENT_KEYS}
    dtypes["at"] = _UTC_US
    return Table(_MOVEMENT_KEYS, dtypes, _movement_frame)


# snapshots -------------------------------------------------------------------------------

_SNAPSHOT_OWN: dict[str, pl.DataType] = {name: pl.String() for name in SnapshotRow._fields}
_SNAPSHOT_OWN.update(at_ms=pl.Int64(), open_positions=pl.Int64())
_SNAPSHOT_KEYS = layout_of(AccountSnapshot).columns


def _snapshot_frame(rows: Sequence[SnapshotRow]) -> pl.DataFrame:
    values = _transpose(rows, len(SnapshotRow._fields))
    return _snapshot_finish(
        _typed(dict(zip(SnapshotRow._fields, values, strict=True)), _SNAPSHOT_OWN)
    )


def _snapshot_finish(plain: pl.DataFrame) -> pl.DataFrame:
    return plain.select(
        "account_id",
        _datetimes("at_ms").alias("at"),
        *SnapshotRow._fields[2:],
    )


def _cents(name: str) -> pl.Expr:
    """Signed cents as the text of their Decimal: -5 is ``-0.05``."""
    value = pl.col(name)
    size = value.abs()
    return pl.concat_str(
        pl.when(value < 0).then(pl.lit("-")).otherwise(pl.lit("")),
        (size // 100).cast(pl.String),
        pl.lit("."),
        (size % 100).cast(pl.String).str.zfill(2),
    ).alias(name)


def snapshot_plain(flat: Sequence[int], currencies: Sequence[str]) -> pl.DataFrame:
    """Snapshots given as :data:`SNAPSHOT_INTS` integers each (the account's index, the
    currency's index in ``currencies``) as a frame of :class:`SnapshotRow`'s fields."""
    width = len(SNAPSHOT_INTS)
    rows = len(flat) // width
    matrix = pl.Series("m", flat, dtype=pl.Int64).reshape((rows, width))
    ints = pl.DataFrame({"m": matrix}).select(
        pl.col("m").arr.get(i).alias(name) for i, name in enumerate(SNAPSHOT_INTS)
    )
    return ints.select(
        pl.concat_str(pl.lit("A"), (pl.col("account") + 1).cast(pl.String).str.zfill(6)).alias(
            "account_id"
        ),
        "at_ms",
        _cents("balance"),
        _cents("equity"),
        pl.lit(pl.Series(currencies, dtype=pl.String)).gather(pl.col("currency")).alias("currency"),
        _cents("margin").alias("margin_required"),
        "open_positions",
    )


def snapshot_table() -> Table[SnapshotRow]:
    """How end-of-day snapshots go into files."""
    dtypes: dict[str, pl.DataType] = {name: pl.String() for name in _SNAPSHOT_KEYS}
    dtypes.update(at=_UTC_US, open_positions=pl.Int64())
    return Table(_SNAPSHOT_KEYS, dtypes, _snapshot_frame, _snapshot_finish)


# CSV text ---------------------------------------------------------------------------------


def _text(name: str, dtype: pl.DataType) -> pl.Expr:
    """A column as the text ``write_records`` puts into CSV (nulls stay null: empty)."""
    column = pl.col(name)
    if dtype == _UTC_US:
        whole = column.dt.timestamp("us") % 1_000_000 == 0
        return (
            pl.when(whole)
            .then(column.dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
            .otherwise(column.dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ"))
            .alias(name)
        )
    if dtype == pl.Date():
        return column.dt.strftime("%Y-%m-%d")
    if dtype == pl.Boolean():
        return pl.when(column).then(pl.lit("true")).otherwise(pl.lit("false")).alias(name)
    if isinstance(dtype, pl.List):
        return column.list.join(LIST_SEPARATOR)
    if dtype == pl.String():
        # Python's CSV writer writes an empty string as nothing, as it writes None.
        return pl.when(column != "").then(column).alias(name)
    return column.cast(pl.String())


def text_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column of ``frame`` as its CSV text (null: an empty cell)."""
    return frame.select(_text(name, dtype) for name, dtype in frame.schema.items())


# JSON lines -------------------------------------------------------------------------------

#: Text that JSON must escape: put through ``json`` itself rather than quoted as it is.
_NEEDS_ESCAPE = r'[\\"\x00-\x1f]'


def _json_value(frame: pl.DataFrame, name: str, dtype: pl.DataType) -> pl.Expr:
    """A column's values as JSON text, as pydantic writes them (null stays null)."""
    column = pl.col(name)
    if dtype in (pl.Int64(), pl.UInt32()):
        return column.cast(pl.String())
    if dtype == pl.Boolean():
        return pl.when(column).then(pl.lit("true")).otherwise(pl.lit("false"))
    if dtype == pl.String():
        if frame[name].str.contains(_NEEDS_ESCAPE).any():
            return column.map_elements(_dumps, return_dtype=pl.String())
        return _quoted(column)
    if dtype in (_UTC_US, pl.Date()):
        return _quoted(_text(name, dtype))
    raise TypeError(f"no JSON text for column {name!r} of type {dtype}")


def _quoted(text: pl.Expr) -> pl.Expr:
    return pl.concat_str(pl.lit('"'), text, pl.lit('"'))


def json_lines(frame: pl.DataFrame) -> pl.Series:
    """Each row of ``frame`` as the JSON line ``Record.to_json`` writes (no newline).

    Dotted columns (``instrument.symbol``, one level) are a nested object, keys in column
    order; null values are left out, as ``exclude_none`` does. The first column of the
    record and of each nested object must never be null (an id, ``instrument.symbol``).
    """
    pieces: list[pl.Expr] = []
    group, first = "", True
    for name, dtype in frame.schema.items():
        prefix, _, key = name.rpartition(".")
        if "." in prefix:
            raise ValueError(f"json_lines: {name!r} nests more than one level")
        if prefix != group:
            if group:
                pieces.append(pl.lit("}"))
            if prefix:
                pieces.append(pl.lit(f',"{prefix}":{{'))
                first = True
            group = prefix
        comma = "" if first else ","
        first = False
        value = _json_value(frame, name, dtype)
        pieces.append(pl.concat_str(pl.lit(f'{comma}"{key}":'), value).fill_null(""))
    if group:
        pieces.append(pl.lit("}"))
    return frame.select(pl.concat_str(pl.lit("{"), *pieces, pl.lit("}")).alias("json"))["json"]
