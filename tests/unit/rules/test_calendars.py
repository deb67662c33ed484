"""Working-day calendars: known holidays, the counting convention, and the expression function."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regkit import Trade
from regkit.errors import PolicyError
from regkit.rules import Scope, compile_expr, to_polars, to_python
from regkit.rules.calendars import (
    FIRST_YEAR,
    LAST_YEAR,
    add_working_days,
    calendar_names,
    check_calendar,
    holiday_dates,
    is_working_day,
    working_days_between,
)
from regkit.rules.policy import parse_policy
from regkit.schemas.io import to_frame


def naive_count(start: date, end: date, closed: set[date]) -> int:
    """Working days d with start < d <= end, day by day (negative when end < start)."""
    low, high, sign = (start, end, 1) if start <= end else (end, start, -1)
    count, day = 0, low + timedelta(days=1)
    while day <= high:
        count += day.weekday() < 5 and day not in closed
        day += timedelta(days=1)
    return sign * count


# --- known dates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 1, 1),  # New Year's Day
        date(2026, 4, 3),  # Good Friday
        date(2026, 4, 6),  # Easter Monday
        date(2026, 5, 1),  # Labour Day
        date(2026, 12, 25),  # Christmas Day
        date(2025, 12, 26),  # 26 December (a Friday in 2025)
    ],
)
def test_target_closing_days(day: date) -> None:
    assert not is_working_day(day, "TARGET")
    assert not is_working_day(day, "EU")
    assert day in holiday_dates("TARGET", day.year, day.year)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 5, 4),  # Early May bank holiday
        date(2026, 5, 25),  # Spring bank holiday
        date(2026, 8, 31),  # Summer bank holiday
        date(2026, 12, 28),  # Boxing Day, substitute day (26 December is a Saturday)
        date(2026, 4, 6),  # Easter Monday
    ],
)
def test_uk_bank_holidays(day: date) -> None:
    assert not is_working_day(day, "UK")
    assert day in holiday_dates("UK", 2026, 2026)


def test_calendars_differ_where_they_should() -> None:
    # 1 May is a TARGET closing day, not a UK bank holiday; 4 May 2026 the other way round.
    assert not is_working_day(date(2026, 5, 1), "TARGET")
    assert is_working_day(date(2026, 5, 1), "UK")
    assert is_working_day(date(2026, 5, 4), "TARGET")
    assert not is_working_day(date(2026, 5, 4), "UK")
    # 3 October is German Unity Day (a Friday in 2025); Cyprus keeps 1 October.
    assert not is_working_day(date(2025, 10, 3), "DE")
    assert is_working_day(date(2025, 10, 3), "TARGET")
    assert not is_working_day(date(2025, 10, 1), "CY")
    assert not is_working_day(date(2026, 3, 17), "IE")  # St Patrick's Day


def test_weekends_are_never_working_days() -> None:
    assert not is_working_day(date(2026, 11, 21), "TARGET")  # Saturday
    assert not is_working_day(date(2026, 11, 22), "UK")  # Sunday
    assert is_working_day(date(2026, 11, 20), "TARGET")  # Friday
    assert all(day.weekday() < 5 for day in holiday_dates("UK"))


def test_target_2026_has_exactly_its_weekday_closing_days() -> None:
    # 26 December 2026 is a Saturday: it is not a weekday holiday.
    assert holiday_dates("TARGET", 2026, 2026) == (
        date(2026, 1, 1),
        date(2026, 4, 3),
        date(2026, 4, 6),
        date(2026, 5, 1),
        date(2026, 12, 25),
    )


def test_t_plus_one_deadlines() -> None:
    friday = date(2026, 11, 20)
    assert add_working_days(friday, 1) == date(2026, 11, 23)
    assert working_days_between(friday, date(2026, 11, 23)) == 1
    # Maundy Thursday 2026: Good Friday and Easter Monday are closed.
    assert add_working_days(date(2026, 4, 2), 1, "TARGET") == date(2026, 4, 7)
    assert add_working_days(date(2026, 4, 30), 1, "TARGET") == date(2026, 5, 4)
    assert add_working_days(date(2026, 4, 30), 1, "UK") == date(2026, 5, 1)
    assert add_working_days(date(2026, 5, 1), 1, "UK") == date(2026, 5, 5)
    # Christmas 2026 in the UK: 25 (Fri), 28 (Mon, substitute) closed.
    assert add_working_days(date(2026, 12, 24), 1, "UK") == date(2026, 12, 29)
    assert add_working_days(date(2026, 12, 24), 1, "TARGET") == date(2026, 12, 28)
    # from a weekend or a holiday: the next working day
    assert add_working_days(date(2026, 11, 21), 1) == date(2026, 11, 23)
    assert add_working_days(date(2026, 4, 3), 1) == date(2026, 4, 7)


def test_add_working_days_backwards_and_zero() -> None:
    assert add_working_days(date(2026, 11, 23), -1) == date(2026, 11, 20)  # Monday → Friday
    assert add_working_days(date(2026, 11, 21), -1) == date(2026, 11, 20)  # Saturday → Friday
    assert add_working_days(date(2026, 11, 24), -2) == date(2026, 11, 20)
    assert add_working_days(date(2026, 4, 7), -1) == date(2026, 4, 2)  # over Easter
    assert add_working_days(date(2026, 11, 21), 0) == date(2026, 11, 21)
    assert add_working_days(date(2026, 1, 1), 256) == date(2026, 12, 31)
    assert add_working_days(date(2026, 1, 1), 260) == date(2027, 1, 7)  # 1 January closed


# --- the convention ------------------------------------------------------------------------


def test_sign_convention() -> None:
    friday, monday = date(2026, 11, 20), date(2026, 11, 23)
    assert working_days_between(friday, friday) == 0
    assert working_days_between(friday, monday) == 1
    assert working_days_between(monday, friday) == -1
    assert working_days_between(date(2026, 11, 21), monday) == 1  # Saturday → Monday
    assert working_days_between(friday, date(2026, 11, 22)) == 0  # Friday → Sunday
    assert working_days_between(date(2026, 4, 2), date(2026, 4, 7)) == 1
    assert working_days_between(date(2026, 4, 7), date(2026, 4, 2)) == -1
    # 2026: 261 weekdays; 1 January is not counted, 4 TARGET and 7 UK weekday holidays after
    assert working_days_between(date(2026, 1, 1), date(2026, 12, 31)) == 256
    assert working_days_between(date(2026, 1, 1), date(2026, 12, 31), "UK") == 253


def test_datetimes_count_by_their_utc_date() -> None:
    # 23:30 on Friday in New York is Saturday in UTC.
    new_york_friday = datetime(2026, 11, 20, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert working_days_between(new_york_friday, date(2026, 11, 23)) == 1
    assert working_days_between(date(2026, 11, 19), new_york_friday) == 1
    assert add_working_days(new_york_friday, -1) == date(2026, 11, 20)
    # 00:30 on Monday in Cyprus is Sunday in UTC.
    nicosia_monday = datetime(2026, 11, 23, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    assert not is_working_day(nicosia_monday)
    utc = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    assert working_days_between(utc, datetime(2026, 11, 23, 8, 0, tzinfo=UTC)) == 1
    assert working_days_between(utc.replace(tzinfo=None), date(2026, 11, 23)) == 1  # naive: UTC


def test_outside_the_known_years_only_weekends_close() -> None:
    assert holiday_dates("TARGET", 2101, 2200) == ()
    assert holiday_dates("UK", 1900, FIRST_YEAR - 1) == ()
    assert holiday_dates("UK", 2030, 2020) == ()
    assert is_working_day(date(LAST_YEAR + 2, 12, 25))  # a Monday
    assert working_days_between(date(2101, 1, 1), date(2101, 12, 31)) == 260


# --- calendar names ------------------------------------------------------------------------


def test_calendar_names() -> None:
    names = calendar_names()
    assert names[:3] == ("TARGET", "EU", "UK")
    assert {"DE", "FR", "CY", "IE", "GB", "IT"} <= set(names)
    assert check_calendar("EU") == "TARGET"
    assert check_calendar("DE") == "DE"
    assert holiday_dates("EU") == holiday_dates("TARGET")


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("TARGTE", "did you mean 'TARGET'?"),
        ("target", "did you mean 'TARGET'?"),
        ("uk", "did you mean 'UK'?"),
        ("XX", ""),
        ("", ""),
    ],
)
def test_unknown_calendar_is_a_policy_error(name: str, hint: str) -> None:
    with pytest.raises(PolicyError) as raised:
        working_days_between(date(2026, 1, 1), date(2026, 1, 2), name)
    message = str(raised.value)
    assert f"unknown working-day calendar {name!r}" in message
    assert hint in message
    assert "calendars: TARGET, EU, UK" in message
    assert "DE, " in message
    for call in (
        lambda: add_working_days(date(2026, 1, 1), 1, name),
        lambda: holiday_dates(name),
        lambda: is_working_day(date(2026, 1, 1), name),
    ):
        with pytest.raises(PolicyError, match="unknown working-day calendar"):
            call()


def test_a_calendar_name_must_be_text() -> None:
    with pytest.raises(PolicyError, match="unknown working-day calendar 7"):
        check_calendar(7)


# --- properties ----------------------------------------------------------------------------

dates = st.dates(date(2018, 1, 1), date(2031, 12, 31))
calendars = st.sampled_from(["TARGET", "UK", "DE", "CY", "IE", "FR"])


@settings(max_examples=200, deadline=None)
@given(dates, dates, calendars)
def test_count_equals_a_day_by_day_count(start: date, end: date, calendar: str) -> None:
    closed = set(holiday_dates(calendar, 2017, 2032))
    assert working_days_between(start, end, calendar) == naive_count(start, end, closed)


@settings(max_examples=200, deadline=None)
@given(dates, st.integers(-400, 400), calendars)
def test_add_working_days_lands_on_the_count(day: date, n: int, calendar: str) -> None:
    found = add_working_days(day, n, calendar)
    if n == 0:
        assert found == day
        return
    assert is_working_day(found, calendar)
    if n > 0:
        assert found > day
        assert working_days_between(day, found, calendar) == n
        assert working_days_between(day, found - timedelta(days=1), calendar) == n - 1
    else:
        assert found < day
        # -n working days in [found, day)
        before = day - timedelta(days=1)
        assert working_days_between(found - timedelta(days=1), before, calendar) == -n
        assert working_days_between(found, before, calendar) == -n - 1


@settings(max_examples=100, deadline=None)
@given(dates, dates, dates, calendars)
def test_counts_add_up(a: date, b: date, c: date, calendar: str) -> None:
    ab, bc = working_days_between(a, b, calendar), working_days_between(b, c, calendar)
    assert ab + bc == working_days_between(a, c, calendar)
    assert working_days_between(b, a, calendar) == -ab


# --- the expression function ---------------------------------------------------------------


def _trade(executed_at: str) -> Trade:
    return Trade.model_validate(
        {
            "trade_id": "T1",
            "account_id": "A1",
            "side": "buy",
            "quantity": "1",
            "price": "1",
            "executed_at": executed_at,
            "instrument": {"symbol": "X", "product": "cfd", "underlying_class": "equity"},
        }
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("working_days_between(trade.executed_at, as_of)", 1),
        ('working_days_between(trade.executed_at, as_of, "TARGET")', 1),
        ('working_days_between(as_of, trade.executed_at, "EU")', -1),
        ('working_days_between(trade.executed_at, as_of, "UK")', 1),
        ("working_days_between(trade.executed_at, as_of, params.calendar)", 1),
        ("working_days_between(date(trade.executed_at), date(as_of))", 1),
        ("working_days_between(trade.instrument.expiry_date, as_of)", None),
        ("working_days_between(trade.executed_at, as_of) <= 1", True),
        ("working_days_between(trade.instrument.expiry_date, as_of) <= 1", False),
    ],
)
def test_expression_backends(text: str, expected: object) -> None:
    scope = Scope("trade", params={"calendar": "DE"})
    expr = compile_expr(text, scope)
    trade = _trade("2026-11-20T16:45:00Z")  # a Friday
    as_of = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # the Monday after
    assert to_python(expr)(trade=trade, as_of=as_of) == expected
    frame = to_frame([trade])
    got = frame.select(to_polars(expr, as_of=as_of).alias("v"))["v"].to_list()
    assert got == [expected]
    if expr.type.kind == "int":
        assert frame.select(to_polars(expr, as_of=as_of)).dtypes == [pl.Int64]


def test_expression_backends_use_the_utc_date_of_as_of() -> None:
    expr = compile_expr("working_days_between(trade.executed_at, as_of)", Scope("trade"))
    trade = _trade("2026-11-19T10:00:00Z")  # a Thursday
    # 20:00 on Friday in New York is 01:00 on Saturday in UTC: one working day (Friday) ...
    late_friday = datetime(2026, 11, 20, 20, 0, tzinfo=timezone(timedelta(hours=-5)))
    # ... and 01:00 on Monday in Cyprus is 23:00 on Sunday in UTC: still one.
    early_monday = datetime(2026, 11, 23, 1, 0, tzinfo=timezone(timedelta(hours=2)))
    frame = to_frame([trade])
    for as_of in (late_friday, early_monday):
        assert to_python(expr)(trade=trade, as_of=as_of) == 1
        assert frame.select(to_polars(expr, as_of=as_of))[0, 0] == 1


def test_expression_type_and_nullability() -> None:
    scope = Scope("trade")
    expr = compile_expr("working_days_between(trade.executed_at, as_of)", scope)
    assert str(expr.type) == "int"
    assert not expr.node.nullable
    expr = compile_expr("working_days_between(trade.instrument.expiry_date, as_of)", scope)
    assert expr.node.nullable


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('working_days_between(trade.executed_at, as_of, "TARGTE")', "did you mean 'TARGET'?"),
        ('working_days_between(trade.executed_at, as_of, "XX")', "unknown working-day calendar"),
        ("working_days_between(trade.executed_at, as_of, params.bad)", "'XX'"),
        ("working_days_between(trade.executed_at, as_of, trade.uti)", "must be a string literal"),
        ("working_days_between(trade.executed_at, as_of, 3)", "must be a string literal"),
        ("working_days_between(trade.executed_at, as_of, None)", "must be a string literal"),
        ("working_days_between(trade.price, as_of)", "needs dates or datetimes, not decimal"),
        ("working_days_between(trade.executed_at, 'x')", "needs dates or datetimes, not str"),
        ("working_days_between(as_of)", "takes 2 to 3 argument(s), got 1"),
        ('working_days_between(as_of, as_of, "UK", 1)', "takes 2 to 3 argument(s), got 4"),
        ('working_days_between(as_of, as_of, calendar="UK")', "takes no keyword arguments"),
    ],
)
def test_expression_errors(text: str, problem: str) -> None:
    scope = Scope("trade", params={"bad": "XX"})
    with pytest.raises(PolicyError) as raised:
        compile_expr(text, scope, where="p.yaml, rule MIFIR-LATE, assert")
    assert str(raised.value).startswith("p.yaml, rule MIFIR-LATE, assert: ")
    assert problem in str(raised.value)


POLICY = """\
policy: mifir-timeliness
version: "1"
parameters: {{calendar: TARGET}}
rules:
  - id: MIFIR-LATE
    severity: medium
    applies_to: trade
    assert: working_days_between(trade.executed_at, as_of, {calendar}) <= 1
"""


def test_a_bad_calendar_fails_when_the_policy_loads() -> None:
    with pytest.raises(PolicyError) as raised:
        parse_policy(POLICY.format(calendar='"TARGTE"'), "mifir.yaml")
    message = str(raised.value)
    assert "mifir.yaml" in message
    assert "MIFIR-LATE" in message
    assert "unknown working-day calendar 'TARGTE' (did you mean 'TARGET'?)" in message


def test_a_calendar_parameter_is_checked_with_the_overrides() -> None:
    assert parse_policy(POLICY.format(calendar="params.calendar"), "mifir.yaml")
    parse_policy(POLICY.format(calendar="params.calendar"), parameters={"calendar": "UK"})
    with pytest.raises(PolicyError, match=r"MIFIR-LATE.*unknown working-day calendar 'UKK'"):
        parse_policy(POLICY.format(calendar="params.calendar"), parameters={"calendar": "UKK"})
