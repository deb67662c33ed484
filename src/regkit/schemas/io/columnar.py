"""Validated columnar batches: a polars DataFrame whose every column passed the model's checks.

The per-record path builds one pydantic model per row. For batch work (a day or a quarter
of trades) :func:`regkit.read_frame` reads the same files into a polars DataFrame with dotted
columns (``instrument.symbol``) and runs the same checks column-wise: decimals parsed exactly,
timestamps with their offsets converted to UTC (naive ones rejected), enumerations checked,
every distinct code (LEI, currency, MIC ...) checked once rather than once per row, and the
cross-field checks of the models as polars expressions. Rows that fail become
:class:`~regkit.errors.RecordError` s, exactly as :func:`regkit.read_records` reports them,
and leave the frame; nothing is dropped without an error.

Example:
    >>> import polars as pl, regkit as rk
    >>> from regkit.schemas.io.columnar import validate_frame
    >>> raw = pl.DataFrame({"movement_id": ["M1", "M2"], "account_id": ["A1", "A1"],
    ...     "kind": ["deposit", "gift"], "amount": ["100.50", "5"], "currency": ["eur", "EUR"],
    ...     "at": ["2026-11-20T10:00:00+01:00", "2026-11-20T11:00:00Z"]})
    >>> batch = validate_frame(raw, rk.CashMovement)
    >>> batch.frame["amount"].to_list(), batch.frame["currency"].to_list()
    ([Decimal('100.50')], ['EUR'])
    >>> str(batch.errors[0])
    "CashMovement: row 2, key 'M2', field 'kind': Input should be 'deposit', 'withdrawal', \
'bonus', 'fee', 'transfer_in' or 'transfer_out' (got 'gift')"
"""

from __future__ import annotations

import contextlib
import enum
import types
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any, Generic, Literal, TypeVar

import annotated_types
import polars as pl
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from regkit.errors import RecordError
from regkit.schemas.base import LIST_SEPARATOR, Record, RowCheck
from regkit.schemas.instrument import MAJOR_CURRENCIES, Instrument
from regkit.schemas.io.formats import ErrorMode, floats_as_text, header_problems, unnest_structs
from regkit.schemas.layout import ModelLayout, layout_of
from regkit.schemas.types import (
    DATE_PATTERN,
    DATE_REASON,
    DATETIME_PATTERN,
    DATETIME_REASON,
    DECIMAL_REASON,
    DECIMAL_TEXT,
    INTEGER_PATTERN,
    INTEGER_REASON,
    OUTSIDE_CALENDAR,
    Checked,
)

R = TypeVar("R", bound=Record)
Kind = Literal[
    "text", "decimal", "datetime", "date", "int", "bool", "enum", "list", "literal", "choice"
]

_ROW = "__row"
#: The digits of a polars decimal (128 bits); every decimal field limits its digits to this.
_PRECISION = 38
_DATETIME_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%d %H:%M:%S%.f%#z")
#: Where the seconds of a timestamp start (``2026-11-20T09:30``), if it has them.
_SECONDS_AT = 16


@dataclass
class FrameBatch(Generic[R]):
    """A validated columnar batch: the good rows as a DataFrame and an error per bad row.

    Attributes:
        model: the record class whose checks the rows passed.
        frame: one row per good record, dotted columns, exact types (Decimal, UTC Datetime,
            Enum, Date, Boolean, List); ``Trade`` frames add the derived ``notional``.
        errors: one :class:`RecordError` per rejected row, plus any file-level error.
        rows: how many rows were read.
        source: the file name, or a description of an in-memory source.
    """

    model: type[R]
    frame: pl.DataFrame
    errors: list[RecordError] = field(default_factory=list)
    rows: int = 0
    source: str | None = None

    @property
    def ok(self) -> bool:
        """True when every row passed."""
        return not self.errors

    def records(self) -> list[R]:
        """The good rows as records (validated again by the model)."""
        derived = _DERIVED.get(self.model.__name__, {})
        columns = [name for name in self.frame.columns if name not in derived]
        layout = layout_of(self.model)
        return [
            self.model.model_validate(layout.from_flat(row))
            for row in self.frame.select(columns).iter_rows(named=True)
        ]


# --- column specifications, read off the model --------------------------------------------


@dataclass(frozen=True)
class _Column:
    path: str
    kind: Kind
    required: bool
    """Required whenever its record (or nested record, or union variant) is present."""
    group: str
    """The nested record the column belongs to (``""`` for the top, ``holder``, ``kyc``)."""
    variant: str | None = None
    checked: Checked | None = None
    enum_values: tuple[str, ...] = ()
    enum_upper: bool = False
    enum_type: type[enum.Enum] | None = None
    gt: Any = None
    ge: Any = None
    le: Any = None
    min_length: int | None = None
    default: Any = None
    literal: str | None = None
    max_digits: int | None = None
    decimal_places: int | None = None


@dataclass(frozen=True)
class _Group:
    path: str
    required: bool
    model: type[BaseModel]
    variant: str | None = None


@dataclass(frozen=True)
class _Spec:
    model: type[BaseModel]
    layout: ModelLayout
    columns: tuple[_Column, ...]
    groups: tuple[_Group, ...]
    union: str | None
    """The path of the discriminated union field, if the model has one (``holder``)."""


@cache
def _spec(model: type[BaseModel]) -> _Spec:
    walker = _SpecWalker()
    walker.walk(model, "", "", required=True, variant=None)
    columns = _merge_variants(walker.columns)
    for column in columns:
        _require_decimal_limits(model, column)
    return _Spec(
        model=model,
        layout=layout_of(model),
        columns=columns,
        groups=tuple(walker.groups),
        union=walker.union,
    )


def _require_decimal_limits(model: type[BaseModel], column: _Column) -> None:
    """Refuse a decimal field whose values a frame column might not hold: a polars decimal
    has 38 digits, so the field must limit its digits (all decimals of the record types do,
    through :data:`regkit.schemas.types.ExactDecimal`)."""
    if column.kind != "decimal":
        return
    digits, places = column.max_digits, column.decimal_places
    if digits is None or places is None or not 0 <= places <= digits <= _PRECISION:
        raise TypeError(
            f"{model.__name__}.{column.path}: a decimal field needs max_digits (at most "
            f"{_PRECISION}) and decimal_places, so that a frame column holds every value the "
            "model accepts; build it on regkit.schemas.types.ExactDecimal"
        )


def _merge_variants(columns: list[_Column]) -> tuple[_Column, ...]:
    """One column per path; a column every union variant has (``holder.kind``) is shared."""
    by_path: dict[str, _Column] = {}
    for column in columns:
        if column.path in by_path:
            by_path[column.path] = replace(by_path[column.path], variant=None)
        else:
            by_path[column.path] = column
    return tuple(by_path.values())


class _SpecWalker:
    def __init__(self) -> None:
        self.columns: list[_Column] = []
        self.groups: list[_Group] = []
        self.union: str | None = None

    def walk(
        self, model: type[BaseModel], prefix: str, group: str, required: bool, variant: str | None
    ) -> None:
        for name, info in model.model_fields.items():
            self.field(f"{prefix}{name}", info, group, required, variant)

    def field(
        self, path: str, info: FieldInfo, group: str, parent_required: bool, variant: str | None
    ) -> None:
        members = _members(info.annotation)
        options = [m for m in members if _bare(m) is not type(None)]
        required = info.is_required()
        models = [_bare(m) for m in options if _is_model(_bare(m))]
        if len(models) > 1:
            self.union = path
            self.groups.append(_Group(path, required, models[0]))
            for variant_model in models:
                tag = _literal_default(variant_model)
                self.walk(variant_model, f"{path}.", path, required=True, variant=tag)
            return
        if models:
            self.groups.append(_Group(path, required, models[0], variant))
            self.walk(models[0], f"{path}.", path, required=True, variant=variant)
            return
        if typing.get_origin(_bare(options[0])) in (dict, Mapping):
            return  # free-keyed mappings (national_ids) are kept as text columns
        metadata = [*info.metadata, *_metadata(options[0])]
        self.columns.append(
            _column(path, _bare(options[0]), metadata, required, group, variant, info)
        )


