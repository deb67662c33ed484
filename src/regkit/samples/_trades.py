"""The trade stream: an order book per account, walking prices, planted leverage breaches."""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from regkit.samples._accounts import AccountPlan
from regkit.samples._common import (
    CENT,
    DECIMAL,
    TRADING_CLOSES_MS,
    TRADING_OPENS_MS,
    Calendar,
    Draw,
    fast_draw,
    from_cents,
    scaled,
    stream,
    to_datetime,
    to_iso,
)
from regkit.samples._config import SampleConfig
from regkit.samples._instruments import (
    BREACH_LEVERAGE,
    ESMA_RETAIL_LEVERAGE_CAPS,
    EUR_VALUE,
    RETAIL_LEVERAGE,
    SPECS,
    Spec,
)
from regkit.samples._results import Planted
from regkit.schemas.enums import (
    Capacity,
    PositionEffect,
    Product,
    Side,
)
from regkit.schemas.instrument import Instrument
from regkit.schemas.trade import Trade

__all__ = [
    "Simulation",
    "TradeRow",
    "trade_record",
]


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


class _Position(NamedTuple):
    spec: int
    buy: bool
    quantity: Decimal
    leverage: Decimal | None
    margin_cents: int
    uti: str | None  # the opening's: its close carries it, as EMIR's TERM needs
    trade_id: str  # the opening's: its close names it in ``closes``
    stake: str | None  # a spread bet's stake currency when not the account's (RTS 22 field 31)


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
_CASH_SETTLED = frozenset({Product.CFD, Product.SPREAD_BET})
_LIQUIDITY_PROVIDERS = ("LPA", "LPB", "LPC")
_SLIPS = (-2, -1, 0, 0, 0, 0, 1, 2)  # requested price - price, in ticks, for a buy
_MAX_POSITIONS = 6
_MARGIN_SHARE = 30  # per cent of the first deposit an account may put up as margin


