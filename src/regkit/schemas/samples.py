"""A deterministic synthetic brokerage: firm, instruments, accounts, trades, cash and snapshots.

The data are for the demo, the tests and the benchmarks. Everything comes from seeded
``random.Random`` streams (never the global generator, never the clock), so the same
:class:`SampleConfig` gives the same records and the same file bytes on every machine.

The brokerage is made to be checked. Known violations are planted at configured rates and
listed as :class:`Planted` records, and the rest of the data is built not to show those
patterns, so a rule can be tested against the truth:

* ``leverage_above_cap``: a retail CFD opening with leverage above ESMA's cap for its class;
  every other retail CFD opening is within its cap.
* ``structuring``: 3 to 5 deposits of EUR 9,000-9,990 within 48 hours on one account;
  no other deposit is between 9,000 and 10,000 in any currency.
* ``expired_kyc``: an account whose KYC expired before it traded; every other trading
  account's KYC is verified and valid over the whole period.
* ``negative_equity``: a retail account's end-of-day snapshot with equity below zero; every
  other snapshot has equity at or above zero (and above half the margin required).
* ``third_party_payer``: a deposit paid by somebody other than the holder; every other
  payment names the holder.
* ``bonus_to_retail``: a bonus paid to a retail account; other bonuses go to professional
  clients and eligible counterparties only.

Rates are integers per thousand (``leverage_breach_per_mille=20`` is 2%). Account-level
kinds take that share of the eligible accounts, at least one when the rate is positive;
leverage breaches are spread evenly, one every 1000/rate retail CFD openings.

Large sets stream: :func:`write_samples` generates each record as the writer asks for it,
so no file is ever held in memory (the generator's own state, per account and per day,
is about 150 MB for a million trades; the writer adds its own buffers).

Examples:
    >>> from regkit.schemas.samples import SampleConfig, generate
    >>> sample = generate(SampleConfig(trades=200))
    >>> len(sample.trades), sample.trades[0].trade_id
    (200, 'T000000001')
    >>> sorted({p.kind for p in sample.planted})[:2]
    ['bonus_to_retail', 'expired_kyc']
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import unicodedata
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal
from pathlib import Path
from typing import Any, Literal, NamedTuple

from regkit._version import __version__
from regkit.schemas.account import Account, AccountSnapshot
from regkit.schemas.cash import CashMovement
from regkit.schemas.enums import (
    Capacity,
    ClientCategory,
    Delivery,
    ExerciseStyle,
    KycStatus,
    MovementKind,
    OptionType,
    PaymentMethod,
    PositionEffect,
    Product,
    RiskRating,
    Side,
    UnderlyingClass,
)
from regkit.schemas.firm import Firm
from regkit.schemas.identifiers import lei_check_digits
from regkit.schemas.instrument import Instrument
from regkit.schemas.io import FileFormat, atomic_path, write_records
from regkit.schemas.layout import layout_of
from regkit.schemas.party import Kyc, LegalEntity, NaturalPerson
from regkit.schemas.trade import Trade

__all__ = [
    "ACCOUNT_COLUMNS",
    "DEFAULT_SEED",
    "ESMA_RETAIL_LEVERAGE_CAPS",
    "PLANTED_KINDS",
    "Planted",
    "PlantedKind",
    "RecordKind",
    "SampleConfig",
    "SampleFile",
    "SampleManifest",
    "SampleSet",
    "generate",
    "iban_check_digits",
    "isin_check_digit",
    "write_samples",
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
"""The kind of record a planted violation is found in."""

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

#: ESMA's retail CFD leverage caps (Decision (EU) 2018/796 Art. 2(a)), as N for N:1.
ESMA_RETAIL_LEVERAGE_CAPS: Mapping[UnderlyingClass, int] = {
    UnderlyingClass.FX_MAJOR: 30,
    UnderlyingClass.FX_MINOR: 20,
    UnderlyingClass.GOLD: 20,
    UnderlyingClass.INDEX_MAJOR: 20,
    UnderlyingClass.COMMODITY: 10,
    UnderlyingClass.INDEX_MINOR: 10,
    UnderlyingClass.EQUITY: 5,
    UnderlyingClass.BOND: 5,
    UnderlyingClass.OTHER: 5,
    UnderlyingClass.CRYPTO: 2,
}

#: The national identifier columns accounts use, beside the model's own columns.
_NATIONAL_ID_COLUMNS = ("holder.national_ids.CCPT", "holder.national_ids.NIDN")

#: Every column of the accounts file, in file order.
ACCOUNT_COLUMNS: tuple[str, ...] = (*layout_of(Account).columns, *_NATIONAL_ID_COLUMNS)

_MIN_TRADES = 10
_MAX_TRADES = 10_000_000
_MIN_ACCOUNTS = 5
_MAX_ACCOUNTS = 200_000
_MAX_DAYS = 260

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


# --- configuration --------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleConfig:
    """What to generate: how much, from which seed, and how often to plant each violation.

    Rates are integers per thousand of the population they apply to. A positive rate for an
    account-level kind plants at least one case; leverage breaches come one every 1000/rate
    retail CFD openings, the first half-way through that interval.

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


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Planted:
    """One planted violation and where to find it.

    Attributes:
        kind: which violation (see :data:`PLANTED_KINDS`).
        record_kind: the kind of record it is in: trade, account, movement or snapshot.
        keys: the keys of the records involved: trade ids, an account id, movement ids, or
            an account id and the snapshot time (ISO 8601 ending in ``Z``).
        detail: what is wrong, in words.
    """

    kind: PlantedKind
    record_kind: RecordKind
    keys: tuple[str, ...]
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-ready values."""
        return {
            "kind": self.kind,
            "record_kind": self.record_kind,
            "keys": list(self.keys),
            "detail": self.detail,
        }


@dataclass
class SampleSet:
    """A whole generated brokerage, in memory (for small sizes; see :func:`write_samples`).

    Attributes:
        config: what was asked for.
        firm: the reporting firm.
        instruments: every instrument the firm offers.
        accounts: client accounts.
        trades: trades, in execution order.
        movements: cash movements, by account and time.
        snapshots: end-of-day account snapshots, by account and day.
        planted: the planted violations.
    """

    config: SampleConfig
    firm: Firm
    instruments: list[Instrument]
    accounts: list[Account]
    trades: list[Trade]
    movements: list[CashMovement]
    snapshots: list[AccountSnapshot]
    planted: list[Planted]

    def planted_of(self, kind: PlantedKind) -> list[Planted]:
        """The planted violations of one kind."""
        return [item for item in self.planted if item.kind == kind]


@dataclass(frozen=True)
class SampleFile:
    """One file :func:`write_samples` wrote.

    Attributes:
        name: the file name inside the output directory.
        records: records (or JSON objects) in it.
        bytes: its size.
        sha256: the SHA-256 of its content, in hex.
    """

    name: str
    records: int
    bytes: int
    sha256: str


@dataclass(frozen=True)
class SampleManifest:
    """What :func:`write_samples` wrote; ``manifest.json`` holds the same, paths left out.

    Attributes:
        out_dir: the output directory.
        config: the configuration the set was generated from.
        format: the format of the record files.
        files: every file but ``manifest.json``, in writing order.
        counts: records per kind (firm, accounts, trades, movements, snapshots, planted).
        planted: planted violations per kind.
    """

    out_dir: Path
    config: SampleConfig
    format: FileFormat
    files: tuple[SampleFile, ...]
    counts: Mapping[str, int]
    planted: Mapping[str, int]

    def path(self, name: str) -> Path:
        """The path of one of the files, e.g. ``manifest.path("trades.parquet")``."""
        return self.out_dir / name

    def to_dict(self) -> dict[str, Any]:
        """The manifest as JSON-ready values (no path, so that it is the same anywhere)."""
        return {
            "generator": "regkit.schemas.samples",
            "regkit_version": __version__,
            "seed": self.config.seed,
            "format": self.format,
            "config": self.config.to_dict(),
            "counts": dict(self.counts),
            "planted": dict(self.planted),
            "files": [asdict(item) for item in self.files],
        }


# --- check digits ----------------------------------------------------------------------------


def _letters_to_digits(text: str) -> str:
    return "".join(str(int(ch, 36)) for ch in text)


def _luhn_digit(digits: str) -> int:
    """The Luhn check digit that completes ``digits``."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = int(char) * (2 if index % 2 == 0 else 1)
        total += number - 9 if number > 9 else number
    return (10 - total % 10) % 10


def isin_check_digit(body: str) -> str:
    """The ISO 6166 check digit of an 11-character ISIN body (country and 9 characters).

    Examples:
        >>> isin_check_digit("US037833100")
        '5'
    """
    return str(_luhn_digit(_letters_to_digits(body.upper())))


def iban_check_digits(country: str, bban: str) -> str:
    """The two ISO 13616 (MOD 97-10) check digits of an IBAN.

    Examples:
        >>> iban_check_digits("DE", "370400440532013000")
        '89'
    """
    remainder = int(_letters_to_digits(bban.upper() + country.upper() + "00")) % 97
    return f"{98 - remainder:02d}"


def _lei(prefix: str) -> str:
    return prefix + lei_check_digits(prefix)


def _isin(body: str) -> str:
    return body + isin_check_digit(body)


# --- instruments -----------------------------------------------------------------------------


class _Spec(NamedTuple):
    """How an instrument is described and traded."""

    symbol: str
    product: Product
    klass: UnderlyingClass
    quote: str
    full_name: str
    cfi: str | None
    mid: int  # typical price in ticks
    decimals: int  # the tick is 10 ** -decimals
    step: str  # the quantity step (a lot fraction)
    max_steps: int
    weight: int  # relative trading activity
    base: str | None = None
    multiplier: str = "1"
    underlying_isin: str | None = None  # ISIN body; the check digit is computed
    underlying_index: str | None = None
    expiry_days: int | None = None
    delivery: Delivery = Delivery.CASH
    isin: str | None = None  # ISIN body (an OTC derivative's from ANNA DSB starts EZ)
    strike: str | None = None  # an option's strike (a European call)


_C, _FX = Product.CFD, UnderlyingClass.FX_MAJOR
_U = UnderlyingClass

