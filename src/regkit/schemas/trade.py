"""One execution against a client: Trade."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, ClassVar, Self

from pydantic import Field, model_validator

from regkit.schemas.base import Record, RowCheck
from regkit.schemas.enums import Capacity, PositionEffect, Product, Side
from regkit.schemas.instrument import Instrument
from regkit.schemas.types import (
    Checked,
    CurrencyCode,
    ExactDecimal,
    IsoDate,
    Mic,
    NonNegativeDecimal,
    PositiveDecimal,
    Text,
    UtcDatetime,
    Uti,
)

__all__ = [
    "CLOSES_ITSELF",
    "DecisionMaker",
    "InvestmentDecisionMaker",
    "Trade",
    "option_premium_amount",
    "trade_terms_problem",
]

#: The reason a trade that names itself in ``closes`` is refused.
CLOSES_ITSELF = "closes names the trade itself; give the id of the trade that opened the position"

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


def trade_terms_problem(
    product: str,
    position_effect: str | None,
    has_premium: bool,
    has_premium_date: bool,
    has_near_rate: bool,
    has_near_date: bool,
    has_closes: bool,
) -> str | None:
    """What is wrong with the option, swap and closing terms of a trade, or ``None``.

    Only an option trade has a premium and its payment date (EMIR REFIT 2.139 and 2.141
    apply to options only); only an FX swap has a near leg, whose rate and value date come
    together; an opening trade closes nothing.

    Examples:
        >>> trade_terms_problem("cfd", "open", True, False, False, False, False)
        'option_premium, option_premium_payment_date: only an option trade has a premium (REFIT 2.139, 2.141), not a cfd trade'
        >>> trade_terms_problem("swap", None, False, False, True, True, False) is None
        True
    """  # noqa: E501
    if (has_premium or has_premium_date) and product != "option":
        return (
            "option_premium, option_premium_payment_date: only an option trade has a premium "
            f"(REFIT 2.139, 2.141), not a {product} trade"
        )
    if (has_near_rate or has_near_date) and product != "swap":
        return (
            f"near_leg_rate, near_leg_value_date: only an FX swap has a near leg, not a "
            f"{product} trade"
        )
    if has_near_rate != has_near_date:
        return "near_leg_rate, near_leg_value_date: a near leg needs both its rate and value date"
    if has_closes and position_effect == "open":
        return "closes: an opening trade closes nothing; its position_effect must be close"
    return None


def stake_currency_problem(product: str, has_currency: bool) -> str | None:
    """What is wrong with a trade's quantity currency, or ``None``: only a spread bet's
    quantity is a monetary value with a currency (RTS 22 fields 30-31, its stake per point).

    Examples:
        >>> stake_currency_problem("cfd", True)
        "quantity_currency: only a spread bet's quantity is a monetary value (its stake per point, RTS 22 fields 30-31), not a cfd's"
    """  # noqa: E501
    if not has_currency or product == "spread_bet":
        return None
    return (
        "quantity_currency: only a spread bet's quantity is a monetary value (its stake per "
        f"point, RTS 22 fields 30-31), not a {product}'s"
    )


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
    row_checks = (
        RowCheck(("instrument.product",), stake_currency_problem, presence=("quantity_currency",)),
        RowCheck(
            ("instrument.product", "position_effect"),
            trade_terms_problem,
            presence=(
                "option_premium",
                "option_premium_payment_date",
                "near_leg_rate",
                "near_leg_value_date",
                "closes",
            ),
        ),
    )

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
    option_premium: NonNegativeDecimal | None = None
    """An option trade's premium, in the price currency (EMIR REFIT 2.139, at least zero:
    EMIR-VR-2139-01). Leave it empty when the trade's price is the premium per unit: then
    :func:`option_premium_amount` derives it."""
    option_premium_payment_date: IsoDate | None = None
    """When an option trade's premium is paid (EMIR REFIT 2.141, EMIR-VR-2141-01); empty:
    on the execution date (:attr:`reported_option_premium_payment_date`)."""
    closes: Text | None = None
    """For a trade that closes (part of) a position: the ``trade_id`` of the trade that
    opened it, so that a termination (REFIT action type TERM) names the derivative without
    a hand-made event. Not on an opening trade."""
    near_leg_rate: PositiveDecimal | None = None
    """An FX swap's near leg: its exchange rate (the trade's ``price`` is the far leg's,
    REFIT 2.114 of the far leg). Given together with ``near_leg_value_date``."""
    near_leg_value_date: IsoDate | None = None
    """An FX swap's near leg: its value date (the instrument's ``expiry_date`` is the far
    leg's). Given together with ``near_leg_rate``."""

    quantity_currency: CurrencyCode | None = None
    """The currency of a quantity that is a monetary value (RTS 22 field 31): a spread bet's
    quantity is its stake per point of the underlying (field 30), in this currency; empty:
    the account's base currency. Only a spread bet has one."""

    @model_validator(mode="after")
    def _not_closing_itself(self) -> Self:
        if self.closes is not None and self.closes == self.trade_id:
            raise ValueError(CLOSES_ITSELF)
        return self

    @property
    def notional(self) -> Decimal:
        """Quantity × price × the instrument's price multiplier."""
        return self.quantity * self.price * self.instrument.price_multiplier

    @property
    def reported_option_premium(self) -> Decimal | None:
        """The option premium EMIR REFIT 2.139 reports (:func:`option_premium_amount`)."""
        return option_premium_amount(self)

    @property
    def reported_option_premium_payment_date(self) -> date | None:
        """The premium payment date EMIR REFIT 2.141 reports: the one given, else the
        execution date in UTC (a client pays an option's premium when it trades); ``None``
        for a trade that is not an option."""
        if self.instrument.product is not Product.OPTION:
            return None
        return self.option_premium_payment_date or self.executed_at.date()


def option_premium_amount(trade: Trade) -> Decimal | None:
    """An option trade's premium amount (EMIR REFIT 2.139): ``option_premium`` where given,
    else the trade's price (the premium per unit of the option) × quantity × the
    instrument's price multiplier, as :attr:`Trade.notional`; ``None`` for a trade that is
    not an option.

    Examples:
        >>> t = Trade(
        ...     trade_id="T1", account_id="A1", side="buy", quantity="10000", price="0.0125",
        ...     executed_at="2026-11-20T09:30:00Z",
        ...     instrument={"symbol": "EURUSD.C110", "product": "option",
        ...                 "underlying_class": "fx_major", "base_currency": "EUR",
        ...                 "quote_currency": "USD", "strike_price": "1.10"},
        ... )
        >>> option_premium_amount(t)
        Decimal('125.0000')
    """
    if trade.option_premium is not None:
        return trade.option_premium
    if trade.instrument.product is not Product.OPTION:
        return None
    return trade.notional
