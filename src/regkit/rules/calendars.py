"""Working-day calendars: counting and adding working days (T+1 deadlines and the like).

A working day is a Monday to Friday that is not a holiday of the calendar; Saturdays and
Sundays never are. The holidays come from the maintained ``holidays`` package:

* ``"TARGET"``: the closing days of the ECB's TARGET2/T2 system (New Year's Day, Good Friday,
  Easter Monday, 1 May, 25 and 26 December), ``holidays.financial_holidays("XECB")``; the
  calendar of euro payments and of EU reporting deadlines. ``"EU"`` is another name for it.
* ``"UK"``: the bank holidays of England and Wales,
  ``holidays.country_holidays("GB", subdiv="ENG")`` (substitute days included).
* an ISO 3166-1 alpha-2 country code the ``holidays`` package supports (``"DE"``, ``"FR"``,
  ``"CY"``, ``"IE"``, ...): that country's national public holidays (observed days
  included). ``"GB"`` is the holidays common to the whole United Kingdom; ``"UK"`` adds
  those of England and Wales.

Holidays are known for the years :data:`FIRST_YEAR` to :data:`LAST_YEAR`; outside them only
weekends are closing days. Each calendar's holidays are worked out once, on first use, and
counts are arithmetic (weekdays by formula, holidays by binary search), so a count over
decades costs as little as one over a day.

Examples:
    >>> from datetime import date
    >>> add_working_days(date(2026, 11, 20), 1)  # a Friday trade: due on Monday
    datetime.date(2026, 11, 23)
    >>> working_days_between(date(2026, 4, 2), date(2026, 4, 7))  # Easter in between
    1
"""

from __future__ import annotations

import bisect
import difflib
import functools
import types
import warnings
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime

import holidays

from regkit.errors import PolicyError

__all__ = [
    "CALENDARS",
    "FIRST_YEAR",
    "LAST_YEAR",
    "add_working_days",
    "calendar_names",
    "check_calendar",
    "holiday_dates",
    "is_working_day",
    "working_days_between",
]

#: The first year whose holidays are known.
FIRST_YEAR = 1970
#: The last year whose holidays are known.
LAST_YEAR = 2100

#: The named calendars (besides the country codes), with what each one is.
CALENDARS: Mapping[str, str] = types.MappingProxyType(
    {
        "TARGET": "the ECB's TARGET2/T2 closing days",
        "EU": "the same as TARGET",
        "UK": "the bank holidays of England and Wales",
    }
)
_ALIASES = {"EU": "TARGET"}


@functools.cache
def _country_codes() -> frozenset[str]:
    """The two-letter country codes the installed ``holidays`` package supports."""
    return frozenset(
        code
        for code in holidays.list_supported_countries()
        if len(code) == 2 and code.isalpha() and code.isupper() and code not in CALENDARS
    )


def calendar_names() -> tuple[str, ...]:
    """Every calendar name: the named calendars, then the country codes in order."""
    return (*CALENDARS, *sorted(_country_codes()))


def check_calendar(name: object) -> str:
    """The canonical name of a calendar (``"EU"`` → ``"TARGET"``).

    Args:
        name: a calendar name: ``"TARGET"``, ``"EU"``, ``"UK"`` or a supported ISO 3166-1
            alpha-2 country code, in upper case.

    Raises:
        PolicyError: ``name`` is not a calendar; the message names it and the choices.
    """
    if isinstance(name, str) and (name in CALENDARS or name in _country_codes()):
        return _ALIASES.get(name, name)
    choices = calendar_names()
    hint = ""
    if isinstance(name, str):
        close = difflib.get_close_matches(name.upper(), choices, n=3, cutoff=0.6)
        hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
    raise PolicyError(
        f"unknown working-day calendar {name!r}{hint}; calendars: "
        f"{', '.join(CALENDARS)} or a country code of the holidays package: "
        f"{', '.join(choices[len(CALENDARS) :])}"
    )


def _source(name: str, years: Iterable[int]) -> list[date]:
    """The holiday dates of a canonical calendar name in ``years``.

    Some countries' holidays are known for fewer years (the package warns, and gives the
    years it knows): the other years then have weekends only.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module="holidays")
        if name == "TARGET":
            found = holidays.financial_holidays("XECB", years=years)
        elif name == "UK":
            found = holidays.country_holidays("GB", subdiv="ENG", years=years)
        else:
            found = holidays.country_holidays(name, years=years)
        return list(found.keys())


@functools.cache
def _table(calendar: str) -> tuple[tuple[date, ...], tuple[int, ...]]:
    """A calendar's weekday holidays of the known years, sorted, and their ordinals."""
    name = check_calendar(calendar)
    if name != calendar:
        return _table(name)
    days = sorted(
        {day for day in _source(name, range(FIRST_YEAR, LAST_YEAR + 1)) if day.weekday() < 5}
    )
    return tuple(days), tuple(day.toordinal() for day in days)


