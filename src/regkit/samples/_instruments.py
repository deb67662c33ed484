"""The instruments the sample firm offers, their prices, and the leverage clients choose."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from regkit.schemas.enums import (
    Delivery,
    ExerciseStyle,
    OptionType,
    Product,
    UnderlyingClass,
)
from regkit.schemas.identifiers import isin_check_digit
from regkit.schemas.instrument import Instrument

__all__ = [
    "BREACH_LEVERAGE",
    "ESMA_RETAIL_LEVERAGE_CAPS",
    "EUR_VALUE",
    "RETAIL_LEVERAGE",
    "SPECS",
    "Spec",
    "build_instrument",
    "sample_upi",
]

#: ESMA's retail CFD leverage caps (Decision (EU) 2018/796 Art. 2(a)), as N for N:1.
ESMA_RETAIL_LEVERAGE_CAPS: Mapping[UnderlyingClass, int] = {
    UnderlyingClass.FX_MAJOR: 30,
    UnderlyingClass.FX_MINOR: 20,
    UnderlyingClass.GOLD: 20,
    UnderlyingClass.INDEX_MAJOR: 20,
    UnderlyingClass.COMMODITY: 10,
    UnderlyingClass.INDEX_MINOR: 10,
    UnderlyingClass.EQUITY: 5,
    UnderlyingClass.BOND: 5,
    UnderlyingClass.OTHER: 5,
    UnderlyingClass.CRYPTO: 2,
}


def _isin(body: str) -> str:
    return body + isin_check_digit(body)


def sample_upi(symbol: str) -> str:
    """A made-up UPI in ISO 4914's format for a sample OTC derivative (QZ and 10 letters or
    digits from the symbol's SHA-256): real ones are issued by the ANNA DSB."""
    digest = base64.b32encode(hashlib.sha256(symbol.encode()).digest()).decode()
    return "QZ" + digest[:10]


class Spec(NamedTuple):
    """How an instrument is described and traded."""

    symbol: str
    product: Product
    klass: UnderlyingClass
    quote: str
    full_name: str | None  # None: reports derive it (RTS 22 field 42)
    cfi: str | None  # None: reports derive it (ISO 10962, RTS 22 field 43)
    mid: int  # typical price in ticks
    decimals: int  # the tick is 10 ** -decimals
    step: str  # the quantity step (a lot fraction)
    max_steps: int
    weight: int  # relative trading activity
    base: str | None = None
    multiplier: str = "1"
    underlying_isin: str | None = None  # ISIN body; the check digit is computed
    underlying_index: str | None = None
    expiry_days: int | None = None
    delivery: Delivery = Delivery.CASH
    isin: str | None = None  # ISIN body (an OTC derivative's from ANNA DSB starts EZ)
    strike: str | None = None  # an option's strike (a European call)
    # The EMIR asset class (REFIT 2.11) of an underlying REFIT does not classify, the
    # firm's choice, and its commodity base product (REFIT 2.116) when that is COMM.
    asset_class: str | None = None
    base_product: str | None = None


_C, _S, _FX = Product.CFD, Product.SPREAD_BET, UnderlyingClass.FX_MAJOR
_U = UnderlyingClass