def _column(
    path: str,
    annotation: Any,
    metadata: list[Any],
    required: bool,
    group: str,
    variant: str | None,
    info: FieldInfo,
) -> _Column:
    default = None if info.is_required() else info.get_default(call_default_factory=True)
    common: dict[str, Any] = {
        "path": path,
        "required": required,
        "group": group,
        "variant": variant,
        "default": default,
        "checked": next((m for m in metadata if isinstance(m, Checked)), None),
        "gt": next((m.gt for m in _constraints(metadata, annotated_types.Gt)), None),
        "ge": next((m.ge for m in _constraints(metadata, annotated_types.Ge)), None),
        "le": next((m.le for m in _constraints(metadata, annotated_types.Le)), None),
        "min_length": next(
            (m.min_length for m in _constraints(metadata, annotated_types.MinLen)), None
        ),
        "max_digits": _general(metadata, "max_digits"),
        "decimal_places": _general(metadata, "decimal_places"),
    }
    origin = typing.get_origin(annotation)
    if origin is Literal and len(typing.get_args(annotation)) > 1:
        # A choice of codes (``Literal["BYER", "SLLR"]``): exactly one of them, as pydantic
        # takes it (no stripping, no case folding).
        choices = tuple(str(value) for value in typing.get_args(annotation))
        return _Column(kind="choice", enum_values=choices, **common)
    if origin is Literal:
        return _Column(kind="literal", literal=typing.get_args(annotation)[0], **common)
    if origin in (tuple, list):
        item = typing.get_args(annotation)[0]
        common["checked"] = next((m for m in _metadata(item) if isinstance(m, Checked)), None)
        return _Column(kind="list", **common)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        values = tuple(str(member.value) for member in annotation)
        upper = all(value.isupper() for value in values)
        return _Column(
            kind="enum", enum_values=values, enum_upper=upper, enum_type=annotation, **common
        )
    kind: Kind = {
        Decimal: "decimal",
        datetime: "datetime",
        date: "date",
        bool: "bool",
        int: "int",
    }.get(annotation, "text")  # type: ignore[assignment]
    return _Column(kind=kind, **common)


def _constraints(metadata: list[Any], kind: type[Any]) -> Iterator[Any]:
    for item in metadata:
        if isinstance(item, kind):
            yield item
        elif isinstance(item, FieldInfo):
            yield from (m for m in item.metadata if isinstance(m, kind))
        elif hasattr(item, "__iter__") and not isinstance(item, str | bytes):
            yield from (m for m in item if isinstance(m, kind))


def _general(metadata: list[Any], name: str) -> int | None:
    """A constraint pydantic keeps as an attribute of its metadata (``max_digits``)."""
    for item in metadata:
        for part in (item, *getattr(item, "metadata", ())):
            value = getattr(part, name, None)
            if isinstance(value, int):
                return value
    return None


def _members(annotation: Any) -> tuple[Any, ...]:
    bare = _bare(annotation)
    if typing.get_origin(bare) in (typing.Union, types.UnionType):
        return typing.get_args(bare)
    return (annotation,)


def _bare(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _metadata(annotation: Any) -> list[Any]:
    found: list[Any] = []
    while typing.get_origin(annotation) is typing.Annotated:
        found.extend(annotation.__metadata__)
        annotation = typing.get_args(annotation)[0]
    for item in list(found):
        if hasattr(item, "metadata") and isinstance(getattr(item, "metadata", None), list):
            found.extend(item.metadata)
    return found


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _literal_default(model: type[BaseModel]) -> str | None:
    for info in model.model_fields.values():
        if typing.get_origin(info.annotation) is Literal:
            return str(typing.get_args(info.annotation)[0])
    return None


# --- cleaning: raw column -> typed column ---------------------------------------------------


def _clean(frame: pl.DataFrame, column: _Column, decimals: Mapping[str, _DecimalScan]) -> pl.Expr:
    if column.path not in frame.columns:
        return pl.lit(None, dtype=_DTYPES[column.kind]).alias(column.path)
    raw = pl.col(column.path)
    dtype = frame.schema[column.path]
    if _is_code_like(column, dtype):
        return _clean_distinct(frame, column, dtype).alias(column.path)
    if column.kind not in _CLEAN_NULL_IFF_BLANK and dtype == pl.String:
        # The raw cell is already the stripped text (null when blank): parse it, no new pass.
        raw_cell = pl.col(f"__raw.{column.path}")
        return _clean_by_kind(raw_cell, dtype, column, decimals, True).alias(column.path)
    return _clean_by_kind(raw, dtype, column, decimals).alias(column.path)


def _is_code_like(column: _Column, dtype: pl.DataType) -> bool:
    """Low-cardinality columns (enumerations and code lists: a few dozen currencies in a
    million rows), normalised once per distinct value rather than once per row."""
    checked = column.checked
    coded = column.kind in ("enum", "literal", "choice") or (
        column.kind == "text"
        and checked is not None
        and checked.normalise != "strip"
        and (checked.codes is not None or checked.pattern is not None)
        and checked.prefix is None
    )
    return coded and dtype == pl.String


def _clean_distinct(frame: pl.DataFrame, column: _Column, dtype: pl.DataType) -> pl.Expr:
    """Normalise a low-cardinality column once per distinct value, then map the rows."""
    distinct = frame.select(pl.col(column.path).unique().drop_nulls()).to_series()
    cleaned = (
        distinct.to_frame("v").select(_clean_by_kind(pl.col("v"), dtype, column, {})).to_series()
    )
    changes = {
        before: after
        for before, after in zip(distinct.to_list(), cleaned.to_list(), strict=True)
        if before != after
    }
    if not changes:
        return pl.col(column.path)
    return pl.col(column.path).replace(changes)


def _as_text(raw: pl.Expr, dtype: pl.DataType, stripped: bool = False) -> pl.Expr:
    """Text with surrounding white space removed and a blank cell as null (``stripped``:
    the raw cell is that already)."""
    if stripped and dtype == pl.String:
        return raw
    text = raw if dtype == pl.String else raw.cast(pl.String)
    text = text.str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text)


def _clean_by_kind(
    raw: pl.Expr,
    dtype: pl.DataType,
    column: _Column,
    decimals: Mapping[str, _DecimalScan],
    stripped: bool = False,
) -> pl.Expr:
    kind = column.kind
    if kind == "decimal":
        return _exact_decimal(_as_text(raw, dtype, stripped), decimals.get(column.path))
    if kind == "datetime":
        if isinstance(dtype, pl.Datetime):
            if dtype.time_zone:
                return raw.dt.convert_time_zone("UTC")
            return pl.lit(None, dtype=_DTYPES["datetime"])  # naive: its instant is unknown
        # Only the ISO 8601 forms the per-record path accepts too: polars alone would also
        # take "+01", second 60 or a one-digit hour.
        text = _as_text(raw, dtype, stripped).str.to_uppercase()
        # A time without seconds (09:30Z) is given its :00, so one format reads every form.
        has_seconds = text.str.slice(_SECONDS_AT, 1) == ":"
        full = (
            pl.when(has_seconds)
            .then(text)
            .otherwise(text.str.slice(0, _SECONDS_AT) + ":00" + text.str.slice(_SECONDS_AT))
        )
        parsed = pl.coalesce(
            [
                full.str.to_datetime(fmt, time_unit="us", time_zone="UTC", strict=False)
                for fmt in _DATETIME_FORMATS
            ]
        )
        return pl.when(text.str.contains(DATETIME_PATTERN)).then(parsed)
    if kind == "date":
        if dtype == pl.Date:
            return raw
        text = _as_text(raw, dtype, stripped)
        return pl.when(text.str.contains(DATE_PATTERN)).then(
            text.str.to_date("%Y-%m-%d", strict=False)
        )
    if kind == "int":
        if dtype.is_integer():
            return raw.cast(pl.Int64, strict=False)
        text = _as_text(raw, dtype, stripped)
        return pl.when(text.str.contains(INTEGER_PATTERN)).then(text.cast(pl.Int64, strict=False))
    if kind == "bool":
        if dtype == pl.Boolean:
            return raw
        text = _as_text(raw, dtype, stripped).str.to_lowercase()
        return pl.when(text.is_in(_TRUE)).then(True).when(text.is_in(_FALSE)).then(False)
    if kind == "enum":
        text = _as_text(raw, dtype, stripped)
        return text.str.to_uppercase() if column.enum_upper else text.str.to_lowercase()
    if kind == "list":
        if isinstance(dtype, pl.List):
            items = raw.list.eval(pl.element().cast(pl.String).str.strip_chars().str.to_uppercase())
        else:
            items = (
                _as_text(raw, dtype, stripped)
                .str.split(LIST_SEPARATOR)
                .list.eval(pl.element().str.strip_chars().str.to_uppercase())
            )
        return items.list.eval(pl.element().filter(pl.element() != ""))
    if kind == "literal":
        return _as_text(raw, dtype, stripped).str.to_lowercase()
    if kind == "choice":
        text = raw if dtype == pl.String else raw.cast(pl.String)
        return pl.when(text.str.strip_chars() == "").then(None).otherwise(text)
    return _normalise_text(_as_text(raw, dtype, stripped), column.checked)


