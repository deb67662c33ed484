"""Client accounts and their point-in-time state: Account, AccountSnapshot."""

from __future__ import annotations

from typing import Annotated, ClassVar, Self

from pydantic import Field, model_validator

from regkit.schemas.base import Record
from regkit.schemas.enums import ClientCategory
from regkit.schemas.party import Holder, Kyc
from regkit.schemas.types import (
    CountryCode,
    CurrencyCode,
    Money,
    NonNegativeDecimal,
    Text,
    UtcDatetime,
    WholeNumber,
)

__all__ = ["Account", "AccountSnapshot"]


class Account(Record):
    """A client trading account: who holds it, how they are categorised, their KYC.

    Example:
        >>> from regkit.schemas.party import NaturalPerson
        >>> acc = Account(
        ...     account_id="A1",
        ...     holder=NaturalPerson(first_name="Jan", surname="Novák", nationalities=["CZ"]),
        ...     category="retail",
        ... )
        >>> acc.category
        <ClientCategory.RETAIL: 'retail'>
    """

    key_fields: ClassVar[tuple[str, ...]] = ("account_id",)

    account_id: Text
    """The broker's account number; the key of the account."""
    holder: Holder
    """The client: a NaturalPerson (``kind: person``) or a LegalEntity (``kind: entity``)."""
    category: ClientCategory
    """MiFID II client category: retail, professional or eligible_counterparty."""
    branch_country: CountryCode | None = None
    """Country of the branch that serves the client (RTS 22 fields 8 and 17)."""
    base_currency: CurrencyCode | None = None
    """The account's currency."""
    opened_at: UtcDatetime | None = None
    """When the account was opened."""
    closed_at: UtcDatetime | None = None
    """When the account was closed, if it was."""
    kyc: Kyc | None = None
    """Customer due diligence status."""

    @model_validator(mode="after")
    def _closed_after_opened(self) -> Self:
        if (
            self.opened_at is not None
            and self.closed_at is not None
            and self.closed_at <= self.opened_at
        ):
            raise ValueError(
                f"closed_at {self.closed_at.isoformat()} must be after "
                f"opened_at {self.opened_at.isoformat()}"
            )
        return self


class AccountSnapshot(Record):
    """An account's balance, equity and margin at one instant (margin close-out, NBP)."""

    key_fields: ClassVar[tuple[str, ...]] = ("account_id", "at")

    account_id: Text
    """The account the snapshot is of."""
    at: UtcDatetime
    """The instant of the snapshot."""
    balance: Money
    """Cash balance (may be negative)."""
    equity: Money
    """Balance plus unrealised profit and loss (may be negative)."""
    currency: CurrencyCode
    """Currency of balance, equity and margin."""
    margin_required: NonNegativeDecimal | None = None
    """Initial margin required for the open positions."""
    open_positions: Annotated[WholeNumber, Field(ge=0)] = 0
    """Number of open positions."""
