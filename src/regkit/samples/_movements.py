"""Cash movements: deposits, withdrawals, fees, bonuses and transfers, with the planted ones."""

from __future__ import annotations

import random
from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from regkit.samples._accounts import AccountPlan
from regkit.samples._common import (
    MS_HOUR,
    MS_SECOND,
    STRUCTURING_HIGH_CENTS,
    STRUCTURING_LOW_CENTS,
    THRESHOLD_CENTS,
    Calendar,
    cents_text,
    stream,
    to_datetime,
)
from regkit.samples._config import SampleConfig
from regkit.samples._parties import THIRD_PARTIES, random_iban
from regkit.schemas.cash import CashMovement
from regkit.schemas.enums import (
    MovementKind,
    PaymentMethod,
)

__all__ = [
    "CashEvent",
    "MovementRow",
    "build_movement",
    "cash_events",
    "movement_row",
]


class CashEvent(NamedTuple):
    """A cash movement of an account before it gets its id (amounts in cents)."""

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
        """The amount, positive for money in and negative for money out."""
        return self.cents if self.kind in _CREDITS else -self.cents


_CREDITS = frozenset({MovementKind.DEPOSIT, MovementKind.TRANSFER_IN, MovementKind.BONUS})


class _Draft(NamedTuple):
    """A movement before its amount is known (withdrawals depend on the cash at the time)."""

    at_ms: int
    kind: MovementKind
    amount: int  # cents, or a percentage of the cash for withdrawals and transfers out
    planted: str | None = None
    third_party: tuple[str, str] | None = None


def cash_events(config: SampleConfig, calendar: Calendar, plan: AccountPlan) -> list[CashEvent]:
    """The account's movements in time order, the same on every call."""
    if not plan.active:
        return []
    rng = stream(config, "cash", plan.index)
    iban = random_iban(rng, plan.country)
    method = _funding_method(rng, plan, iban)
    drafts = _drafts(rng, calendar, plan)
    events: list[CashEvent] = []
    cash = 0
    for draft in sorted(drafts, key=lambda d: d.at_ms):
        event = _event(rng, plan, draft, cash, method, iban)
        cash += event.signed_cents
        events.append(event)
    return events


def _funding_method(rng: random.Random, plan: AccountPlan, iban: str | None) -> PaymentMethod:
    if plan.entity and iban is not None:
        return PaymentMethod.BANK_TRANSFER
    roll = rng.randrange(100)
    if roll < 40 and iban is not None:
        return PaymentMethod.BANK_TRANSFER
    if roll < 80:
        return PaymentMethod.CARD
    return PaymentMethod.E_WALLET if roll < 95 else PaymentMethod.CRYPTO


def _drafts(rng: random.Random, calendar: Calendar, plan: AccountPlan) -> list[_Draft]:
    first_ms = plan.opened_ms + rng.randint(1, 48) * MS_HOUR
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
    if STRUCTURING_LOW_CENTS <= cents < THRESHOLD_CENTS:
        cents -= 100_000
    return cents


def _extra_amount(rng: random.Random, plan: AccountPlan, kind: MovementKind) -> int:
    if kind is MovementKind.WITHDRAWAL:
        return rng.randint(10, 30)  # per cent of the cash at the time
    if kind is MovementKind.TRANSFER_OUT:
        return rng.randint(5, 20)
    if kind is MovementKind.FEE:
        return min(rng.randint(100, 2_500), plan.deposit_cents // 100)
    if kind is MovementKind.BONUS:
        return rng.choice((5_000, 10_000, 25_000, 50_000))
    return _normal_amount(plan.deposit_cents * rng.randint(5, 30) // 100)  # transfer in


def _planted_drafts(rng: random.Random, calendar: Calendar, plan: AccountPlan) -> list[_Draft]:
    drafts: list[_Draft] = []
    if plan.structuring:
        at_ms = calendar.random_instant(rng)
        for _ in range(rng.randint(3, 5)):
            cents = rng.randint(STRUCTURING_LOW_CENTS // 100, STRUCTURING_HIGH_CENTS // 100)
            drafts.append(_Draft(at_ms, MovementKind.DEPOSIT, cents * 100, "structuring"))
            at_ms += rng.randint(1, 11) * MS_HOUR + rng.randrange(3600) * MS_SECOND
    if plan.third_party:
        payer = next(p for p in _rotate(THIRD_PARTIES, rng) if p[0] != plan.holder_name)
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
    plan: AccountPlan,
    draft: _Draft,
    cash: int,
    method: PaymentMethod,
    iban: str | None,
) -> CashEvent:
    kind, cents = draft.kind, draft.amount
    if kind in (MovementKind.WITHDRAWAL, MovementKind.TRANSFER_OUT):
        cents = max(100, cash * draft.amount // 100)
    if draft.third_party is not None:
        payer, country = draft.third_party
        return CashEvent(
            draft.at_ms, kind, cents, PaymentMethod.BANK_TRANSFER, payer, country,
            random_iban(rng, country), draft.planted,
        )  # fmt: skip
    if kind in (MovementKind.FEE, MovementKind.BONUS):
        return CashEvent(
            draft.at_ms, kind, cents, PaymentMethod.INTERNAL, None, None, None, draft.planted
        )
    if kind in (MovementKind.TRANSFER_IN, MovementKind.TRANSFER_OUT):
        return CashEvent(
            draft.at_ms, kind, cents, PaymentMethod.INTERNAL, plan.holder_name, None, None
        )
    account = iban if method is PaymentMethod.BANK_TRANSFER else None
    return CashEvent(
        draft.at_ms, kind, cents, method, plan.holder_name, plan.country, account, draft.planted
    )


class MovementRow(NamedTuple):
    """A cash movement as plain values (the amount's text, the time in ms since 1970)."""

    movement_id: str
    account_id: str
    kind: str
    amount: str
    currency: str
    at_ms: int
    method: str
    payer_name: str | None
    payer_country: str | None
    payer_iban: str | None


def movement_row(movement_id: str, plan: AccountPlan, event: CashEvent) -> MovementRow:
    """The movement ``event`` of the account of ``plan``, as plain values."""
    return MovementRow(
        movement_id,
        plan.account_id,
        event.kind.value,
        cents_text(event.cents),
        plan.currency,
        event.at_ms,
        event.method.value,
        event.payer,
        event.country,
        event.iban,
    )


def build_movement(row: MovementRow) -> CashMovement:
    """The movement record of ``row``."""
    return CashMovement(
        movement_id=row.movement_id,
        account_id=row.account_id,
        kind=MovementKind(row.kind),
        amount=Decimal(row.amount),
        currency=row.currency,
        at=to_datetime(row.at_ms),
        method=PaymentMethod(row.method),
        payer_name=row.payer_name,
        payer_country=row.payer_country,
        payer_iban=row.payer_iban,
    )
