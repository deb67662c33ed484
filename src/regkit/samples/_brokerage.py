"""The generator: the firm, its instruments, the account plan and the record streams, run
in their fixed order."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from regkit.samples._accounts import AccountPlan, build_account, plan_accounts
from regkit.samples._common import (
    Calendar,
    Draw,
    cents_text,
    fast_draw,
    format_money,
    stream,
    to_datetime,
    to_iso,
)
from regkit.samples._config import PLANTED_KINDS, SampleConfig
from regkit.samples._instruments import SPECS, build_instrument
from regkit.samples._movements import (
    CashEvent,
    MovementRow,
    build_movement,
    cash_events,
    movement_row,
)
from regkit.samples._parties import make_lei
from regkit.samples._results import Planted, SampleSet
from regkit.samples._trades import Simulation, TradeRow, trade_record
from regkit.schemas.account import Account, AccountSnapshot
from regkit.schemas.cash import CashMovement
from regkit.schemas.firm import Firm
from regkit.schemas.party import NaturalPerson
from regkit.schemas.trade import Trade

__all__ = [
    "Brokerage",
    "SnapshotRow",
    "generate",
    "snapshot_record",
]


class SnapshotRow(NamedTuple):
    """An end-of-day snapshot as plain values (amounts' text, the time in ms since 1970)."""

    account_id: str
    at_ms: int
    balance: str
    equity: str
    currency: str
    margin_required: str
    open_positions: int


def snapshot_record(row: SnapshotRow) -> AccountSnapshot:
    """The :class:`~regkit.schemas.account.AccountSnapshot` of ``row``."""
    return AccountSnapshot(
        account_id=row.account_id,
        at=to_datetime(row.at_ms),
        balance=Decimal(row.balance),
        equity=Decimal(row.equity),
        currency=row.currency,
        margin_required=Decimal(row.margin_required),
        open_positions=row.open_positions,
    )


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


class Brokerage:
    """The generator: one plan, and record streams that must run in a fixed order.

    ``accounts()``, ``trades()``, ``movements()`` and ``snapshots()`` may each be consumed
    once; snapshots need the trades (open positions and margins) to have run first.
    """

    def __init__(self, config: SampleConfig) -> None:
        self.config = config
        self.calendar = Calendar(config)
        self.firm = Firm(
            lei=make_lei("529900RKSAMPLEFIRM"),
            name="Regkit Sample Markets Ltd",
            country="CY",
            competent_authority="CY",
            investment_firm=True,
            traders=_traders(),
            above_clearing_threshold=False,
            master_agreement_type="BIAG",  # the client agreement (terms of business)
            collateral_portfolio=False,  # margin is called per position
        )
        last = self.calendar.days[-1]
        self.instruments = [build_instrument(spec, config.start, last) for spec in SPECS]
        self.plans = plan_accounts(config, self.calendar)
        self.simulation = Simulation(
            config, self.calendar, self.plans, self.instruments, self.firm.lei
        )
        self.planted_movements: list[Planted] = []
        self.planted_snapshots: list[Planted] = []

    # accounts ----------------------------------------------------------------------------

    def accounts(self) -> Iterator[Account]:
        """The accounts, in account order."""
        for plan in self.plans:
            yield build_account(self.config, plan)

    # trades ------------------------------------------------------------------------------

    def trades(self) -> Iterator[Trade]:
        """The trades, in time order (run them before :meth:`snapshots`)."""
        for row in self.simulation.run():
            yield trade_record(row, self.instruments)

    def trade_rows(self) -> Iterator[TradeRow]:
        """The trades as plain values, in time order (:meth:`trades` without the models)."""
        return self.simulation.run()

    # movements ---------------------------------------------------------------------------

    def movements(self) -> Iterator[CashMovement]:
        """The cash movements, account by account, each account's in time order."""
        for row in self.movement_rows():
            yield build_movement(row)

    def movement_rows(self) -> Iterator[MovementRow]:
        """The cash movements as plain values (:meth:`movements` without the models)."""
        number = 0
        for plan in self.plans:
            structuring: list[tuple[str, int]] = []
            for event in cash_events(self.config, self.calendar, plan):
                number += 1
                movement_id = f"M{number:09d}"
                if event.planted == "structuring":
                    structuring.append((movement_id, event.cents))
                elif event.planted is not None:
                    self._plant_movement(plan, movement_id, event)
                yield movement_row(movement_id, plan, event)
            if structuring:
                self._plant_structuring(plan, structuring)

    def _plant_movement(self, plan: AccountPlan, movement_id: str, event: CashEvent) -> None:
        if event.planted == "third_party":
            detail = f"deposit paid by {event.payer!r}, not by the holder {plan.holder_name!r}"
            self.planted_movements.append(
                Planted("third_party_payer", "movement", (movement_id,), detail)
            )
        else:
            detail = f"bonus of {format_money(event.cents)} {plan.currency} to a retail client"
            self.planted_movements.append(
                Planted("bonus_to_retail", "movement", (movement_id,), detail)
            )

    def _plant_structuring(self, plan: AccountPlan, deposits: Sequence[tuple[str, int]]) -> None:
        amounts = [cents for _, cents in deposits]
        detail = (
            f"{len(deposits)} deposits of {format_money(min(amounts))} "
            f"to {format_money(max(amounts))} {plan.currency} within 48 hours"
        )
        keys = tuple(movement_id for movement_id, _ in deposits)
        self.planted_movements.append(Planted("structuring", "movement", keys, detail))

    # snapshots ---------------------------------------------------------------------------

    def snapshots(self) -> Iterator[AccountSnapshot]:
        """Each account's end-of-day snapshots; the trades must have run first."""
        for row in self.snapshot_rows():
            yield snapshot_record(row)

    def snapshot_rows(self) -> Iterator[SnapshotRow]:
        """The snapshots as plain values (:meth:`snapshots` without the models)."""
        if not self.simulation.done:
            raise RuntimeError("snapshots need the trades to have been generated first")
        for plan in self.plans:
            yield from self._account_snapshots(plan)

    def _account_snapshots(self, plan: AccountPlan) -> Iterator[SnapshotRow]:
        calendar, days = self.calendar, len(self.calendar.days)
        events = cash_events(self.config, calendar, plan)
        rng = stream(self.config, "pnl", plan.index)
        draw = fast_draw(rng)
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
                realized += _randint(draw, -cash // 50, cash // 30)
            realized = min(max(realized, -cash // 5), cash * 2 // 5)
            balance = cash + realized
            swing = balance * 15 // 100
            equity = balance + (_randint(draw, -swing, swing) if count else 0)
            if plan.negative_day == day:
                equity = -(100 + draw(500_000 - 100 + 1))  # randint(100, 500_000)
                self._plant_negative(plan, at_ms, equity, balance)
            yield SnapshotRow(
                plan.account_id,
                at_ms,
                cents_text(balance),
                cents_text(equity),
                plan.currency,
                cents_text(margin),
                count,
            )

    def _plant_negative(self, plan: AccountPlan, at_ms: int, equity: int, balance: int) -> None:
        detail = (
            f"retail equity {format_money(equity)} {plan.currency} below zero "
            f"(balance {format_money(balance)})"
        )
        keys = (plan.account_id, to_iso(to_datetime(at_ms)))
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


def _randint(draw: Draw, low: int, high: int) -> int:
    """``rng.randint(low, high)``, drawn with ``draw``: ``randint`` raises when ``high`` is
    below ``low``, and so does this."""
    if high < low:
        raise ValueError(f"empty range in randint({low}, {high})")
    return low + draw(high - low + 1)


def generate(config: SampleConfig) -> SampleSet:
    """Generate a whole brokerage in memory (for large sets, :func:`regkit.samples.write_samples`).

    Args:
        config: what to generate.

    Returns:
        The records and the planted violations.

    Examples:
        >>> sample = generate(SampleConfig(trades=100, seed=7))
        >>> len(sample.accounts), {t.instrument.product.value for t in sample.trades} >= {"cfd"}
        (5, True)
    """
    book = Brokerage(config)
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