_DTYPES: dict[Kind, pl.DataType] = {
    "text": pl.String(),
    "decimal": pl.Decimal(_PRECISION, 0),
    "datetime": pl.Datetime("us", "UTC"),
    "date": pl.Date(),
    "int": pl.Int64(),
    "bool": pl.Boolean(),
    "enum": pl.String(),
    "list": pl.List(pl.String()),
    "literal": pl.String(),
    "choice": pl.String(),
}

_TRUE = ["true", "1", "yes", "y", "on", "t"]
_FALSE = ["false", "0", "no", "n", "off", "f"]


def _normalise_text(text: pl.Expr, checked: Checked | None) -> pl.Expr:
    if checked is None or checked.normalise == "strip":
        return text
    if checked.normalise == "iban":
        return text.str.replace_all(r"\s", "").str.to_uppercase()
    return text.str.to_uppercase()


# --- decimals: the model's digit limits, column-wise -----------------------------------------

#: A decimal spelled plainly: sign, digits with an optional point, an optional exponent of
#: up to four digits. polars parses these as Python does; the digits before and after the
#: point and the exponent are captured. Other spellings (a longer exponent; ``1_000``,
#: ``NaN``, other scripts' digits, which the shared grammar refuses) are rare and go to the
#: model's own parser, once per distinct text.
_PLAIN_DECIMAL = r"^[+-]?([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]{1,4}))?$"


@dataclass(frozen=True)
class _DecimalScan:
    """What one pass over a decimal column found."""

    scale: int = 0
    """The column's one scale: the most places written (``1.0850``: 4), at most the field's
    limit, which every value the model accepts fits (its trailing zeros do not count)."""
    over: bool = False
    """Whether a plainly spelled value is beyond the field's digit limits."""
    spelled: Mapping[str, str] = field(default_factory=dict)
    """Other spellings the model accepts, and the plain text of their value."""
    refused: Mapping[str, list[str]] = field(default_factory=dict)
    """Other spellings the model refuses, by the model's reason."""


@dataclass(frozen=True)
class _Digits:
    """The digits of a plainly spelled decimal, counted as pydantic counts them: on the
    value, so leading and trailing zeros do not count (``1.50`` has one place)."""

    plain: pl.Expr
    digits: pl.Expr
    places: pl.Expr
    written: pl.Expr
    """The places as written, trailing zeros too (``1.0850``: 4): the column's scale
    keeps them, up to the field's limit."""


def _digit_columns(text: pl.Expr, name: str) -> tuple[list[list[pl.Expr]], _Digits]:
    """Stages of expressions that add the digit counts of a decimal text as columns named
    ``{name}.*``, and those columns. Each stage reads the columns of the one before, so the
    regular expression and every string operation run once a row.
    """

    def col(part: str) -> pl.Expr:
        return pl.col(f"{name}.{part}")

    parts = text.str.extract_groups(_PLAIN_DECIMAL)
    # The value is core × 10^power, core its digits without leading and trailing zeros.
    power = (
        col("exponent") - col("written") + col("significant").str.len_bytes().cast(pl.Int64)
    ) - col("count")
    stages = [
        [
            parts.struct.field("1").alias(f"{name}.whole"),
            parts.struct.field("2").fill_null("").alias(f"{name}.fraction"),
            parts.struct.field("3").cast(pl.Int64).fill_null(0).alias(f"{name}.exponent"),
        ],
        [
            (col("whole") + col("fraction"))
            .str.strip_chars_start("0")
            .alias(f"{name}.significant"),
            col("fraction").str.len_bytes().cast(pl.Int64).alias(f"{name}.written"),
        ],
        [
            col("significant")
            .str.strip_chars_end("0")
            .str.len_bytes()
            .cast(pl.Int64)
            .alias(f"{name}.count"),
            (col("whole").str.len_bytes().cast(pl.Int64) + col("written") > 0)
            .fill_null(False)
            .alias(f"{name}.plain"),
            (col("written") - col("exponent")).clip(0).alias(f"{name}.as_written"),
        ],
        [power.alias(f"{name}.power")],
        [
            pl.when((col("count") == 0) | (col("power") >= 0))
            .then(0)
            .otherwise(-col("power"))
            .alias(f"{name}.places")
        ],
        [
            pl.when(col("count") == 0)
            .then(1)
            .otherwise(pl.max_horizontal(col("count") + col("power").clip(0), col("places")))
            .alias(f"{name}.digits")
        ],
    ]
    return stages, _Digits(col("plain"), col("digits"), col("places"), col("as_written"))


def _with_stages(query: pl.LazyFrame, staged: list[list[list[pl.Expr]]]) -> pl.LazyFrame:
    """``query`` with the stages of several columns added, stage by stage."""
    for stage in zip(*staged, strict=True):
        query = query.with_columns([expr for exprs in stage for expr in exprs])
    return query


def _limit_reasons(column: _Column) -> list[tuple[str, Callable[[_Digits], pl.Expr]]]:
    """pydantic's three digit checks, in its order and words: in all, after the point,
    before it."""
    most, places = _limits(column)
    whole = most - places
    return [
        (
            f"Decimal input should have no more than {most} digit{_plural(most)} in total",
            lambda d: d.digits > most,
        ),
        (
            f"Decimal input should have no more than {places} decimal place{_plural(places)}",
            lambda d: d.places > places,
        ),
        (
            f"Decimal input should have no more than {whole} digit{_plural(whole)} before the "
            "decimal point",
            lambda d: d.digits - d.places > whole,
        ),
    ]


def _plural(count: int) -> str:
    return "" if count == 1 else "s"


def _decimals_as_text(frame: pl.DataFrame, spec: _Spec) -> pl.DataFrame:
    """Decimal columns as text, the one form their checks read: typed decimals and integers
    as polars writes them, floats as their shortest text at their own width, as
    :func:`regkit.read_records` reads them too (``0.1`` is ``Decimal('0.1')``, not the
    binary fraction)."""
    frame = floats_as_text(frame, spec.layout)
    converted: list[pl.Series | pl.Expr] = []
    for column in spec.columns:
        if column.kind != "decimal" or column.path not in frame.columns:
            continue
        dtype = frame.schema[column.path]
        if dtype == pl.String:
            continue
        converted.append(pl.col(column.path).cast(pl.String))
    return frame.with_columns(converted) if converted else frame


#: The spelling of nearly every decimal in a file (``-1250.50``), or a blank cell: its
#: digits are counted by the position of the point alone.
_SIMPLE_DECIMAL = r"^[+-]?[0-9]+(?:\.[0-9]*)?$|^\s*$"


