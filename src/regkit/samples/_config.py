"""What to generate: how much, from which seed, and how often to plant each violation."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Literal

__all__ = [
    "DEFAULT_SEED",
    "PLANTED_KINDS",
    "PlantedKind",
    "RecordKind",
    "SampleConfig",
]

PlantedKind = Literal[
    "leverage_above_cap",
    "structuring",
    "expired_kyc",
    "negative_equity",
    "third_party_payer",
    "bonus_to_retail",
]
"""The kinds of violation the generator plants."""

RecordKind = Literal["trade", "account", "movement", "snapshot"]
"""The kind of record a planted violation is found in: a name of the kind table
:data:`regkit.schemas.kinds.KINDS` (a test holds the two to the same names, in order)."""

#: Every planted kind, in the order the report lists them.
PLANTED_KINDS: tuple[PlantedKind, ...] = (
    "leverage_above_cap",
    "structuring",
    "expired_kyc",
    "negative_equity",
    "third_party_payer",
    "bonus_to_retail",
)

#: The seed of :class:`SampleConfig` unless another is given.
DEFAULT_SEED = 20261120


_MIN_TRADES = 10
_MAX_TRADES = 10_000_000
_MIN_ACCOUNTS = 5
_MAX_ACCOUNTS = 200_000
_MAX_DAYS = 260


@dataclass(frozen=True)
class SampleConfig:
    """What to generate: how much, from which seed, and how often to plant each violation.

    Rates are integers per thousand of the population they apply to. A positive rate for an
    account-level kind plants at least one case; leverage breaches come one every 1000/rate
    retail CFD openings of each block of 2,000 accounts, the first half-way through that
    interval.

    Attributes:
        trades: number of trades, 10 to 10,000,000.
        seed: the seed of every random stream.
        start: the first trading day (a Saturday or Sunday moves to the next Monday).
        days: trading days (Monday to Friday) to spread the trades over; by default 5 up to
            100,000 trades, 10 up to 1,000,000 and 20 above.
        accounts: number of accounts; by default one per 40 trades, within 5 to 200,000.
        leverage_breach_per_mille: of retail CFD openings, those above the leverage cap.
        structuring_per_mille: of trading EUR accounts, those that structure deposits.
        expired_kyc_per_mille: of trading accounts, those that trade on an expired KYC.
        negative_equity_per_mille: of trading retail accounts, those with one end-of-day
            snapshot below zero equity.
        third_party_payer_per_mille: of trading accounts, those funded once by a third party.
        bonus_per_mille: of trading retail accounts, those paid a bonus.

    Raises:
        ValueError: a number is out of its range.
    """

    trades: int
    seed: int = DEFAULT_SEED
    start: date = date(2026, 11, 2)
    days: int | None = None
    accounts: int | None = None
    leverage_breach_per_mille: int = 20
    structuring_per_mille: int = 20
    expired_kyc_per_mille: int = 10
    negative_equity_per_mille: int = 10
    third_party_payer_per_mille: int = 20
    bonus_per_mille: int = 10

    def __post_init__(self) -> None:
        _check_range("trades", self.trades, _MIN_TRADES, _MAX_TRADES)
        if self.days is not None:
            _check_range("days", self.days, 1, _MAX_DAYS)
        if self.accounts is not None:
            _check_range("accounts", self.accounts, _MIN_ACCOUNTS, _MAX_ACCOUNTS)
        for name in _RATE_FIELDS:
            _check_range(name, getattr(self, name), 0, 1000)

    @property
    def trading_days(self) -> int:
        """The number of trading days, default applied."""
        if self.days is not None:
            return self.days
        if self.trades <= 100_000:
            return 5
        return 10 if self.trades <= 1_000_000 else 20

    @property
    def account_count(self) -> int:
        """The number of accounts, default applied."""
        if self.accounts is not None:
            return self.accounts
        return min(_MAX_ACCOUNTS, max(_MIN_ACCOUNTS, self.trades // 40))

    def to_dict(self) -> dict[str, Any]:
        """The configuration as JSON-ready values, defaults resolved."""
        data = asdict(self)
        data["start"] = self.start.isoformat()
        data["days"] = self.trading_days
        data["accounts"] = self.account_count
        return data


_RATE_FIELDS = (
    "leverage_breach_per_mille",
    "structuring_per_mille",
    "expired_kyc_per_mille",
    "negative_equity_per_mille",
    "third_party_payer_per_mille",
    "bonus_per_mille",
)


def _check_range(name: str, value: object, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer from {low:,} to {high:,}, got {value!r}")