class Simulation:
    """The trade stream: an order book per account, walking prices, planted breaches."""

    def __init__(
        self,
        config: SampleConfig,
        calendar: Calendar,
        plans: list[AccountPlan],
        instruments: list[Instrument],
        firm_lei: str,
    ) -> None:
        self.config = config
        self.calendar = calendar
        self.plans = plans
        self.instruments = instruments
        self.firm_lei = firm_lei
        self.rng = stream(config, "trades")
        # ``draw(n)`` is ``self.rng.randrange(n)``, faster: the same numbers, in the same order.
        self.draw = fast_draw(self.rng)
        self.days = len(calendar.days)
        count = len(plans)
        self.day_open = array("i", bytes(4 * count * self.days))
        self.day_margin = array("q", bytes(8 * count * self.days))
        self.positions: dict[int, list[_Position]] = {}
        self.margin_used: dict[int, int] = {}
        self.first_trade: dict[int, tuple[str, int]] = {}
        self.planted: list[Planted] = []
        self.done = False
        self.mids = [spec.mid for spec in SPECS]
        self.steps = [Decimal(spec.step) for spec in SPECS]
        self.multipliers = [Decimal(spec.multiplier) for spec in SPECS]
        self.breach_credit = 500  # per mille; a breach is planted each time it reaches 1000
        trading = [p for p in plans if p.active]
        # Planted expired-KYC accounts and the first accounts trade first, so they trade.
        first = [p.index for p in trading if p.kyc in ("expired", "lapsed")]
        first += [p.index for p in trading[:10] if p.index not in first]
        self.cover = first
        self.activity = array("i", (p.index for p in trading for _ in range(p.activity)))
        self.instrument_table = array(
            "i", (i for i, spec in enumerate(SPECS) for _ in range(spec.weight))
        )

    def run(self) -> Iterator[TradeRow]:
        """The trades, in time order, day by day; once they are all out, ``done`` is set."""
        config, calendar, draw = self.config, self.calendar, self.draw
        per_day, extra = divmod(config.trades, self.days)
        number = 0
        for day in range(self.days):
            count = per_day + (1 if day < extra else 0)
            span = TRADING_CLOSES_MS - TRADING_OPENS_MS
            offsets = sorted([draw(span) for _ in range(count)])
            opens = calendar.midnights[day] + TRADING_OPENS_MS
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

    def _trade(self, number: int, at_ms: int) -> TradeRow:
        draw = self.draw
        k = number - 1
        cover = self.cover
        index = cover[k] if k < len(cover) else self.activity[draw(len(self.activity))]
        plan = self.plans[index]
        positions = self.positions.get(index)
        if positions is None:
            positions = self.positions[index] = []
            self.margin_used[index] = 0
            self.first_trade[index] = (f"T{number:09d}", at_ms)
        forced = k < len(SPECS)
        closing = len(positions) >= _MAX_POSITIONS or draw(100) < 45
        if positions and not forced and closing:
            return self._close(number, at_ms, plan, positions)
        spec = k if forced else self.instrument_table[draw(len(self.instrument_table))]
        return self._open(number, at_ms, plan, positions, spec, forced)

    def _walk(self, spec: int) -> int:
        base = SPECS[spec].mid
        mid = self.mids[spec] + self.draw(31) - 15  # randint(-15, 15)
        low, high = base * 95 // 100, base * 105 // 100
        mid = min(max(mid, low), high)
        self.mids[spec] = mid
        return mid

    def _open(
        self,
        number: int,
        at_ms: int,
        plan: AccountPlan,
        positions: list[_Position],
        spec: int,
        forced: bool,
    ) -> TradeRow:
        info = SPECS[spec]
        buy = self.draw(2) == 0
        price_ticks = self._walk(spec) + (4 if buy else -4)  # half the spread
        price = scaled(price_ticks, -info.decimals)
        # A spread bet's quantity is a stake per point, in the market's currency or (none
        # given) the account's: one unit of stake moves by the price in that currency.
        stake = None
        if info.product is Product.SPREAD_BET and self.draw(2) == 0:
            stake = info.quote
        exposed = plan.currency if info.product is Product.SPREAD_BET else info.quote
        unit = DECIMAL.multiply(
            DECIMAL.multiply(price, self.multipliers[spec]),
            _conversion(stake or exposed, plan.currency),
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
            number, at_ms, plan, spec, buy, quantity, price_ticks, leverage, margin, None, stake
        )
        positions.append(
            _Position(
                spec, buy, quantity, leverage, _in_cents(margin), opened.uti, opened.trade_id,
                stake,
            )
        )  # fmt: skip
        self.margin_used[plan.index] += _in_cents(margin)
        return opened

    def _size(
        self, spec: int, unit: Decimal, leverage: Decimal | None, free: int
    ) -> tuple[Decimal, Decimal | None]:
        """A quantity that puts 10-60% of the free margin to use, and its margin."""
        info = SPECS[spec]
        if leverage is None:
            return DECIMAL.multiply(Decimal(1 + self.draw(50)), self.steps[spec]), None
        target = from_cents(max(free, 0) * (10 + self.draw(51)) // 100)
        lot = DECIMAL.multiply(unit, self.steps[spec])
        steps = int(DECIMAL.divide(DECIMAL.multiply(target, leverage), lot))
        steps = min(max(steps, 1), info.max_steps)
        quantity = DECIMAL.multiply(Decimal(steps), self.steps[spec])
        return quantity, _margin(DECIMAL.multiply(quantity, unit), leverage)

    def _leverage(self, plan: AccountPlan, info: Spec) -> tuple[Decimal | None, bool]:
        """The trade's leverage, and whether it is a planted breach of the retail cap."""
        if info.product not in _CASH_SETTLED:  # CFDs and spread bets (Decision 2018/796)
            return None, False
        if plan.retail and info.product is Product.CFD:  # breaches: on CFDs only
            self.breach_credit += self.config.leverage_breach_per_mille
            if self.breach_credit >= 1000:
                self.breach_credit -= 1000
                return Decimal(_choice(self.draw, BREACH_LEVERAGE[info.klass])), True
        return Decimal(_choice(self.draw, _leverage_choices(plan, info))), False

    def _plant_breach(
        self, number: int, plan: AccountPlan, info: Spec, leverage: Decimal | None
    ) -> None:
        cap = ESMA_RETAIL_LEVERAGE_CAPS[info.klass]
        detail = (
            f"retail {info.klass.value} CFD {info.symbol} opened at {leverage}:1, "
            f"above the {cap}:1 cap ({plan.account_id})"
        )
        keys = (f"T{number:09d}",)
        self.planted.append(Planted("leverage_above_cap", "trade", keys, detail))

    def _close(
        self, number: int, at_ms: int, plan: AccountPlan, positions: list[_Position]
    ) -> TradeRow:
        position = positions.pop(self.draw(len(positions)))
        self.margin_used[plan.index] -= position.margin_cents
        buy = not position.buy
        price_ticks = self._walk(position.spec) + (4 if buy else -4)
        return self._record(
            number, at_ms, plan, position.spec, buy, position.quantity, price_ticks,
            position.leverage, None, position, position.stake,
        )  # fmt: skip

    def _record(
        self,
        number: int,
        at_ms: int,
        plan: AccountPlan,
        spec: int,
        buy: bool,
        quantity: Decimal,
        price_ticks: int,
        leverage: Decimal | None,
        margin: Decimal | None,
        closes: _Position | None,
        stake: str | None,
    ) -> TradeRow:
        """A trade opening a position, or closing ``closes`` (under the opening's UTI);
        ``stake`` is a spread bet's stake currency when it is not the account's."""
        draw = self.draw
        info = SPECS[spec]
        slip = _SLIPS[draw(len(_SLIPS))]
        requested_ticks = max(1, price_ticks - slip if buy else price_ticks + slip)
        trade_id = f"T{number:09d}"
        lp = draw(5)
        deciders = draw(100)
        price = scaled(price_ticks, -info.decimals)
        premium = _premium(info, quantity, price)
        if closes is not None:
            uti: str | None = closes.uti
        else:
            uti = None if info.product is Product.SPOT else f"{self.firm_lei}{trade_id}"
        return TradeRow(
            trade_id,
            plan.account_id,
            spec,
            "buy" if buy else "sell",
            str(quantity),
            str(price),
            at_ms,
            info.quote,
            None if leverage is None else str(leverage),
            None if margin is None else str(margin),
            "open" if closes is None else "close",
            uti,
            (
                f"{_LIQUIDITY_PROVIDERS[lp]}-{number * 2654435761 % 10**10:010d}"
                if lp < len(_LIQUIDITY_PROVIDERS)
                else None
            ),
            _EXECUTORS[draw(len(_EXECUTORS))],
            f"TRD{deciders:03d}" if deciders < 3 else _INVESTMENT_ALGORITHM,
            str(scaled(requested_ticks, -info.decimals)),
            None if premium is None else str(premium),
            None if closes is None else closes.trade_id,
            stake,
        )

    def expired_kyc(self) -> list[Planted]:
        """The planted expired-KYC accounts that did trade (all of them, unless tiny)."""
        found: list[Planted] = []
        for plan in self.plans:
            if plan.kyc not in ("expired", "lapsed") or plan.index not in self.first_trade:
                continue
            trade_id, at_ms = self.first_trade[plan.index]
            state = "expired" if plan.kyc == "expired" else "verified but lapsed"
            detail = (
                f"KYC {state} before the period; the account trades from "
                f"{to_iso(to_datetime(at_ms))} ({trade_id})"
            )
            found.append(Planted("expired_kyc", "account", (plan.account_id,), detail))
        return found


_CONVERSIONS: dict[tuple[str, str], Decimal] = {}


def _conversion(quote: str, currency: str) -> Decimal:
    """Account-currency value of one unit of ``quote``."""
    key = (quote, currency)
    rate = _CONVERSIONS.get(key)
    if rate is None:
        rate = _CONVERSIONS[key] = DECIMAL.divide(EUR_VALUE[quote], EUR_VALUE[currency])
    return rate


def _choice(draw: Draw, items: Sequence[int]) -> int:
    """``rng.choice(items)``, drawn with ``draw``."""
    return items[draw(len(items))]


def _leverage_choices(plan: AccountPlan, info: Spec) -> tuple[int, ...]:
    """Leverage a client may pick: retail within the cap, others above it as well."""
    if plan.retail:
        return RETAIL_LEVERAGE[info.klass]
    return RETAIL_LEVERAGE[info.klass] + BREACH_LEVERAGE[info.klass]


def _premium(info: Spec, quantity: Decimal, price: Decimal) -> Decimal | None:
    """An option trade's premium (REFIT 2.139): the price is the premium per unit of the
    base currency, so price × quantity × multiplier, in cents of the price currency."""
    if info.product is not Product.OPTION:
        return None
    return (price * quantity * Decimal(info.multiplier)).quantize(CENT, ROUND_HALF_UP)


def _in_cents(amount: Decimal | None) -> int:
    return 0 if amount is None else int(amount.scaleb(2, DECIMAL))


def _margin(notional: Decimal, leverage: Decimal) -> Decimal:
    return DECIMAL.divide(notional, leverage).quantize(CENT, ROUND_HALF_UP, DECIMAL)
