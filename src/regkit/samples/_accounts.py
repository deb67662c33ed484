"""The account plan (what the generator decides about each account before it builds any
record) and the accounts built from it."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from regkit.samples._common import (
    MS_DAY,
    MS_HOUR,
    MS_SECOND,
    Calendar,
    planted_count,
    stream,
    to_datetime,
)
from regkit.samples._config import SampleConfig
from regkit.samples._parties import EEA, Entity, Person, random_entity, random_person
from regkit.schemas.account import Account, AgreementTerms
from regkit.schemas.enums import (
    ClientCategory,
    KycStatus,
    MovementKind,
    RiskRating,
)
from regkit.schemas.party import Kyc, LegalEntity, NaturalPerson

__all__ = [
    "AccountPlan",
    "build_account",
    "plan_accounts",
]

_KycKind = Literal["verified", "pending", "expired", "lapsed"]


@dataclass(slots=True)
class AccountPlan:
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
        """Whether the account's client is retail."""
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


def plan_accounts(config: SampleConfig, calendar: Calendar) -> list[AccountPlan]:
    """Every account's plan, in account order, with the planted violations chosen."""
    rng = stream(config, "plan")
    plans: list[AccountPlan] = []
    persons = entities = 0
    for index in range(config.account_count):
        if index < len(_FIRST_PROFILES):
            entity, category = _FIRST_PROFILES[index]
        else:
            entity = rng.randrange(100) < 10
            category = _random_category(rng, entity)
        kyc: _KycKind = "pending" if index >= 10 and rng.randrange(100) < 4 else "verified"
        plan = AccountPlan(
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
        plan.country = holder.country if isinstance(holder, Entity) else holder.residence
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


def _opened_ms(rng: random.Random, calendar: Calendar, kyc: _KycKind) -> int:
    days_before = rng.randint(1, 6) if kyc == "pending" else rng.randint(8, 4 * 365)
    start = calendar.start_ms - days_before * MS_DAY
    return start + (8 * 3600 + rng.randrange(10 * 3600)) * MS_SECOND


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
    if country not in EEA:
        return "USD"
    return "USD" if rng.randrange(100) < 10 else "EUR"


def _choose_planted(
    config: SampleConfig, calendar: Calendar, rng: random.Random, plans: list[AccountPlan]
) -> None:
    trading = [p for p in plans if p.active]
    expired = rng.sample(trading, planted_count(len(trading), config.expired_kyc_per_mille))
    for number, plan in enumerate(sorted(expired, key=lambda p: p.index)):
        plan.kyc = "expired" if number % 2 == 0 else "lapsed"
        plan.opened_ms -= rng.randint(500, 1400) * MS_DAY
    eur = [p for p in trading if p.currency == "EUR"]
    for plan in rng.sample(eur, planted_count(len(eur), config.structuring_per_mille)):
        plan.structuring = True
    paid_by_others = planted_count(len(trading), config.third_party_payer_per_mille)
    for plan in rng.sample(trading, paid_by_others):
        plan.third_party = True
    retail = [p for p in trading if p.retail]
    for plan in rng.sample(retail, planted_count(len(retail), config.bonus_per_mille)):
        plan.bonus = True
    for plan in rng.sample(retail, planted_count(len(retail), config.negative_equity_per_mille)):
        plan.negative_day = rng.randrange(len(calendar.days))


def _choose_extras(plans: list[AccountPlan]) -> None:
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


def _holder(config: SampleConfig, plan: AccountPlan) -> Person | Entity:
    rng = stream(config, "holder", plan.index)
    if plan.entity:
        return random_entity(rng, plan.ordinal)
    return random_person(rng, plan.ordinal, config.start)


def build_account(config: SampleConfig, plan: AccountPlan) -> Account:
    """The account record for ``plan``, its holder and KYC drawn from their own streams."""
    holder = _holder(config, plan)
    holder_record: NaturalPerson | LegalEntity
    if isinstance(holder, Entity):
        holder_record = LegalEntity(
            name=holder.name,
            lei=holder.lei,
            country=holder.country,
            nature=holder.nature,
            sector=holder.sector,
            above_clearing_threshold=False,
            # EMIR binds entities established in the EEA, whoever reports for them (1.14).
            reporting_obligation=holder.country in EEA,
        )
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
        opened_at=to_datetime(plan.opened_ms),
        kyc=_kyc(config, plan),
        agreement=_agreement(plan, holder),
    )


def _agreement(plan: AccountPlan, holder: Person | Entity) -> AgreementTerms | None:
    """A financial counterparty trading as a professional signed an ISDA 2002 master
    agreement and margins its positions as one portfolio; everyone else trades on the
    firm's terms of business (the firm's bilateral agreement)."""
    if not isinstance(holder, Entity) or holder.nature != "F" or plan.retail:
        return None
    return AgreementTerms(
        master_agreement_type="ISDA",
        master_agreement_version=2002,
        collateral_portfolio=True,
        collateral_portfolio_code=f"PF{plan.account_id}".replace("-", ""),
    )


def _kyc(config: SampleConfig, plan: AccountPlan) -> Kyc:
    rng = stream(config, "kyc", plan.index)
    pep = rng.randrange(100) < 2
    risk = RiskRating.HIGH if pep or rng.randrange(100) < 5 else _weighted_risk(rng)
    careful = risk is RiskRating.HIGH
    if plan.kyc == "pending":
        return Kyc(status=KycStatus.PENDING, risk_rating=RiskRating.MEDIUM, pep=pep)
    verified_ms = plan.opened_ms + rng.randint(1, 72) * MS_HOUR
    years = 1 if plan.kyc in ("expired", "lapsed") else 5
    return Kyc(
        status=KycStatus.EXPIRED if plan.kyc == "expired" else KycStatus.VERIFIED,
        verified_at=to_datetime(verified_ms),
        expires_at=to_datetime(verified_ms + years * 365 * MS_DAY),
        risk_rating=risk,
        pep=pep,
        source_of_funds_verified=careful or rng.randrange(100) < 90,
        enhanced_due_diligence=careful,
    )


def _weighted_risk(rng: random.Random) -> RiskRating:
    return RiskRating.LOW if rng.randrange(100) < 74 else RiskRating.MEDIUM
