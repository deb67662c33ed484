"""Time, randomness and money for the generator: trading calendar, seeded streams, exact cents."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal

from regkit.samples._config import SampleConfig

__all__ = [
    "CENT",
    "DECIMAL",
    "MS_DAY",
    "MS_HOUR",
    "MS_SECOND",
    "STRUCTURING_HIGH_CENTS",
    "STRUCTURING_LOW_CENTS",
    "THRESHOLD_CENTS",
    "TRADING_CLOSES_MS",
    "TRADING_OPENS_MS",
    "Calendar",
    "Draw",
    "cents_text",
    "fast_draw",
    "format_money",
    "from_cents",
    "planted_count",
    "scaled",
    "stream",
    "to_datetime",
    "to_iso",
    "to_iso_ms",
]

MS_SECOND = 1_000
MS_HOUR = 3_600_000
MS_DAY = 86_400_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TRADING_OPENS_MS = 6 * MS_HOUR  # 06:00 UTC
TRADING_CLOSES_MS = 21 * MS_HOUR  # 21:00 UTC, the end of the last trade
_SNAPSHOT_MS = 22 * MS_HOUR  # end of day (17:00 New York, the FX roll-over)

CENT = Decimal("0.01")
#: Every sum is done in this context, not the thread's, which a caller may have changed:
#: the same config must give the same digits whatever ``decimal.getcontext()`` says.
DECIMAL = Context(prec=28, rounding=ROUND_HALF_EVEN)
STRUCTURING_LOW_CENTS = 900_000  # deposits of 9,000.00 up to
STRUCTURING_HIGH_CENTS = 999_000  # 9,990.00 are structuring
THRESHOLD_CENTS = 1_000_000  # the 10,000 reporting threshold


class Calendar:
    """The trading days and the instants the generator needs, in ms since 1970."""

    def __init__(self, config: SampleConfig) -> None:
        day = config.start
        days: list[date] = []
        while len(days) < config.trading_days:
            if day.weekday() < 5:
                days.append(day)
            day += timedelta(days=1)
        self.days = days
        self.midnights = [_day_ms(d) for d in days]
        self.start_ms = self.midnights[0]
        self.end_ms = self.midnights[-1] + _SNAPSHOT_MS

    def snapshot_ms(self, day: int) -> int:
        """The end-of-day snapshot instant of trading day number ``day``."""
        return self.midnights[day] + _SNAPSHOT_MS

    def random_instant(self, rng: random.Random) -> int:
        """An instant on a random trading day, 06:00 to 21:59 UTC, to the second."""
        midnight = self.midnights[rng.randrange(len(self.midnights))]
        return midnight + TRADING_OPENS_MS + rng.randrange(16 * 3600) * MS_SECOND


def _day_ms(day: date) -> int:
    """Midnight UTC of ``day``, in ms since 1970 (integer arithmetic only)."""
    return (day - _EPOCH.date()).days * MS_DAY


def to_datetime(ms: int) -> datetime:
    """The UTC datetime ``ms`` milliseconds after 1970."""
    return _EPOCH + timedelta(milliseconds=ms)


def stream(config: SampleConfig, name: str, index: int | None = None) -> random.Random:
    """An independent, reproducible random stream (string seeds hash with SHA-512)."""
    return random.Random(f"{config.seed}:{name}" + ("" if index is None else f":{index}"))


def planted_count(count: int, rate: int) -> int:
    """How many of ``count`` to plant at ``rate`` per thousand: at least one when rate > 0."""
    if rate == 0 or count == 0:
        return 0
    return min(count, max(1, (count * rate + 500) // 1000))


def scaled(number: int, exponent: int) -> Decimal:
    """``number × 10**exponent``, exactly: ``scaled(108500, -5)`` is ``Decimal("1.08500")``."""
    return Decimal(number).scaleb(exponent, DECIMAL)


def from_cents(cents: int) -> Decimal:
    """An amount in cents as an exact decimal: 12345 is ``Decimal("123.45")``."""
    return scaled(cents, -2)


def format_money(cents: int) -> str:
    """An amount in cents as text with thousands separators: ``"1,234.50"``."""
    return f"{from_cents(cents):,.2f}"


def to_iso(moment: datetime) -> str:
    """ISO 8601 text of a UTC datetime, ending in ``Z``."""
    return moment.isoformat().replace("+00:00", "Z")


Draw = Callable[[int], int]
"""A draw below ``n``: the same number ``rng.randrange(n)`` gives, from the same state."""


def fast_draw(rng: random.Random) -> Draw:
    """``rng.randrange(n)`` for ``n > 0``, without its argument checks: the same numbers.

    ``randrange(n)``, ``randint(a, b)`` and ``choice(seq)`` all draw with CPython's
    ``_randbelow``: ``n.bit_length()`` random bits, again until they are below ``n``
    (3.11 to 3.13). Calling ``getrandbits`` directly gives the same numbers in a third of
    the time; ``randint(a, b)`` is ``a + draw(b - a + 1)`` and ``choice(seq)`` is
    ``seq[draw(len(seq))]`` (a test holds the three to ``random.Random``'s own).
    """
    getrandbits = rng.getrandbits

    def draw(n: int) -> int:
        k = n.bit_length()
        r = getrandbits(k)
        while r >= n:
            r = getrandbits(k)
        return r

    return draw


def cents_text(cents: int) -> str:
    """``str(from_cents(cents))`` without a Decimal: ``-5`` is ``"-0.05"``."""
    if cents < 0:
        return f"-{-cents // 100}.{-cents % 100:02d}"
    return f"{cents // 100}.{cents % 100:02d}"


_DAY_TEXT: dict[int, str] = {}


def to_iso_ms(ms: int) -> str:
    """``to_iso(to_datetime(ms))`` by integer arithmetic: ``2026-11-02T06:00:10.653000Z``,
    no fraction on a whole second."""
    day, rest = divmod(ms, MS_DAY)
    text = _DAY_TEXT.get(day)
    if text is None:
        text = _DAY_TEXT[day] = (_EPOCH + timedelta(days=day)).date().isoformat()
    seconds, milli = divmod(rest, MS_SECOND)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    if milli:
        return f"{text}T{hours:02d}:{minutes:02d}:{seconds:02d}.{milli:03d}000Z"
    return f"{text}T{hours:02d}:{minutes:02d}:{seconds:02d}Z"