def _scan_decimals(frame: pl.DataFrame, spec: _Spec) -> dict[str, _DecimalScan]:
    """The scale each decimal column needs, whether a value is beyond the field's limits,
    and the rare other spellings, which the model's own parser judges once each.

    A quick pass first: a column of simple spellings whose longest integer part and most
    places are within the limits has no value beyond them, and its scale is those places.
    Only the other columns have their digits counted value by value (leading and trailing
    zeros, exponents), in one pass over all of them.
    """
    columns = [c for c in spec.columns if c.kind == "decimal" and c.path in frame.columns]
    if not columns:
        return {}
    scans = _quick_scans(frame, columns)
    rest = [column for column in columns if column.path not in scans]
    return scans | (_full_scans(frame, rest) if rest else {})


def _quick_scans(frame: pl.DataFrame, columns: list[_Column]) -> dict[str, _DecimalScan]:
    exprs: list[pl.Expr] = []
    for i, column in enumerate(columns):
        text = pl.col(column.path)  # text by now; padded cells are not simple
        point = text.str.find(".", literal=True)
        length = text.str.len_bytes().cast(pl.Int64)
        exprs += [
            (text.str.contains(_SIMPLE_DECIMAL) | text.is_null()).all().alias(f"{i}\0simple"),
            # The sign counts as a digit here: an upper bound is enough.
            pl.coalesce(point, length).max().alias(f"{i}\0whole"),
            (length - point - 1).max().alias(f"{i}\0places"),
        ]
    found = frame.select(exprs).row(0, named=True)
    scans: dict[str, _DecimalScan] = {}
    for i, column in enumerate(columns):
        most, places = _limits(column)
        written = found[f"{i}\0places"] or 0
        whole = found[f"{i}\0whole"] or 0
        if found[f"{i}\0simple"] and written <= places and whole <= most - places:
            scans[column.path] = _DecimalScan(scale=written)
    return scans


def _full_scans(frame: pl.DataFrame, columns: list[_Column]) -> dict[str, _DecimalScan]:
    texts = [_as_text_or_same(frame, c.path).alias(f"{i}") for i, c in enumerate(columns)]
    built = [_digit_columns(pl.col(f"{i}"), f"{i}") for i in range(len(columns))]
    exprs: list[pl.Expr] = []
    for i, (column, (_, digits)) in enumerate(zip(columns, built, strict=True)):
        over = pl.any_horizontal([bad(digits) for _, bad in _limit_reasons(column)])
        exprs += [
            digits.written.filter(digits.plain).max().alias(f"{i}\0places"),
            over.filter(digits.plain).any().alias(f"{i}\0over"),
            pl.col(f"{i}").filter(~digits.plain).unique().implode().alias(f"{i}\0other"),
        ]
    query = _with_stages(frame.lazy().select(texts), [stages for stages, _ in built])
    found = query.select(exprs).collect().row(0, named=True)
    return {
        column.path: _decimal_scan(
            column,
            found[f"{i}\0places"],
            bool(found[f"{i}\0over"]),
            [text for text in found[f"{i}\0other"] if text is not None],
        )
        for i, column in enumerate(columns)
    }


def _decimal_scan(
    column: _Column, places: int | None, over: bool, other: list[str]
) -> _DecimalScan:
    adapter = _decimal_adapter(*_limits(column))
    spelled: dict[str, str] = {}
    refused: dict[str, list[str]] = {}
    for text in sorted(other):
        try:
            value = adapter.validate_python(text)
        except ValidationError as exc:
            refused.setdefault(exc.errors()[0]["msg"], []).append(text)
            continue
        spelled[text] = format(value, "f")
    most = max([places or 0, *(_places(plain) for plain in spelled.values())])
    return _DecimalScan(min(most, _limits(column)[1]), over, spelled, refused)


def _limits(column: _Column) -> tuple[int, int]:
    """A decimal column's ``max_digits`` and ``decimal_places`` (:func:`_spec` made sure
    it has them)."""
    if column.max_digits is None or column.decimal_places is None:
        raise TypeError(f"{column.path} has no digit limits")
    return column.max_digits, column.decimal_places


@cache
def _decimal_adapter(max_digits: int, decimal_places: int) -> TypeAdapter[Decimal]:
    """The model's parser of a decimal and its digit limits (its bounds are checked on
    the column, as for every other value)."""
    limits = Field(allow_inf_nan=False, max_digits=max_digits, decimal_places=decimal_places)
    return TypeAdapter(typing.Annotated[Decimal, limits, DECIMAL_TEXT])


def _places(plain: str) -> int:
    """The decimal places of a value in fixed-point text, as written."""
    return len(plain.partition(".")[2])


def _exact_decimal(text: pl.Expr, scan: _DecimalScan | None) -> pl.Expr:
    """The decimal column at the scale its accepted values need, so no value is rounded; a
    value beyond the field's limits is refused by :func:`_decimal_checks`, never cut."""
    if scan is None:
        return text.cast(pl.Decimal(_PRECISION, 0), strict=False)
    if scan.spelled:
        text = text.replace(dict(scan.spelled))
    return text.cast(pl.Decimal(_PRECISION, scan.scale), strict=False)


def _decimal_checks(column: _Column, scan: _DecimalScan) -> list[_Check]:
    """The rows the model refuses for their digits or their spelling, with its reasons."""
    path = column.path
    raw = pl.col(f"__raw.{path}")
    checks = [
        _Check(path, reason, raw.is_in(texts), path) for reason, texts in scan.refused.items()
    ]
    if scan.over:
        _, digits = _digit_columns(raw, f"__digits.{path}")  # staged by _stage
        checks.extend(
            _Check(path, reason, digits.plain & bad(digits), path)
            for reason, bad in _limit_reasons(column)
        )
    return checks


# --- checks: masks that mark bad rows -------------------------------------------------------


@dataclass(frozen=True)
class _Check:
    field: str | None
    reason: str
    bad: pl.Expr
    """True on the rows the check rejects."""
    value_of: str | None = None
    """The raw column whose value the error shows."""


def _present(spec: _Spec, group: str) -> pl.Expr:
    """Whether a nested record (``kyc``) is present in a row: any of its columns is set."""
    if not group or any(g.path == group and g.required for g in spec.groups):
        return pl.lit(True)
    members = [c.path for c in spec.columns if c.path.startswith(group + ".")]
    return pl.any_horizontal([pl.col(f"__raw.{name}").is_not_null() for name in members])


def _active(spec: _Spec, column: _Column) -> pl.Expr:
    """Whether a column applies to a row: its nested record is there and its variant chosen."""
    expr = _present(spec, column.group)
    if column.variant is not None and spec.union is not None:
        expr = expr & (pl.col("__variant") == column.variant)
    return expr


def _column_checks(
    spec: _Spec, column: _Column, decimals: Mapping[str, _DecimalScan]
) -> list[_Check]:
    col = pl.col(column.path)
    raw = pl.col(f"__raw.{column.path}")
    active = _active(spec, column)
    checks: list[_Check] = []
    if column.variant is not None and spec.union is not None:
        checks.append(
            _Check(
                column.path,
                "Extra inputs are not permitted",
                raw.is_not_null() & (pl.col("__variant") != column.variant),
                column.path,
            )
        )
    if column.required and column.default is None and column.kind != "literal":
        checks.append(_Check(column.path, "Field required", active & raw.is_null()))
    if column.path in decimals:
        checks.extend(_decimal_checks(column, decimals[column.path]))
    checks.append(
        _Check(
            column.path, _unparsed_reason(column), raw.is_not_null() & col.is_null(), column.path
        )
    )
    checks.extend(_value_checks(column, col, raw))
    return checks


def _one_of(values: tuple[str, ...]) -> str:
    """pydantic's words for a value that is none of ``values``."""
    if not values:
        return ""
    listed = ", ".join(repr(value) for value in values[:-1])
    return (
        f"Input should be {listed} or {values[-1]!r}"
        if listed
        else f"Input should be {values[0]!r}"
    )


