"""THE registry of the functions an expression may call: one :class:`Function` per name.

Each entry holds everything about its function: its arity, its type rule (what the checker
accepts and the type of the result), its Python helper (what generated code calls) and its
polars lowering, and the signature and text of the function table in ``docs/policies.md``
(generated from this registry: ``python -m regkit.rules.lang.docs --write``). The checker,
the Python code generator and the polars lowering read :data:`FUNCTIONS`; adding a function
is one entry here, plus its helper code next to it.

Null semantics: a function gives ``None`` when an argument is ``None``, except the
``self_guarded`` ones, whose helpers take ``None`` themselves (``is_valid_lei``,
``same_name``, ``overlaps``, ``startswith``, ``fits_digits`` and ``matches`` give ``False``;
``coalesce`` skips it; ``cfi`` and ``national_client_id`` give ``None``).

Examples:
    >>> FUNCTIONS["working_days_between"].min_args, FUNCTIONS["working_days_between"].max_args
    (2, 3)
    >>> FUNCTIONS["same_name"].signatures
    ('same_name(name, other)', 'same_name(name, first, last)')
"""

from __future__ import annotations

import enum
import functools
import importlib
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, Literal, Protocol

import polars as pl
from pydantic import BaseModel

from regkit.errors import IdentifierError, PolicyError
from regkit.rules.calendars import check_calendar, holiday_dates, working_days_between
from regkit.rules.lang.nodes import (
    BOOL,
    DATE,
    INT,
    STR,
    Call,
    Const,
    Node,
    RecordRef,
    Type,
    unify,
)
from regkit.rules.names import same_name
from regkit.schemas.identifiers import (
    CFI_TERMS,
    derive_cfi,
    is_valid_lei,
    mic_category,
    mic_country,
    mic_table,
    national_client_id,
)
from regkit.schemas.instrument import Instrument
from regkit.schemas.party import NaturalPerson

__all__ = [
    "ARITY",
    "FUNCTIONS",
    "PERSON_FIELDS",
    "CallSite",
    "Function",
    "Lowering",
]


class CallSite(Protocol):
    """What a function's type rule sees of the call being checked."""

    @property
    def name(self) -> str:
        """The function's name."""

    def fail(
        self, problem: str, allowed: str | None = None, *, arg: int | None = None
    ) -> typing.NoReturn:
        """Raise the checker's :class:`PolicyError` at the call (or at argument ``arg``)."""

    def record_models(self, record: RecordRef) -> list[type[BaseModel]]:
        """The models a nested record argument may be (the variants of a union)."""

    def reads(self, path: str) -> None:
        """Note that the expression reads the dotted field ``path``."""


class Lowering(Protocol):
    """What a function's polars lowering uses of the lowering."""

    columns: Callable[[str], str]
    """The column name of a dotted field name."""

    def gen(self, node: Node) -> pl.Expr:
        """The polars expression of a node."""


TypeRule = Callable[[CallSite, tuple[Node, ...]], Node]
"""Checks a call's checked arguments and gives the typed call (its arguments may be
rewritten: defaults filled in, constants made canonical), or the constant a call of
constants is (``date("2024-04-29")``)."""
PolarsRule = Callable[[Lowering, Call], pl.Expr]
"""Lowers a typed call to a polars expression."""


@dataclass(frozen=True)
class Function:
    """One function of the expression language.

    Attributes:
        name: the name expressions call it by.
        signatures: its forms, as the docs show them (``days_between(a, b)``).
        doc: what it gives, one line of Markdown (the docs' function table).
        min_args: the fewest arguments it takes.
        max_args: the most arguments it takes (``None``: any number).
        check: the type rule (see :data:`TypeRule`).
        polars: the polars lowering (see :data:`PolarsRule`).
        python: the helper generated Python code calls with the argument values.
        method: instead of ``python``, the method generated code calls on the first argument.
        self_guarded: the helper takes ``None`` arguments itself (no ``None`` test around the
            call in generated code).
        strict: the result is ``None`` exactly when an argument is ``None`` (generated code
            relies on it to skip tests of ``None``).
        record_arg: the first argument may be a nested record (``account.holder``).
    """

    name: str
    signatures: tuple[str, ...]
    doc: str
    min_args: int
    max_args: int | None
    check: TypeRule
    polars: PolarsRule
    python: Callable[..., Any] | None = None
    method: str | None = None
    self_guarded: bool = False
    strict: bool = False
    record_arg: bool = False


def _call(
    site: CallSite, result: Type, args: tuple[Node, ...], nullable: bool | None = None
) -> Call:
    """The typed call: ``None`` when an argument is (unless ``nullable`` says otherwise)."""
    if nullable is None:
        nullable = any(a.nullable for a in args)
    return Call(result, nullable, site.name, args)


def _need(site: CallSite, args: Sequence[Node], kinds: tuple[str, ...], wanted: str) -> None:
    """Fail unless every argument is of one of ``kinds``."""
    for arg in args:
        if arg.type.kind not in kinds:
            site.fail(f"{site.name}() needs {wanted}, not {arg.type}")


def _args(lower: Lowering, node: Call) -> list[pl.Expr]:
    return [lower.gen(a) for a in node.args]


