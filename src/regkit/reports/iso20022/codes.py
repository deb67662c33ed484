"""ISO 20022 code lists that MiFIR (auth.016) and EMIR (auth.030) reports both use.

The option types, exercise styles and delivery types of ISO 20022 (``OptionType2Code``,
``OptionStyle7Code``, ``PhysicalTransferType4Code``), which products settle in cash by
definition, and the venue of a trade (``XOFF``/``XXXX`` or its MIC). Each regime's renderer
reads them once per instrument or inline per trade; nothing here adds a call per record that
was not there before.

Examples:
    >>> OPTION_TYPES[OptionType.PUT], DELIVERY[Delivery.PHYSICAL]
    ('PUTO', 'PHYS')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from regkit.reports.values import RefusedError
from regkit.schemas.enums import Delivery, ExerciseStyle, OptionType, Product
from regkit.schemas.identifiers import SPECIAL_MICS
from regkit.schemas.instrument import Instrument
from regkit.schemas.trade import Trade

__all__ = [
    "CASH_SETTLED",
    "DELIVERY",
    "EXERCISE_STYLES",
    "OPTION_TYPES",
    "delivery",
    "venue",
]

#: An option's type: call or put.
OPTION_TYPES: Final[Mapping[OptionType, str]] = {OptionType.CALL: "CALL", OptionType.PUT: "PUTO"}
#: An option's exercise style.
EXERCISE_STYLES: Final[Mapping[ExerciseStyle, str]] = {
    ExerciseStyle.EUROPEAN: "EURO",
    ExerciseStyle.AMERICAN: "AMER",
    ExerciseStyle.BERMUDAN: "BERM",
}
#: How a derivative settles: in cash or by physical delivery.
DELIVERY: Final[Mapping[Delivery, str]] = {Delivery.CASH: "CASH", Delivery.PHYSICAL: "PHYS"}
#: Products that settle in cash by definition (a CFD, a spread bet).
CASH_SETTLED: Final = frozenset({Product.CFD, Product.SPREAD_BET})


def delivery(instrument: Instrument, field: str) -> str:
    """The delivery type of an instrument: its ``delivery``, else CASH for a product that
    settles in cash by definition.

    Args:
        instrument: the instrument.
        field: the regime's field, for the refusal (``RTS 22 field 56``).

    Raises:
        RefusedError: the instrument has no delivery and its product does not say it.

    Examples:
        >>> delivery(Instrument(symbol="EURUSD", product="cfd", underlying_class="fx_major",
        ...     base_currency="EUR", quote_currency="USD"), "RTS 22 field 56")
        'CASH'
    """
    if instrument.delivery is not None:
        return DELIVERY[instrument.delivery]
    if instrument.product in CASH_SETTLED:
        return "CASH"
    raise RefusedError("instrument.delivery", f"missing ({field}: cash or physical)")


def venue(trade: Trade) -> str:
    """The venue of a trade (RTS 22 field 36, REFIT table 2 field 41): its MIC when it was
    executed on a venue; otherwise XOFF for an instrument traded on a venue (regkit's sign
    of that: it has an ISIN) and XXXX for one that is not (OTC)."""
    if trade.venue not in SPECIAL_MICS:
        return trade.venue
    return "XOFF" if trade.instrument.isin is not None else "XXXX"