SPECS: tuple[Spec, ...] = (
    # Most instruments give no CFI and no full name: reports derive them (ISO 10962, RTS 22
    # fields 42-43; regkit.schemas.identifiers.derive_cfi and derive_full_name). EURUSD, the
    # bond CFD, the FX swap and the option give theirs, which must agree with the derived.
    Spec("EURUSD", _C, _FX, "USD", "CFD EUR/USD", "JFTXCC", 108500, 5, "1000", 500, 200, "EUR"),
    Spec("USDJPY", _C, _FX, "JPY", None, None, 151250, 3, "1000", 500, 90, "USD"),
    Spec("GBPUSD", _C, _FX, "USD", None, None, 127000, 5, "1000", 500, 80, "GBP"),
    Spec("USDCHF", _C, _FX, "CHF", None, None, 88000, 5, "1000", 500, 30, "USD"),
    Spec("EURGBP", _C, _FX, "GBP", None, None, 85000, 5, "1000", 500, 30, "EUR"),
    Spec("USDCAD", _C, _FX, "CAD", None, None, 136000, 5, "1000", 500, 20, "USD"),
    Spec("AUDUSD", _C, _U.FX_MINOR, "USD", None, None, 66000, 5, "1000", 500, 30, "AUD"),
    Spec("EURTRY", _C, _U.FX_MINOR, "TRY", None, None, 3550000, 5, "1000", 200, 10, "EUR"),
    Spec("USDZAR", _C, _U.FX_MINOR, "ZAR", None, None, 1820000, 5, "1000", 200, 10, "USD"),
    Spec("EURPLN", _C, _U.FX_MINOR, "PLN", None, None, 432000, 5, "1000", 200, 10, "EUR"),
    Spec("XAUUSD", _C, _U.GOLD, "USD", None, None, 265000, 2, "0.01", 1000, 60, "XAU"),
    Spec("XAGUSD", _C, _U.COMMODITY, "USD", None, None, 3100, 2, "1", 300, 15),
    Spec("USOIL", _C, _U.COMMODITY, "USD", None, None, 7050, 2, "1", 500, 30),
    Spec("UKOIL", _C, _U.COMMODITY, "USD", None, None, 7420, 2, "1", 500, 15),
    Spec(
        "GER40", _C, _U.INDEX_MAJOR, "EUR", None, None, 190000, 1, "0.01", 1000, 60,
        underlying_index="DAX",
    ),
    Spec(
        "US500", _C, _U.INDEX_MAJOR, "USD", None, None, 59000, 1, "0.01", 1000, 60,
        underlying_index="S&P 500",
    ),
    Spec(
        "UK100", _C, _U.INDEX_MAJOR, "GBP", None, None, 82000, 1, "0.01", 1000, 20,
        underlying_index="FTSE 100",
    ),
    Spec(
        "JPN225", _C, _U.INDEX_MAJOR, "JPY", None, None, 380000, 1, "0.1", 200, 10,
        underlying_index="Nikkei 225",
    ),
    Spec(
        "ESP35", _C, _U.INDEX_MINOR, "EUR", None, None, 115000, 1, "0.01", 1000, 10,
        underlying_index="IBEX 35",
    ),
    Spec(
        "HK50", _C, _U.INDEX_MINOR, "HKD", None, None, 195000, 1, "0.01", 1000, 10,
        underlying_index="Hang Seng",
    ),
    Spec(
        "NETH25", _C, _U.INDEX_MINOR, "EUR", None, None, 9000, 1, "0.1", 500, 5,
        underlying_index="AEX",
    ),
    # CFDs on shares have no ISIN of their own: the share's is the underlying (RTS 22 field
    # 47), the CFD is described in fields 42-56.
    Spec(
        "AAPL", _C, _U.EQUITY, "USD", None, None, 23000, 2, "1", 200, 20,
        underlying_isin="US037833100",
    ),
    Spec(
        "SAP", _C, _U.EQUITY, "EUR", None, None, 22000, 2, "1", 200, 10,
        underlying_isin="DE000716460",
    ),
    Spec(
        "ASML", _C, _U.EQUITY, "EUR", None, None, 65000, 2, "0.1", 500, 10,
        underlying_isin="NL001027321",
    ),
    Spec(
        "MC", _C, _U.EQUITY, "EUR", None, None, 60000, 2, "0.1", 500, 5,
        underlying_isin="FR000012101",
    ),
    # ISO 10962 has no group for crypto-assets; a CFD on one is a commodity forward, other,
    # and the sample firm reports it so under EMIR: asset class COMM, base product OTHR.
    Spec(
        "BTCUSD", _C, _U.CRYPTO, "USD", "CFD Bitcoin/USD", None, 680000, 1, "0.001", 500, 30,
        asset_class="COMM", base_product="OTHR",
    ),
    Spec(
        "ETHUSD", _C, _U.CRYPTO, "USD", "CFD Ether/USD", None, 260000, 2, "0.01", 500, 10,
        asset_class="COMM", base_product="OTHR",
    ),
    Spec(
        "BUND", _C, _U.BOND, "EUR", "CFD on Euro-Bund future", "JRMXFC", 13150, 2, "0.1", 300, 5,
        multiplier="10", underlying_isin="DE000110258",
    ),
    Spec(
        "VIX", _C, _U.OTHER, "USD", "CFD on CBOE Volatility Index futures", None, 1550, 2, "1",
        500, 5, underlying_index="CBOE Volatility Index", asset_class="EQUI",
    ),
    # Spread bets: the quantity is the stake per point of the price (RTS 22 field 30, a
    # monetary value), in the market's currency or the account's; quarterly bets expire.
    Spec(
        "UK100.SB", _S, _U.INDEX_MAJOR, "GBP", None, None, 82000, 1, "0.1", 1000, 12,
        underlying_index="FTSE 100", expiry_days=90,
    ),
    Spec(
        "GER40.SB", _S, _U.INDEX_MAJOR, "EUR", None, None, 190000, 1, "0.1", 500, 10,
        underlying_index="DAX", expiry_days=90,
    ),
    Spec(
        "US500.SB", _S, _U.INDEX_MAJOR, "USD", None, None, 59000, 1, "0.1", 1000, 8,
        underlying_index="S&P 500", expiry_days=90,
    ),
    Spec(
        "XAUUSD.SB", _S, _U.GOLD, "USD", None, None, 265000, 2, "0.1", 1000, 8, "XAU",
        expiry_days=90,
    ),
    Spec(
        "EURUSD.SPOT", Product.SPOT, _FX, "USD", None, None, 108500, 5, "1000", 200, 6, "EUR",
        delivery=Delivery.PHYSICAL,
    ),
    Spec(
        "EURUSD.1M", Product.FORWARD, _FX, "USD", None, None, 108700, 5, "1000", 200, 6, "EUR",
        expiry_days=30,
    ),
    Spec(
        "USDJPY.1W", Product.SWAP, _FX, "JPY", "USD/JPY FX swap 1W", "SFAXXN", 151300, 3, "1000",
        200, 4, "USD", expiry_days=7,
    ),
    Spec(
        "EURUSD.C110", Product.OPTION, _FX, "USD", "EUR/USD call 1.10 1M", "HFTAVC", 1250, 5,
        "1000", 200, 4, "EUR", expiry_days=30, isin="EZ7Q4R2W1X8", strike="1.1000",
    ),
)  # fmt: skip