# --- abs, len, min, max --------------------------------------------------------------------


def _check_abs(site: CallSite, args: tuple[Node, ...]) -> Call:
    if not args[0].type.numeric:
        site.fail(f"abs() needs a number, not {args[0].type}")
    return _call(site, args[0].type, args)


def _polars_abs(lower: Lowering, node: Call) -> pl.Expr:
    return _args(lower, node)[0].abs()


def _check_len(site: CallSite, args: tuple[Node, ...]) -> Call:
    _need(site, args, ("str", "list"), "a string or a list")
    return _call(site, INT, args)


def _polars_len(lower: Lowering, node: Call) -> pl.Expr:
    first = _args(lower, node)[0]
    if node.args[0].type.kind == "list":
        return first.list.len().cast(pl.Int64)
    return first.str.len_chars().cast(pl.Int64)


def _check_extreme(site: CallSite, args: tuple[Node, ...]) -> Call:
    unified = unify([a.type for a in args])
    if unified is None or unified.kind not in ("decimal", "int", "datetime", "date"):
        site.fail(f"{site.name}() needs numbers, datetimes or dates of one kind")
    return _call(site, unified, args)


def _polars_extreme(lower: Lowering, node: Call) -> pl.Expr:
    args = _args(lower, node)
    combined = pl.min_horizontal(args) if node.name == "min" else pl.max_horizontal(args)
    any_null = pl.any_horizontal([a.is_null() for a in args])
    return pl.when(any_null).then(None).otherwise(combined)


# --- upper, lower, is_valid_lei, startswith ------------------------------------------------


def _check_case(site: CallSite, args: tuple[Node, ...]) -> Call:
    if args[0].type.kind not in ("str", "enum"):
        site.fail(f"{site.name}() needs a string, not {args[0].type}")
    return _call(site, STR, args)


def _polars_case(lower: Lowering, node: Call) -> pl.Expr:
    text = _args(lower, node)[0].cast(pl.String)
    return text.str.to_uppercase() if node.name == "upper" else text.str.to_lowercase()


def _check_lei(site: CallSite, args: tuple[Node, ...]) -> Call:
    if args[0].type.kind != "str":
        site.fail(f"is_valid_lei() needs a string, not {args[0].type}")
    return _call(site, BOOL, args, nullable=False)


def _lei(value: str | None) -> bool:
    return value is not None and is_valid_lei(value)


def _polars_lei(lower: Lowering, node: Call) -> pl.Expr:
    first = _args(lower, node)[0]
    return first.map_batches(_lei_batch, return_dtype=pl.Boolean).fill_null(False)


def _lei_batch(series: pl.Series) -> pl.Series:
    distinct = series.drop_nulls().unique().to_list()
    mapping = {value: is_valid_lei(value) for value in distinct}
    return series.replace_strict(mapping, default=None, return_dtype=pl.Boolean)


def _check_startswith(site: CallSite, args: tuple[Node, ...]) -> Call:
    for arg in args:
        if arg.type.kind not in ("str", "enum"):
            site.fail(f"startswith() needs two strings, not {arg.type}")
    return _call(site, BOOL, args, nullable=False)


def _startswith(text: Any, prefix: Any) -> bool:
    """Whether a text starts with a prefix; ``False`` when either is missing."""
    if text is None or prefix is None:
        return False
    return str(_plain_value(text)).startswith(str(_plain_value(prefix)))


