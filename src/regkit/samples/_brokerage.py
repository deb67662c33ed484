"""The generator: the firm, its instruments, the account plan and the record streams, run
in their fixed order."""

from __future__ import annotations

from array import array
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

import polars as pl

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
from regkit.samples._instruments import EUR_VALUE, SPECS, build_instrument
from regkit.samples._movements import (
    CashEvent,
    MovementRow,
    build_movement,
    cash_events,
    movement_row,
)
from regkit.samples._parties import make_lei
from regkit.samples._results import Planted, SampleSet
from regkit.samples._trades import (
    BLOCK_ACCOUNTS,
    Simulation,
    TradeRow,
    block_count,
    range_count,
    trade_frame,
    trade_record,
)
from regkit.schemas.account import Account, AccountSnapshot
from regkit.schemas.firm import Firm
from regkit.schemas.instrument import Instrument
from regkit.schemas.party import NaturalPerson
from regkit.schemas.trade import Trade

__all__ = [
    "CURRENCIES",
    "SNAPSHOT_INTS",
    "BlockRecords",
    "Brokerage",
    "SnapshotRow",
    "generate",
    "order_planted",
    "sample_firm",
    "sample_instruments",
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


#: The integers a snapshot is, in order (``_tables.snapshot_plain`` makes them text).
SNAPSHOT_INTS = ("account", "at_ms", "balance", "equity", "margin", "open_positions", "currency")

#: The currencies accounts are kept in (snapshots give the index of theirs).
CURRENCIES: tuple[str, ...] = tuple(sorted(EUR_VALUE))


def sample_firm() -> Firm:
    """The sample firm: an investment firm in Cyprus dealing on own account."""
    return Firm(
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


def sample_instruments(config: SampleConfig) -> list[Instrument]:
    """Every instrument the firm offers, dated contracts expiring after the last day."""
    last = Calendar(config).days[-1]
    return [build_instrument(spec, config.start, last) for spec in SPECS]


class Brokerage:
    """The generator: the firm, its instruments, the account plan, and the record streams.

    The accounts fall in blocks of :data:`~regkit.samples._trades.BLOCK_ACCOUNTS`; a
    :class:`~regkit.samples._trades.Simulation` of some blocks trades their accounts, and
    :meth:`block` gives a block's movements and snapshots once its trades have all run.
    ``trade_rows``, ``movement_rows`` and ``snapshot_rows`` run every block in this process.
    """

    def __init__(self, config: SampleConfig) -> None:
        self.config = config
        self.calendar = Calendar(config)
        self.firm = sample_firm()
        self.instruments = sample_instruments(config)
        self.plans = plan_accounts(config, self.calendar)
        self._whole: Simulation | None = None
        self._pieces: list[array[int]] = []
        self._blocks: list[BlockRecords] | None = None

    def simulation(self, blocks: Collection[int]) -> Simulation:
        """A simulation of the trades of ``blocks``' accounts."""
        return Simulation(self.config, self.calendar, self.plans, blocks)

    def block_plans(self, block: int) -> list[AccountPlan]:
        """The plans of the accounts of ``block``, in account order."""
        return self.plans[block * BLOCK_ACCOUNTS : (block + 1) * BLOCK_ACCOUNTS]

    # accounts ----------------------------------------------------------------------------

    def accounts(self, block: int | None = None) -> Iterator[Account]:
        """The accounts (of one block), in account order."""
        plans = self.plans if block is None else self.block_plans(block)
        for plan in plans:
            yield build_account(self.config, plan)

    # a block's movements and snapshots -----------------------------------------------------

    def block(self, block: int, simulation: Simulation) -> BlockRecords:
        """The movements and snapshots of ``block``'s accounts, and what was planted in them;
        ``simulation`` must have run every range of trades of the block."""
        records = BlockRecords([], array("q"), [], [])
        for plan in self.block_plans(block):
            events = cash_events(self.config, self.calendar, plan)
            self._movements(plan, events, records)
            self._snapshots(plan, events, simulation, records)
        return records

    def _movements(self, plan: AccountPlan, events: list[CashEvent], out: BlockRecords) -> None:
        structuring: list[tuple[str, int]] = []
        for number, event in enumerate(events, start=1):
            # An account's movements are numbered after it: A000042's third is M000042003.
            movement_id = f"M{plan.index + 1:06d}{number:03d}"
            if event.planted == "structuring":
                structuring.append((movement_id, event.cents))
            elif event.planted is not None:
                out.planted_movements.append(_planted_movement(plan, movement_id, event))
            out.movements.append(movement_row(movement_id, plan, event))
        if structuring:
            out.planted_movements.append(_planted_structuring(plan, structuring))

    def _snapshots(
        self,
        plan: AccountPlan,
        events: list[CashEvent],
        simulation: Simulation,
        out: BlockRecords,
    ) -> None:
        """The account's end-of-day snapshots, as :data:`SNAPSHOT_INTS` integers each."""
        calendar, days = self.calendar, len(self.calendar.days)
        draw = fast_draw(stream(self.config, "pnl", plan.index))
        currency = CURRENCIES.index(plan.currency)
        position = 0
        cash = realized = 0
        for day in range(days):
            at_ms = calendar.snapshot_ms(day)
            while position < len(events) and events[position].at_ms < at_ms:
                cash += events[position].signed_cents
                position += 1
            slot = plan.index * days + day
            count = simulation.day_open[slot]
            if count:
                realized += _randint(draw, -cash // 50, cash // 30)
            realized = min(max(realized, -cash // 5), cash * 2 // 5)
            balance = cash + realized
            swing = balance * 15 // 100
            equity = balance + (_randint(draw, -swing, swing) if count else 0)
            if plan.negative_day == day:
                equity = -(100 + draw(500_000 - 100 + 1))  # randint(100, 500_000)
                out.planted_snapshots.append(_planted_negative(plan, at_ms, equity, balance))
            out.snapshots.extend(
                (plan.index, at_ms, balance, equity, simulation.day_margin[slot], count, currency)
            )

    # every block in this process ------------------------------------------------------------

    def whole(self) -> Simulation:
        """The simulation of every block, its trades all run (once, then kept)."""
        if self._whole is None:
            simulation = self.simulation(range(block_count(self.config)))
            self._pieces = [simulation.run_range(r) for r in range(range_count(self.config))]
            self._whole = simulation
        return self._whole

    def trade_frames(self) -> Iterator[pl.DataFrame]:
        """The trades, range by range, as frames of :class:`TradeRow`'s columns."""
        self.whole()
        for piece in self._pieces:
            yield trade_frame([piece], self.firm.lei)

    def trade_rows(self) -> Iterator[TradeRow]:
        """The trades as plain values, in time order."""
        for frame in self.trade_frames():
            for row in frame.iter_rows():
                yield TradeRow(*row)

    def trades(self) -> Iterator[Trade]:
        """The trades, in time order."""
        for row in self.trade_rows():
            yield trade_record(row, self.instruments)

    def blocks(self) -> Iterator[BlockRecords]:
        """Every block's movements and snapshots, in block order."""
        if self._blocks is None:
            simulation = self.whole()
            self._blocks = [self.block(b, simulation) for b in range(block_count(self.config))]
        yield from self._blocks

    def movement_rows(self) -> Iterator[MovementRow]:
        """The cash movements as plain values, account by account, each in time order."""
        for records in self.blocks():
            yield from records.movements

    def snapshot_rows(self) -> Iterator[SnapshotRow]:
        """Each account's end-of-day snapshots as plain values."""
        width = len(SNAPSHOT_INTS)
        for records in self.blocks():
            flat = records.snapshots
            for start in range(0, len(flat), width):
                index, at_ms, balance, equity, margin, count, currency = flat[start : start + width]
                yield SnapshotRow(
                    self.plans[index].account_id,
                    at_ms,
                    cents_text(balance),
                    cents_text(equity),
                    CURRENCIES[currency],
                    cents_text(margin),
                    count,
                )

    def planted(self) -> list[Planted]:
        """Every planted violation, by kind in :data:`PLANTED_KINDS` order, then record order."""
        simulation = self.whole()
        found: list[Planted] = [*simulation.planted(), *simulation.expired_kyc()]
        for records in self.blocks():
            found += records.planted_movements + records.planted_snapshots
        return order_planted(found)


@dataclass
class BlockRecords:
    """A block's movements and snapshots as plain rows, and what was planted in them."""

    movements: list[MovementRow]
    snapshots: array[int]  # SNAPSHOT_INTS integers each
    planted_movements: list[Planted]
    planted_snapshots: list[Planted]


def order_planted(found: Sequence[Planted]) -> list[Planted]:
    """Planted violations by kind in :data:`PLANTED_KINDS` order, then by their first key
    (trade, account or movement ids: record order), whichever process found them."""
    order = {kind: index for index, kind in enumerate(PLANTED_KINDS)}
    return sorted(found, key=lambda item: (order[item.kind], item.keys[0]))


def _planted_movement(plan: AccountPlan, movement_id: str, event: CashEvent) -> Planted:
    if event.planted == "third_party":
        detail = f"deposit paid by {event.payer!r}, not by the holder {plan.holder_name!r}"
        return Planted("third_party_payer", "movement", (movement_id,), detail)
    detail = f"bonus of {format_money(event.cents)} {plan.currency} to a retail client"
    return Planted("bonus_to_retail", "movement", (movement_id,), detail)


def _planted_structuring(plan: AccountPlan, deposits: Sequence[tuple[str, int]]) -> Planted:
    amounts = [cents for _, cents in deposits]
    detail = (
        f"{len(deposits)} deposits of {format_money(min(amounts))} "
        f"to {format_money(max(amounts))} {plan.currency} within 48 hours"
    )
    keys = tuple(movement_id for movement_id, _ in deposits)
    return Planted("structuring", "movement", keys, detail)


def _planted_negative(plan: AccountPlan, at_ms: int, equity: int, balance: int) -> Planted:
    detail = (
        f"retail equity {format_money(equity)} {plan.currency} below zero "
        f"(balance {format_money(balance)})"
    )
    keys = (plan.account_id, to_iso(to_datetime(at_ms)))
    return Planted("negative_equity", "snapshot", keys, detail)


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
    movements = [build_movement(row) for row in book.movement_rows()]
    snapshots = [snapshot_record(row) for row in book.snapshot_rows()]
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
