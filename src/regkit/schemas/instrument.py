"""What was traded: Instrument, with the fields RTS 22 fields 41-56 and EMIR need."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import ClassVar, Final, Self

from pydantic import model_validator

from regkit.schemas.base import Record, RowCheck
from regkit.schemas.emir import AssetClass
from regkit.schemas.enums import Delivery, ExerciseStyle, OptionType, Product, UnderlyingClass
from regkit.schemas.identifiers import (
    CFI_TERMS,
    STRIKE_CURRENCY_REFUSED,
    CommodityClass,
    cfi_problem,
    commodity_classification,
    commodity_problem,
    is_valid_currency,
)
from regkit.schemas.types import (
    BaseProduct,
    Cfi,
    CurrencyCode,
    FurtherSubProduct,
    Isin,
    IsoDate,
    PositiveDecimal,
    StrikeCurrency,
    SubProduct,
    Text,
    Upi,
)

__all__ = ["ASSET_CLASSES", "MAJOR_CURRENCIES", "Instrument"]

#: ESMA's major currencies: a pair of two of them is a major FX pair (Decision (EU) 2018/796).
MAJOR_CURRENCIES = frozenset({"USD", "EUR", "JPY", "GBP", "CAD", "CHF"})

_FX_CLASSES = frozenset({UnderlyingClass.FX_MAJOR, UnderlyingClass.FX_MINOR})

#: The EMIR REFIT asset class (table 2 field 11) of each underlying class that has one.
#: A crypto-asset or an "other" underlying has none: REFIT's classes are COMM, CRDT, CURR,
#: EQUI and INTR only (ESMA74-362-2683 EMIR-VR-2011-01), and ESMA's guidelines on
#: derivatives on crypto-assets (ESMA74-362-2281 section 4.27) add only the indicator of
#: field 2.12; the firm says which class such an instrument is reported in
#: (:attr:`Instrument.asset_class`).
ASSET_CLASSES: Final[Mapping[str, AssetClass]] = {
    "fx_major": "CURR",
    "fx_minor": "CURR",
    "gold": "COMM",
    "commodity": "COMM",
    "index_major": "EQUI",
    "index_minor": "EQUI",
    "equity": "EQUI",
    "bond": "INTR",
}


def asset_class_problem(underlying_class: str, asset_class: str | None) -> str | None:
    """What is wrong with an instrument's EMIR asset class, or ``None``: a class given for
    an underlying class that has its own (:data:`ASSET_CLASSES`) must be that one.

    Examples:
        >>> asset_class_problem("crypto", "COMM") is None
        True
        >>> asset_class_problem("fx_major", "COMM")
        'asset_class COMM contradicts CURR, the REFIT asset class of a fx_major underlying (REFIT 2.11)'
    """  # noqa: E501
    own = ASSET_CLASSES.get(underlying_class)
    if asset_class is None or own is None or asset_class == own:
        return None
    return (
        f"asset_class {asset_class} contradicts {own}, the REFIT asset class of a "
        f"{underlying_class} underlying (REFIT 2.11)"
    )


def strike_currency_problem(
    product: str,
    underlying_class: str,
    base_currency: str | None,
    quote_currency: str | None,
    strike_currency: str | None,
) -> str | None:
    """What is wrong with an instrument's strike price currency (REFIT 2.138), or ``None``.

    Only an option has one. A currency option's is its pair, base/quote, in the order its
    strike is quoted (EMIR-VR-2138-02); any other option's is one ISO 4217 currency, not a
    precious metal nor a special code (EMIR-VR-2138-01, EMIR-VR-2138-03).

    Examples:
        >>> strike_currency_problem("option", "fx_major", "EUR", "USD", "EUR/USD") is None
        True
        >>> strike_currency_problem("option", "fx_major", "EUR", "USD", "USD/EUR")
        'strike_currency USD/EUR contradicts EUR/USD, the pair of this currency option (REFIT 2.138)'
    """  # noqa: E501
    if strike_currency is None:
        return None
    if product != "option":
        return f"strike_currency: only an option has a strike price currency, not a {product}"
    if underlying_class in _FX_CLASSES:
        pair = f"{base_currency}/{quote_currency}"
        if strike_currency != pair:
            return (
                f"strike_currency {strike_currency} contradicts {pair}, the pair of this "
                "currency option (REFIT 2.138)"
            )
        return None
    if not is_valid_currency(strike_currency) or strike_currency in STRIKE_CURRENCY_REFUSED:
        return (
            f"strike_currency {strike_currency}: an option on a {underlying_class} underlying "
            "takes one ISO 4217 currency, not a pair, a metal or a special code "
            "(EMIR-VR-2138-01, EMIR-VR-2138-03)"
        )
    return None


def own_isin_problem(isin: str | None, underlying_isin: str | None) -> str | None:
    """What is wrong with an instrument's ISIN, or ``None``: a derivative's own ISIN is not
    its underlying's. A CFD on a share with no ISIN of its own is described (RTS 22 fields
    42-56) and names the share in field 47; under the share's ISIN it would be reported as
    a trade in the share.

    Examples:
        >>> own_isin_problem("DE0007164600", "DE0007164600")
        'isin DE0007164600 is the underlying_isin: a derivative without an ISIN of its own leaves isin empty (RTS 22 field 41; the underlying is field 47)'
    """  # noqa: E501
    if isin is None or isin != underlying_isin:
        return None
    return (
        f"isin {isin} is the underlying_isin: a derivative without an ISIN of its own leaves "
        "isin empty (RTS 22 field 41; the underlying is field 47)"
    )


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
    row_checks = (
        RowCheck(
            ("product", "underlying_class", "base_currency", "quote_currency", "strike_currency"),
            strike_currency_problem,
        ),
        RowCheck(
            ("underlying_class", "symbol", "base_product", "sub_product", "further_sub_product"),
            commodity_problem,
        ),
        RowCheck(("underlying_class", "asset_class"), asset_class_problem),
        RowCheck(("isin", "underlying_isin"), own_isin_problem),
        # A CFI the instrument gives must be the one ISO 10962 derives from its terms
        # (RTS 22 field 43): a contradiction is refused naming both.
        RowCheck(("cfi", *CFI_TERMS), cfi_problem),
    )

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
    """ISO 10962 CFI (RTS 22 field 43); an FX CFD is ``JFTXCC``. Leave it empty to report
    the derived one (:func:`~regkit.schemas.identifiers.derive_cfi`); a given one must agree
    with it."""
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
    upi: Upi | None = None
    """ISO 4914 unique product identifier from the ANNA DSB (EMIR REFIT 2.8): an OTC
    derivative without an ISIN is reported by its UPI (EMIR-VR-2008-02). It is issued,
    never derived; the EMIR renderer refuses an OTC derivative that has neither."""
    strike_currency: StrikeCurrency | None = None
    """An option's strike price currency (EMIR REFIT 2.138): for a currency option its pair,
    ``EUR/USD`` (base/quote), for another option one currency. Leave it empty to report the
    derived one (:attr:`reported_strike_currency`); a given one must agree with it."""
    base_product: BaseProduct | None = None
    """Commodity base product (EMIR REFIT 2.116, e.g. METL); derived for gold, silver,
    platinum, palladium, WTI, Brent and natural gas (:attr:`commodity_classification`)."""
    sub_product: SubProduct | None = None
    """Commodity sub-product (EMIR REFIT 2.117, e.g. PRME); must belong to the base product."""
    further_sub_product: FurtherSubProduct | None = None
    """Commodity further sub-product (EMIR REFIT 2.118, e.g. GOLD); must belong to the
    sub-product."""
    asset_class: AssetClass | None = None
    """The EMIR REFIT asset class (2.11: COMM, CRDT, CURR, EQUI or INTR) of an underlying
    that REFIT does not classify: a crypto-asset or an "other" underlying. The firm's
    choice (ESMA gives none); without it such an instrument is refused by the EMIR
    renderer rather than reported with an invalid class. For any other underlying the class
    is derived (:data:`ASSET_CLASSES`) and a given one must agree."""

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

    @property
    def reported_asset_class(self) -> AssetClass | None:
        """The EMIR REFIT asset class (2.11) reported: derived from the underlying class
        (:data:`ASSET_CLASSES`), else the one given; ``None`` when neither says.

        Examples:
            >>> Instrument(symbol="BTCUSD", product="cfd", underlying_class="crypto",
            ...            asset_class="COMM").reported_asset_class
            'COMM'
        """
        return ASSET_CLASSES.get(self.underlying_class.value, self.asset_class)

    @property
    def reported_strike_currency(self) -> str | None:
        """The strike price currency EMIR REFIT 2.138 reports: the one given, else for a
        currency option its pair (base/quote), for another option its quote currency (when
        REFIT accepts it), and nothing for an instrument that is not an option."""
        if self.strike_currency is not None or self.product is not Product.OPTION:
            return self.strike_currency
        if self.is_fx:
            return f"{self.base_currency}/{self.quote_currency}"
        quote = self.quote_currency
        return None if quote is None or quote in STRIKE_CURRENCY_REFUSED else quote

    @property
    def commodity_classification(self) -> CommodityClass | None:
        """The commodity classification EMIR REFIT 2.116-2.118 reports: the codes given,
        completed by the one derived from the underlying class and symbol
        (:func:`~regkit.schemas.identifiers.commodity_classification`); ``None`` when
        neither says.

        Examples:
            >>> gold = Instrument(symbol="XAUUSD", product="cfd", underlying_class="gold")
            >>> str(gold.commodity_classification)
            'METL/PRME/GOLD'
        """
        derived = commodity_classification(self.underlying_class.value, self.symbol)
        if derived is not None:
            return derived
        if self.base_product is None:
            return None
        return CommodityClass(self.base_product, self.sub_product, self.further_sub_product)