def _unparsed_reason(column: _Column) -> str:
    return {
        "decimal": DECIMAL_REASON,
        "datetime": DATETIME_REASON,
        "date": DATE_REASON,
        "int": INTEGER_REASON,
        "bool": "Input should be a valid boolean",
        "enum": "Input should be "
        + ", ".join(repr(v) for v in column.enum_values[:-1])
        + f" or {column.enum_values[-1]!r}"
        if column.enum_values
        else "",
        "list": "Input should be a valid list",
        "literal": "Input should be a valid tag",
        "choice": _one_of(column.enum_values),
        "text": "Input should be a valid string",
    }[column.kind]


def _value_checks(column: _Column, col: pl.Expr, raw: pl.Expr) -> list[_Check]:
    path = column.path
    checks: list[_Check] = []
    if column.kind in ("enum", "choice"):
        checks.append(
            _Check(
                path,
                _unparsed_reason(column),
                col.is_not_null() & ~col.is_in(list(column.enum_values)),
                path,
            )
        )
    if column.kind == "literal" and column.variant is None and column.path.endswith(".kind"):
        checks.append(
            _Check(
                path.rsplit(".", 1)[0],
                "holder.kind must be 'person' or 'entity'",
                ~pl.col("__variant").is_in(["person", "entity"]),
                path,
            )
        )
    elif column.kind == "literal" and column.literal is not None:
        checks.append(
            _Check(
                path,
                f"Input should be {column.literal!r}",
                col.is_not_null() & (col != column.literal),
                path,
            )
        )
    if column.kind == "datetime":
        # polars holds instants beyond year 9999 (or before 1), which no record can.
        checks.append(_Check(path, OUTSIDE_CALENDAR, ~col.dt.year().is_between(1, 9999), path))
    if column.gt is not None:
        checks.append(
            _Check(
                path,
                f"Input should be greater than {column.gt}",
                col.is_not_null() & (col <= column.gt),
                path,
            )
        )
    if column.ge is not None:
        checks.append(
            _Check(
                path,
                f"Input should be greater than or equal to {column.ge}",
                col.is_not_null() & (col < column.ge),
                path,
            )
        )
    if column.le is not None:
        checks.append(
            _Check(
                path,
                f"Input should be less than or equal to {column.le}",
                col.is_not_null() & (col > column.le),
                path,
            )
        )
    if column.kind == "list":
        least = column.min_length or 0
        checks.append(
            _Check(
                path,
                f"List should have at least {least} item after validation",
                raw.is_not_null() & (col.list.len() < least),
                path,
            )
        )
        checks.append(
            _Check(
                path, "a nationality is listed twice", col.list.len() != col.list.n_unique(), path
            )
        )
    return checks


def _mapping_checks(frame: pl.DataFrame, spec: _Spec) -> list[_Check]:
    """A free-keyed mapping column of one variant of the union (``holder.national_ids.CCPT``
    is a person's) set on a row of another variant: the model refuses it as an extra input."""
    info = spec.model.model_fields.get(spec.union or "")
    if info is None:
        return []
    checks: list[_Check] = []
    for prefix in spec.layout.mappings:
        name = prefix.removeprefix(f"{spec.union}.").rstrip(".")
        members = [_bare(member) for member in _members(info.annotation)]
        owners = [
            _literal_default(member)
            for member in members
            if _is_model(member) and name in member.model_fields
        ]
        for path in (column for column in frame.columns if column.startswith(prefix)):
            value = _as_text(pl.col(path), frame.schema[path])
            wrong = value.is_not_null() & ~pl.col("__variant").is_in(owners)
            checks.append(_Check(prefix.rstrip("."), "Extra inputs are not permitted", wrong))
    return checks


def _code_checks(frame: pl.DataFrame, spec: _Spec) -> list[_Check]:
    """Each distinct code checked once: a column of a million trades has a few dozen MICs."""
    checks: list[_Check] = []
    for column in spec.columns:
        if column.checked is None:
            continue
        col = pl.col(column.path)
        if column.checked.prefix is not None:
            checks.append(_prefixed_check(frame, column, column.checked))
            continue
        values = col.explode() if column.kind == "list" else col
        distinct = frame.select(values.drop_nulls().unique()).to_series().to_list()
        invalid = [value for value in distinct if not column.checked.check(value)]
        if not invalid:
            continue
        reason = column.checked.message
        bad = (
            col.list.eval(pl.element().is_in(invalid)).list.any()
            if column.kind == "list"
            else col.is_in(invalid)
        )
        checks.append(_Check(column.path, reason, bad.fill_null(False), column.path))
    return checks


def _prefixed_check(frame: pl.DataFrame, column: _Column, checked: Checked) -> _Check:
    """A unique identifier (a UTI): its format vectorised, its prefix once per distinct one."""
    assert checked.prefix is not None
    assert checked.pattern is not None
    length, prefix_check = checked.prefix
    col = pl.col(column.path)
    prefixes = frame.select(col.str.slice(0, length).drop_nulls().unique()).to_series()
    invalid = [value for value in prefixes.to_list() if not prefix_check(value)]
    bad = ~col.str.contains(checked.pattern()) | col.str.slice(0, length).is_in(invalid)
    return _Check(column.path, checked.message, bad.fill_null(False), column.path)


def _cross_checks(spec: _Spec) -> list[_Check]:
    checks: list[_Check] = []
    for group in (_Group("", True, spec.model), *spec.groups):
        for builder in _CROSS.get(group.model, ()):
            prefix = f"{group.path}." if group.path else ""
            for check in builder(prefix):
                checks.append(check)
    return checks


def _ordered_pair(prefix: str, first: str, second: str) -> list[_Check]:
    earlier, later = pl.col(prefix + first), pl.col(prefix + second)
    return [
        _Check(
            prefix.rstrip(".") or None,
            f"{second} must be after {first}",
            (later <= earlier).fill_null(False),
        )
    ]


def _option_terms(prefix: str) -> list[_Check]:
    """Instrument._option_terms: only an option has a type, a strike and an exercise style."""
    terms = [pl.col(prefix + name) for name in ("option_type", "strike_price", "exercise_style")]
    not_option = pl.col(prefix + "product") != "option"
    return [
        _Check(
            prefix.rstrip(".") or None,
            "option terms: only an option has them",
            (not_option & pl.any_horizontal(term.is_not_null() for term in terms)).fill_null(False),
        )
    ]


def _fx_pair(prefix: str) -> list[_Check]:
    cls = pl.col(prefix + "underlying_class")
    base, quote = pl.col(prefix + "base_currency"), pl.col(prefix + "quote_currency")
    fx = cls.is_in(["fx_major", "fx_minor"])
    both_major = base.is_in(list(MAJOR_CURRENCIES)) & quote.is_in(list(MAJOR_CURRENCIES))
    where = prefix.rstrip(".") or None
    return [
        _Check(
            where,
            "an FX instrument needs base_currency and quote_currency",
            (fx & (base.is_null() | quote.is_null())).fill_null(False),
        ),
        _Check(
            where,
            "an FX pair needs two different currencies",
            (fx & (base == quote)).fill_null(False),
        ),
        _Check(
            where,
            "not a major pair; classify it fx_minor",
            ((cls == "fx_major") & ~both_major).fill_null(False),
        ),
        _Check(
            where,
            "a major pair; classify it fx_major",
            ((cls == "fx_minor") & both_major).fill_null(False),
        ),
    ]


def _closes_itself(prefix: str) -> list[_Check]:
    """Trade: a trade whose ``closes`` names itself (the reason the model gives)."""
    from regkit.schemas.trade import CLOSES_ITSELF

    same = pl.col(prefix + "closes") == pl.col(prefix + "trade_id")
    return [_Check(prefix.rstrip(".") or None, CLOSES_ITSELF, same.fill_null(False))]


def _row_check_groups(spec: _Spec) -> Iterator[tuple[str, type[BaseModel], pl.Expr]]:
    """Each record of a row (the top one, nested ones, each variant of the union) whose
    model declares :class:`RowCheck` s: its column prefix, its model, and where it is present."""
    yield "", spec.model, pl.lit(True)
    for group in spec.groups:
        prefix = f"{group.path}."
        members = [_bare(m) for m in _members(spec.model.model_fields[group.path].annotation)]
        present = _present(spec, group.path)
        if group.path == spec.union and "." not in group.path:
            for member in (m for m in members if _is_model(m)):
                tag = _literal_default(member)
                yield prefix, member, present & (pl.col("__variant") == tag)
        elif "." not in group.path:
            yield prefix, group.model, present