_SPECS: tuple[_Spec, ...] = (
    _Spec("EURUSD", _C, _FX, "USD", "CFD EUR/USD", "JFTXCC", 108500, 5, "1000", 500, 200, "EUR"),
    _Spec("USDJPY", _C, _FX, "JPY", "CFD USD/JPY", "JFTXCC", 151250, 3, "1000", 500, 90, "USD"),
    _Spec("GBPUSD", _C, _FX, "USD", "CFD GBP/USD", "JFTXCC", 127000, 5, "1000", 500, 80, "GBP"),
    _Spec("USDCHF", _C, _FX, "CHF", "CFD USD/CHF", "JFTXCC", 88000, 5, "1000", 500, 30, "USD"),
    _Spec("EURGBP", _C, _FX, "GBP", "CFD EUR/GBP", "JFTXCC", 85000, 5, "1000", 500, 30, "EUR"),
    _Spec("USDCAD", _C, _FX, "CAD", "CFD USD/CAD", "JFTXCC", 136000, 5, "1000", 500, 20, "USD"),
    _Spec(
        "AUDUSD", _C, _U.FX_MINOR, "USD", "CFD AUD/USD", "JFTXCC", 66000, 5, "1000", 500, 30, "AUD"
    ),
    _Spec(
        "EURTRY", _C, _U.FX_MINOR, "TRY", "CFD EUR/TRY", "JFTXCC", 3550000, 5, "1000", 200, 10,
        "EUR",
    ),
    _Spec(
        "USDZAR", _C, _U.FX_MINOR, "ZAR", "CFD USD/ZAR", "JFTXCC", 1820000, 5, "1000", 200, 10,
        "USD",
    ),
    _Spec(
        "EURPLN", _C, _U.FX_MINOR, "PLN", "CFD EUR/PLN", "JFTXCC", 432000, 5, "1000", 200, 10,
        "EUR",
    ),
    _Spec(
        "XAUUSD", _C, _U.GOLD, "USD", "CFD Gold/USD", "JTKXCC", 265000, 2, "0.01", 1000, 60, "XAU"
    ),
    _Spec("XAGUSD", _C, _U.COMMODITY, "USD", "CFD Silver/USD", "JTKXCC", 3100, 2, "1", 300, 15),
    _Spec("USOIL", _C, _U.COMMODITY, "USD", "CFD WTI Crude Oil", "JTJXCC", 7050, 2, "1", 500, 30),
    _Spec("UKOIL", _C, _U.COMMODITY, "USD", "CFD Brent Crude Oil", "JTJXCC", 7420, 2, "1", 500, 15),
    _Spec(
        "GER40", _C, _U.INDEX_MAJOR, "EUR", "CFD on DAX", "JEIXCC", 190000, 1, "0.01", 1000, 60,
        underlying_index="DAX",
    ),
    _Spec(
        "US500", _C, _U.INDEX_MAJOR, "USD", "CFD on S&P 500", "JEIXCC", 59000, 1, "0.01", 1000, 60,
        underlying_index="S&P 500",
    ),
    _Spec(
        "UK100", _C, _U.INDEX_MAJOR, "GBP", "CFD on FTSE 100", "JEIXCC", 82000, 1, "0.01", 1000, 20,
        underlying_index="FTSE 100",
    ),
    _Spec(
        "JPN225", _C, _U.INDEX_MAJOR, "JPY", "CFD on Nikkei 225", "JEIXCC", 380000, 1, "0.1", 200,
        10, underlying_index="Nikkei 225",
    ),
    _Spec(
        "ESP35", _C, _U.INDEX_MINOR, "EUR", "CFD on IBEX 35", "JEIXCC", 115000, 1, "0.01", 1000, 10,
        underlying_index="IBEX 35",
    ),
    _Spec(
        "HK50", _C, _U.INDEX_MINOR, "HKD", "CFD on Hang Seng", "JEIXCC", 195000, 1, "0.01", 1000,
        10, underlying_index="Hang Seng",
    ),
    _Spec(
        "NETH25", _C, _U.INDEX_MINOR, "EUR", "CFD on AEX", "JEIXCC", 9000, 1, "0.1", 500, 5,
        underlying_index="AEX",
    ),
    _Spec(
        "AAPL", _C, _U.EQUITY, "USD", "CFD on Apple Inc.", "JESXCC", 23000, 2, "1", 200, 20,
        underlying_isin="US037833100",
    ),
    _Spec(
        "SAP", _C, _U.EQUITY, "EUR", "CFD on SAP SE", "JESXCC", 22000, 2, "1", 200, 10,
        underlying_isin="DE000716460",
    ),
    _Spec(
        "ASML", _C, _U.EQUITY, "EUR", "CFD on ASML Holding", "JESXCC", 65000, 2, "0.1", 500, 10,
        underlying_isin="NL001027321",
    ),
    _Spec(
        "MC", _C, _U.EQUITY, "EUR", "CFD on LVMH", "JESXCC", 60000, 2, "0.1", 500, 5,
        underlying_isin="FR000012101",
    ),
    # ISO 10962 has no group for crypto-assets; a CFD on one is a commodity forward, other.
    _Spec("BTCUSD", _C, _U.CRYPTO, "USD", "CFD Bitcoin/USD", "JTMXCC", 680000, 1, "0.001", 500, 30),
    _Spec("ETHUSD", _C, _U.CRYPTO, "USD", "CFD Ether/USD", "JTMXCC", 260000, 2, "0.01", 500, 10),
    _Spec(
        "BUND", _C, _U.BOND, "EUR", "CFD on Euro-Bund future", "JRMXCC", 13150, 2, "0.1", 300, 5,
        multiplier="10", underlying_isin="DE000110258",
    ),
    _Spec(
        "VIX", _C, _U.OTHER, "USD", "CFD on CBOE Volatility Index futures", "JEIXCC", 1550, 2, "1",
        500, 5, underlying_index="CBOE Volatility Index",
    ),
    _Spec(
        "EURUSD.SPOT", Product.SPOT, _FX, "USD", "EUR/USD spot", "IFXXXP", 108500, 5, "1000", 200,
        6, "EUR", delivery=Delivery.PHYSICAL,
    ),
    _Spec(
        "EURUSD.1M", Product.FORWARD, _FX, "USD", "EUR/USD forward 1M", "JFTXFC", 108700, 5,
        "1000", 200, 6, "EUR", expiry_days=30,
    ),
    _Spec(
        "USDJPY.1W", Product.SWAP, _FX, "JPY", "USD/JPY FX swap 1W", "SFAXXN", 151300, 3, "1000",
        200, 4, "USD", expiry_days=7,
    ),
    _Spec(
        "EURUSD.C110", Product.OPTION, _FX, "USD", "EUR/USD call 1.10 1M", "HFTAVC", 1250, 5,
        "1000", 200, 4, "EUR", expiry_days=30, isin="EZ7Q4R2W1X8", strike="1.1000",
    ),
)  # fmt: skip


def _instrument(spec: _Spec, start: date) -> Instrument:
    expiry = None if spec.expiry_days is None else start + timedelta(days=spec.expiry_days)
    return Instrument(
        symbol=spec.symbol,
        product=spec.product,
        underlying_class=spec.klass,
        base_currency=spec.base,
        quote_currency=spec.quote,
        cfi=spec.cfi,
        full_name=spec.full_name,
        price_multiplier=Decimal(spec.multiplier),
        delivery=spec.delivery,
        underlying_isin=None if spec.underlying_isin is None else _isin(spec.underlying_isin),
        isin=None if spec.isin is None else _isin(spec.isin),
        option_type=None if spec.strike is None else OptionType.CALL,
        strike_price=None if spec.strike is None else Decimal(spec.strike),
        exercise_style=None if spec.strike is None else ExerciseStyle.EUROPEAN,
        underlying_index=spec.underlying_index,
        expiry_date=expiry,
    )


#: Euro value of one unit of each currency: a fixed table, good enough for margins.
_EUR_VALUE = {
    code: Decimal(value)
    for code, value in {
        "EUR": "1", "USD": "0.92", "GBP": "1.19", "JPY": "0.0061", "CHF": "1.05",
        "CAD": "0.68", "AUD": "0.61", "TRY": "0.027", "ZAR": "0.051", "PLN": "0.23",
        "HKD": "0.118",
    }.items()
}  # fmt: skip