def _plain_value(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _polars_startswith(lower: Lowering, node: Call) -> pl.Expr:
    args = _args(lower, node)
    text = args[0].cast(pl.String)
    return text.str.starts_with(args[1].cast(pl.String)).fill_null(False)


# --- coalesce ------------------------------------------------------------------------------


def _check_coalesce(site: CallSite, args: tuple[Node, ...]) -> Call:
    unified = unify([a.type for a in args])
    if unified is None or unified.kind in ("record", "mapping"):
        site.fail("coalesce() needs values of one type")
    return _call(site, unified, args, nullable=all(a.nullable for a in args))


def _coalesce(*values: Any) -> Any:
    """The first value that is not ``None`` (``None`` when all are)."""
    return next((value for value in values if value is not None), None)


def _polars_coalesce(lower: Lowering, node: Call) -> pl.Expr:
    return pl.coalesce(_args(lower, node))


# --- days_between, working_days_between, weekday, date -------------------------------------

_DAY_US = 86_400_000_000


def _check_days(site: CallSite, args: tuple[Node, ...]) -> Call:
    _need(site, args, ("date", "datetime"), "dates or datetimes")
    return _call(site, INT, args)


def _days_between(a: date | None, b: date | None) -> int | None:
    if a is None or b is None:
        return None
    if isinstance(a, datetime) != isinstance(b, datetime):
        a = a if isinstance(a, datetime) else datetime.combine(a, time(), UTC)
        b = b if isinstance(b, datetime) else datetime.combine(b, time(), UTC)
    return (b - a).days


def _polars_days(lower: Lowering, node: Call) -> pl.Expr:
    stamps = [a.cast(pl.Datetime("us", "UTC")) for a in _args(lower, node)]
    return ((stamps[1] - stamps[0]).dt.total_microseconds() // _DAY_US).cast(pl.Int64)


def _check_working_days(site: CallSite, args: tuple[Node, ...]) -> Call:
    _need(site, args[:2], ("date", "datetime"), "dates or datetimes")
    calendar = args[2] if len(args) == 3 else Const(STR, False, "TARGET")
    if not (isinstance(calendar, Const) and calendar.type.kind == "str"):
        site.fail(
            "the calendar of working_days_between() must be a string literal "
            "or a string parameter (known when the policy loads)",
            "e.g. 'TARGET', 'UK' or 'DE'",
            arg=2,
        )
    try:
        canonical = check_calendar(calendar.value)
    except PolicyError as error:
        problem, _, choices = str(error).partition("; ")
        site.fail(problem, choices, arg=2)
    return _call(site, INT, (*args[:2], Const(STR, False, canonical)))


def _working_days_between(a: date | None, b: date | None, calendar: str) -> int | None:
    if a is None or b is None:
        return None
    return working_days_between(a, b, calendar)


def _polars_working_days(lower: Lowering, node: Call) -> pl.Expr:
    # business_day_count counts [start, end); this counts (start, end], signed.
    args = _args(lower, node)
    start, end = (
        a.cast(pl.Datetime("us", "UTC")).dt.date() if n.type.kind == "datetime" else a
        for a, n in zip(args[:2], node.args[:2], strict=True)
    )
    holidays = holiday_dates(typing.cast(Const, node.args[2]).value)
    low = pl.min_horizontal(start, end) + pl.duration(days=1)
    high = pl.max_horizontal(start, end) + pl.duration(days=1)
    sign = pl.when(end >= start).then(1).when(end < start).then(-1)
    count = pl.business_day_count(low, high, holidays=holidays).cast(pl.Int64)
    return (sign * count).cast(pl.Int64)


def _check_weekday(site: CallSite, args: tuple[Node, ...]) -> Call:
    if args[0].type.kind not in ("date", "datetime"):
        site.fail(f"weekday() needs a date or a datetime, not {args[0].type}")
    return _call(site, INT, args)


def _polars_weekday(lower: Lowering, node: Call) -> pl.Expr:
    return (_args(lower, node)[0].dt.weekday() - 1).cast(pl.Int64)


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _check_date(site: CallSite, args: tuple[Node, ...]) -> Node:
    first = args[0]
    if isinstance(first, Const) and first.type.kind == "str":
        # A date literal (or a date parameter, which YAML holds as text): the date itself.
        text = first.value
        try:
            if not _ISO_DATE.fullmatch(text):
                raise ValueError(text)
            return Const(DATE, False, date.fromisoformat(text))
        except ValueError:
            site.fail(f"{text!r} is not a date", "write an ISO 8601 date: '2024-04-29'", arg=0)
    if first.type.kind not in ("date", "datetime"):
        site.fail(
            f"date() needs a datetime, or a date as a string literal or parameter, not {first.type}"
        )
    return _call(site, DATE, args)


def _to_date(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _polars_date(lower: Lowering, node: Call) -> pl.Expr:
    first = _args(lower, node)[0]
    return first.dt.date() if node.args[0].type.kind == "datetime" else first


# --- same_name, overlaps -------------------------------------------------------------------


def _check_same_name(site: CallSite, args: tuple[Node, ...]) -> Call:
    for arg in args:
        if arg.type.kind != "str":
            site.fail(f"same_name() needs strings, not {arg.type}")
    return _call(site, BOOL, args, nullable=False)


def _same_name(*names: str | None) -> bool:
    """``same_name`` of the language: ``False`` when a name is missing."""
    if any(name is None for name in names):
        return False
    return same_name(*typing.cast(tuple[str, ...], names))


def _polars_same_name(lower: Lowering, node: Call) -> pl.Expr:
    if all(isinstance(a, Const) for a in node.args):
        values = [typing.cast(Const, a).value for a in node.args]
        return pl.lit(_same_name(*values), dtype=pl.Boolean)
    # Named after the first argument, as other calls are.
    fields = [lower.gen(a) for a in node.args]
    fields[1:] = [field.alias(f"\x00{i}") for i, field in enumerate(fields[1:])]
    names = pl.struct(fields)
    return names.map_batches(_same_name_batch, return_dtype=pl.Boolean).fill_null(False)


def _same_name_batch(series: pl.Series) -> pl.Series:
    return _by_distinct_rows(series, _same_name, pl.Boolean())


def _check_overlaps(site: CallSite, args: tuple[Node, ...]) -> Call:
    for arg in args:
        item = arg.type.item
        if arg.type.kind != "list" or item is None or item.kind not in ("str", "none"):
            site.fail(
                f"overlaps() needs two lists of strings, not {arg.type}",
                "give list fields, list literals or list parameters",
            )
    return _call(site, BOOL, args, nullable=False)


def _overlaps(first: Iterable[Any] | None, second: Iterable[Any] | None) -> bool:
    """Whether two lists share an element (not ``None``); ``False`` when one is missing."""
    if first is None or second is None:
        return False
    return not {item for item in first if item is not None}.isdisjoint(second)


def _polars_overlaps(lower: Lowering, node: Call) -> pl.Expr:
    if all(isinstance(a, Const) for a in node.args):
        first, second = (typing.cast(Const, a).value for a in node.args)
        return pl.lit(_overlaps(first, second), dtype=pl.Boolean)
    first, second = (_string_list(lower, a) for a in node.args)
    return (first.list.set_intersection(second).list.len() > 0).fill_null(False)


def _string_list(lower: Lowering, node: Node) -> pl.Expr:
    """A list of strings: a list column, or a literal list with its strings only (no other
    item can equal a string of a list field)."""
    if isinstance(node, Const):
        items = [item for item in node.value if isinstance(item, str)]
        return pl.lit(pl.Series([items], dtype=pl.List(pl.String)))
    return lower.gen(node).cast(pl.List(pl.String))


# --- national_client_id --------------------------------------------------------------------

#: The fields of a holder :func:`national_client_id` reads (besides ``national_ids``).
PERSON_FIELDS = ("kind", "first_name", "surname", "date_of_birth", "nationalities")


def _check_client_id(site: CallSite, args: tuple[Node, ...]) -> Call:
    holder = args[0]
    if not (isinstance(holder, RecordRef) and NaturalPerson in site.record_models(holder)):
        site.fail(
            f"national_client_id() needs a holder record (account.holder), "
            f"not {holder.type if not isinstance(holder, RecordRef) else holder.field.path}",
            arg=0,
        )
    regime = args[1] if len(args) == 2 else Const(STR, False, "EU")
    if not (
        isinstance(regime, Const) and regime.type.kind == "str" and regime.value in ("EU", "UK")
    ):
        site.fail(
            "the regime of national_client_id() must be 'EU' or 'UK', as a string "
            "literal or a string parameter (known when the policy loads)",
            "'EU' is RTS 22 as the EU applies it, 'UK' as the FCA does",
            arg=1,
        )
    for leaf in PERSON_FIELDS:
        site.reads(f"{holder.field.path}.{leaf}")
    return _call(site, STR, (holder, Const(STR, False, regime.value)), nullable=True)


def _national_client_id(holder: Any, regime: Literal["EU", "UK"]) -> str | None:
    """A person holder's national client identifier (country code first), or ``None``.

    Worked out once per distinct holder (a client's trades share one holder record)."""
    if holder is None or getattr(holder, "kind", "person") != "person":
        return None
    try:
        return _cached_client_id(holder, regime)
    except TypeError:  # a holder that does not hash (not a frozen record)
        return _client_id(holder, regime)


def _client_id(holder: Any, regime: Literal["EU", "UK"]) -> str | None:
    try:
        return national_client_id(holder, regime)[1]
    except IdentifierError:
        return None


_cached_client_id = functools.lru_cache(maxsize=65_536)(_client_id)


def _polars_client_id(lower: Lowering, node: Call) -> pl.Expr:
    """The holder's columns and its ``national_ids.<KEY>`` columns (those the frame has,
    named as ``columns`` names a key's path) as one struct, mapped row by row."""
    holder = typing.cast(RecordRef, node.args[0]).field.path
    regime = typing.cast(Const, node.args[1]).value
    # The result is named after the first field, the kind column; the others are
    # renamed so that no national_ids column can clash with them.
    person = [pl.col(lower.columns(f"{holder}.{leaf}")) for leaf in PERSON_FIELDS]
    person[1:] = [column.alias(f"\x00{i}") for i, column in enumerate(person[1:])]
    marker = "\x00key\x00"
    before, found, after = lower.columns(f"{holder}.national_ids.{marker}").partition(marker)
    if not found:
        raise PolicyError(f"the columns of {holder}.national_ids cannot be told apart")
    ids = pl.col(f"^{pl.escape_regex(before)}.+{pl.escape_regex(after)}$")
    batch = functools.partial(_national_id_batch, before=before, after=after, regime=regime)
    return pl.struct([*person, ids]).map_batches(batch, return_dtype=pl.String)


def _national_id_batch(
    series: pl.Series, *, before: str, after: str, regime: Literal["EU", "UK"]
) -> pl.Series:
    """The national client ids of a struct of a holder's :data:`PERSON_FIELDS` and its
    ``national_ids`` columns (named ``before + key + after``)."""
    names = series.struct.fields[len(PERSON_FIELDS) :]
    keys = [name[len(before) : len(name) - len(after)] for name in names]

    def identify(
        kind: str | None,
        first_name: str | None,
        surname: str | None,
        date_of_birth: date | None,
        nationalities: Sequence[str] | None,
        *ids: Any,
    ) -> str | None:
        if kind is None:  # no holder
            return None
        person = types.SimpleNamespace(
            kind=str(kind),
            first_name=first_name or "",
            surname=surname or "",
            date_of_birth=date_of_birth,
            nationalities=tuple(nationalities or ()),
            national_ids={
                key: str(value) for key, value in zip(keys, ids, strict=True) if value is not None
            },
        )
        return _national_client_id(person, regime)

    return _by_distinct_rows(series, identify, pl.String())


def _by_distinct_rows(
    series: pl.Series, function: Callable[..., Any], dtype: pl.DataType
) -> pl.Series:
    """``function`` of the fields of each row of a struct series, called once per distinct
    row (nulls included)."""
    rows = series.struct.unnest()
    distinct = rows.unique(maintain_order=True)
    result = "\x00result"
    values = pl.Series(result, [function(*row) for row in distinct.iter_rows()], dtype=dtype)
    found = rows.join(
        distinct.with_columns(values),
        on=rows.columns,
        how="left",
        nulls_equal=True,
        maintain_order="left",
    )
    return found.get_column(result).alias(series.name)


# --- cfi -----------------------------------------------------------------------------------

#: The fields of an instrument :func:`_cfi` reads: the CFI it gives, then the terms ISO 10962
#: derives one from (:data:`~regkit.schemas.identifiers.CFI_TERMS`, in that order).
_CFI_FIELDS = ("cfi", *CFI_TERMS)


def _check_cfi(site: CallSite, args: tuple[Node, ...]) -> Call:
    instrument = args[0]
    if not (isinstance(instrument, RecordRef) and Instrument in site.record_models(instrument)):
        found = instrument.field.path if isinstance(instrument, RecordRef) else instrument.type
        site.fail(f"cfi() needs an instrument record (trade.instrument), not {found}", arg=0)
    for leaf in _CFI_FIELDS:
        site.reads(f"{instrument.field.path}.{leaf}")
    return _call(site, STR, args, nullable=True)


def _cfi(instrument: Any) -> str | None:
    """The CFI an instrument is reported with (RTS 22 field 43, EMIR REFIT 2.9): the one it
    gives, else the one :func:`~regkit.schemas.identifiers.derive_cfi` derives, else
    ``None`` (no instrument, or terms regkit derives no CFI from)."""
    if instrument is None:
        return None
    return _reported_cfi(*(_plain_value(getattr(instrument, name)) for name in _CFI_FIELDS))


@functools.lru_cache(maxsize=4096)
def _reported_cfi(cfi: str | None, *terms: str | None) -> str | None:
    """:func:`_cfi` of an instrument's :data:`_CFI_FIELDS` as plain strings; worked out once
    per distinct instrument (the trades on one instrument share its terms), an instrument
    the derivation refuses included."""
    if cfi is not None:
        return cfi
    if terms[0] is None:  # no product: no instrument (a frame's empty row)
        return None
    instrument = types.SimpleNamespace(**dict(zip(CFI_TERMS, terms, strict=True)))
    try:
        return derive_cfi(typing.cast(Any, instrument))
    except IdentifierError:
        return None


def _polars_cfi(lower: Lowering, node: Call) -> pl.Expr:
    """The instrument's :data:`_CFI_FIELDS` columns as one struct, mapped once per distinct
    row; the result is named after the first, the ``cfi`` column."""
    instrument = typing.cast(RecordRef, node.args[0]).field.path
    fields = [pl.col(lower.columns(f"{instrument}.{leaf}")).cast(pl.String) for leaf in _CFI_FIELDS]
    fields[1:] = [field.alias(f"\x00{i}") for i, field in enumerate(fields[1:])]
    return pl.struct(fields).map_batches(_cfi_batch, return_dtype=pl.String)


def _cfi_batch(series: pl.Series) -> pl.Series:
    return _by_distinct_rows(series, _reported_cfi, pl.String())


# --- fits_digits ---------------------------------------------------------------------------


def _check_fits_digits(site: CallSite, args: tuple[Node, ...]) -> Call:
    if args[0].type.kind not in ("decimal", "int"):
        site.fail(f"fits_digits() needs a number, not {args[0].type}", arg=0)
    limits: list[int] = []
    for index in (1, 2):
        limit = args[index]
        if not (isinstance(limit, Const) and limit.type.kind == "int"):
            site.fail(
                "the digits of fits_digits() must be whole numbers, as literals or parameters "
                "(known when the policy loads)",
                "e.g. fits_digits(x, 18, 13): at most 18 digits, 13 of them decimals",
                arg=index,
            )
        limits.append(limit.value)
    total, fraction = limits
    if not (1 <= total <= 38 and 0 <= fraction <= total):
        site.fail(
            f"fits_digits() with {total} digits and {fraction} decimals",
            "total from 1 to 38, decimals from 0 to total",
        )
    return _call(site, BOOL, args, nullable=False)


def _fits_digits(value: Decimal | int | None, total: int, fraction: int) -> bool:
    """Whether a number has at most ``fraction`` decimals and ``total`` digits in all, by its
    numeric value (``1.50`` has one decimal, ``0.05`` two digits: the zero before the decimal
    mark does not count, the one after it does); ``False`` for ``None``.

    The digits counted are those from the first integer digit (none below 1) to the last
    decimal that is not zero: what a chain of ``x % 0.1 ** k == 0 and abs(x) < 10 **
    (total - k)`` tests for ``k`` up to ``fraction``, in one pass over the digits. Read from
    the text of the number (twice as fast as its digit tuple), but for a text with an
    exponent (``1E+30``, ``1E-7``) or a NaN or infinity."""
    if value is None:
        return False
    text = str(value)
    if "E" in text or not text[-1].isdigit():
        return _fits_digits_exactly(typing.cast(Decimal, value), total, fraction)
    whole, _, decimals = text.partition(".")
    decimals = decimals.rstrip("0")
    places = len(decimals)
    return places <= fraction and len(whole.lstrip("-0")) + places <= total


def _fits_digits_exactly(value: Decimal, total: int, fraction: int) -> bool:
    """:func:`_fits_digits` from the digit tuple of a decimal."""
    if not value.is_finite():
        return False
    if not value:
        return True
    _, digits, exponent = value.as_tuple()
    exponent = typing.cast(int, exponent)
    size = len(digits)
    while exponent < 0 and digits[size - 1] == 0:  # trailing zeros are no decimals
        size -= 1
        exponent += 1
    decimals = -exponent if exponent < 0 else 0
    whole = size + exponent if size + exponent > 0 else 0
    return decimals <= fraction and whole + decimals <= total


def _polars_fits_digits(lower: Lowering, node: Call) -> pl.Expr:
    total: int = typing.cast(Const, node.args[1]).value
    fraction: int = typing.cast(Const, node.args[2]).value
    # Decimals and integers print exactly (a decimal column at its scale: -0.00100).
    text = lower.gen(node.args[0]).cast(pl.String)
    whole = text.str.extract(r"^-?0*([0-9]*)", 1).str.len_chars()
    decimals = text.str.extract(r"\.([0-9]*?)0*$", 1).str.len_chars().fill_null(0)
    return ((decimals <= fraction) & (whole + decimals <= total)).fill_null(False)


# --- matches -------------------------------------------------------------------------------

_PATTERN_LIMIT = 200
_PATTERN_ALLOWED = (
    "literal characters, '.', classes ([A-Z0-9], [^/]), \\d, groups ((...), (?:...)), '|' and "
    "the repeats ?, *, +, {m}, {m,n}; no anchors, flags, look-arounds or back references (the "
    "whole text must match), no repeat but ? of a group that holds a repeat of varying length "
    "or an '|'; at most 200 characters"
)
# re's own parser (private, but there since Python 3.11 and used only to vet a pattern when
# a policy loads): the parse tree tells every construct apart as no scan of the text could.
_RE_PARSER: Any = importlib.import_module("re._parser")


def _check_matches(site: CallSite, args: tuple[Node, ...]) -> Call:
    if args[0].type.kind not in ("str", "enum"):
        site.fail(f"matches() needs a text, not {args[0].type}", arg=0)
    pattern = args[1]
    if not (isinstance(pattern, Const) and pattern.type.kind == "str"):
        site.fail(
            "the pattern of matches() must be a string literal or a string parameter "
            "(known when the policy loads)",
            'e.g. matches(x, "[A-Z]{3}/[A-Z]{3}")',
            arg=1,
        )
    problem = _pattern_problem(pattern.value)
    if problem is not None:
        site.fail(f"the pattern {pattern.value!r} {problem}", _PATTERN_ALLOWED, arg=1)
    return _call(site, BOOL, (args[0], Const(STR, False, pattern.value)), nullable=False)


def _pattern_problem(pattern: str) -> str | None:
    """Why a pattern is refused, or ``None``: it must mean the same to Python's ``re`` and to
    polars' (Rust) regex, and match in time linear in the text on both."""
    if len(pattern) > _PATTERN_LIMIT:
        return f"has {len(pattern)} characters"
    try:
        tree = _RE_PARSER.parse(pattern)
    except re.error as error:
        return f"is no regular expression ({error})"
    if tree.state.flags & ~re.UNICODE:  # (?i), (?s), (?x), ... at the start
        return "sets flags"
    problem = _tree_problem(list(tree))
    if problem is not None:
        return problem
    try:
        pl.select(pl.lit("").str.contains(_anchored(pattern)))
    except pl.exceptions.PolarsError as error:  # pragma: no cover - re accepted it
        return f"is refused by polars ({error})"
    return None


def _tree_problem(items: list[tuple[Any, Any]], *, repeated: bool = False) -> str | None:
    """The first construct of a parsed pattern that :data:`_PATTERN_ALLOWED` does not allow."""
    for op, value in items:
        name = str(op)
        if name in ("LITERAL", "NOT_LITERAL", "ANY"):
            continue
        if name == "IN":
            for member, argument in value:
                if str(member) == "CATEGORY" and str(argument) not in _DIGITS:
                    return "uses a class escape other than \\d (write the class: [A-Za-z0-9_])"
            continue
        if name == "CATEGORY":
            if str(value) not in _DIGITS:
                return "uses a class escape other than \\d (write the class: [A-Za-z0-9_])"
            continue
        if name == "SUBPATTERN":
            _, add_flags, del_flags, body = value
            if add_flags or del_flags:
                return "sets flags"
            problem = _tree_problem(list(body), repeated=repeated)
        elif name == "BRANCH":
            if repeated:
                return "repeats an '|'"
            problem = next((p for b in value[1] if (p := _tree_problem(list(b))) is not None), None)
        elif name in ("MAX_REPEAT", "MIN_REPEAT"):
            low, high, body = value
            if repeated and low != high:
                return "repeats a repeat of varying length"
            # What a repeat holds may vary only when it is taken at most once (?): a repeat
            # of a repeat or an '|' backtracks exponentially in Python's re.
            problem = _tree_problem(list(body), repeated=repeated or high > 1)
        else:
            return f"uses {_CONSTRUCTS.get(name, name.lower().replace('_', ' '))}"
        if problem is not None:
            return problem
    return None


_DIGITS = ("CATEGORY_DIGIT", "CATEGORY_NOT_DIGIT")
_CONSTRUCTS = {
    "AT": "an anchor (^, $, \\b, \\A, \\Z)",
    "GROUPREF": "a back reference",
    "GROUPREF_EXISTS": "a conditional group",
    "ASSERT": "a look-around",
    "ASSERT_NOT": "a look-around",
    "POSSESSIVE_REPEAT": "a possessive repeat",
    "ATOMIC_GROUP": "an atomic group",
}


def _anchored(pattern: str) -> str:
    """The pattern as polars matches it: the whole text, as ``re.fullmatch``."""
    return f"^(?:{pattern})$"


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _matches(text: Any, pattern: str) -> bool:
    """Whether the whole of a text (or an enumeration's value) matches a pattern; ``False``
    for ``None``. Each pattern is compiled once."""
    if text is None:
        return False
    return _compiled(pattern).fullmatch(str(_plain_value(text))) is not None


def _polars_matches(lower: Lowering, node: Call) -> pl.Expr:
    pattern = _anchored(typing.cast(Const, node.args[1]).value)
    text = lower.gen(node.args[0]).cast(pl.String)
    return text.str.contains(pattern).fill_null(False)


# --- mic_category, mic_country -------------------------------------------------------------


def _check_mic(site: CallSite, args: tuple[Node, ...]) -> Call:
    if args[0].type.kind != "str":
        site.fail(f"{site.name}() needs a MIC (a text), not {args[0].type}", arg=0)
    return _call(site, STR, args, nullable=True)


def _polars_mic(lower: Lowering, node: Call) -> pl.Expr:
    attribute = "market_category_code" if node.name == "mic_category" else "iso_country_code"
    table = dict(mic_table(attribute))
    column = lower.gen(node.args[0]).cast(pl.String)
    return column.replace_strict(table, default=None, return_dtype=pl.String)


# --- the registry --------------------------------------------------------------------------

_WORKING_DAYS = (
    "the working days after `a` up to and including `b` (dates or times; negative when `b` is "
    "before `a`) in a calendar, `TARGET` by default (below)"
)
_SAME_NAME = (
    "whether two names have the same words once accents, case, punctuation, titles and legal "
    "forms are gone, in any order (below)"
)

_ENTRIES = (
    Function(
        name="abs",
        signatures=("abs(x)",),
        doc="the absolute value of a number",
        min_args=1,
        max_args=1,
        check=_check_abs,
        polars=_polars_abs,
        python=abs,
        strict=True,
    ),
    Function(
        name="len",
        signatures=("len(x)",),
        doc="the length of a text or list",
        min_args=1,
        max_args=1,
        check=_check_len,
        polars=_polars_len,
        python=len,
    ),
    Function(
        name="min",
        signatures=("min(a, b, ...)",),
        doc="the least of numbers, dates or times of one kind",
        min_args=2,
        max_args=None,
        check=_check_extreme,
        polars=_polars_extreme,
        python=min,
    ),
    Function(
        name="max",
        signatures=("max(a, b, ...)",),
        doc="the greatest of numbers, dates or times of one kind",
        min_args=2,
        max_args=None,
        check=_check_extreme,
        polars=_polars_extreme,
        python=max,
    ),
    Function(
        name="upper",
        signatures=("upper(s)",),
        doc="the text (or an enumeration's value) in upper case",
        min_args=1,
        max_args=1,
        check=_check_case,
        polars=_polars_case,
        method="upper",
        strict=True,
    ),
    Function(
        name="lower",
        signatures=("lower(s)",),
        doc="the text (or an enumeration's value) in lower case",
        min_args=1,
        max_args=1,
        check=_check_case,
        polars=_polars_case,
        method="lower",
        strict=True,
    ),
    Function(
        name="is_valid_lei",
        signatures=("is_valid_lei(s)",),
        doc="whether `s` is an ISO 17442 LEI (20 characters, MOD 97-10); `False` for `None`",
        min_args=1,
        max_args=1,
        check=_check_lei,
        polars=_polars_lei,
        python=_lei,
        self_guarded=True,
    ),
    Function(
        name="days_between",
        signatures=("days_between(a, b)",),
        doc="whole days from `a` to `b` (dates or times), floored",
        min_args=2,
        max_args=2,
        check=_check_days,
        polars=_polars_days,
        python=_days_between,
        self_guarded=True,
    ),
    Function(
        name="working_days_between",
        signatures=("working_days_between(a, b)", "working_days_between(a, b, calendar)"),
        doc=_WORKING_DAYS,
        min_args=2,
        max_args=3,
        check=_check_working_days,
        polars=_polars_working_days,
        python=_working_days_between,
        self_guarded=True,
    ),
    Function(
        name="weekday",
        signatures=("weekday(x)",),
        doc="0 for Monday ... 6 for Sunday (of a date or time)",
        min_args=1,
        max_args=1,
        check=_check_weekday,
        polars=_polars_weekday,
        method="weekday",
        strict=True,
    ),
    Function(
        name="date",
        signatures=("date(x)", 'date("2024-04-29")'),
        doc="the date of a time (a date as it is); of an ISO 8601 text (a literal or a parameter), "
        "that date, known when the policy loads",
        min_args=1,
        max_args=1,
        check=_check_date,
        polars=_polars_date,
        python=_to_date,
        strict=True,
    ),
    Function(
        name="same_name",
        signatures=("same_name(name, other)", "same_name(name, first, last)"),
        doc=_SAME_NAME,
        min_args=2,
        max_args=3,
        check=_check_same_name,
        polars=_polars_same_name,
        python=_same_name,
        self_guarded=True,
    ),
    Function(
        name="overlaps",
        signatures=("overlaps(a, b)",),
        doc="whether two lists of strings (list fields, list literals, list parameters) share an "
        "element; `False` when either is `None`",
        min_args=2,
        max_args=2,
        check=_check_overlaps,
        polars=_polars_overlaps,
        python=_overlaps,
        self_guarded=True,
    ),
    Function(
        name="national_client_id",
        signatures=("national_client_id(holder)", "national_client_id(holder, regime)"),
        doc="the RTS 22 national client identifier of a person holder (`account.holder`), or "
        "`None` (below)",
        min_args=1,
        max_args=2,
        check=_check_client_id,
        polars=_polars_client_id,
        python=_national_client_id,
        self_guarded=True,
        record_arg=True,
    ),
    Function(
        name="coalesce",
        signatures=("coalesce(a, b, ...)",),
        doc="the first value that is not `None` (values of one type); `None` when all are",
        min_args=2,
        max_args=None,
        check=_check_coalesce,
        polars=_polars_coalesce,
        python=_coalesce,
        self_guarded=True,
    ),
    Function(
        name="startswith",
        signatures=("startswith(text, prefix)",),
        doc="whether a text (or an enumeration's value) starts with a prefix; `False` when either "
        "is `None`",
        min_args=2,
        max_args=2,
        check=_check_startswith,
        polars=_polars_startswith,
        python=_startswith,
        self_guarded=True,
    ),
    Function(
        name="fits_digits",
        signatures=("fits_digits(x, total, decimals)",),
        doc="whether a number has at most `decimals` decimals and `total` digits in all, by its "
        "value (`1.50` has one decimal); `False` for `None` (below)",
        min_args=3,
        max_args=3,
        check=_check_fits_digits,
        polars=_polars_fits_digits,
        python=_fits_digits,
        self_guarded=True,
    ),
    Function(
        name="matches",
        signatures=("matches(text, pattern)",),
        doc="whether the whole text (or an enumeration's value) matches a regular expression of "
        "a safe subset; `False` for `None` (below)",
        min_args=2,
        max_args=2,
        check=_check_matches,
        polars=_polars_matches,
        python=_matches,
        self_guarded=True,
    ),
    Function(
        name="mic_category",
        signatures=("mic_category(mic)",),
        doc="a MIC's ISO 10383 market category (`RMKT` a regulated market, `MLTF`, `OTFS`, `NSPD` "
        "not specified, ...), or `None` for a MIC the registry lacks (below)",
        min_args=1,
        max_args=1,
        check=_check_mic,
        polars=_polars_mic,
        python=mic_category,
        self_guarded=True,
    ),
    Function(
        name="mic_country",
        signatures=("mic_country(mic)",),
        doc="a MIC's country code (ISO 3166 alpha-2, `ZZ` for XOFF and XXXX) in ISO 10383, or "
        "`None` for a MIC the registry lacks",
        min_args=1,
        max_args=1,
        check=_check_mic,
        polars=_polars_mic,
        python=mic_country,
        self_guarded=True,
    ),
    Function(
        name="cfi",
        signatures=("cfi(instrument)",),
        doc="the ISO 10962 CFI an instrument record (`trade.instrument`) is reported with: the "
        "one it gives, else the one regkit derives from its product and underlying "
        "(`derive_cfi`), else `None`",
        min_args=1,
        max_args=1,
        check=_check_cfi,
        polars=_polars_cfi,
        python=_cfi,
        self_guarded=True,
        record_arg=True,
    ),
)

#: The functions an expression may call, by name, in the order messages and docs list them.
FUNCTIONS: Mapping[str, Function] = types.MappingProxyType(
    {function.name: function for function in _ENTRIES}
)

#: The functions with their arity (min, max; ``None`` = any): what
#: ``regkit.rules.FUNCTIONS`` has always given.
ARITY: Mapping[str, tuple[int, int | None]] = types.MappingProxyType(
    {name: (function.min_args, function.max_args) for name, function in FUNCTIONS.items()}
)
