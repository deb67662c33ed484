"""The trade stream: when and who (a skeleton per range of trades), and what each account
trades (a simulation per block of accounts), in integers, made text by polars.

The sample is built to be generated in parallel, with the same bytes whatever the number of
worker processes. Every random stream belongs to a fixed unit of the work, seeded from the
seed and the unit's number:

* a *range* of :data:`RANGE_TRADES` trades (by trade number) has the skeleton stream: the
  time of each trade (stratified over its trading day, so numbers are in time order) and
  the account that trades it;
* a *block* of :data:`BLOCK_ACCOUNTS` accounts has the trades stream: what its accounts
  open and close, at which price, size and leverage, in trade number order;
* each instrument has a price stream: its mid, minute by minute over the period.

A worker owns whole blocks, runs every range's skeleton and simulates the trades of its
blocks' accounts, so per-account histories (positions, margin) stay in one process. What it
gives is a flat array of integers per range (:data:`PIECE_COLUMNS` per trade);
:func:`trade_frame` makes the ranges' pieces the trades' text columns (:class:`TradeRow`),
and :func:`trade_record` a row's :class:`~regkit.schemas.trade.Trade`.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

import polars as pl

from regkit.samples._accounts import AccountPlan
from regkit.samples._common import (
    TRADING_CLOSES_MS,
    TRADING_OPENS_MS,
    Calendar,
    stream,
    to_datetime,
    to_iso_ms,
)
from regkit.samples._config import SampleConfig
from regkit.samples._instruments import (
    BREACH_LEVERAGE,
    ESMA_RETAIL_LEVERAGE_CAPS,
    EUR_VALUE,
    RETAIL_LEVERAGE,
    SPECS,
)
from regkit.samples._results import Planted
from regkit.schemas.enums import Capacity, PositionEffect, Product, Side
from regkit.schemas.instrument import Instrument
from regkit.schemas.trade import Trade

__all__ = [
    "BLOCK_ACCOUNTS",
    "PIECE_COLUMNS",
    "RANGE_TRADES",
    "Simulation",
    "Skeleton",
    "TradeRow",
    "block_count",
    "range_count",
    "trade_frame",
    "trade_record",
]

#: Accounts per block: a block's trades come from one random stream, in one process.
BLOCK_ACCOUNTS = 2_000
#: Trades per range: a range's times and accounts come from one random stream.
RANGE_TRADES = 100_000

#: The integers a simulated trade is, in order (``-1`` or ``0`` where a value is none).
PIECE_COLUMNS = (
    "number",  # the trade number, from 1: the id is T and 9 digits
    "account",  # the account's index
    "at_ms",
    "spec",  # the instrument's index in SPECS
    "buy",  # 1 buy, 0 sell
    "quantity",  # the quantity in units of the instrument's quantity decimals
    "price",  # ticks
    "leverage",  # N for N:1, 0: none
    "margin",  # cents of the account's currency, -1: none
    "closes",  # the number of the trade this one closes, 0: an opening
    "stake",  # 1: a spread bet staked in the market's currency
    "requested",  # ticks
    "lp",  # the liquidity provider (0-2), 3 or 4: none
    "decider",  # 0-2: a trader, else the pricing algorithm
    "executor",  # index in _EXECUTORS
    "premium",  # an option's premium in cents of the price currency, -1: none
)
_WIDTH = len(PIECE_COLUMNS)


def block_count(config: SampleConfig) -> int:
    """How many blocks of accounts ``config`` has."""
    return -(-config.account_count // BLOCK_ACCOUNTS)


def range_count(config: SampleConfig) -> int:
    """How many ranges of trades ``config`` has."""
    return -(-config.trades // RANGE_TRADES)


class TradeRow(NamedTuple):
    """A trade as plain values, before any model: what the files are written from.

    Decimals are their text (``str`` of the Decimal the record holds), the time is in ms
    since 1970, the instrument is its index in ``SPECS``; :func:`trade_record` makes the
    :class:`~regkit.schemas.trade.Trade`.
    """

    trade_id: str
    account_id: str
    spec: int
    side: str
    quantity: str
    price: str
    at_ms: int
    price_currency: str
    leverage: str | None
    margin: str | None
    position_effect: str
    uti: str | None
    lp_reference: str | None
    execution_decision: str
    investment_decision: str
    requested_price: str
    option_premium: str | None
    closes: str | None
    quantity_currency: str | None


def trade_record(row: TradeRow, instruments: Sequence[Instrument]) -> Trade:
    """The :class:`~regkit.schemas.trade.Trade` of ``row``."""
    return Trade(
        trade_id=row.trade_id,
        account_id=row.account_id,
        instrument=instruments[row.spec],
        side=Side(row.side),
        quantity=Decimal(row.quantity),
        price=Decimal(row.price),
        price_currency=row.price_currency,
        executed_at=to_datetime(row.at_ms),
        venue="XOFF",
        capacity=Capacity.DEAL,
        leverage=None if row.leverage is None else Decimal(row.leverage),
        margin=None if row.margin is None else Decimal(row.margin),
        position_effect=PositionEffect(row.position_effect),
        uti=row.uti,
        lp_reference=row.lp_reference,
        execution_decision=row.execution_decision,
        investment_decision=row.investment_decision,
        requested_price=Decimal(row.requested_price),
        closes=row.closes,
        option_premium=None if row.option_premium is None else Decimal(row.option_premium),
        quantity_currency=row.quantity_currency,
    )


# Who executes (RTS 22 Annex I fields 59-60) and who decides (57-58) within the firm: ids of
# the firm's traders, or algorithms. Dealing on own account (DEAL), the firm decides, so
# field 57 is never left empty (ESMA's MiFIR validation rules require it with DEAL), and
# no execution is NORE (field 59's code for a client's own decision, not used with DEAL).
_EXECUTORS = (
    *(["ALGO:ROUTER1"] * 7),
    "ALGO:HEDGER2",
    *(f"TRD{n:03d}" for n in (7, 12, 42, 58)),
)
_INVESTMENT_ALGORITHM = "ALGO:PRICER1"  # the dealing desk's pricing engine takes the other side
_LIQUIDITY_PROVIDERS = ("LPA", "LPB", "LPC")
_SLIPS = (-2, -1, 0, 0, 0, 0, 1, 2)  # requested price - price, in ticks, for a buy
_MAX_POSITIONS = 6
_MARGIN_SHARE = 30  # per cent of the first deposit an account may put up as margin
_SPAN = TRADING_CLOSES_MS - TRADING_OPENS_MS  # ms of a trading session
_SESSION_MINUTES = _SPAN // 60_000
_SPREAD = 4  # half the spread, in ticks


def _decimals(text: str) -> tuple[int, int]:
    """A quantity step as an integer and its decimals: ``"0.01"`` is ``(1, 2)``."""
    step = Decimal(text)
    exponent = step.as_tuple().exponent
    assert isinstance(exponent, int)
    places = max(0, -exponent)
    return int(step.scaleb(places)), places


@dataclass(frozen=True)
class _Instrument:
    """What the simulation needs of a spec, as integers."""

    step: int  # the quantity step in units of 10 ** -places
    places: int  # the quantity's decimals
    lot: int  # step × multiplier: a step's value per tick, in 10 ** -(places + decimals)
    scale: int  # 10 ** (places + decimals)
    decimals: int
    max_steps: int
    margined: bool  # CFDs and spread bets (Decision 2018/796)
    cfd: bool
    spread_bet: bool
    option: bool
    quote: str
    units: int  # the euro value of a unit of the quote currency, in 10 ** -4
    retail: tuple[int, ...]  # leverage a retail client may pick
    others: tuple[int, ...]  # leverage others may pick (above the retail cap as well)
    breach: tuple[int, ...]
    noise: int  # the price's spread around the minute's mid, in ticks


#: Euro value of a unit of each currency, in 10 ** -4 (every value has at most 4 decimals).
_EUR_UNITS = {code: int(value.scaleb(4)) for code, value in EUR_VALUE.items()}


def _instrument(index: int) -> _Instrument:
    spec = SPECS[index]
    step, places = _decimals(spec.step)
    return _Instrument(
        step=step,
        places=places,
        lot=step * int(spec.multiplier),
        scale=10 ** (places + spec.decimals),
        decimals=spec.decimals,
        max_steps=spec.max_steps,
        margined=spec.product in (Product.CFD, Product.SPREAD_BET),
        cfd=spec.product is Product.CFD,
        spread_bet=spec.product is Product.SPREAD_BET,
        option=spec.product is Product.OPTION,
        quote=spec.quote,
        units=_EUR_UNITS[spec.quote],
        retail=RETAIL_LEVERAGE[spec.klass],
        others=RETAIL_LEVERAGE[spec.klass] + BREACH_LEVERAGE[spec.klass],
        breach=BREACH_LEVERAGE[spec.klass],
        noise=max(1, spec.mid // 20_000),
    )


_INSTRUMENTS = tuple(_instrument(index) for index in range(len(SPECS)))


def price_paths(config: SampleConfig, days: int) -> list[array[int]]:
    """Each instrument's mid, in ticks, for each minute of the trading sessions: a walk of
    its own stream within 5% of the typical price."""
    paths: list[array[int]] = []
    for index, spec in enumerate(SPECS):
        rng = stream(config, "prices", index)
        rand = rng.random
        step = max(1, spec.mid // 4_000)
        width = 2 * step + 1
        low, high = spec.mid * 95 // 100, spec.mid * 105 // 100
        mid = spec.mid
        path = array("i")
        for _ in range(days * _SESSION_MINUTES):
            mid = min(max(mid + int(rand() * width) - step, low), high)
            path.append(mid)
        paths.append(path)
    return paths


class Skeleton:
    """When each trade is and which account trades it, range by range.

    Trade ``k`` (from 0) of a trading day of ``n`` trades falls in the ``k``-th of ``n``
    equal slots of the session, at a random instant of it: times rise with trade numbers.
    A range draws every trade's place in its slot at once; a worker makes times only of
    the trades of its own blocks.
    The first trades go to the planted expired-KYC accounts and the first accounts, so they
    trade; the others to accounts drawn by their activity.
    """

    def __init__(self, config: SampleConfig, calendar: Calendar, plans: list[AccountPlan]):
        self.config = config
        self.calendar = calendar
        trading = [p for p in plans if p.active]
        cover = [p.index for p in trading if p.kyc in ("expired", "lapsed")]
        cover += [p.index for p in trading[:10] if p.index not in cover]
        self.cover = cover
        self.activity = [p.index for p in trading for _ in range(p.activity)]
        days = len(calendar.days)
        per_day, extra = divmod(config.trades, days)
        self.day_first = [0]
        for day in range(days):
            self.day_first.append(self.day_first[-1] + per_day + (1 if day < extra else 0))

    def range(self, number: int) -> tuple[list[int], array[int]]:
        """Range ``number``'s accounts, and each trade's place in its slot (32 random bits:
        :meth:`instant` makes it a time)."""
        first = number * RANGE_TRADES
        count = min(first + RANGE_TRADES, self.config.trades) - first
        rng = stream(self.config, "skeleton", number)
        places = array("I", rng.getrandbits(32 * count).to_bytes(4 * count, "little"))
        if places.itemsize != 4:  # pragma: no cover - "I" is 4 bytes on every usual platform
            raise RuntimeError("array('I') is not 32 bits here")
        covered = max(0, min(first + count, len(self.cover)) - first)
        accounts = self.cover[first : first + covered]
        accounts += rng.choices(self.activity, k=count - covered)
        return accounts, places

    def instant(self, k: int, place: int) -> tuple[int, int, int]:
        """Trade ``k``'s time (ms), trading day and minute (of the whole period's
        sessions), its place in its slot given."""
        day = bisect_right(self.day_first, k) - 1
        start = self.day_first[day]
        count = self.day_first[day + 1] - start
        offset = (_SPAN * (k - start) + (_SPAN * place >> 32)) // count
        at_ms = self.calendar.midnights[day] + TRADING_OPENS_MS + offset
        return at_ms, day, day * _SESSION_MINUTES + offset // 60_000


Rand = Callable[[], float]
"""A stream's ``random``: ``int(rand() * n)`` draws below ``n``."""

