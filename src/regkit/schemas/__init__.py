"""Typed brokerage records, their field types, identifier checks and loaders."""

from regkit.schemas.account import Account, AccountSnapshot, AgreementTerms
from regkit.schemas.base import Record
from regkit.schemas.cash import CashMovement
from regkit.schemas.enums import (
    Capacity,
    ClientCategory,
    CounterpartyNature,
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
from regkit.schemas.instrument import Instrument
from regkit.schemas.party import Holder, Kyc, LegalEntity, NaturalPerson
from regkit.schemas.trade import Trade

__all__ = [
    "Account",
    "AccountSnapshot",
    "AgreementTerms",
    "Capacity",
    "CashMovement",
    "ClientCategory",
    "CounterpartyNature",
    "Delivery",
    "ExerciseStyle",
    "Firm",
    "Holder",
    "Instrument",
    "Kyc",
    "KycStatus",
    "LegalEntity",
    "MovementKind",
    "NaturalPerson",
    "OptionType",
    "PaymentMethod",
    "PositionEffect",
    "Product",
    "Record",
    "RiskRating",
    "Side",
    "Trade",
    "UnderlyingClass",
]