#: Leverage a retail client may pick, per class: all within the cap.
_RETAIL_LEVERAGE: Mapping[UnderlyingClass, tuple[int, ...]] = {
    klass: tuple(sorted({max(1, cap // 3), max(1, cap // 2), cap}))
    for klass, cap in ESMA_RETAIL_LEVERAGE_CAPS.items()
}
#: Leverage above the cap, per class: what the planted breaches use.
_BREACH_LEVERAGE: Mapping[UnderlyingClass, tuple[int, ...]] = {
    klass: (cap * 2, cap * 5, cap * 10) for klass, cap in ESMA_RETAIL_LEVERAGE_CAPS.items()
}


# --- people and names ------------------------------------------------------------------------

#: The EEA countries of RTS 22 Annex II.
_EEA = frozenset(
    ("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
     "IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK")
)  # fmt: skip


class _Showcase(NamedTuple):
    first: str
    surname: str
    nationalities: tuple[str, ...]


#: The first person accounts: every CONCAT rule (prefixes as whole words, surnames that
#: only start with prefix letters or are one, titles, hyphens, apostrophes, Ø ß Æ Þ Œ,
#: accents, short names, second first names) and every nationality the samples use.
_SHOWCASE: tuple[_Showcase, ...] = (
    _Showcase("Anna Maria", "van der Berg", ("NL",)),
    _Showcase("Jean-Claude", "de la Fontaine", ("FR",)),
    _Showcase("Dr. Anna", "von Bülow", ("DE",)),
    _Showcase("Siobhán", "O'Brien", ("IE",)),
    _Showcase("Giulia", "D'Angelo", ("IT",)),
    _Showcase("Søren", "Ødegård", ("DK",)),
    _Showcase("Klaus", "Weiß", ("AT",)),
    _Showcase("Æsa", "Jónsdóttir", ("IS",)),
    _Showcase("Þór", "Gunnarsson", ("IS",)),
    _Showcase("Œdipe", "Lefèvre", ("FR",)),
    _Showcase("José", "Núñez", ("ES",)),
    _Showcase("Li", "Ng", ("CN",)),
    _Showcase("Bo", "Li", ("SE",)),
    _Showcase("Marie", "Dupont", ("BE",)),
    _Showcase("Pieter", "Vandermeer", ("NL",)),
    _Showcase("Ewan", "Macdonald", ("GB",)),
    _Showcase("Hans", "Van", ("NL",)),
    _Showcase("Seán", "Mac Carthaigh", ("IE",)),
    _Showcase("Ciara", "Mc Donagh", ("IE",)),
    _Showcase("Marco", "di Stefano", ("IT",)),
    _Showcase("Claire", "du Pont", ("LU",)),
    _Showcase("Juliette", "de l'Isle", ("FR",)),
    _Showcase("Lena", "Schmidt", ("DE", "FR")),
    _Showcase("John", "Murphy", ("US", "IE")),
    _Showcase("Mrs. Eleanor", "Wright", ("GB",)),
    _Showcase("Luca", "Bianchi", ("IT", "BR")),
    _Showcase("Ivan", "Petrov", ("BG",)),
    _Showcase("Andreas", "Georgiou", ("CY",)),
    _Showcase("Tomáš", "Novák", ("CZ",)),
    _Showcase("Jüri", "Tamm", ("EE",)),
    _Showcase("Mikko", "Virtanen", ("FI",)),
    _Showcase("Eleni", "Papadopoulou", ("GR",)),
    _Showcase("Ana", "Horvat", ("HR",)),
    _Showcase("Péter", "Nagy", ("HU",)),
    _Showcase("Sophie", "Büchel", ("LI",)),
    _Showcase("Jonas", "Kazlauskas", ("LT",)),
    _Showcase("Jānis", "Bērziņš", ("LV",)),
    _Showcase("Maria", "Borg", ("MT",)),
    _Showcase("Ola", "Nordmann", ("NO",)),
    _Showcase("Jan", "Kowalski", ("PL",)),
    _Showcase("João", "Silva", ("PT",)),
    _Showcase("Andrei", "Popescu", ("RO",)),
    _Showcase("Luka", "Novak", ("SI",)),
    _Showcase("Ján", "Kováč", ("SK",)),
    _Showcase("Lucas", "Weber", ("CH",)),
    _Showcase("Thabo", "Nkosi", ("ZA",)),
    _Showcase("Ahmed", "Al Mansoori", ("AE",)),
    _Showcase("Priya", "Sharma", ("IN",)),
    _Showcase("Gabriel", "Souza", ("BR",)),
    _Showcase("Emily", "Johnson", ("US",)),
)

#: First names and surnames by nationality, for the accounts after the showcase.
_NAMES: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "DE": (("Lukas", "Anna", "Jonas", "Lea", "Felix", "Sophie", "Maximilian"),
           ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "von Arnim", "Becker")),
    "FR": (("Louis", "Camille", "Hugo", "Chloé", "Jean-Luc", "Élodie"),
           ("Martin", "Bernard", "Dubois", "Lefèvre", "de la Croix", "Moreau")),
    "IT": (("Marco", "Giulia", "Alessandro", "Francesca", "Matteo"),
           ("Rossi", "Russo", "Ferrari", "Esposito", "Romano", "De Luca")),
    "ES": (("Alejandro", "Lucía", "Javier", "María José", "Pablo"),
           ("García", "Fernández", "López", "Martínez", "Sánchez", "de la Vega")),
    "PL": (("Jakub", "Zofia", "Piotr", "Katarzyna", "Michał"),
           ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński")),
    "NL": (("Daan", "Emma", "Sem", "Julia", "Lars"),
           ("de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser")),
    "AT": (("Florian", "Katharina", "Tobias", "Lena"), ("Gruber", "Huber", "Bauer", "Wagner")),
    "BE": (("Arthur", "Louise", "Noah", "Elise"), ("Peeters", "Janssens", "Maes", "Dupont")),
    "IE": (("Conor", "Aoife", "Cian", "Niamh"), ("Murphy", "Kelly", "O'Sullivan", "Walsh")),
    "PT": (("Tiago", "Beatriz", "Rodrigo"), ("Santos", "Ferreira", "Pereira", "Costa")),
    "SE": (("Erik", "Astrid", "Oskar", "Maja"), ("Andersson", "Johansson", "Lindqvist")),
    "DK": (("Mads", "Freja", "Søren"), ("Jensen", "Nielsen", "Sørensen", "Møller")),
    "CZ": (("Jakub", "Tereza", "Petr"), ("Svoboda", "Dvořák", "Černý")),
    "RO": (("Mihai", "Ioana", "Andrei"), ("Popa", "Ionescu", "Dumitru")),
    "GR": (("Giorgos", "Maria", "Nikos"), ("Papadopoulos", "Nikolaidis", "Oikonomou")),
    "CY": (("Andreas", "Elena", "Christos"), ("Christodoulou", "Ioannou", "Charalambous")),
    "FI": (("Eero", "Aino", "Juha"), ("Korhonen", "Mäkinen", "Nieminen")),
    "HU": (("Bence", "Zsófia", "Máté"), ("Kovács", "Szabó", "Tóth")),
    "NO": (("Magnus", "Ingrid", "Håkon"), ("Hansen", "Olsen", "Løvås")),
    "GB": (("Oliver", "Amelia", "Harry", "Isla"), ("Smith", "Jones", "Taylor", "Brown")),
    "US": (("James", "Olivia", "Michael", "Ava"), ("Williams", "Miller", "Davis", "Garcia")),
    "CH": (("Noah", "Mia", "Luca"), ("Meier", "Keller", "Brunner")),
    "BR": (("Miguel", "Helena", "Arthur"), ("Oliveira", "Santos", "Lima")),
    "IN": (("Arjun", "Ananya", "Rohan"), ("Patel", "Gupta", "Reddy")),
    "CN": (("Wei", "Fang", "Jun"), ("Wang", "Liu", "Chen")),
    "ZA": (("Sipho", "Naledi", "Pieter"), ("Dlamini", "van Wyk", "Botha")),
    "AE": (("Omar", "Fatima", "Khalid"), ("Al Nahyan", "Al Suwaidi", "Haddad")),
}  # fmt: skip

#: Nationalities of the later person accounts, weighted.
_NATIONALITY_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("DE", 14), ("FR", 10), ("IT", 9), ("ES", 8), ("PL", 6), ("NL", 5), ("AT", 3), ("BE", 3),
    ("IE", 2), ("PT", 2), ("SE", 2), ("DK", 1), ("CZ", 2), ("RO", 2), ("GR", 2), ("CY", 2),
    ("FI", 1), ("HU", 2), ("NO", 1), ("GB", 8), ("US", 3), ("CH", 3), ("BR", 1), ("IN", 1),
    ("CN", 1), ("ZA", 1), ("AE", 1),
)  # fmt: skip
#: Second nationalities some later persons have, by first nationality.
#: Pairs are chosen so that both RTS 22 versions pick an identifier the person has: under
#: the UK's Annex II, GB counts as listed, so GB with a later-sorting country that has its
#: own NIDN (PL, say) would need two NIDN values.
_SECOND_NATIONALITY = {"DE": "FR", "FR": "DE", "US": "IE", "IT": "BR", "PL": "DE", "GB": "IE"}

#: Payers of planted third-party deposits: nobody who holds an account.
_THIRD_PARTIES: tuple[tuple[str, str], ...] = (
    ("Viktor Sokolov", "CY"),
    ("Marta Quintero", "ES"),
    ("Kestrel Payments Ltd", "MT"),
    ("Dmitri Orlov", "LV"),
    ("Hana Bauerová", "CZ"),
)

_ENTITY_PREFIXES = ("Alpine", "Nordic", "Helios", "Meridian", "Baltic", "Iberia", "Rhein",
                    "Aurora", "Thames", "Danube", "Cedar", "Atlas")  # fmt: skip
_ENTITY_CORES = ("Capital", "Trading", "Invest", "Treasury", "Holdings", "Asset Management",
                 "Family Office", "Markets")  # fmt: skip
_ENTITY_FORMS = {"DE": "GmbH", "AT": "GmbH", "CH": "AG", "LU": "S.A.", "NL": "B.V.",
                 "CY": "Ltd", "GB": "Ltd", "IE": "Limited", "MT": "Ltd", "US": "LLC",
                 "SE": "AB", "NO": "AS", "ES": "S.L."}  # fmt: skip
_ENTITY_COUNTRIES = tuple(_ENTITY_FORMS)


class _Person(NamedTuple):
    first: str
    surname: str
    born: date
    nationalities: tuple[str, ...]
    national_ids: dict[str, str]
    residence: str

    @property
    def name(self) -> str:
        return f"{self.first} {self.surname}"


class _Entity(NamedTuple):
    name: str
    lei: str
    country: str


# --- national identifiers (formats of RTS 22 Annex II; check digits where simple) ----------


def _digits(rng: random.Random, count: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(count))


def _yymmdd(born: date) -> str:
    return f"{born.year % 100:02d}{born.month:02d}{born.day:02d}"


def _ddmmyy(born: date) -> str:
    return f"{born.day:02d}{born.month:02d}{born.year % 100:02d}"


def _weighted_mod11(digits: str, weights: Sequence[int]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11


def _id_be(rng: random.Random, born: date, _p: tuple[str, str]) -> dict[str, str]:
    base = _yymmdd(born) + f"{rng.randrange(1, 998):03d}"
    number = int(("2" if born.year >= 2000 else "") + base)
    return {"NIDN": f"{base}{97 - number % 97:02d}"}


def _id_bg(rng: random.Random, born: date, _p: tuple[str, str]) -> dict[str, str]:
    month = born.month + (40 if born.year >= 2000 else 0)
    base = f"{born.year % 100:02d}{month:02d}{born.day:02d}{_digits(rng, 3)}"
    check = _weighted_mod11(base, (2, 4, 8, 5, 10, 9, 7, 3, 6)) % 10
    return {"NIDN": f"{base}{check}"}


def _id_cz(rng: random.Random, born: date, _p: tuple[str, str]) -> dict[str, str]:
    while True:
        base = _yymmdd(born) + _digits(rng, 3)
        check = int(base) % 11
        if check < 10:  # the whole number is then divisible by 11
            return {"NIDN": f"{base}{check}"}


def _id_ee_lt(rng: random.Random, born: date, _p: tuple[str, str]) -> dict[str, str]:
    century = (3 if born.year < 2000 else 5) + rng.randrange(2)
    base = f"{century}{_yymmdd(born)}{_digits(rng, 3)}"
    check = _weighted_mod11(base, (1, 2, 3, 4, 5, 6, 7, 8, 9, 1))
    if check == 10:
        check = _weighted_mod11(base, (3, 4, 5, 6, 7, 8, 9, 1, 2, 3)) % 10
    return {"NIDN": f"{base}{check}"}


def _id_es(rng: random.Random, _b: date, _p: tuple[str, str]) -> dict[str, str]:
    number = rng.randrange(10_000_000, 99_999_999)
    return {"NIDN": f"{number:08d}{'TRWAGMYFPDXBNJZSQVHLCKE'[number % 23]}"}


def _id_fi(rng: random.Random, born: date, _p: tuple[str, str]) -> dict[str, str]:
    serial = f"{rng.randrange(2, 900):03d}"
    check = "0123456789ABCDEFHJKLMNPRSTUVWXY"[int(_ddmmyy(born) + serial) % 31]
    return {"NIDN": f"{_ddmmyy(born)}{'-' if born.year < 2000 else 'A'}{serial}{check}"}


_NINO_LETTERS = "ABCEGHJKLMNPRSTWXYZ"
_NINO_EXCLUDED = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def _id_gb(rng: random.Random, _b: date, _p: tuple[str, str]) -> dict[str, str]:
    prefix = "ZZ"
    while prefix in _NINO_EXCLUDED:
        prefix = rng.choice(_NINO_LETTERS) + rng.choice(_NINO_LETTERS)
    return {"NIDN": f"{prefix}{_digits(rng, 6)}{rng.choice('ABCD')}", "CCPT": _digits(rng, 9)}


def _id_hr(rng: random.Random, _b: date, _p: tuple[str, str]) -> dict[str, str]:
    base = str(rng.randrange(1, 10)) + _digits(rng, 9)
    carry = 10
    for char in base:  # ISO 7064 MOD 11,10
        carry = (carry + int(char)) % 10 or 10
        carry = carry * 2 % 11
    return {"NIDN": f"{base}{(11 - carry) % 10}"}


def _id_is(rng: random.Random, born: date, _p: tuple[str, str]) -> dict[str, str]:
    while True:
        base = _ddmmyy(born) + f"{rng.randrange(20, 100):02d}"
        check = 11 - _weighted_mod11(base, (3, 2, 7, 6, 5, 4, 3, 2))
        if check != 10:
            century = "9" if born.year < 2000 else "0"
            return {"NIDN": f"{base}{check % 11}{century}"}


_CF_ODD = dict(
    zip(
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        (1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11,
         3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23),
        strict=True,
    )
)  # fmt: skip


def _plain_letters(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name.upper())
    return "".join(ch for ch in folded if "A" <= ch <= "Z")


def _cf_part(name: str, *, first: bool) -> str:
    letters = _plain_letters(name)
    consonants = [ch for ch in letters if ch not in "AEIOU"]
    vowels = [ch for ch in letters if ch in "AEIOU"]
    if first and len(consonants) >= 4:
        return consonants[0] + consonants[2] + consonants[3]
    return "".join([*consonants, *vowels, "X", "X", "X"])[:3]


def _id_it(rng: random.Random, born: date, names: tuple[str, str]) -> dict[str, str]:
    """The Italian codice fiscale, with its check letter."""
    first, surname = names
    body = (
        _cf_part(surname, first=False)
        + _cf_part(first.split()[0], first=True)
        + f"{born.year % 100:02d}{'ABCDEHLMPRST'[born.month - 1]}{born.day:02d}"
        + rng.choice(("H501", "F205", "F839", "L219", "G273"))
    )
    total = sum(
        _CF_ODD[ch] if index % 2 == 0 else int(ch) if ch.isdigit() else ord(ch) - 65
        for index, ch in enumerate(body)
    )
    return {"NIDN": body + chr(65 + total % 26)}


def _id_lv(rng: random.Random, born: date, _p: tuple[str, str]) -> dict[str, str]:
    return {"NIDN": f"{_ddmmyy(born)}{1 if born.year < 2000 else 2}{_digits(rng, 4)}"}


def _id_mt(rng: random.Random, _b: date, _p: tuple[str, str]) -> dict[str, str]:
    return {"NIDN": f"{rng.randrange(1, 999_999)}{rng.choice('MGAHLPBZ')}"}


def _id_no(rng: random.Random, born: date, _p: tuple[str, str]) -> dict[str, str]:
    low = 0 if born.year < 2000 else 500
    while True:
        base = _ddmmyy(born) + f"{rng.randrange(low, low + 500):03d}"
        first = (11 - _weighted_mod11(base, (3, 7, 6, 1, 8, 9, 4, 5, 2))) % 11
        second = (11 - _weighted_mod11(base + str(first), (5, 4, 3, 2, 7, 6, 5, 4, 3, 2))) % 11
        if first < 10 and second < 10:
            return {"NIDN": f"{base}{first}{second}"}


def _id_pl(rng: random.Random, born: date, _p: tuple[str, str]) -> dict[str, str]:
    month = born.month + (20 if born.year >= 2000 else 0)
    base = f"{born.year % 100:02d}{month:02d}{born.day:02d}{_digits(rng, 4)}"
    total = sum(int(d) * w for d, w in zip(base, (1, 3, 7, 9, 1, 3, 7, 9, 1, 3), strict=True))
    return {"NIDN": f"{base}{(10 - total % 10) % 10}"}


def _id_pt(rng: random.Random, _b: date, _p: tuple[str, str]) -> dict[str, str]:
    base = str(rng.randrange(1, 4)) + _digits(rng, 7)
    check = 11 - sum(int(d) * (9 - i) for i, d in enumerate(base)) % 11
    return {"NIDN": f"{base}{0 if check >= 10 else check}"}


def _id_ro(rng: random.Random, born: date, _p: tuple[str, str]) -> dict[str, str]:
    sex = (1 if born.year < 2000 else 5) + rng.randrange(2)
    base = f"{sex}{_yymmdd(born)}{rng.randrange(1, 47):02d}{rng.randrange(1, 1000):03d}"
    check = sum(int(d) * int(w) for d, w in zip(base, "279146358279", strict=True)) % 11
    return {"NIDN": f"{base}{1 if check == 10 else check}"}


def _id_se(rng: random.Random, born: date, _p: tuple[str, str]) -> dict[str, str]:
    base = _yymmdd(born) + _digits(rng, 3)
    return {"NIDN": f"{base}{_luhn_digit(base)}"}


def _id_si(rng: random.Random, born: date, _p: tuple[str, str]) -> dict[str, str]:
    while True:
        base = f"{born.day:02d}{born.month:02d}{born.year % 1000:03d}50{_digits(rng, 3)}"
        check = 11 - _weighted_mod11(base, (7, 6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2))
        if check < 10:
            return {"NIDN": f"{base}{check}"}
        if check == 11:
            return {"NIDN": f"{base}0"}


_IdMaker = Callable[[random.Random, date, tuple[str, str]], dict[str, str]]


def _passport(prefix: str, digits: int) -> _IdMaker:
    def make(rng: random.Random, _b: date, _p: tuple[str, str]) -> dict[str, str]:
        return {"CCPT": prefix + _digits(rng, digits)}

    return make


def _id_gr(rng: random.Random, _b: date, _p: tuple[str, str]) -> dict[str, str]:
    return {"NIDN": _digits(rng, 10)}


def _id_dk(rng: random.Random, born: date, _p: tuple[str, str]) -> dict[str, str]:
    return {"NIDN": _ddmmyy(born) + _digits(rng, 4)}


def _id_nl(rng: random.Random, _b: date, _p: tuple[str, str]) -> dict[str, str]:
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    return {"CCPT": "N" + rng.choice(letters) + rng.choice(letters) + _digits(rng, 6)}


#: Identifier makers by nationality. CONCAT-first countries (AT DE FR HU IE LU) need none.
_ID_MAKERS: Mapping[str, _IdMaker] = {
    "BE": _id_be, "BG": _id_bg, "CY": _passport("K", 8), "CZ": _id_cz, "DK": _id_dk,
    "EE": _id_ee_lt, "ES": _id_es, "FI": _id_fi, "GB": _id_gb, "GR": _id_gr, "HR": _id_hr,
    "IS": _id_is, "IT": _id_it, "LI": _passport("R", 5), "LT": _id_ee_lt, "LV": _id_lv,
    "MT": _id_mt, "NL": _id_nl, "NO": _id_no, "PL": _id_pl, "PT": _id_pt, "RO": _id_ro,
    "SE": _id_se, "SI": _id_si, "SK": _id_cz, "US": _passport("", 9), "CH": _passport("X", 7),
    "ZA": _passport("A", 8), "AE": _passport("", 9), "CN": _passport("E", 8),
    "IN": _passport("K", 7), "BR": _passport("FZ", 6),
}  # fmt: skip


def _national_ids(
    rng: random.Random, born: date, first: str, surname: str, nationalities: Sequence[str]
) -> dict[str, str]:
    """Identifiers for each nationality; RTS 22's own first nationality wins a shared key."""
    ordered = sorted(nationalities, key=lambda code: (code not in _EEA, code))
    ids: dict[str, str] = {}
    for code in ordered:
        maker = _ID_MAKERS.get(code)
        if maker is not None:
            for key, value in maker(rng, born, (first, surname)).items():
                ids.setdefault(key, value)
    return ids


# --- bank accounts -----------------------------------------------------------------------------

#: BBAN layouts: (bank code letters, digits). Countries not listed have no IBAN.
_BBAN: Mapping[str, tuple[int, int]] = {
    "AT": (0, 16), "BE": (0, 12), "BG": (4, 14), "CY": (0, 24), "CZ": (0, 20), "DE": (0, 18),
    "DK": (0, 14), "EE": (0, 16), "ES": (0, 20), "FI": (0, 14), "FR": (0, 23), "GR": (0, 23),
    "HR": (0, 17), "HU": (0, 24), "IE": (4, 14), "IS": (0, 22), "IT": (1, 22), "LI": (0, 17),
    "LT": (0, 16), "LU": (0, 16), "LV": (4, 13), "MT": (4, 23), "NL": (4, 10), "NO": (0, 11),
    "PL": (0, 24), "PT": (0, 21), "RO": (4, 16), "SE": (0, 20), "SI": (0, 15), "SK": (0, 20),
    "GB": (4, 14), "CH": (0, 17), "AE": (0, 19),
}  # fmt: skip


def _iban(rng: random.Random, country: str) -> str | None:
    layout = _BBAN.get(country)
    if layout is None:
        return None
    letters, digits = layout
    bban = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(letters))
    bban += _digits(rng, digits)
    return f"{country}{iban_check_digits(country, bban)}{bban}"


# --- the account plan --------------------------------------------------------------------------

_KycKind = Literal["verified", "pending", "expired", "lapsed"]


@dataclass(slots=True)
class _Plan:
    """What the generator decides about an account before it builds any record."""

    index: int
    account_id: str
    entity: bool
    ordinal: int  # among persons, or among entities
    category: ClientCategory
    currency: str
    kyc: _KycKind
    opened_ms: int
    deposit_cents: int  # the first deposit; margins are kept within 30% of it
    activity: int
    holder_name: str = ""
    country: str = ""
    extras: frozenset[MovementKind] = frozenset()
    structuring: bool = False
    third_party: bool = False
    bonus: bool = False
    negative_day: int | None = None

    @property
    def active(self) -> bool:
        """Whether the account trades and moves money (KYC verified, or planted expired)."""
        return self.kyc != "pending"

    @property
    def retail(self) -> bool:
        return self.category is ClientCategory.RETAIL


#: The first accounts' holder kind and category, so that small sets have every kind.
_FIRST_PROFILES: tuple[tuple[bool, ClientCategory], ...] = (
    (False, ClientCategory.RETAIL),
    (False, ClientCategory.RETAIL),
    (False, ClientCategory.PROFESSIONAL),
    (True, ClientCategory.ELIGIBLE_COUNTERPARTY),
    (False, ClientCategory.RETAIL),
    (False, ClientCategory.RETAIL),
    (True, ClientCategory.PROFESSIONAL),
    (True, ClientCategory.RETAIL),
)

_RETAIL_DEPOSITS = (250, 500, 500, 1000, 1000, 2000, 3000, 5000, 5000, 15000, 25000, 50000)
_PRO_DEPOSITS = (50_000, 100_000, 250_000, 500_000)
_ENTITY_DEPOSITS = (100_000, 250_000, 500_000, 1_000_000, 2_000_000)


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


# --- the brokerage ---------------------------------------------------------------------------


#: The firm's traders: the ids trades carry as decision makers, each a person with a passport.
_TRADERS = {
    0: ("Eleni", "Georgiou"),
    1: ("Andreas", "Christodoulou"),
    2: ("Maria", "Ioannou"),
    7: ("Nikos", "Papadopoulos"),
    12: ("Sofia", "Constantinou"),
    42: ("Petros", "Charalambous"),
    58: ("Katerina", "Demetriou"),
}


def _traders() -> dict[str, NaturalPerson]:
    """The sample firm's traders (Cypriot nationals, identified by passport: RTS 22 Annex II)."""
    return {
        f"TRD{number:03d}": NaturalPerson(
            first_name=first,
            surname=surname,
            date_of_birth=date(1975 + number % 20, 1 + number % 12, 1 + number % 28),
            nationalities=("CY",),
            national_ids={"CCPT": f"K{100000 + number:08d}"},
        )
        for number, (first, surname) in _TRADERS.items()
    }


class _Brokerage:
    """The generator: one plan, and record streams that must run in a fixed order.

    ``accounts()``, ``trades()``, ``movements()`` and ``snapshots()`` may each be consumed
    once; snapshots need the trades (open positions and margins) to have run first.
    """

    def __init__(self, config: SampleConfig) -> None:
        self.config = config
        self.calendar = _Calendar(config)
        self.firm = Firm(
            lei=_lei("529900RKSAMPLEFIRM"),
            name="Regkit Sample Markets Ltd",
            country="CY",
            competent_authority="CY",
            investment_firm=True,
            traders=_traders(),
        )
        self.instruments = [_instrument(spec, config.start) for spec in _SPECS]
        self.plans = _plan_accounts(config, self.calendar)
        self.simulation = _Simulation(self)
        self.planted_movements: list[Planted] = []
        self.planted_snapshots: list[Planted] = []

    # accounts ----------------------------------------------------------------------------

    def accounts(self) -> Iterator[Account]:
        for plan in self.plans:
            yield _account(self.config, plan)

    # trades ------------------------------------------------------------------------------

    def trades(self) -> Iterator[Trade]:
        return self.simulation.run()

    # movements ---------------------------------------------------------------------------

    def movements(self) -> Iterator[CashMovement]:
        number = 0
        for plan in self.plans:
            structuring: list[tuple[str, int]] = []
            for event in _cash_events(self.config, self.calendar, plan):
                number += 1
                movement_id = f"M{number:09d}"
                if event.planted == "structuring":
                    structuring.append((movement_id, event.cents))
                elif event.planted is not None:
                    self._plant_movement(plan, movement_id, event)
                yield _movement(movement_id, plan, event)
            if structuring:
                self._plant_structuring(plan, structuring)

    def _plant_movement(self, plan: _Plan, movement_id: str, event: _CashEvent) -> None:
        if event.planted == "third_party":
            detail = f"deposit paid by {event.payer!r}, not by the holder {plan.holder_name!r}"
            self.planted_movements.append(
                Planted("third_party_payer", "movement", (movement_id,), detail)
            )
        else:
            detail = f"bonus of {_money(event.cents)} {plan.currency} to a retail client"
            self.planted_movements.append(
                Planted("bonus_to_retail", "movement", (movement_id,), detail)
            )

    def _plant_structuring(self, plan: _Plan, deposits: Sequence[tuple[str, int]]) -> None:
        amounts = [cents for _, cents in deposits]
        detail = (
            f"{len(deposits)} deposits of {_money(min(amounts))} to {_money(max(amounts))} "
            f"{plan.currency} within 48 hours"
        )
        keys = tuple(movement_id for movement_id, _ in deposits)
        self.planted_movements.append(Planted("structuring", "movement", keys, detail))

    # snapshots ---------------------------------------------------------------------------

    def snapshots(self) -> Iterator[AccountSnapshot]:
        if not self.simulation.done:
            raise RuntimeError("snapshots need the trades to have been generated first")
        for plan in self.plans:
            yield from self._account_snapshots(plan)

    def _account_snapshots(self, plan: _Plan) -> Iterator[AccountSnapshot]:
        calendar, days = self.calendar, len(self.calendar.days)
        events = _cash_events(self.config, calendar, plan)
        rng = _stream(self.config, "pnl", plan.index)
        position = 0
        cash = realized = 0
        for day in range(days):
            at_ms = calendar.snapshot_ms(day)
            while position < len(events) and events[position].at_ms < at_ms:
                cash += events[position].signed_cents
                position += 1
            slot = plan.index * days + day
            count = self.simulation.day_open[slot]
            margin = self.simulation.day_margin[slot]
            if count:
                realized += rng.randint(-cash // 50, cash // 30)
            realized = min(max(realized, -cash // 5), cash * 2 // 5)
            balance = cash + realized
            swing = balance * 15 // 100
            equity = balance + (rng.randint(-swing, swing) if count else 0)
            if plan.negative_day == day:
                equity = -rng.randint(100, 500_000)
                self._plant_negative(plan, at_ms, equity, balance)
            yield AccountSnapshot(
                account_id=plan.account_id,
                at=_at(at_ms),
                balance=_cents(balance),
                equity=_cents(equity),
                currency=plan.currency,
                margin_required=_cents(margin),
                open_positions=count,
            )

    def _plant_negative(self, plan: _Plan, at_ms: int, equity: int, balance: int) -> None:
        detail = (
            f"retail equity {_money(equity)} {plan.currency} below zero (balance {_money(balance)})"
        )
        keys = (plan.account_id, _iso(_at(at_ms)))
        self.planted_snapshots.append(Planted("negative_equity", "snapshot", keys, detail))

    # planted -----------------------------------------------------------------------------

    def planted(self) -> list[Planted]:
        """Every planted violation, by kind in :data:`PLANTED_KINDS` order, then record order."""
        found = [
            *self.simulation.planted,
            *self.simulation.expired_kyc(),
            *self.planted_movements,
            *self.planted_snapshots,
        ]
        order = {kind: index for index, kind in enumerate(PLANTED_KINDS)}
        return sorted(found, key=lambda item: order[item.kind])


def _plan_accounts(config: SampleConfig, calendar: _Calendar) -> list[_Plan]:
    rng = _stream(config, "plan")
    plans: list[_Plan] = []
    persons = entities = 0
    for index in range(config.account_count):
        if index < len(_FIRST_PROFILES):
            entity, category = _FIRST_PROFILES[index]
        else:
            entity = rng.randrange(100) < 10
            category = _random_category(rng, entity)
        kyc: _KycKind = "pending" if index >= 10 and rng.randrange(100) < 4 else "verified"
        plan = _Plan(
            index=index,
            account_id=f"A{index + 1:06d}",
            entity=entity,
            ordinal=entities if entity else persons,
            category=category,
            currency="EUR",
            kyc=kyc,
            opened_ms=_opened_ms(rng, calendar, kyc),
            deposit_cents=_first_deposit(rng, entity, category) * 100,
            activity=rng.choice((1, 1, 1, 2, 2, 3, 5, 8, 13)),
        )
        entities, persons = entities + entity, persons + (not entity)
        holder = _holder(config, plan)
        plan.holder_name = holder.name
        plan.country = holder.country if isinstance(holder, _Entity) else holder.residence
        plan.currency = _currency(rng, plan.country)
        plans.append(plan)
    _choose_planted(config, calendar, rng, plans)
    _choose_extras(plans)
    return plans


def _random_category(rng: random.Random, entity: bool) -> ClientCategory:
    roll = rng.randrange(100)
    if entity:
        if roll < 20:
            return ClientCategory.RETAIL
        return ClientCategory.PROFESSIONAL if roll < 75 else ClientCategory.ELIGIBLE_COUNTERPARTY
    return ClientCategory.RETAIL if roll < 92 else ClientCategory.PROFESSIONAL


def _opened_ms(rng: random.Random, calendar: _Calendar, kyc: _KycKind) -> int:
    days_before = rng.randint(1, 6) if kyc == "pending" else rng.randint(8, 4 * 365)
    start = calendar.start_ms - days_before * _MS_DAY
    return start + (8 * 3600 + rng.randrange(10 * 3600)) * _MS_SECOND


def _first_deposit(rng: random.Random, entity: bool, category: ClientCategory) -> int:
    if entity:
        return rng.choice(_ENTITY_DEPOSITS)
    if category is ClientCategory.RETAIL:
        return rng.choice(_RETAIL_DEPOSITS)
    return rng.choice(_PRO_DEPOSITS)


def _currency(rng: random.Random, country: str) -> str:
    home = {"GB": "GBP", "CH": "CHF", "US": "USD"}.get(country)
    if home is not None:
        return home
    if country not in _EEA:
        return "USD"
    return "USD" if rng.randrange(100) < 10 else "EUR"


def _choose_planted(
    config: SampleConfig, calendar: _Calendar, rng: random.Random, plans: list[_Plan]
) -> None:
    trading = [p for p in plans if p.active]
    expired = rng.sample(trading, _per_mille(len(trading), config.expired_kyc_per_mille))
    for number, plan in enumerate(sorted(expired, key=lambda p: p.index)):
        plan.kyc = "expired" if number % 2 == 0 else "lapsed"
        plan.opened_ms -= rng.randint(500, 1400) * _MS_DAY
    eur = [p for p in trading if p.currency == "EUR"]
    for plan in rng.sample(eur, _per_mille(len(eur), config.structuring_per_mille)):
        plan.structuring = True
    for plan in rng.sample(trading, _per_mille(len(trading), config.third_party_payer_per_mille)):
        plan.third_party = True
    retail = [p for p in trading if p.retail]
    for plan in rng.sample(retail, _per_mille(len(retail), config.bonus_per_mille)):
        plan.bonus = True
    for plan in rng.sample(retail, _per_mille(len(retail), config.negative_equity_per_mille)):
        plan.negative_day = rng.randrange(len(calendar.days))


def _choose_extras(plans: list[_Plan]) -> None:
    """Give the first trading accounts every kind of movement, so small sets have them."""
    trading = [p for p in plans if p.active]
    if trading:
        trading[0].extras = frozenset(
            {
                MovementKind.WITHDRAWAL,
                MovementKind.FEE,
                MovementKind.TRANSFER_IN,
                MovementKind.TRANSFER_OUT,
            }
        )
    others = [p for p in trading if not p.retail]
    if others:
        others[0].extras = others[0].extras | {MovementKind.BONUS}


# --- holders and accounts ----------------------------------------------------------------------


def _holder(config: SampleConfig, plan: _Plan) -> _Person | _Entity:
    rng = _stream(config, "holder", plan.index)
    if plan.entity:
        return _entity(rng, plan.ordinal)
    return _person(rng, plan.ordinal, config.start)


def _person(rng: random.Random, ordinal: int, start: date) -> _Person:
    if ordinal < len(_SHOWCASE):
        first, surname, nationalities = _SHOWCASE[ordinal]
    else:
        country = _weighted(rng, _NATIONALITY_WEIGHTS)
        firsts, surnames = _NAMES[country]
        first, surname = rng.choice(firsts), rng.choice(surnames)
        second = _SECOND_NATIONALITY.get(country)
        nationalities = (country, second) if second and rng.randrange(100) < 8 else (country,)
    born = start - timedelta(days=rng.randint(19 * 365, 75 * 365))
    residence = nationalities[0]
    if rng.randrange(100) < 12:
        residence = rng.choice(("CY", "DE", "GB", "CH", "AE", "ES", "MT"))
    ids = _national_ids(rng, born, first, surname, nationalities)
    return _Person(first, surname, born, nationalities, ids, residence)


def _entity(rng: random.Random, ordinal: int) -> _Entity:
    country = _ENTITY_COUNTRIES[rng.randrange(len(_ENTITY_COUNTRIES))]
    prefix = _ENTITY_PREFIXES[ordinal % len(_ENTITY_PREFIXES)]
    core = _ENTITY_CORES[(ordinal // len(_ENTITY_PREFIXES)) % len(_ENTITY_CORES)]
    series = ordinal // (len(_ENTITY_PREFIXES) * len(_ENTITY_CORES))
    name = f"{prefix} {core}{f' {series + 1}' if series else ''} {_ENTITY_FORMS[country]}"
    body = "".join(rng.choice("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(12))
    return _Entity(name, _lei(f"529900{body}"), country)


def _weighted(rng: random.Random, table: Sequence[tuple[str, int]]) -> str:
    roll = rng.randrange(sum(weight for _, weight in table))
    for value, weight in table:
        if roll < weight:
            return value
        roll -= weight
    raise AssertionError("unreachable")  # pragma: no cover


def _account(config: SampleConfig, plan: _Plan) -> Account:
    holder = _holder(config, plan)
    holder_record: NaturalPerson | LegalEntity
    if isinstance(holder, _Entity):
        holder_record = LegalEntity(name=holder.name, lei=holder.lei, country=holder.country)
    else:
        holder_record = NaturalPerson(
            first_name=holder.first,
            surname=holder.surname,
            date_of_birth=holder.born,
            nationalities=holder.nationalities,
            national_ids=holder.national_ids,
            residence_country=holder.residence,
        )
    return Account(
        account_id=plan.account_id,
        holder=holder_record,
        category=plan.category,
        branch_country="CY",
        base_currency=plan.currency,
        opened_at=_at(plan.opened_ms),
        kyc=_kyc(config, plan),
    )


def _kyc(config: SampleConfig, plan: _Plan) -> Kyc:
    rng = _stream(config, "kyc", plan.index)
    pep = rng.randrange(100) < 2
    risk = RiskRating.HIGH if pep or rng.randrange(100) < 5 else _weighted_risk(rng)
    careful = risk is RiskRating.HIGH
    if plan.kyc == "pending":
        return Kyc(status=KycStatus.PENDING, risk_rating=RiskRating.MEDIUM, pep=pep)
    verified_ms = plan.opened_ms + rng.randint(1, 72) * _MS_HOUR
    years = 1 if plan.kyc in ("expired", "lapsed") else 5
    return Kyc(
        status=KycStatus.EXPIRED if plan.kyc == "expired" else KycStatus.VERIFIED,
        verified_at=_at(verified_ms),
        expires_at=_at(verified_ms + years * 365 * _MS_DAY),
        risk_rating=risk,
        pep=pep,
        source_of_funds_verified=careful or rng.randrange(100) < 90,
        enhanced_due_diligence=careful,
    )


def _weighted_risk(rng: random.Random) -> RiskRating:
    return RiskRating.LOW if rng.randrange(100) < 74 else RiskRating.MEDIUM


# --- cash movements ----------------------------------------------------------------------------


class _CashEvent(NamedTuple):
    at_ms: int
    kind: MovementKind
    cents: int
    method: PaymentMethod
    payer: str | None
    country: str | None
    iban: str | None
    planted: str | None = None

    @property
    def signed_cents(self) -> int:
        return self.cents if self.kind in _CREDITS else -self.cents


_CREDITS = frozenset({MovementKind.DEPOSIT, MovementKind.TRANSFER_IN, MovementKind.BONUS})


class _Draft(NamedTuple):
    """A movement before its amount is known (withdrawals depend on the cash at the time)."""

    at_ms: int
    kind: MovementKind
    amount: int  # cents, or a percentage of the cash for withdrawals and transfers out
    planted: str | None = None
    third_party: tuple[str, str] | None = None


def _cash_events(config: SampleConfig, calendar: _Calendar, plan: _Plan) -> list[_CashEvent]:
    """The account's movements in time order, the same on every call."""
    if not plan.active:
        return []
    rng = _stream(config, "cash", plan.index)
    iban = _iban(rng, plan.country)
    method = _funding_method(rng, plan, iban)
    drafts = _drafts(rng, calendar, plan)
    events: list[_CashEvent] = []
    cash = 0
    for draft in sorted(drafts, key=lambda d: d.at_ms):
        event = _event(rng, plan, draft, cash, method, iban)
        cash += event.signed_cents
        events.append(event)
    return events


def _funding_method(rng: random.Random, plan: _Plan, iban: str | None) -> PaymentMethod:
    if plan.entity and iban is not None:
        return PaymentMethod.BANK_TRANSFER
    roll = rng.randrange(100)
    if roll < 40 and iban is not None:
        return PaymentMethod.BANK_TRANSFER
    if roll < 80:
        return PaymentMethod.CARD
    return PaymentMethod.E_WALLET if roll < 95 else PaymentMethod.CRYPTO


def _drafts(rng: random.Random, calendar: _Calendar, plan: _Plan) -> list[_Draft]:
    first_ms = plan.opened_ms + rng.randint(1, 48) * _MS_HOUR
    drafts = [_Draft(first_ms, MovementKind.DEPOSIT, plan.deposit_cents)]
    for _ in range(rng.randint(0, 1 + len(calendar.days) // 5)):
        amount = _normal_amount(plan.deposit_cents * rng.randint(10, 100) // 100)
        drafts.append(_Draft(calendar.random_instant(rng), MovementKind.DEPOSIT, amount))
    wanted = set(plan.extras)
    for kind, chance in _OCCASIONAL:
        if rng.randrange(100) < chance:
            wanted.add(kind)
    if plan.retail:
        wanted.discard(MovementKind.BONUS)  # a retail bonus is only ever planted
    for kind in sorted(wanted):
        drafts.append(_Draft(calendar.random_instant(rng), kind, _extra_amount(rng, plan, kind)))
    drafts.extend(_planted_drafts(rng, calendar, plan))
    return drafts


#: Occasional movements and their chance in 100 per account.
_OCCASIONAL = (
    (MovementKind.WITHDRAWAL, 30),
    (MovementKind.FEE, 40),
    (MovementKind.TRANSFER_IN, 3),
    (MovementKind.TRANSFER_OUT, 3),
    (MovementKind.BONUS, 10),
)


def _normal_amount(cents: int) -> int:
    """Round to ten and keep out of 9,000-9,999.99, where deposits look like structuring."""
    cents = max(5_000, cents - cents % 1_000)
    if _STRUCTURING_LOW_CENTS <= cents < _THRESHOLD_CENTS:
        cents -= 100_000
    return cents


def _extra_amount(rng: random.Random, plan: _Plan, kind: MovementKind) -> int:
    if kind is MovementKind.WITHDRAWAL:
        return rng.randint(10, 30)  # per cent of the cash at the time
    if kind is MovementKind.TRANSFER_OUT:
        return rng.randint(5, 20)
    if kind is MovementKind.FEE:
        return min(rng.randint(100, 2_500), plan.deposit_cents // 100)
    if kind is MovementKind.BONUS:
        return rng.choice((5_000, 10_000, 25_000, 50_000))
    return _normal_amount(plan.deposit_cents * rng.randint(5, 30) // 100)  # transfer in


def _planted_drafts(rng: random.Random, calendar: _Calendar, plan: _Plan) -> list[_Draft]:
    drafts: list[_Draft] = []
    if plan.structuring:
        at_ms = calendar.random_instant(rng)
        for _ in range(rng.randint(3, 5)):
            cents = rng.randint(_STRUCTURING_LOW_CENTS // 100, _STRUCTURING_HIGH_CENTS // 100)
            drafts.append(_Draft(at_ms, MovementKind.DEPOSIT, cents * 100, "structuring"))
            at_ms += rng.randint(1, 11) * _MS_HOUR + rng.randrange(3600) * _MS_SECOND
    if plan.third_party:
        payer = next(p for p in _rotate(_THIRD_PARTIES, rng) if p[0] != plan.holder_name)
        cents = _normal_amount(plan.deposit_cents * rng.randint(20, 80) // 100)
        at_ms = calendar.random_instant(rng)
        drafts.append(_Draft(at_ms, MovementKind.DEPOSIT, cents, "third_party", payer))
    if plan.bonus:
        cents = rng.choice((5_000, 10_000, 20_000))
        drafts.append(_Draft(calendar.random_instant(rng), MovementKind.BONUS, cents, "bonus"))
    return drafts


def _rotate(items: Sequence[tuple[str, str]], rng: random.Random) -> list[tuple[str, str]]:
    shift = rng.randrange(len(items))
    return [*items[shift:], *items[:shift]]


def _event(
    rng: random.Random,
    plan: _Plan,
    draft: _Draft,
    cash: int,
    method: PaymentMethod,
    iban: str | None,
) -> _CashEvent:
    kind, cents = draft.kind, draft.amount
    if kind in (MovementKind.WITHDRAWAL, MovementKind.TRANSFER_OUT):
        cents = max(100, cash * draft.amount // 100)
    if draft.third_party is not None:
        payer, country = draft.third_party
        return _CashEvent(
            draft.at_ms, kind, cents, PaymentMethod.BANK_TRANSFER, payer, country,
            _iban(rng, country), draft.planted,
        )  # fmt: skip
    if kind in (MovementKind.FEE, MovementKind.BONUS):
        return _CashEvent(
            draft.at_ms, kind, cents, PaymentMethod.INTERNAL, None, None, None, draft.planted
        )
    if kind in (MovementKind.TRANSFER_IN, MovementKind.TRANSFER_OUT):
        return _CashEvent(
            draft.at_ms, kind, cents, PaymentMethod.INTERNAL, plan.holder_name, None, None
        )
    account = iban if method is PaymentMethod.BANK_TRANSFER else None
    return _CashEvent(
        draft.at_ms, kind, cents, method, plan.holder_name, plan.country, account, draft.planted
    )


def _movement(movement_id: str, plan: _Plan, event: _CashEvent) -> CashMovement:
    return CashMovement(
        movement_id=movement_id,
        account_id=plan.account_id,
        kind=event.kind,
        amount=_cents(event.cents),
        currency=plan.currency,
        at=_at(event.at_ms),
        method=event.method,
        payer_name=event.payer,
        payer_country=event.country,
        payer_iban=event.iban,
    )


def _scaled(number: int, exponent: int) -> Decimal:
    """``number × 10**exponent``, exactly: ``_scaled(108500, -5)`` is ``Decimal("1.08500")``."""
    return Decimal(number).scaleb(exponent, _DECIMAL)


def _cents(cents: int) -> Decimal:
    return _scaled(cents, -2)


def _money(cents: int) -> str:
    return f"{_cents(cents):,.2f}"


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# --- trades ------------------------------------------------------------------------------------


class _Position(NamedTuple):
    spec: int
    buy: bool
    quantity: Decimal
    leverage: Decimal | None
    margin_cents: int
    uti: str | None  # the opening's: its close carries it, as EMIR's TERM needs


_EXECUTORS = (
    *(["ALGO:ROUTER1"] * 7),
    "ALGO:HEDGER2",
    *(f"TRD{n:03d}" for n in (7, 12, 42, 58)),
)
_LIQUIDITY_PROVIDERS = ("LPA", "LPB", "LPC")
_MAX_POSITIONS = 6
_MARGIN_SHARE = 30  # per cent of the first deposit an account may put up as margin


class _Simulation:
    """The trade stream: an order book per account, walking prices, planted breaches."""

    def __init__(self, book: _Brokerage) -> None:
        config = book.config
        self.book = book
        self.rng = _stream(config, "trades")
        self.days = len(book.calendar.days)
        count = len(book.plans)
        self.day_open = array("i", bytes(4 * count * self.days))
        self.day_margin = array("q", bytes(8 * count * self.days))
        self.positions: dict[int, list[_Position]] = {}
        self.margin_used: dict[int, int] = {}
        self.first_trade: dict[int, tuple[str, int]] = {}
        self.planted: list[Planted] = []
        self.done = False
        self.mids = [spec.mid for spec in _SPECS]
        self.steps = [Decimal(spec.step) for spec in _SPECS]
        self.multipliers = [Decimal(spec.multiplier) for spec in _SPECS]
        self.breach_credit = 500  # per mille; a breach is planted each time it reaches 1000
        trading = [p for p in book.plans if p.active]
        # Planted expired-KYC accounts and the first accounts trade first, so they trade.
        first = [p.index for p in trading if p.kyc in ("expired", "lapsed")]
        first += [p.index for p in trading[:10] if p.index not in first]
        self.cover = first
        self.activity = array("i", (p.index for p in trading for _ in range(p.activity)))
        self.instrument_table = array(
            "i", (i for i, spec in enumerate(_SPECS) for _ in range(spec.weight))
        )

    def run(self) -> Iterator[Trade]:
        config, calendar = self.book.config, self.book.calendar
        per_day, extra = divmod(config.trades, self.days)
        number = 0
        for day in range(self.days):
            count = per_day + (1 if day < extra else 0)
            span = _TRADING_CLOSES_MS - _TRADING_OPENS_MS
            offsets = sorted(self.rng.randrange(span) for _ in range(count))
            opens = calendar.midnights[day] + _TRADING_OPENS_MS
            for offset in offsets:
                number += 1
                yield self._trade(number, opens + offset)
            self._close_day(day)
        self.done = True

    def _close_day(self, day: int) -> None:
        for index, positions in self.positions.items():
            slot = index * self.days + day
            self.day_open[slot] = len(positions)
            self.day_margin[slot] = self.margin_used[index]

    def _trade(self, number: int, at_ms: int) -> Trade:
        rng = self.rng
        k = number - 1
        if k < len(self.cover):
            index = self.cover[k]
        else:
            index = self.activity[rng.randrange(len(self.activity))]
        plan = self.book.plans[index]
        positions = self.positions.setdefault(index, [])
        self.margin_used.setdefault(index, 0)
        self.first_trade.setdefault(index, (f"T{number:09d}", at_ms))
        forced = k < len(_SPECS)
        closing = len(positions) >= _MAX_POSITIONS or rng.randrange(100) < 45
        if positions and not forced and closing:
            return self._close(number, at_ms, plan, positions)
        spec = k if forced else self.instrument_table[rng.randrange(len(self.instrument_table))]
        return self._open(number, at_ms, plan, positions, spec, forced)

    def _walk(self, spec: int) -> int:
        base = _SPECS[spec].mid
        mid = self.mids[spec] + self.rng.randint(-15, 15)
        low, high = base * 95 // 100, base * 105 // 100
        mid = min(max(mid, low), high)
        self.mids[spec] = mid
        return mid

    def _open(
        self,
        number: int,
        at_ms: int,
        plan: _Plan,
        positions: list[_Position],
        spec: int,
        forced: bool,
    ) -> Trade:
        info = _SPECS[spec]
        buy = self.rng.randrange(2) == 0
        price_ticks = self._walk(spec) + (4 if buy else -4)  # half the spread
        price = _scaled(price_ticks, -info.decimals)
        unit = _DECIMAL.multiply(
            _DECIMAL.multiply(price, self.multipliers[spec]),
            _conversion(info.quote, plan.currency),
        )
        free = plan.deposit_cents * _MARGIN_SHARE // 100 - self.margin_used[plan.index]
        leverage, breach = self._leverage(plan, info)
        quantity, margin = self._size(spec, unit, leverage, free)
        if leverage is not None and not breach and _in_cents(margin) > free:
            # The smallest lot does not fit: the client takes the most leverage allowed,
            # and closes a position instead if even that does not fit.
            leverage = Decimal(max(_leverage_choices(plan, info)))
            quantity, margin = self._size(spec, unit, leverage, free)
            if _in_cents(margin) > free and positions and not forced:
                return self._close(number, at_ms, plan, positions)
        if breach:
            self._plant_breach(number, plan, info, leverage)
        opened = self._record(
            number, at_ms, plan, spec, buy, quantity, price_ticks, leverage, margin, None
        )
        positions.append(_Position(spec, buy, quantity, leverage, _in_cents(margin), opened.uti))
        self.margin_used[plan.index] += _in_cents(margin)
        return opened

    def _size(
        self, spec: int, unit: Decimal, leverage: Decimal | None, free: int
    ) -> tuple[Decimal, Decimal | None]:
        """A quantity that puts 10-60% of the free margin to use, and its margin."""
        info = _SPECS[spec]
        if leverage is None:
            return _DECIMAL.multiply(Decimal(self.rng.randint(1, 50)), self.steps[spec]), None
        target = _cents(max(free, 0) * self.rng.randint(10, 60) // 100)
        lot = _DECIMAL.multiply(unit, self.steps[spec])
        steps = int(_DECIMAL.divide(_DECIMAL.multiply(target, leverage), lot))
        steps = min(max(steps, 1), info.max_steps)
        quantity = _DECIMAL.multiply(Decimal(steps), self.steps[spec])
        return quantity, _margin(_DECIMAL.multiply(quantity, unit), leverage)

    def _leverage(self, plan: _Plan, info: _Spec) -> tuple[Decimal | None, bool]:
        """The trade's leverage, and whether it is a planted breach of the retail cap."""
        if info.product is not Product.CFD:
            return None, False
        if plan.retail:
            self.breach_credit += self.book.config.leverage_breach_per_mille
            if self.breach_credit >= 1000:
                self.breach_credit -= 1000
                return Decimal(self.rng.choice(_BREACH_LEVERAGE[info.klass])), True
        return Decimal(self.rng.choice(_leverage_choices(plan, info))), False

    def _plant_breach(
        self, number: int, plan: _Plan, info: _Spec, leverage: Decimal | None
    ) -> None:
        cap = ESMA_RETAIL_LEVERAGE_CAPS[info.klass]
        detail = (
            f"retail {info.klass.value} CFD {info.symbol} opened at {leverage}:1, "
            f"above the {cap}:1 cap ({plan.account_id})"
        )
        keys = (f"T{number:09d}",)
        self.planted.append(Planted("leverage_above_cap", "trade", keys, detail))

    def _close(self, number: int, at_ms: int, plan: _Plan, positions: list[_Position]) -> Trade:
        position = positions.pop(self.rng.randrange(len(positions)))
        self.margin_used[plan.index] -= position.margin_cents
        buy = not position.buy
        price_ticks = self._walk(position.spec) + (4 if buy else -4)
        return self._record(
            number, at_ms, plan, position.spec, buy, position.quantity, price_ticks,
            position.leverage, None, position,
        )  # fmt: skip

    def _record(
        self,
        number: int,
        at_ms: int,
        plan: _Plan,
        spec: int,
        buy: bool,
        quantity: Decimal,
        price_ticks: int,
        leverage: Decimal | None,
        margin: Decimal | None,
        closes: _Position | None,
    ) -> Trade:
        """A trade opening a position, or closing ``closes`` (under the opening's UTI)."""
        rng = self.rng
        info = _SPECS[spec]
        slip = rng.choice((-2, -1, 0, 0, 0, 0, 1, 2))
        requested_ticks = max(1, price_ticks - slip if buy else price_ticks + slip)
        trade_id = f"T{number:09d}"
        lp = rng.randrange(5)
        deciders = rng.randrange(100)
        return Trade(
            trade_id=trade_id,
            account_id=plan.account_id,
            instrument=self.book.instruments[spec],
            side=Side.BUY if buy else Side.SELL,
            quantity=quantity,
            price=_scaled(price_ticks, -info.decimals),
            price_currency=info.quote,
            executed_at=_at(at_ms),
            venue="XOFF",
            capacity=Capacity.DEAL,
            leverage=leverage,
            margin=margin,
            position_effect=PositionEffect.OPEN if closes is None else PositionEffect.CLOSE,
            uti=(
                closes.uti
                if closes is not None
                else None
                if info.product is Product.SPOT
                else f"{self.book.firm.lei}{trade_id}"
            ),
            lp_reference=(
                f"{_LIQUIDITY_PROVIDERS[lp]}-{number * 2654435761 % 10**10:010d}"
                if lp < len(_LIQUIDITY_PROVIDERS)
                else None
            ),
            execution_decision=_EXECUTORS[rng.randrange(len(_EXECUTORS))],
            investment_decision=f"TRD{deciders:03d}" if deciders < 3 else None,
            requested_price=_scaled(requested_ticks, -info.decimals),
        )

    def expired_kyc(self) -> list[Planted]:
        """The planted expired-KYC accounts that did trade (all of them, unless tiny)."""
        found: list[Planted] = []
        for plan in self.book.plans:
            if plan.kyc not in ("expired", "lapsed") or plan.index not in self.first_trade:
                continue
            trade_id, at_ms = self.first_trade[plan.index]
            state = "expired" if plan.kyc == "expired" else "verified but lapsed"
            detail = (
                f"KYC {state} before the period; the account trades from "
                f"{_iso(_at(at_ms))} ({trade_id})"
            )
            found.append(Planted("expired_kyc", "account", (plan.account_id,), detail))
        return found


_CONVERSIONS: dict[tuple[str, str], Decimal] = {}


def _conversion(quote: str, currency: str) -> Decimal:
    """Account-currency value of one unit of ``quote``."""
    key = (quote, currency)
    rate = _CONVERSIONS.get(key)
    if rate is None:
        rate = _CONVERSIONS[key] = _DECIMAL.divide(_EUR_VALUE[quote], _EUR_VALUE[currency])
    return rate


def _leverage_choices(plan: _Plan, info: _Spec) -> tuple[int, ...]:
    """Leverage a client may pick: retail within the cap, others above it as well."""
    if plan.retail:
        return _RETAIL_LEVERAGE[info.klass]
    return _RETAIL_LEVERAGE[info.klass] + _BREACH_LEVERAGE[info.klass]


def _in_cents(amount: Decimal | None) -> int:
    return 0 if amount is None else int(amount.scaleb(2, _DECIMAL))


def _margin(notional: Decimal, leverage: Decimal) -> Decimal:
    return _DECIMAL.divide(notional, leverage).quantize(_CENT, ROUND_HALF_UP, _DECIMAL)


# --- public API --------------------------------------------------------------------------------


def generate(config: SampleConfig) -> SampleSet:
    """Generate a whole brokerage in memory (use :func:`write_samples` for large sets).

    Args:
        config: what to generate.

    Returns:
        The records and the planted violations.

    Examples:
        >>> sample = generate(SampleConfig(trades=100, seed=7))
        >>> len(sample.accounts), {t.instrument.product.value for t in sample.trades} >= {"cfd"}
        (5, True)
    """
    book = _Brokerage(config)
    accounts = list(book.accounts())
    trades = list(book.trades())
    movements = list(book.movements())
    snapshots = list(book.snapshots())
    return SampleSet(
        config=config,
        firm=book.firm,
        instruments=list(book.instruments),
        accounts=accounts,
        trades=trades,
        movements=movements,
        snapshots=snapshots,
        planted=book.planted(),
    )


_SUFFIX: Mapping[str, str] = {"parquet": "parquet", "csv": "csv", "jsonl": "jsonl"}


def write_samples(
    out_dir: str | os.PathLike[str],
    config: SampleConfig,
    format: FileFormat = "parquet",
    *,
    progress: Callable[[str, int], None] | None = None,
) -> SampleManifest:
    """Generate a brokerage and write it to files, streaming, in constant memory per record.

    Writes ``firm.json``, ``accounts.<ext>``, ``trades.<ext>``, ``movements.<ext>``,
    ``snapshots.<ext>``, ``planted.jsonl`` and ``manifest.json`` (counts, seed, format and
    every other file's SHA-256). The same config and format give the same bytes.

    Args:
        out_dir: the directory to write to (created if missing).
        config: what to generate.
        format: ``"parquet"``, ``"csv"`` or ``"jsonl"`` for the record files.
        progress: called with each file name and its record count once it is written.

    Returns:
        The manifest of what was written.

    Raises:
        ValueError: an unknown format.
        OSError: the directory or a file cannot be written.
    """
    if format not in _SUFFIX:
        raise ValueError(f"format must be one of parquet, csv, jsonl; got {format!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    book = _Brokerage(config)
    ext = _SUFFIX[format]
    written: list[SampleFile] = []

    def done(name: str, records: int) -> None:
        written.append(_describe_file(out / name, records))
        if progress is not None:
            progress(name, records)

    _write_json(out / "firm.json", book.firm.model_dump(mode="json", exclude_none=True))
    done("firm.json", 1)
    streams: tuple[tuple[str, Iterable[Any], Sequence[str]], ...] = (
        ("accounts", book.accounts(), ACCOUNT_COLUMNS),
        ("trades", book.trades(), layout_of(Trade).columns),
        ("movements", book.movements(), layout_of(CashMovement).columns),
        ("snapshots", book.snapshots(), layout_of(AccountSnapshot).columns),
    )
    for stem, records, columns in streams:
        # Each stream is generated lazily, so trades run before snapshots ask for them.
        name = f"{stem}.{ext}"
        done(name, write_records(records, out / name, format=format, columns=columns))
    planted = book.planted()
    _write_jsonl(out / "planted.jsonl", (item.to_dict() for item in planted))
    done("planted.jsonl", len(planted))
    counts = {item.name.split(".")[0]: item.records for item in written}
    manifest = SampleManifest(
        out_dir=out,
        config=config,
        format=format,
        files=tuple(written),
        counts=counts,
        planted={kind: sum(1 for p in planted if p.kind == kind) for kind in PLANTED_KINDS},
    )
    _write_json(out / "manifest.json", manifest.to_dict())
    return manifest


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text(
            json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )


def _write_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> None:
    with atomic_path(path) as temporary, open(temporary, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def _describe_file(path: Path, records: int) -> SampleFile:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return SampleFile(path.name, records, path.stat().st_size, digest.hexdigest())
