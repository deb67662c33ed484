"""``working_days_between`` in expressions: the Python and polars backends agree exactly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import joined_frame
from test_expr_backends import books

from regkit import Account
from regkit.rules import Scope, compile_expr, to_polars, to_python
from regkit.rules.calendars import holiday_dates, working_days_between

SCOPE = Scope("trade", {"account": Account}, {"calendar": "UK"})
CALENDARS = ['"TARGET"', '"EU"', '"UK"', '"DE"', '"CY"', '"IE"', "params.calendar"]
PAIRS = [
    ("trade.executed_at", "as_of"),
    ("as_of", "trade.executed_at"),
    ("trade.instrument.expiry_date", "trade.executed_at"),
    ("trade.executed_at", "trade.instrument.expiry_date"),
    ("account.opened_at", "account.closed_at"),
    ("account.holder.date_of_birth", "as_of"),  # from 1920: before the known years
    ("date(trade.executed_at)", "account.opened_at"),
]
ZONES = [UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=2)), timezone.min]


@st.composite
def calls(draw: st.DrawFn) -> str:
    """``working_days_between`` over two date or datetime fields, with or without a calendar,
    alone or in arithmetic or a comparison."""
    start, end = draw(st.sampled_from(PAIRS))
    calendar = draw(st.none() | st.sampled_from(CALENDARS))
    call = f"working_days_between({start}, {end}{'' if calendar is None else ', ' + calendar})"
    shape = draw(st.integers(0, 3))
    if shape == 1:
        return f"{call} <= {draw(st.integers(-5, 40))}"
    if shape == 2:
        return f"{call} - days_between({start}, {end})"
    if shape == 3:
        return f"abs({call}) % 7"
    return call


@settings(max_examples=60, deadline=None)
@given(
    books(),
    st.lists(calls(), min_size=1, max_size=4),
    st.datetimes(datetime(2000, 1, 2), datetime(2099, 1, 1), timezones=st.sampled_from(ZONES)),
)
def test_python_and_polars_agree(
    book: tuple[list[Any], list[Account]], texts: list[str], as_of: datetime
) -> None:
    found, owners = book
    by_id = {account.account_id: account for account in owners}
    frame = joined_frame(found, owners)
    for text in texts:
        expr = compile_expr(text, SCOPE, where="property")
        function = to_python(expr)
        expected = [
            function(trade=trade, account=by_id[trade.account_id], as_of=as_of) for trade in found
        ]
        got = frame.with_columns(to_polars(expr, as_of=as_of).alias("v"))["v"].to_list()
        assert got == expected, text
        if expr.type.kind == "bool":
            assert all(type(value) is bool for value in expected), text


def _naive(start: date, end: date, closed: set[date]) -> int:
    low, high, sign = (start, end, 1) if start <= end else (end, start, -1)
    days = (low + timedelta(days=n) for n in range(1, (high - low).days + 1))
    return sign * sum(1 for d in days if d.weekday() < 5 and d not in closed)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.none() | st.dates(date(2019, 1, 1), date(2029, 12, 31)),
            st.dates(date(2019, 1, 1), date(2029, 12, 31)),
        ),
        min_size=1,
        max_size=40,
    ),
    st.sampled_from(["TARGET", "UK", "DE", "FR", "CY", "IE"]),
)
def test_date_columns_agree_with_a_day_by_day_count(
    pairs: list[tuple[date | None, date]], calendar: str
) -> None:
    """Dense random date pairs (nulls included) in plain date columns, both backends and a
    day-by-day count: one answer."""
    scope = Scope("account", {"other": Account})
    expr = compile_expr(
        "working_days_between(account.holder.date_of_birth, other.holder.date_of_birth, "
        f"{calendar!r})",
        scope,
    )
    frame = pl.DataFrame(
        {
            "holder.date_of_birth": [start for start, _ in pairs],
            "other.holder.date_of_birth": [end for _, end in pairs],
        },
        schema={"holder.date_of_birth": pl.Date, "other.holder.date_of_birth": pl.Date},
    )
    got = frame.select(to_polars(expr).alias("v"))["v"].to_list()
    function = to_python(expr)
    python = [
        function(
            account=SimpleNamespace(holder=SimpleNamespace(date_of_birth=start)),
            other=SimpleNamespace(holder=SimpleNamespace(date_of_birth=end)),
        )
        for start, end in pairs
    ]
    closed = set(holiday_dates(calendar, 2018, 2030))
    expected = [None if start is None else _naive(start, end, closed) for start, end in pairs]
    assert got == expected
    assert python == expected
    assert [
        None if start is None else working_days_between(start, end, calendar)
        for start, end in pairs
    ] == expected
