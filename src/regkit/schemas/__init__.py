"""Typed brokerage records, their field types, identifier checks and loaders."""

from regkit.schemas.account import Account, AccountSnapshot
from regkit.schemas.base import Record
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
from regkit.schemas.instrument import Instrument
from regkit.schemas.party import Holder, Kyc, LegalEntity, NaturalPerson
from regkit.schemas.trade import Trade

__all__ = [
    "Account",
    "AccountSnapshot",
    "Capacity",
    "CashMovement",
    "ClientCategory",
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