def _row_checks(staged: pl.DataFrame, spec: _Spec) -> list[_Check]:
    """The models' checks across fields (:class:`RowCheck`), each run once per distinct
    combination of its values in the batch: the same function, so the same reason."""
    checks: list[_Check] = []
    for prefix, model, present in _row_check_groups(spec):
        for row_check in getattr(model, "row_checks", ()):
            checks.extend(_row_check(staged, row_check, prefix, present))
    return checks


def _row_check(
    staged: pl.DataFrame, row_check: RowCheck, prefix: str, present: pl.Expr
) -> list[_Check]:
    values = [pl.col(prefix + name) for name in row_check.fields]
    values += [pl.col(prefix + name).is_not_null() for name in row_check.presence]
    key = pl.concat_str(
        [pl.coalesce(value.cast(pl.String), pl.lit("\0")) for value in values], separator="\x1f"
    )
    named = [value.alias(f"v{i}") for i, value in enumerate(values)]
    distinct = staged.filter(present).select(key.alias("key"), *named).unique("key")
    by_reason: dict[str, list[str]] = {}
    for row in distinct.iter_rows():
        problem = row_check.check(*row[1:])
        if problem is not None:
            by_reason.setdefault(problem, []).append(row[0])
    where = prefix.rstrip(".") or None
    return [_Check(where, reason, present & key.is_in(keys)) for reason, keys in by_reason.items()]


def _cross_registry() -> dict[type[BaseModel], tuple[Callable[[str], list[_Check]], ...]]:
    from regkit.schemas.account import Account
    from regkit.schemas.party import Kyc
    from regkit.schemas.trade import Trade

    return {
        Instrument: (_fx_pair, _option_terms),
        Trade: (_closes_itself,),
        Account: (lambda p: _ordered_pair(p, "opened_at", "closed_at"),),
        Kyc: (lambda p: _ordered_pair(p, "verified_at", "expires_at"),),
    }


_CROSS = _cross_registry()


def _duplicate_check(spec: _Spec) -> list[_Check]:
    keys = list(spec.layout.key_fields)
    if not keys:
        return []
    bad = pl.all_horizontal([pl.col(k).is_not_null() for k in keys]) & (
        pl.col(_ROW) != pl.col("__first")
    )
    return [_Check(None, "duplicate key (first seen in row {first})", bad)]


# --- the pipeline ----------------------------------------------------------------------------


def validate_frame(
    frame: pl.DataFrame,
    model: type[R],
    errors: ErrorMode = "collect",
    *,
    source: str | None = None,
    first_row: int = 1,
) -> FrameBatch[R]:
    """Run the checks of ``model`` over every row of ``frame`` (dotted or struct columns).

    Args:
        frame: the rows, one column per field; text, numeric or typed columns.
        model: the record class whose checks apply.
        errors: ``"collect"`` or ``"raise"`` (the first error), as for ``read_records``.
        source: the file name for error messages.
        first_row: the row number of the frame's first row.
    """
    spec = _spec(model)
    frame = unnest_structs(frame)
    problems = header_problems(spec.layout, [name for name in frame.columns if name != _ROW])
    if problems:
        found = [RecordError(p, file=source, model=model.__name__) for p in problems]
        return _finish(FrameBatch(model, pl.DataFrame(), found, frame.height, source), errors)
    masks, bad_any, checks = _check_rows(frame, spec, first_row)
    found = _errors(masks.filter(bad_any).collect(), checks, spec, source)
    good = _with_derived(masks.filter(~bad_any).select(_output_columns(spec, frame)), model)
    return _finish(FrameBatch(model, good, found, frame.height, source), errors)


def _check_rows(
    frame: pl.DataFrame, spec: _Spec, first_row: int
) -> tuple[pl.LazyFrame, pl.Expr, list[_Check]]:
    """The staged rows with one mask column per check (a lazy query, so the masks of the
    rows that pass are never stored), and the expression "any check failed"."""
    shapeless = _shapeless(frame, spec)
    staged, decimals = _stage(_without_shapeless(frame, shapeless), spec, first_row)
    checks = [
        *(
            _Check(path, f"Input should be a single value, not a {kind}", pl.col(f"__shape.{path}"))
            for path, kind in shapeless.items()
        ),
        *(check for column in spec.columns for check in _column_checks(spec, column, decimals)),
        *_code_checks(staged, spec),
        *_mapping_checks(staged, spec),
        *_cross_checks(spec),
        *_row_checks(staged, spec),
        *_duplicate_check(spec),
    ]
    masks = staged.lazy().with_columns(
        [check.bad.fill_null(False).alias(f"__bad{i}") for i, check in enumerate(checks)]
    )
    bad_any = pl.any_horizontal([pl.col(f"__bad{i}") for i in range(len(checks))])
    return masks, bad_any, checks


def _shapeless(frame: pl.DataFrame, spec: _Spec) -> dict[str, str]:
    """The columns of single-value fields that hold lists, arrays or other nested values
    (a Parquet file may), by the shape they hold."""
    found: dict[str, str] = {}
    for column in spec.columns:
        dtype = frame.schema.get(column.path)
        if dtype is None or column.kind == "list":
            continue
        if dtype.is_nested() or dtype == pl.Object:
            found[column.path] = "list" if isinstance(dtype, pl.List | pl.Array) else str(dtype)
    return found


def _without_shapeless(frame: pl.DataFrame, shapeless: Mapping[str, str]) -> pl.DataFrame:
    """The frame with each such column empty, and a mask of the rows that had a value."""
    if not shapeless:
        return frame
    return frame.with_columns(
        *(pl.col(path).is_not_null().alias(f"__shape.{path}") for path in shapeless),
        *(pl.lit(None, dtype=pl.String).alias(path) for path in shapeless),
    )


def _finish(batch: FrameBatch[R], errors: ErrorMode) -> FrameBatch[R]:
    if errors == "raise" and batch.errors:
        raise batch.errors[0]
    return batch


def _stage(
    frame: pl.DataFrame, spec: _Spec, first_row: int
) -> tuple[pl.DataFrame, dict[str, _DecimalScan]]:
    """The rows with each column's raw cell beside its cleaned value, in one polars query,
    and what the scan of the decimal columns found.

    The raw cell (null when blank) serves the checks and the error messages. For text, an
    enumeration or a code the cleaned value is null exactly when the cell is blank, so the
    raw cell is the original, nulled after cleaning, and no second pass strips it.
    """
    frame = _decimals_as_text(frame, spec)
    follows = [c for c in spec.columns if c.kind in _CLEAN_NULL_IFF_BLANK and c.path in frame]
    raw_columns = [
        (pl.col(c.path) if c in follows else _as_text_or_same(frame, c.path)).alias(
            f"__raw.{c.path}"
        )
        for c in spec.columns
    ]
    if _ROW not in frame.columns:
        frame = frame.with_row_index(_ROW, offset=first_row)
    decimals = _scan_decimals(frame, spec)
    cleaning = [_clean(frame, column, decimals) for column in spec.columns]
    over = [
        _digit_columns(pl.col(f"__raw.{path}"), f"__digits.{path}")[0]
        for path, scan in decimals.items()
        if scan.over
    ]
    query = (
        _with_stages(frame.lazy().with_columns(raw_columns), over)
        .with_columns(cleaning)
        .with_columns(
            pl.when(pl.col(c.path).is_null())
            .then(None)
            .otherwise(pl.col(f"__raw.{c.path}"))
            .alias(f"__raw.{c.path}")
            for c in follows
        )
    )
    if spec.union is not None:
        query = query.with_columns(_variant_expr(spec))
    keys = list(spec.layout.key_fields)
    if keys:
        query = query.with_columns(pl.col(_ROW).min().over(keys).alias("__first"))
    return query.with_columns(_defaults(spec)).collect(), decimals


