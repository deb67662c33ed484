"""One execution against a client: Trade."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, ClassVar

from pydantic import Field

from regkit.schemas.base import Record
from regkit.schemas.enums import Capacity, PositionEffect, Side
from regkit.schemas.instrument import Instrument
from regkit.schemas.types import (
    Checked,
    CurrencyCode,
    ExactDecimal,
    Mic,
    NonNegativeDecimal,
    PositiveDecimal,
    Text,
    UtcDatetime,
    Uti,
)

__all__ = ["DecisionMaker", "InvestmentDecisionMaker", "Trade"]

_DECISION_RE = re.compile(r"ALGO:[A-Za-z0-9_.\-]{1,50}|NORE|[A-Za-z0-9_.\-@]{1,50}")
_DECISION = Checked(
    lambda value: _DECISION_RE.fullmatch(value) is not None,
    "a trader id (letters, digits, _ . - @), ALGO:<algorithm id> or NORE",
    "strip",
    pattern=lambda: f"^(?:{_DECISION_RE.pattern})$",
)

DecisionMaker = Annotated[Text, _DECISION]
"""Who executed (RTS 22 field 59): a trader id, ``ALGO:<id>``, or ``NORE`` (the client)."""

_INVESTMENT_RE = re.compile(r"ALGO:[A-Za-z0-9_.\-]{1,50}|(?!NORE$)[A-Za-z0-9_.\-@]{1,50}")
_INVESTMENT = Checked(
    lambda value: _INVESTMENT_RE.fullmatch(value) is not None,
    "a trader id or ALGO:<algorithm id>; leave it empty when the client decided "
    "(RTS 22 field 57 has no NORE)",
    "strip",
)
InvestmentDecisionMaker = Annotated[Text, _INVESTMENT]
"""Who decided within the firm (RTS 22 field 57): a trader id or ``ALGO:<id>``."""


class Trade(Record):
    """An execution of a client order by the firm (the client's side in ``side``).

    Example:
        >>> t = Trade(
        ...     trade_id="T1", account_id="A1", side="buy", quantity="100000", price="1.0850",
        ...     executed_at="2026-11-20T09:30:00.123+01:00",
        ...     instrument={"symbol": "EURUSD", "product": "cfd", "underlying_class": "fx_major",
        ...                 "base_currency": "EUR", "quote_currency": "USD"},
        ... )
        >>> t.executed_at.isoformat(), t.notional
        ('2026-11-20T08:30:00.123000+00:00', Decimal('108500.0000'))
    """

    key_fields: ClassVar[tuple[str, ...]] = ("trade_id",)

    trade_id: Text
    """The broker's unique id of the execution; the key of the trade."""
    account_id: Text
    """The client account (joins to Account.account_id)."""
    instrument: Instrument
    """What was traded."""
    side: Side
    """The client's side: buy or sell."""
    quantity: PositiveDecimal
    """Units (for FX, of the base currency; otherwise contracts), above zero."""
    price: PositiveDecimal
    """Execution price, above zero."""
    executed_at: UtcDatetime
    """Execution time, normalised to UTC with the source precision (RTS 22 field 28)."""
    price_currency: CurrencyCode | None = None
    """Currency of the price (RTS 22 field 34); usually the instrument's quote currency."""
    venue: Mic = "XOFF"
    """Venue MIC (RTS 22 field 36): XOFF off venue for a listed instrument, XXXX otherwise."""
    capacity: Capacity = Capacity.DEAL
    """Trading capacity (RTS 22 field 29): DEAL, MTCH or AOTC."""
    leverage: Annotated[ExactDecimal, Field(ge=1)] | None = None
    """Leverage of the position as N for N:1, at least 1 (ESMA leverage caps)."""
    margin: NonNegativeDecimal | None = None
    """Initial margin put up for the position, in the account currency."""
    position_effect: PositionEffect | None = None
    """Whether the trade opens or closes a position."""
    uti: Uti | None = None
    """ISO 23897 unique transaction identifier (EMIR); generated when absent."""
    lp_reference: Text | None = None
    """The liquidity provider's execution id, for reconciliation."""
    execution_decision: DecisionMaker | None = None
    """Who executed within the firm: trader id or ``ALGO:<id>`` (RTS 22 field 59)."""
    investment_decision: InvestmentDecisionMaker | None = None
    """Who decided within the firm: trader id or ``ALGO:<id>``; none when the client did."""
    requested_price: PositiveDecimal | None = None
    """The price the client asked for, for slippage analysis."""

    @property
    def notional(self) -> Decimal:
        """Quantity × price × the instrument's price multiplier."""
        return self.quantity * self.price * self.instrument.price_multiplier
