"""Enumerations of the record fields. Values are the words files and policies use."""

from __future__ import annotations

from regkit.schemas.base import LowerStrEnum, UpperStrEnum

__all__ = [
    "Capacity",
    "ClientCategory",
    "CounterpartyNature",
    "Delivery",
    "ExerciseStyle",
    "KycStatus",
    "MovementKind",
    "OptionType",
    "PaymentMethod",
    "PositionEffect",
    "Product",
    "RiskRating",
    "Side",
    "UnderlyingClass",
]


class ClientCategory(LowerStrEnum):
    """MiFID II client category (Annex II; Art. 30 for eligible counterparties)."""

    RETAIL = "retail"
    PROFESSIONAL = "professional"
    ELIGIBLE_COUNTERPARTY = "eligible_counterparty"


class CounterpartyNature(UpperStrEnum):
    """Nature of a counterparty under EMIR (REFIT fields 1.5 and 1.11, EMIR-VR-1011-01):
    financial (Art. 2(8)), non-financial (Art. 2(9)), central counterparty (Art. 2(1)) or
    other (an entity of Art. 1(5))."""

    F = "F"
    N = "N"
    C = "C"
    O = "O"  # noqa: E741


class KycStatus(LowerStrEnum):
    """Where the customer due diligence of an account stands."""

    VERIFIED = "verified"
    PENDING = "pending"
    REJECTED = "rejected"
    EXPIRED = "expired"


class RiskRating(LowerStrEnum):
    """The firm's money-laundering risk rating of a client."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Product(LowerStrEnum):
    """The kind of contract traded."""

    SPOT = "spot"
    FORWARD = "forward"
    SWAP = "swap"
    OPTION = "option"
    CFD = "cfd"
    SPREAD_BET = "spread_bet"


class UnderlyingClass(LowerStrEnum):
    """The underlying's class, as ESMA's leverage tiers group them (Decision (EU) 2018/796)."""

    FX_MAJOR = "fx_major"
    FX_MINOR = "fx_minor"
    GOLD = "gold"
    COMMODITY = "commodity"
    INDEX_MAJOR = "index_major"
    INDEX_MINOR = "index_minor"
    EQUITY = "equity"
    CRYPTO = "crypto"
    BOND = "bond"
    OTHER = "other"


class Delivery(LowerStrEnum):
    """Settlement of the contract (RTS 22 field 56 CASH or PHYS)."""

    CASH = "cash"
    PHYSICAL = "physical"


class OptionType(LowerStrEnum):
    """Call or put (RTS 22 field 50; EMIR REFIT table 2, option type)."""

    CALL = "call"
    PUT = "put"


class ExerciseStyle(LowerStrEnum):
    """When an option may be exercised (RTS 22 field 53; EMIR REFIT table 2, exercise style)."""

    EUROPEAN = "european"
    AMERICAN = "american"
    BERMUDAN = "bermudan"


class Side(LowerStrEnum):
    """The client's side of the trade."""

    BUY = "buy"
    SELL = "sell"


class Capacity(UpperStrEnum):
    """Trading capacity (RTS 22 field 29): own account, matched principal, any other."""

    DEAL = "DEAL"
    MTCH = "MTCH"
    AOTC = "AOTC"


class PositionEffect(LowerStrEnum):
    """Whether a trade opens or closes (part of) a position."""

    OPEN = "open"
    CLOSE = "close"


class MovementKind(LowerStrEnum):
    """The kind of a cash movement on an account."""

    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    BONUS = "bonus"
    FEE = "fee"
    TRANSFER_IN = "transfer_in"
    TRANSFER_OUT = "transfer_out"


class PaymentMethod(LowerStrEnum):
    """How money moved."""

    CARD = "card"
    BANK_TRANSFER = "bank_transfer"
    E_WALLET = "e_wallet"
    CRYPTO = "crypto"
    INTERNAL = "internal"
