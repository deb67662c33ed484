"""Money in and out of client accounts: CashMovement."""

from __future__ import annotations

from typing import ClassVar

from regkit.schemas.base import Record
from regkit.schemas.enums import MovementKind, PaymentMethod
from regkit.schemas.types import CountryCode, CurrencyCode, Iban, PositiveDecimal, Text, UtcDatetime

__all__ = ["CashMovement"]


class CashMovement(Record):
    """A deposit, withdrawal, bonus, fee or transfer on an account.

    ``amount`` is always positive; ``kind`` says which way the money went.

    Example:
        >>> m = CashMovement(movement_id="M1", account_id="A1", kind="deposit",
        ...                  amount="9500.00", currency="eur", at="2026-11-20T10:00:00Z",
        ...                  payer_iban="DE89 3704 0044 0532 0130 00")
        >>> m.currency, m.payer_iban
        ('EUR', 'DE89370400440532013000')
    """

    key_fields: ClassVar[tuple[str, ...]] = ("movement_id",)

    movement_id: Text
    """The broker's unique id of the movement; the key."""
    account_id: Text
    """The account credited or debited."""
    kind: MovementKind
    """deposit, withdrawal, bonus, fee, transfer_in or transfer_out."""
    amount: PositiveDecimal
    """Amount, above zero, in ``currency``."""
    currency: CurrencyCode
    """ISO 4217 currency of the amount."""
    at: UtcDatetime
    """When the movement was booked."""
    method: PaymentMethod | None = None
    """card, bank_transfer, e_wallet, crypto or internal."""
    payer_name: Text | None = None
    """Name of the payer (deposits) or payee (withdrawals) as the payment carried it."""
    payer_country: CountryCode | None = None
    """Country of the payer's bank or card issuer."""
    payer_iban: Iban | None = None
    """The payer's IBAN (spaces removed)."""