def _day(value: date) -> date:
    """A date as is; a datetime's UTC date (a naive datetime counts as UTC)."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.date()
    return value


def _count(holiday_ordinals: tuple[int, ...], ordinal: int) -> int:
    """The working days whose ordinal is at most ``ordinal`` (from 0001-01-01, a Monday)."""
    weeks, rest = divmod(ordinal, 7)
    return weeks * 5 + min(rest, 5) - bisect.bisect_right(holiday_ordinals, ordinal)


def holiday_dates(
    calendar: str = "TARGET", start_year: int = FIRST_YEAR, end_year: int = LAST_YEAR
) -> tuple[date, ...]:
    """The holidays of a calendar that fall on a weekday, in ``start_year``..``end_year``.

    Args:
        calendar: a calendar name (see :func:`check_calendar`).
        start_year: the first year, inclusive.
        end_year: the last year, inclusive.

    Returns:
        The dates, sorted; years outside :data:`FIRST_YEAR`..:data:`LAST_YEAR` have none.

    Raises:
        PolicyError: ``calendar`` is not a calendar.
    """
    days, _ = _table(calendar)
    start_year, end_year = max(start_year, FIRST_YEAR), min(end_year, LAST_YEAR)
    if start_year > end_year:
        return ()
    low = bisect.bisect_left(days, date(start_year, 1, 1))
    return days[low : bisect.bisect_right(days, date(end_year, 12, 31))]


def is_working_day(day: date, calendar: str = "TARGET") -> bool:
    """Whether ``day`` (a datetime: its UTC date) is a working day of ``calendar``.

    Raises:
        PolicyError: ``calendar`` is not a calendar.
    """
    ordinals = _table(calendar)[1]
    ordinal = _day(day).toordinal()
    return _count(ordinals, ordinal) != _count(ordinals, ordinal - 1)


def working_days_between(start: date, end: date, calendar: str = "TARGET") -> int:
    """The working days after ``start`` up to and including ``end``.

    The count of working days ``d`` with ``start < d <= end``: ``0`` for ``start == end``,
    ``1`` from a Friday trade to the Monday after it (no holiday between), and ``1`` from
    a Saturday to the Monday after it. When ``end`` is before ``start`` the result is
    negative: ``-working_days_between(end, start)``, so
    ``working_days_between(a, b) + working_days_between(b, c) == working_days_between(a, c)``
    always. Datetimes count by their UTC date (a naive datetime is taken to be UTC).

    Args:
        start: the first day, not counted.
        end: the last day, counted if it is a working day.
        calendar: a calendar name (see the module docstring); ``"TARGET"`` by default.

    Raises:
        PolicyError: ``calendar`` is not a calendar.

    Examples:
        >>> working_days_between(date(2026, 11, 20), date(2026, 11, 23))
        1
        >>> working_days_between(date(2026, 11, 23), date(2026, 11, 20))
        -1
    """
    ordinals = _table(calendar)[1]
    return _count(ordinals, _day(end).toordinal()) - _count(ordinals, _day(start).toordinal())


def _first_reaching(holiday_ordinals: tuple[int, ...], target: int, near: int) -> int:
    """The smallest ordinal whose :func:`_count` is at least ``target`` (searched from
    ``near`` by doubling steps, then by bisection)."""
    low = high = near
    step = 8
    while _count(holiday_ordinals, high) < target:
        low, high, step = high, high + step, step * 2
    while _count(holiday_ordinals, low) >= target:
        high, low, step = low, low - step, step * 2
    while high - low > 1:  # _count(low) < target <= _count(high)
        middle = (low + high) // 2
        if _count(holiday_ordinals, middle) >= target:
            high = middle
        else:
            low = middle
    return high


def add_working_days(day: date, n: int, calendar: str = "TARGET") -> date:
    """The ``n``-th working day after ``day`` (before it when ``n`` is negative).

    ``n > 0``: the working day ``d`` after ``day`` with ``working_days_between(day, d) == n``
    (the T+1 deadline of a trade is ``add_working_days(trade_date, 1)``; from a Saturday or a
    holiday, ``1`` is the next working day). ``n < 0``: the working day ``d`` before ``day``
    with ``-n`` working days in ``[d, day)`` (``-1`` from a Monday or a Saturday is the
    Friday before). ``n == 0``: ``day`` itself, working day or not. Datetimes count by their
    UTC date.

    Args:
        day: the day to count from.
        n: how many working days to move.
        calendar: a calendar name (see the module docstring); ``"TARGET"`` by default.

    Raises:
        PolicyError: ``calendar`` is not a calendar.
        ValueError: the result is outside the years 1 to 9999.
    """
    ordinals = _table(calendar)[1]
    start = _day(day)
    if n == 0:
        return start
    ordinal = start.toordinal()
    # the first day reaching the count n working days after day, or 1 + the count -n before
    before = ordinal if n > 0 else ordinal - 1
    target = _count(ordinals, before) + n + (0 if n > 0 else 1)
    return date.fromordinal(_first_reaching(ordinals, target, ordinal))
