"""Time, randomness and money for the generator: trading calendar, seeded streams, exact cents."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal

from regkit.samples._config import SampleConfig

_MS_SECOND = 1_000
_MS_HOUR = 3_600_000
_MS_DAY = 86_400_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TRADING_OPENS_MS = 6 * _MS_HOUR  # 06:00 UTC
_TRADING_CLOSES_MS = 21 * _MS_HOUR  # 21:00 UTC, the end of the last trade
_SNAPSHOT_MS = 22 * _MS_HOUR  # end of day (17:00 New York, the FX roll-over)

_CENT = Decimal("0.01")
#: Every sum is done in this context, not the thread's, which a caller may have changed:
#: the same config must give the same digits whatever ``decimal.getcontext()`` says.
_DECIMAL = Context(prec=28, rounding=ROUND_HALF_EVEN)
_STRUCTURING_LOW_CENTS = 900_000  # deposits of 9,000.00 up to
_STRUCTURING_HIGH_CENTS = 999_000  # 9,990.00 are structuring
_THRESHOLD_CENTS = 1_000_000  # the 10,000 reporting threshold


class _Calendar:
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
        return self.midnights[day] + _SNAPSHOT_MS

    def random_instant(self, rng: random.Random) -> int:
        """An instant on a random trading day, 06:00 to 21:59 UTC, to the second."""
        midnight = self.midnights[rng.randrange(len(self.midnights))]
        return midnight + _TRADING_OPENS_MS + rng.randrange(16 * 3600) * _MS_SECOND


def _day_ms(day: date) -> int:
    """Midnight UTC of ``day``, in ms since 1970 (integer arithmetic only)."""
    return (day - _EPOCH.date()).days * _MS_DAY


def _at(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def _stream(config: SampleConfig, name: str, index: int | None = None) -> random.Random:
    """An independent, reproducible random stream (string seeds hash with SHA-512)."""
    return random.Random(f"{config.seed}:{name}" + ("" if index is None else f":{index}"))


def _per_mille(count: int, rate: int) -> int:
    """How many of ``count`` to plant at ``rate`` per thousand: at least one when rate > 0."""
    if rate == 0 or count == 0:
        return 0
    return min(count, max(1, (count * rate + 500) // 1000))


def _scaled(number: int, exponent: int) -> Decimal:
    """``number × 10**exponent``, exactly: ``_scaled(108500, -5)`` is ``Decimal("1.08500")``."""
    return Decimal(number).scaleb(exponent, _DECIMAL)


def _cents(cents: int) -> Decimal:
    return _scaled(cents, -2)


def _money(cents: int) -> str:
    return f"{_cents(cents):,.2f}"


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