#: Kinds whose cleaned value is null exactly when the cell is blank (an unknown value stays).
_CLEAN_NULL_IFF_BLANK = frozenset({"text", "enum", "literal", "choice"})


def _as_text_or_same(frame: pl.DataFrame, path: str) -> pl.Expr:
    if path not in frame.columns:
        return pl.lit(None)
    dtype = frame.schema[path]
    if dtype == pl.String:
        # The stripped text: what the parsers read and what an error shows.
        text = pl.col(path).str.strip_chars()
        return pl.when(text == "").then(None).otherwise(text)
    if isinstance(dtype, pl.List):
        return pl.when(pl.col(path).list.len() == 0).then(None).otherwise(pl.col(path))
    return pl.col(path)


def _variant_expr(spec: _Spec) -> pl.Expr:
    union = spec.union
    kind = pl.col(f"{union}.kind")
    has_name = pl.col(f"__raw.{union}.name").is_not_null()
    inferred = pl.when(has_name).then(pl.lit("entity")).otherwise(pl.lit("person"))
    return pl.coalesce([kind, inferred]).alias("__variant")


def _defaults(spec: _Spec) -> list[pl.Expr]:
    exprs: list[pl.Expr] = []
    for column in spec.columns:
        if column.default is None or column.kind == "literal":
            continue
        default = column.default.value if isinstance(column.default, enum.Enum) else column.default
        # Only an empty cell takes the default: a value that does not parse is refused.
        applies = _active(spec, column) & pl.col(f"__raw.{column.path}").is_null()
        exprs.append(
            pl.when(applies & pl.col(column.path).is_null())
            .then(pl.lit(default))
            .otherwise(pl.col(column.path))
            .alias(column.path)
        )
    return exprs


def _output_columns(spec: _Spec, frame: pl.DataFrame) -> list[pl.Expr]:
    exprs: list[pl.Expr] = []
    for column in spec.columns:
        expr = pl.col(column.path)
        if column.kind == "enum":
            expr = expr.cast(pl.Enum(list(column.enum_values)))
        if column.kind == "literal" and spec.union is not None:
            expr = pl.col("__variant").alias(column.path)
        if column.variant is not None:
            expr = pl.when(pl.col("__variant") == column.variant).then(expr).alias(column.path)
        exprs.append(expr)
    mapping_columns = [
        name
        for name in frame.columns
        if spec.layout.is_known(name) and name not in spec.layout.known
    ]
    exprs.extend(_as_text(pl.col(name), frame.schema[name]).alias(name) for name in mapping_columns)
    return exprs


def _with_derived(good: pl.LazyFrame, model: type[Record]) -> pl.DataFrame:
    """The checked rows with the columns a model derives (Trade.notional), computed in the
    same query where the exact product fits polars' decimals, else as the model computes
    them (a Parquet Decimal(38, 18) quantity times a price at scale 18 needs scale 36)."""
    products = _DERIVED.get(model.__name__, {})
    schema = good.collect_schema()
    derived = [_exact_product(schema, names).alias(name) for name, names in products.items()]
    try:
        return good.with_columns(derived).collect()
    except pl.exceptions.PolarsError:
        frame = good.collect()
    return frame.with_columns(
        pl.Series(name, [_product(row) for row in frame.select(names).iter_rows()])
        for name, names in products.items()
    )


def _product(factors: tuple[Any, ...]) -> Decimal | None:
    if any(factor is None for factor in factors):
        return None
    value = Decimal(1)
    for factor in factors:
        value *= factor
    return value


def _exact_product(schema: Mapping[str, pl.DataType], names: tuple[str, ...]) -> pl.Expr:
    """The exact product of decimal columns: polars keeps only the larger scale of a
    product, so the first factor is widened to the sum of every factor's scale first."""
    scale = sum(getattr(schema[name], "scale", 0) or 0 for name in names)
    expr = pl.col(names[0]).cast(pl.Decimal(38, min(scale, 38)))
    for name in names[1:]:
        expr = expr * pl.col(name)
    return expr


#: Columns a model derives (its properties), added to every validated frame.
_DERIVED: dict[str, dict[str, tuple[str, ...]]] = {
    "Trade": {"notional": ("quantity", "price", "instrument.price_multiplier")},
}


def _errors(
    bad_rows: pl.DataFrame, checks: list[_Check], spec: _Spec, source: str | None
) -> list[RecordError]:
    found: list[RecordError] = []
    keys = spec.layout.key_fields
    order = _report_order(checks, spec)
    for row in _error_columns(bad_rows).iter_rows(named=True):
        index = next(i for i in order if row[f"__bad{i}"])
        check = checks[index]
        key = (
            "|".join(str(row[f"__raw.{k}"]) for k in keys)
            if keys and all(row.get(f"__raw.{k}") is not None for k in keys)
            else None
        )
        reason = check.reason
        if "{first}" in reason:
            reason = reason.format(first=_first_row(row))
        value = row.get(f"__raw.{check.value_of}") if check.value_of else None
        found.append(
            RecordError(
                reason,
                file=source,
                row=row[_ROW],
                key=key,
                field=check.field,
                value=value,
                model=spec.model.__name__,
            )
        )
    return found


def _report_order(checks: list[_Check], spec: _Spec) -> list[int]:
    """The checks in the order a row's first error is chosen: by the model's field order,
    as the per-record path names the first field pydantic refuses (a nested record's own
    check, such as an instrument's strike on a spot, comes at that record's field, before
    the fields after it), then in the order the checks were made."""
    fields = {name: position for position, name in enumerate(spec.model.model_fields)}

    def position(index: int) -> tuple[int, int]:
        field = checks[index].field
        top = field.split(".", 1)[0] if field is not None else None
        return fields.get(top, len(fields)) if top is not None else len(fields), index

    return sorted(range(len(checks)), key=position)


def _error_columns(bad_rows: pl.DataFrame) -> pl.DataFrame:
    """The columns an error reads (raw cells, masks, row numbers), as Python can hold them:
    a cleaned value or a typed cell may be an instant beyond year 9999."""
    exprs: list[pl.Expr] = []
    for name, dtype in bad_rows.schema.items():
        if not name.startswith("__"):
            continue
        expr = pl.col(name)
        if isinstance(dtype, pl.Datetime | pl.Date):
            expr = pl.when(expr.dt.year().is_between(1, 9999)).then(expr)
        exprs.append(expr.alias(name))
    return bad_rows.select(exprs)


def _first_row(row: Mapping[str, Any]) -> Any:
    return row.get("__first", "?")


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def to_frame(records: Sequence[Record], model: type[R] | None = None) -> pl.DataFrame:
    """Records as a validated columnar frame (dotted columns, typed as by read_frame)."""
    if not records:
        raise ValueError("to_frame needs at least one record, or use read_frame")
    record_model = model or type(records[0])
    rows = [{k: _plain(v) for k, v in record.to_row().items()} for record in records]
    frame = pl.DataFrame(rows, infer_schema_length=None)
    return validate_frame(frame, record_model, "raise").frame


# --- records from a checked frame --------------------------------------------------------------


def assemble_records(
    frame: pl.DataFrame,
    model: type[R],
    first_row: int,
    shared: dict[str, dict[tuple[Any, ...], Any]],
) -> tuple[list[tuple[int, R]], list[int]]:
    """Records for the rows of ``frame`` that pass every check, built from the checked columns.

    Each row has passed the model's checks column-wise (every distinct code once), so its
    record is assembled from the typed values, not validated a second time row by row.
    Decimals are read from the text as given (``"1.0850"`` keeps its places), timestamps
    come out in UTC, shared records (an Instrument) are validated once per distinct one.
    Only for models whose rows all have one shape (:attr:`ModelLayout.plain`).

    Returns:
        ``(row number, record)`` for the good rows, and the numbers of the rows that failed a
        check, for the caller to read the careful way (which names the reason).
    """
    spec = _spec(model)
    masks, bad_any, _ = _check_rows(frame, spec, first_row)
    flagged = masks.select(pl.col(_ROW), bad_any.alias("__failed")).collect()
    failed = flagged["__failed"]
    bad = flagged.filter(failed)[_ROW].to_list()
    good = masks.filter(~bad_any).collect()
    if good.height == 0:
        return [], bad
    records = _Assembler(spec, model, shared).build(good, frame.filter(~failed))
    numbers = good[_ROW].to_list()
    built = [(n, r) for n, r in zip(numbers, records, strict=True) if r is not None]
    unbuilt = [n for n, r in zip(numbers, records, strict=True) if r is None]
    return built, sorted(bad + unbuilt) if unbuilt else bad