_TABLE = tuple(index for index, spec in enumerate(SPECS) for _ in range(spec.weight))


class _Position(NamedTuple):
    spec: int
    buy: bool
    quantity: int
    leverage: int
    margin_cents: int
    number: int  # the opening's: its close names it (``closes``) and carries its UTI
    stake: int  # 1: a spread bet staked in the market's currency (RTS 22 field 31)


class Simulation:
    """What the accounts of some blocks trade: an order book per account, prices near the
    minute's mid, planted leverage breaches (one every 1000/rate retail CFD openings of a
    block, the first half-way)."""

    def __init__(
        self,
        config: SampleConfig,
        calendar: Calendar,
        plans: list[AccountPlan],
        blocks: Collection[int],
    ) -> None:
        self.config = config
        self.calendar = calendar
        self.plans = plans
        self.skeleton = Skeleton(config, calendar, plans)
        self.days = len(calendar.days)
        self.paths = price_paths(config, self.days)
        self.own = bytearray(len(plans))
        for block in blocks:
            for index in range(
                block * BLOCK_ACCOUNTS, min(len(plans), (block + 1) * BLOCK_ACCOUNTS)
            ):
                self.own[index] = 1
        self.rands = {block: stream(config, "trades", block).random for block in blocks}
        self.retail = [plan.retail for plan in plans]
        self.free = [plan.deposit_cents * _MARGIN_SHARE // 100 for plan in plans]
        self.units = [_EUR_UNITS[plan.currency] for plan in plans]
        self.credit = dict.fromkeys(blocks, 500)  # per mille; a breach each time it reaches 1000
        count = len(plans)
        self.day_open = array("i", bytes(4 * count * self.days))
        self.day_margin = array("q", bytes(8 * count * self.days))
        self.positions: dict[int, list[_Position]] = {}
        self.margin_used: dict[int, int] = {}
        self.last_day: dict[int, int] = {}
        self.first_trade: dict[int, tuple[int, int]] = {}
        self.breaches: list[tuple[int, int, int, int]] = []  # number, account, spec, leverage

    def run_range(self, number: int) -> array[int]:
        """Range ``number``'s trades of the blocks simulated here: :data:`PIECE_COLUMNS`
        integers per trade, in trade number order."""
        accounts, places = self.skeleton.range(number)
        first = number * RANGE_TRADES
        own = self.own
        out: list[int] = []
        trade, instant = self._trade, self.skeleton.instant
        for offset in [offset for offset, index in enumerate(accounts) if own[index]]:
            k = first + offset
            out.extend(trade(k, *instant(k, places[offset]), accounts[offset]))
        if first + len(accounts) >= self.config.trades:
            for index in self.positions:
                self._fill(index, self.days)
        return array("q", out)

    def _fill(self, index: int, day: int) -> None:
        """Record the account's open positions and margin at the end of each day before
        ``day`` it has not recorded yet."""
        count, margin = len(self.positions[index]), self.margin_used[index]
        for past in range(self.last_day[index], day):
            self.day_open[index * self.days + past] = count
            self.day_margin[index * self.days + past] = margin
        self.last_day[index] = day

    def _trade(self, k: int, at_ms: int, day: int, minute: int, index: int) -> tuple[int, ...]:
        rand = self.rands[index // BLOCK_ACCOUNTS]
        positions = self.positions.get(index)
        if positions is None:
            positions = self.positions[index] = []
            self.margin_used[index] = 0
            self.last_day[index] = day
            self.first_trade[index] = (k + 1, at_ms)
        elif self.last_day[index] < day:
            self._fill(index, day)
        forced = k < len(SPECS)
        at = (k + 1, at_ms, minute)
        if positions and not forced and (len(positions) >= _MAX_POSITIONS or rand() < 0.45):
            return self._close(at, index, positions, rand)
        spec = k if forced else _TABLE[int(rand() * len(_TABLE))]
        opened = self._open(at, index, positions, spec, forced, rand)
        return opened or self._close(at, index, positions, rand)

    def _open(
        self,
        at: tuple[int, int, int],
        index: int,
        positions: list[_Position],
        spec: int,
        forced: bool,
        rand: Rand,
    ) -> tuple[int, ...]:
        """Open a position; nothing when even the smallest lot does not fit (close then)."""
        info = _INSTRUMENTS[spec]
        buy = rand() < 0.5
        noise = int(rand() * (2 * info.noise + 1)) - info.noise
        price = self.paths[spec][at[2]] + noise + (_SPREAD if buy else -_SPREAD)
        # A spread bet's quantity is a stake per point, in the market's currency or (none
        # given) the account's: one unit of stake moves by the price in that currency.
        stake = 1 if info.spread_bet and rand() < 0.5 else 0
        retail = self.retail[index]
        free = self.free[index] - self.margin_used[index]
        leverage, breach = self._leverage(index, retail, info, rand) if info.margined else (0, 0)
        if not leverage:
            steps, margin = 1 + int(rand() * 50), -1
        else:
            exposed = self.units[index] if info.spread_bet and not stake else info.units
            # a step's value in cents of the account's currency is per_step / scale
            per_step = info.lot * price * exposed * 100
            scale = info.scale * self.units[index]
            share = 10 + int(rand() * 51)  # per cent of the free margin
            target = free * share // 100 if free > 0 else 0
            steps, margin = _size(info, per_step, scale, target, leverage)
            if not breach and margin > free:
                # The smallest lot does not fit: the client takes the most leverage allowed,
                # and closes a position instead if even that does not fit.
                leverage = (info.retail if retail else info.others)[-1]
                steps, margin = _size(info, per_step, scale, target, leverage)
                if margin > free and positions and not forced:
                    return ()
        if breach:
            self.breaches.append((at[0], index, spec, leverage))
        quantity = steps * info.step
        used = margin if margin > 0 else 0
        positions.append(_Position(spec, buy, quantity, leverage, used, at[0], stake))
        self.margin_used[index] += used
        return self._row(at, index, spec, buy, quantity, price, leverage, margin, 0, stake, rand)

    def _leverage(
        self, index: int, retail: bool, info: _Instrument, draw: Rand
    ) -> tuple[int, bool]:
        """The trade's leverage, and whether it is a planted breach of the retail cap."""
        if retail and info.cfd:  # breaches: on CFDs only
            block = index // BLOCK_ACCOUNTS
            credit = self.credit[block] + self.config.leverage_breach_per_mille
            if credit >= 1000:
                self.credit[block] = credit - 1000
                return info.breach[int(draw() * len(info.breach))], True
            self.credit[block] = credit
        choices = info.retail if retail else info.others
        return choices[int(draw() * len(choices))], False

    def _close(
        self, at: tuple[int, int, int], index: int, positions: list[_Position], draw: Rand
    ) -> tuple[int, ...]:
        position = positions.pop(int(draw() * len(positions)))
        self.margin_used[index] -= position.margin_cents
        buy = not position.buy
        info = _INSTRUMENTS[position.spec]
        noise = int(draw() * (2 * info.noise + 1)) - info.noise
        price = self.paths[position.spec][at[2]] + noise + (_SPREAD if buy else -_SPREAD)
        return self._row(
            at, index, position.spec, buy, position.quantity, price,
            position.leverage, -1, position.number, position.stake, draw,
        )  # fmt: skip

    def _row(
        self,
        at: tuple[int, int, int],
        index: int,
        spec: int,
        buy: bool,
        quantity: int,
        price: int,
        leverage: int,
        margin: int,
        closes: int,
        stake: int,
        draw: Rand,
    ) -> tuple[int, ...]:
        slip = _SLIPS[int(draw() * len(_SLIPS))]
        requested = price - slip if buy else price + slip
        if requested < 1:
            requested = 1
        info = _INSTRUMENTS[spec]
        premium = -1
        if info.option:  # price × quantity × multiplier, to the cent (half up)
            value = price * quantity * (info.lot // info.step) * 100
            premium = (2 * value + info.scale) // (2 * info.scale)
        return (
            at[0], index, at[1], spec, buy, quantity, price, leverage, margin, closes, stake,
            requested, int(draw() * 5), int(draw() * 100), int(draw() * len(_EXECUTORS)),
            premium,
        )  # fmt: skip

    def planted(self) -> list[Planted]:
        """The planted leverage breaches, in trade order."""
        found: list[Planted] = []
        for number, index, spec, leverage in sorted(self.breaches):
            klass = SPECS[spec].klass
            cap = ESMA_RETAIL_LEVERAGE_CAPS[klass]
            detail = (
                f"retail {klass.value} CFD {SPECS[spec].symbol} opened at {leverage}:1, "
                f"above the {cap}:1 cap ({self.plans[index].account_id})"
            )
            found.append(Planted("leverage_above_cap", "trade", (f"T{number:09d}",), detail))
        return found

    def expired_kyc(self) -> list[Planted]:
        """The planted expired-KYC accounts simulated here that did trade, in account order."""
        found: list[Planted] = []
        for index in sorted(self.first_trade):
            plan = self.plans[index]
            if plan.kyc not in ("expired", "lapsed"):
                continue
            number, at_ms = self.first_trade[index]
            state = "expired" if plan.kyc == "expired" else "verified but lapsed"
            detail = (
                f"KYC {state} before the period; the account trades from "
                f"{to_iso_ms(at_ms)} (T{number:09d})"
            )
            found.append(Planted("expired_kyc", "account", (plan.account_id,), detail))
        return found


def _size(
    info: _Instrument, per_step: int, scale: int, target: int, leverage: int
) -> tuple[int, int]:
    """Steps that put ``target`` cents of margin to use at ``leverage`` (within the
    instrument's bounds), and their margin in cents, half up."""
    steps = target * leverage * scale // per_step
    if steps < 1:
        steps = 1
    elif steps > info.max_steps:
        steps = info.max_steps
    return steps, (2 * steps * per_step + scale * leverage) // (2 * scale * leverage)


# text -------------------------------------------------------------------------------------


def _fixed(value: pl.Expr, places: pl.Expr) -> pl.Expr:
    """Non-negative integers with ``places`` decimals as text: 108500, 5 is ``1.08500``."""
    power = pl.lit(10, pl.Int64).pow(places)
    fraction = (value % power).cast(pl.String).str.zfill(places)
    return (
        pl.when(places == 0)
        .then(value.cast(pl.String))
        .otherwise(pl.concat_str((value // power).cast(pl.String), pl.lit("."), fraction))
    )


def _ids(prefix: str, number: pl.Expr, digits: int) -> pl.Expr:
    return pl.concat_str(pl.lit(prefix), number.cast(pl.String).str.zfill(digits))


def _by_spec(values: Sequence[object], dtype: pl.DataType) -> pl.Expr:
    return pl.lit(pl.Series(values, dtype=dtype)).gather(pl.col("spec"))


def trade_frame(pieces: Sequence[array[int]], firm_lei: str) -> pl.DataFrame:
    """The trades of a range's pieces (from every block), in trade order, as the columns of
    :class:`TradeRow` (``spec`` UInt32, ``at_ms`` Int64, the rest text)."""
    flat = array("q")
    for piece in pieces:
        flat.extend(piece)
    rows = len(flat) // _WIDTH
    matrix = pl.Series("m", flat, dtype=pl.Int64).reshape((rows, _WIDTH))
    ints = (
        pl.DataFrame({"m": matrix})
        .select(pl.col("m").arr.get(i).alias(name) for i, name in enumerate(PIECE_COLUMNS))
        .sort("number")
    )
    places = _by_spec([_INSTRUMENTS[i].places for i in range(len(SPECS))], pl.Int64())
    decimals = _by_spec([spec.decimals for spec in SPECS], pl.Int64())
    quote = _by_spec([spec.quote for spec in SPECS], pl.String())
    spot = _by_spec([spec.product is Product.SPOT for spec in SPECS], pl.Boolean())
    number, closes = pl.col("number"), pl.col("closes")
    opening = closes == 0
    trade_id = _ids("T", number, 9)
    lp_names = pl.lit(pl.Series([*_LIQUIDITY_PROVIDERS, None, None], dtype=pl.String()))
    executors = pl.lit(pl.Series(_EXECUTORS, dtype=pl.String()))
    return ints.select(
        trade_id.alias("trade_id"),
        _ids("A", pl.col("account") + 1, 6).alias("account_id"),
        pl.col("spec").cast(pl.UInt32),
        pl.when(pl.col("buy") == 1).then(pl.lit("buy")).otherwise(pl.lit("sell")).alias("side"),
        _fixed(pl.col("quantity"), places).alias("quantity"),
        _fixed(pl.col("price"), decimals).alias("price"),
        pl.col("at_ms"),
        quote.alias("price_currency"),
        pl.when(pl.col("leverage") > 0).then(pl.col("leverage").cast(pl.String)).alias("leverage"),
        pl.when(pl.col("margin") >= 0).then(_fixed(pl.col("margin"), pl.lit(2))).alias("margin"),
        pl.when(opening).then(pl.lit("open")).otherwise(pl.lit("close")).alias("position_effect"),
        pl.when(~spot)
        .then(
            pl.concat_str(
                pl.lit(f"{firm_lei}T"),
                pl.when(opening).then(number).otherwise(closes).cast(pl.String).str.zfill(9),
            )
        )
        .alias("uti"),
        pl.when(pl.col("lp") < len(_LIQUIDITY_PROVIDERS))
        .then(
            pl.concat_str(
                lp_names.gather(pl.col("lp")),
                pl.lit("-"),
                (number * 2654435761 % 10**10).cast(pl.String).str.zfill(10),
            )
        )
        .alias("lp_reference"),
        executors.gather(pl.col("executor")).alias("execution_decision"),
        pl.when(pl.col("decider") < 3)
        .then(_ids("TRD", pl.col("decider"), 3))
        .otherwise(pl.lit(_INVESTMENT_ALGORITHM))
        .alias("investment_decision"),
        _fixed(pl.col("requested"), decimals).alias("requested_price"),
        pl.when(pl.col("premium") >= 0)
        .then(_fixed(pl.col("premium"), pl.lit(2)))
        .alias("option_premium"),
        pl.when(~opening).then(_ids("T", closes, 9)).alias("closes"),
        pl.when(pl.col("stake") == 1).then(quote).alias("quantity_currency"),
    )