def build_instrument(spec: Spec, start: date, last: date | None = None) -> Instrument:
    """The instrument record for ``spec``; dated contracts expire counting from ``start``,
    and never before the ``last`` trading day (a contract is not traded after its expiry:
    ESMA's MiFIR rule on field 55, ``MIFIR-VR-055-01``)."""
    expiry = None
    if spec.expiry_days is not None:
        expiry = max(start + timedelta(days=spec.expiry_days), last or start)
    return Instrument(
        symbol=spec.symbol,
        product=spec.product,
        underlying_class=spec.klass,
        base_currency=spec.base,
        quote_currency=spec.quote,
        cfi=spec.cfi,
        full_name=spec.full_name,
        price_multiplier=Decimal(spec.multiplier),
        delivery=spec.delivery,
        underlying_isin=None if spec.underlying_isin is None else _isin(spec.underlying_isin),
        isin=None if spec.isin is None else _isin(spec.isin),
        # An OTC derivative without an ISIN is reported by its UPI (EMIR-VR-2008-02).
        upi=sample_upi(spec.symbol)
        if spec.isin is None and spec.product is not Product.SPOT
        else None,
        option_type=None if spec.strike is None else OptionType.CALL,
        strike_price=None if spec.strike is None else Decimal(spec.strike),
        exercise_style=None if spec.strike is None else ExerciseStyle.EUROPEAN,
        underlying_index=spec.underlying_index,
        expiry_date=expiry,
        asset_class=spec.asset_class,
        base_product=spec.base_product,
    )


#: Euro value of one unit of each currency: a fixed table, good enough for margins.
EUR_VALUE = {
    code: Decimal(value)
    for code, value in {
        "EUR": "1", "USD": "0.92", "GBP": "1.19", "JPY": "0.0061", "CHF": "1.05",
        "CAD": "0.68", "AUD": "0.61", "TRY": "0.027", "ZAR": "0.051", "PLN": "0.23",
        "HKD": "0.118",
    }.items()
}  # fmt: skip

#: Leverage a retail client may pick, per class: all within the cap.
RETAIL_LEVERAGE: Mapping[UnderlyingClass, tuple[int, ...]] = {
    klass: tuple(sorted({max(1, cap // 3), max(1, cap // 2), cap}))
    for klass, cap in ESMA_RETAIL_LEVERAGE_CAPS.items()
}
#: Leverage above the cap, per class: what the planted breaches use.
BREACH_LEVERAGE: Mapping[UnderlyingClass, tuple[int, ...]] = {
    klass: (cap * 2, cap * 5, cap * 10) for klass, cap in ESMA_RETAIL_LEVERAGE_CAPS.items()
}