class _Assembler(Generic[R]):
    """Turns checked columns into Python values and the values into frozen records."""

    def __init__(
        self, spec: _Spec, model: type[R], shared: dict[str, dict[tuple[Any, ...], Any]]
    ) -> None:
        self.spec = spec
        self.model = model
        self.shared = shared
        fields = model.model_fields
        self.required = frozenset(name for name, info in fields.items() if info.is_required())
        self.optional = tuple(name for name in fields if name not in self.required)

    def build(self, good: pl.DataFrame, raw: pl.DataFrame) -> list[R | None]:
        """The records of the good rows, in order; ``None`` for a row whose nested record
        its model refuses though every column passed (the caller reads it the careful way:
        a record is never assembled around a raw mapping)."""
        found: dict[str, list[Any]] = {}
        for column in self.spec.columns:
            if not column.group:
                found[column.path] = self._values(good, column)
        for group in self.spec.groups:
            found[group.path] = self._group_values(raw, group)
        # In the model's field order: a record's fields serialise in the order it holds them.
        names = [name for name in self.model.model_fields if name in found]
        columns = [found[name] for name in names]
        groups = [found[group.path] for group in self.spec.groups]
        refused = {i for values in groups for i, value in enumerate(values) if type(value) is dict}
        if not _construct_matches(self.model):
            return [
                None
                if i in refused
                else self.model.model_validate(dict(zip(names, row, strict=True)))
                for i, row in enumerate(zip(*columns, strict=True))
            ]
        records: list[R | None] = list(
            self._construct(names, columns, self._null_patterns(good, names))
        )
        for i in refused:
            records[i] = None
        return records

    def _null_patterns(self, good: pl.DataFrame, names: list[str]) -> tuple[list[int], list[str]]:
        """For each row, which of the optional fields that are sometimes empty it sets, as a
        bit pattern computed by polars: rows of one pattern share one fields-set."""
        optional = [n for n in names if n in self.optional and n in good.columns]
        nullable = [n for n in optional if good[n].null_count() > 0]
        if not nullable:
            return [0] * good.height, []
        bits = pl.sum_horizontal(
            pl.col(name).is_not_null().cast(pl.Int64) * (1 << index)
            for index, name in enumerate(nullable)
        )
        return good.select(bits).to_series().to_list(), nullable

    def _construct(
        self, names: list[str], columns: list[list[Any]], patterns: tuple[list[int], list[str]]
    ) -> list[R]:
        masks, nullable = patterns
        # Fields set in every row: the required ones and the optional ones never empty here.
        always = {
            name
            for name, values in zip(names, columns, strict=True)
            if name not in nullable and (name in self.required or values[0] is not None)
        }
        shapes: dict[int, set[str]] = {}
        model, new, set_attribute = self.model, self.model.__new__, object.__setattr__
        records: list[R] = []
        append = records.append
        for mask, row in zip(masks, zip(*columns, strict=True), strict=True):
            fields_set = shapes.get(mask)
            if fields_set is None:
                chosen = {name for index, name in enumerate(nullable) if mask >> index & 1}
                fields_set = shapes[mask] = always | chosen
            record = new(model)
            set_attribute(record, "__dict__", dict(zip(names, row, strict=True)))
            set_attribute(record, "__pydantic_fields_set__", set(fields_set))
            set_attribute(record, "__pydantic_extra__", None)
            set_attribute(record, "__pydantic_private__", None)
            append(record)
        return records

    def _values(self, good: pl.DataFrame, column: _Column) -> list[Any]:
        if column.kind == "decimal":
            return _decimal_values(good[f"__raw.{column.path}"], good[column.path])
        if column.kind == "datetime":
            micros = good[column.path].dt.epoch("us").to_list()
            return [None if v is None else _EPOCH + timedelta(microseconds=v) for v in micros]
        values = good[column.path].to_list()
        if column.kind == "enum" and column.enum_type is not None:
            members: dict[Any, Any] = {member.value: member for member in column.enum_type}
            return [None if value is None else members[value] for value in values]
        if column.kind == "list":
            return [None if value is None else tuple(value) for value in values]
        return values

    def _group_values(self, raw: pl.DataFrame, group: _Group) -> list[Any]:
        names = [name for name in raw.columns if name.startswith(group.path + ".")]
        leaves = [name[len(group.path) + 1 :] for name in names]
        return _shared_column(raw, names, leaves, group.model, self.shared, group.path)


def _decimal_values(raw: pl.Series, checked: pl.Series) -> list[Any]:
    """Decimals as the per-record path makes them: from the text as given (every decimal
    column is text by then, see :func:`_decimals_as_text`), so they keep their places."""
    if raw.dtype != pl.String:
        return checked.to_list()  # the column was absent: its default, or nothing
    values = raw.to_list()
    if raw.null_count() == 0 or checked.null_count() == raw.null_count():
        return [None if value is None else Decimal(value) for value in values]
    # An empty cell took the field's default in the checked column (price_multiplier 1).
    return [
        given if value is None else Decimal(value)
        for value, given in zip(values, checked.to_list(), strict=True)
    ]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@cache
def _construct_matches(model: type[BaseModel]) -> bool:
    """Whether a record assembled by setting its state directly equals what pydantic's own
    ``model_construct`` makes (it does, unless a pydantic release changes how a model keeps
    its state; then records are validated row by row instead)."""
    if model.__private_attributes__ or model.__pydantic_post_init__:
        return False
    probe = model.model_construct()
    built = model.__new__(model)
    object.__setattr__(built, "__dict__", dict(probe.__dict__))
    object.__setattr__(built, "__pydantic_fields_set__", set(probe.model_fields_set))
    object.__setattr__(built, "__pydantic_extra__", None)
    object.__setattr__(built, "__pydantic_private__", None)
    state = ("__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")
    return (
        built.__dict__ == probe.__dict__
        and set(vars(built)) == set(vars(probe))
        and all(getattr(built, name, None) == getattr(probe, name, None) for name in state)
    )


def _shared_column(
    frame: pl.DataFrame,
    names: list[str],
    leaves: list[str],
    model: type[BaseModel],
    shared: dict[str, dict[tuple[Any, ...], Any]],
    group: str,
) -> list[Any]:
    """One validated instance per distinct nested record (an Instrument), shared by every row
    that holds the same values as read: polars numbers the distinct ones, and only those are
    converted, validated and cached (text keeps "10" apart from "10.0")."""
    distinct = frame.select(names).unique(maintain_order=True).with_row_index("__group")
    numbered = frame.select(names).join(
        distinct, on=names, how="left", nulls_equal=True, maintain_order="left"
    )
    cache = shared.setdefault(group, {})
    instances = [
        _shared(model, cache, leaves, values) for values in distinct.drop("__group").iter_rows()
    ]
    return [instances[number] for number in numbered["__group"].to_list()]


def _shared(
    model: type[BaseModel],
    cache: dict[tuple[Any, ...], Any],
    leaves: list[str],
    values: tuple[Any, ...],
) -> Any:
    try:
        found = cache.get(values)
    except TypeError:  # an unhashable value (a list): no sharing for this one
        found = None
    if found is None:
        # A blank cell is a missing value, as on the row path and in the column checks.
        data = {
            leaf: value
            for leaf, value in zip(leaves, values, strict=True)
            if not (isinstance(value, str) and not value.strip())
        }
        try:
            found = model.model_validate(data)
        except ValidationError:
            return data  # refused: the row is read the careful way, which names the reason
        if len(cache) < 100_000:
            with contextlib.suppress(TypeError):
                cache[values] = found
    return found
