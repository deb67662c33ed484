"""What was traded: Instrument, with the fields RTS 22 fields 41-56 and EMIR need."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Self

from pydantic import model_validator

from regkit.schemas.base import Record
from regkit.schemas.enums import Delivery, ExerciseStyle, OptionType, Product, UnderlyingClass
from regkit.schemas.types import Cfi, CurrencyCode, Isin, IsoDate, PositiveDecimal, Text

__all__ = ["MAJOR_CURRENCIES", "Instrument"]

#: ESMA's major currencies: a pair of two of them is a major FX pair (Decision (EU) 2018/796).
MAJOR_CURRENCIES = frozenset({"USD", "EUR", "JPY", "GBP", "CAD", "CHF"})

_FX_CLASSES = frozenset({UnderlyingClass.FX_MAJOR, UnderlyingClass.FX_MINOR})


class Instrument(Record):
    """A tradable instrument: an FX pair, a CFD on an index, a forward ...

    For an FX instrument (``fx_major`` or ``fx_minor``) both currencies are required and
    must differ; ``fx_major`` means both are among USD, EUR, JPY, GBP, CAD and CHF, and
    ``fx_minor`` that at least one is not. Other instruments may leave ``base_currency``
    empty (gold, an index or bitcoin is not a currency of a pair).

    Example:
        >>> Instrument(symbol="EURUSD", product="cfd", underlying_class="fx_major",
        ...            base_currency="EUR", quote_currency="USD").quote_currency
        'USD'
    """

    shared: ClassVar[bool] = True

    symbol: Text
    """The broker's symbol (``EURUSD``, ``US500``, ``XAUUSD``)."""
    product: Product
    """spot, forward, swap, option, cfd or spread_bet."""
    underlying_class: UnderlyingClass
    """The class of the underlying, as ESMA's leverage tiers group them."""
    base_currency: CurrencyCode | None = None
    """First currency of an FX pair (RTS 22 field 44, notional currency 1)."""
    quote_currency: CurrencyCode | None = None
    """Second currency of an FX pair, or the price currency (RTS 22 field 45)."""
    isin: Isin | None = None
    """ISIN of the instrument where it has one (RTS 22 field 41)."""
    cfi: Cfi | None = None
    """ISO 10962 CFI (RTS 22 field 43); an FX CFD is ``JFTXCC``."""
    full_name: Text | None = None
    """Full name (RTS 22 field 42), e.g. ``CFD EUR/USD``."""
    price_multiplier: PositiveDecimal = Decimal(1)
    """Units of the underlying per contract (RTS 22 field 46)."""
    delivery: Delivery | None = None
    """Cash or physical settlement (RTS 22 field 56)."""
    underlying_isin: Isin | None = None
    """ISIN of the underlying (RTS 22 field 47), for equity and bond CFDs."""
    underlying_index: Text | None = None
    """Name or ISIN of the underlying index (RTS 22 fields 47-48)."""
    expiry_date: IsoDate | None = None
    """Expiry or maturity (RTS 22 field 55); ``None`` for open-ended CFDs."""
    option_type: OptionType | None = None
    """An option's type, call or put (RTS 22 field 50; EMIR REFIT table 2)."""
    strike_price: PositiveDecimal | None = None
    """An option's strike (RTS 22 fields 51-52; EMIR REFIT table 2): for a currency option,
    the exchange rate in the quote currency per unit of the base currency."""
    exercise_style: ExerciseStyle | None = None
    """An option's exercise style (RTS 22 field 53; EMIR REFIT table 2)."""

    @model_validator(mode="after")
    def _option_terms(self) -> Self:
        terms = {
            "option_type": self.option_type,
            "strike_price": self.strike_price,
            "exercise_style": self.exercise_style,
        }
        given = [name for name, value in terms.items() if value is not None]
        if given and self.product is not Product.OPTION:
            raise ValueError(f"{', '.join(given)}: only an option has them, not a {self.product}")
        return self

    @model_validator(mode="after")
    def _fx_pair(self) -> Self:
        if self.underlying_class not in _FX_CLASSES:
            return self
        base, quote = self.base_currency, self.quote_currency
        if base is None or quote is None:
            raise ValueError("an FX instrument needs base_currency and quote_currency")
        if base == quote:
            raise ValueError(f"an FX pair needs two different currencies, got {base}/{quote}")
        both_major = base in MAJOR_CURRENCIES and quote in MAJOR_CURRENCIES
        if self.underlying_class is UnderlyingClass.FX_MAJOR and not both_major:
            raise ValueError(
                f"{base}/{quote} is not a major pair (both of USD, EUR, JPY, GBP, CAD, CHF); "
                "classify it fx_minor"
            )
        if self.underlying_class is UnderlyingClass.FX_MINOR and both_major:
            raise ValueError(f"{base}/{quote} is a major pair; classify it fx_major")
        return self

    @property
    def is_fx(self) -> bool:
        """Whether the underlying is a currency pair."""
        return self.underlying_class in _FX_CLASSES
