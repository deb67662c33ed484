"""EMIR REFIT reports built as records: trades, accounts and the firm → :class:`EmirReport`.

:func:`build_reports` (or :class:`ReportBuilder`, trade by trade) makes every decision a
report needs and puts the result in an :class:`~regkit.schemas.emir.EmirReport`, one per
reportable trade; :mod:`regkit.reports.emir.write` then writes each record's XML from the
record alone, and :func:`regkit.reports.emir.render` streams both into files. The
decisions:

* **Counterparties.** The firm deals on own account: it is counterparty 1 (``firm.lei``),
  a financial counterparty (``F``) of sector ``INVF`` (investment firm), trading as
  principal; it is the seller (``SLLR``) when the client buys and the buyer when the client
  sells (for a swap: payer of the first leg, ``MAKE``, when the client buys). The client is
  counterparty 2: an entity by its LEI, a natural person by a client code (the firm's LEI
  followed by a code of the account id, :func:`client_code`, as REFIT wants for natural
  persons) and the person's country of residence. The report submitting entity is
  ``firm.reporting_lei`` and the entity responsible for reporting the firm.
* **UTIs** (ISO 23897): a trade's ``uti`` is checked and kept; a trade without one gets
  :func:`~regkit.schemas.identifiers.generate_uti` of the firm's LEI and its trade id, the
  same on every run, so that later reports (valuations, the termination) name the
  derivative its first report created.
* **Action and event types.** One action type per batch. NEWT, MODI, CORR and POSC carry
  the whole report; TERM, VALU and EROR only what identifies the derivative and what
  changes (every other field is None). Event types: NEWT ``TRAD``, MODI ``TRAD``
  (renegotiated terms), TERM ``ETRM`` (early termination: a CFD has no maturity, so closing
  one ends it early); CORR, EROR, POSC and VALU carry no event. ``events`` maps a trade id
  to another event type, or to an :class:`Event` with its time and, for POSC, the
  position's UTI.
* **CFD lifecycle.** A CFD opening is a NEWT (or a POSC into a position); its daily
  valuations VALU (from :class:`Valuation` records or account snapshots); its closing a TERM
  of the opening's UTI (REFIT table 2 field 151: the termination of an existing derivative,
  named by field 1). A closing trade names its opening in ``closes`` (its UTI is then the
  opening's ``uti``, or the one generated for it) or carries that UTI in ``uti``. A closing
  trade is never a new derivative: NEWT and POSC skip it. An opening is never terminated by
  itself: TERM skips it (its close terminates it) unless ``events`` names it with the
  closing time; TERM refuses a close without a UTI, one under its own generated UTI (never
  reported) that no opening of the batch carries, a second termination of one UTI, and a
  close of an opening of another account or instrument.
* **Instruments.** Contract type from the product (CFDS, SPDB, FORW, SWAP, OPTN; a spot
  trade is not a derivative and is skipped), asset class from ``underlying_class``, CFI,
  ISIN where there is one. Notional amounts: for a currency pair, quantity × multiplier in
  the base currency and that × the price in the quote currency, with the price as the
  forward exchange rate of the pair; otherwise quantity × price × multiplier in the price
  currency, with the price.
* **REFIT data of the records.** Counterparty 1's clearing threshold from the firm; an
  entity client's nature, sector, threshold and reporting obligation as it states them;
  collateral portfolio and master agreement from ``firm.agreement_for(account)`` (not
  collateralised on a portfolio and :data:`DEFAULT_MASTER_AGREEMENT` when nothing is
  said); the UPI of an instrument without ISIN (an OTC one with neither is refused); the
  total notional quantity of equity and commodity derivatives; the commodity
  classification; an option's strike currency and premium.
* **Clearing and confirmation.** Not cleared and no clearing obligation, not intragroup,
  confirmed electronically (``ECNF``) at execution, as a platform's trades are.

Every value a report holds is one the record type accepts and auth.030 can hold: a value
that is not (a notional with too many digits, an index name too long) refuses the trade by
name, so a built report always writes. Reports are made without pydantic's validation (the
builder's values are checked as they are made): ``EmirReport.model_validate(report.
model_dump())`` equals every report built.

Examples:
    >>> client_code("5493001KJTIIGC8Y1R12", "ACC-0001")
    '5493001KJTIIGC8Y1R12ACC0001LWSCVE43PQCG'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import Any, Final, Literal, NamedTuple

from regkit.errors import IdentifierError, RenderError
from regkit.reports.iso20022.codes import EXERCISE_STYLES, OPTION_TYPES, delivery, venue
from regkit.reports.values import (
    BadField,
    RefusedError,
    Skipped,
    creation_time,
    xml_decimal,
    xml_text,
    xml_utc,
)
from regkit.reports.values import BuiltReports as BuiltRecords
from regkit.schemas.account import Account, AccountSnapshot
from regkit.schemas.emir import EmirReport
from regkit.schemas.enums import Capacity, PositionEffect, Product, Side, UnderlyingClass
from regkit.schemas.firm import Firm
from regkit.schemas.identifiers import (
    EEA_COUNTRIES,
    SPECIAL_MICS,
    STRIKE_CURRENCY_REFUSED,
    derive_cfi,
    generate_uti,
    is_eea_regulated_market,
    is_valid_currency,
    is_valid_isin,
    is_valid_uti,
    mic_country,
    transaction_reference,
)
from regkit.schemas.instrument import Instrument
from regkit.schemas.party import LegalEntity
from regkit.schemas.trade import Trade
from regkit.schemas.types import DECIMAL_PLACES, WHOLE_DIGITS, to_utc

__all__ = [
    "DEFAULT_EVENTS",
    "DEFAULT_MASTER_AGREEMENT",
    "EVENT_TYPES",
    "Action",
    "BuiltReports",
    "Event",
    "ReportBuilder",
    "Valuation",
    "build_reports",
    "client_code",
    "position_uti",
    "uti_of",
]

Action = Literal["NEWT", "MODI", "CORR", "TERM", "EROR", "POSC", "VALU"]
"""The action types regkit reports (REFIT table 2 field 151)."""

#: The event type of each action type when ``events`` names none (None: no event).
DEFAULT_EVENTS: Final[Mapping[str, str | None]] = {
    "NEWT": "TRAD",
    "MODI": "TRAD",
    "TERM": "ETRM",
    "CORR": None,
    "EROR": None,
    "POSC": None,
    "VALU": None,
}
#: The event types of auth.030 (DerivativeEventType3Code; REFIT table 2 field 152).
EVENT_TYPES: Final = frozenset(
    {"ALOC", "CLRG", "CLAL", "COMP", "CORP", "CREV", "ETRM", "EXER", "INCP", "NOVA", "PTNG"}
    | {"TRAD", "UPDT"}
)

#: The action types whose report carries the whole derivative.
FULL: Final = frozenset({"NEWT", "MODI", "CORR", "POSC"})
_VALUATION_METHODS: Final = frozenset({"MTMA", "MTMO", "CCPV"})
# Exact products: the default context (28 digits) would round a large notional silently,
# and its exponent limit would raise Overflow where xml_decimal names the field instead.
_EXACT: Final = Context(prec=80, Emax=999_999_999_999_999_999, Emin=-999_999_999_999_999_999)
_UTI_CODE: Final = re.compile(r"[A-Z0-9]{1,32}").fullmatch


# --- inputs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """What happened to a derivative, for the report of one trade (``events={trade_id: ...}``).

    Attributes:
        type: the event type (TRAD, ETRM, INCP ...); None for the action's default
            (:data:`DEFAULT_EVENTS`).
        at: when it happened (REFIT table 2 field 153, and the early termination date of a
            TERM); default the trade's ``executed_at``.
        position: for POSC, the UTI of the position the trade goes into (table 2 field 4);
            default :func:`position_uti` of the trade's account and instrument.

    Examples:
        >>> from datetime import UTC
        >>> Event("ETRM", at=datetime(2026, 11, 21, 8, 0, tzinfo=UTC)).type
        'ETRM'
    """

    type: str | None = None
    at: datetime | None = None
    position: str | None = None


@dataclass(frozen=True)
class Valuation:
    """The mark-to-market value of one derivative (REFIT table 2 fields 21-25).

    Attributes:
        trade_id: the trade whose derivative is valued.
        value: the value to the firm (counterparty 1): positive when the contract is in the
            firm's favour, negative when in the client's.
        currency: the value's currency (ISO 4217).
        at: when the value was taken (timezone-aware).
        method: ``MTMA`` (mark-to-market), ``MTMO`` (mark-to-model) or ``CCPV`` (CCP's).
        delta: the option's delta, if any.

    Examples:
        >>> from datetime import UTC
        >>> Valuation("T1", Decimal("-12.50"), "USD", datetime(2026, 11, 20, 22, tzinfo=UTC)).method
        'MTMA'
    """

    trade_id: str
    value: Decimal
    currency: str
    at: datetime
    method: str = "MTMA"
    delta: Decimal | None = None

    def __post_init__(self) -> None:
        where = f"valuation of {self.trade_id!r}"
        for name, number in (("value", self.value), ("delta", self.delta)):
            if number is not None and (not isinstance(number, Decimal) or not number.is_finite()):
                raise RenderError(f"{where}: {name} must be a finite Decimal, got {number!r}")
        if not is_valid_currency(self.currency):
            raise RenderError(f"{where}: currency {self.currency!r} is not an ISO 4217 code")
        if not isinstance(self.at, datetime) or self.at.utcoffset() is None:
            raise RenderError(f"{where}: at must be a timezone-aware datetime, got {self.at!r}")
        if self.method not in _VALUATION_METHODS:
            raise RenderError(f"{where}: method must be MTMA, MTMO or CCPV, got {self.method!r}")


# --- identifiers -----------------------------------------------------------------------------


def client_code(lei: str, account_id: str) -> str:
    """The code of a client who is a natural person (REFIT table 1 field 9): the reporting
    counterparty's LEI followed by a code it keeps for the client, 72 characters at most.

    The code is :func:`~regkit.schemas.identifiers.transaction_reference` of the account id:
    the id itself when it is 1-52 upper-case letters and digits, otherwise the id cleaned
    with a hash suffix; the same on every run.

    Examples:
        >>> client_code("5493001KJTIIGC8Y1R12", "A1")
        '5493001KJTIIGC8Y1R12A1'
    """
    return lei + transaction_reference(account_id)


def uti_of(firm: Firm) -> Callable[[Trade], str]:
    """The UTI a trade is reported under: its own, or the one generated from the firm's LEI
    and its trade id. Give it to :func:`~regkit.reports.emir.reconcile` as ``uti_of``.

    Examples:
        >>> firm = Firm(lei="5493001KJTIIGC8Y1R12", name="Example Markets Ltd", country="CY")
        >>> uti_of(firm)(Trade(trade_id="T1", account_id="A1", side="buy", quantity="1",
        ...     price="1.1", executed_at="2026-11-20T09:00:00Z", instrument={"symbol": "EURUSD",
        ...     "product": "cfd", "underlying_class": "fx_major", "base_currency": "EUR",
        ...     "quote_currency": "USD"}))
        '5493001KJTIIGC8Y1R12T1'
    """

    def uti(trade: Trade) -> str:
        return trade.uti or generate_uti(firm.lei, trade.trade_id)

    return uti


def position_uti(lei: str, account_id: str, symbol: str) -> str:
    """The UTI of a client's position in an instrument, for POSC reports (one position per
    client account and instrument, as CFD positions net): :func:`generate_uti` of
    ``position:{account_id}:{symbol}`` (the colons keep it apart from any trade id's UTI
    that is the id itself).

    Examples:
        >>> position_uti("5493001KJTIIGC8Y1R12", "A1", "EURUSD")
        '5493001KJTIIGC8Y1R12POSITIONA1EURUSDO5ASY63URQE3'
    """
    return generate_uti(lei, f"position:{account_id}:{symbol}")


# --- records without validation --------------------------------------------------------------

# Every field, in order, None until given: the builder checks its values as it makes them,
# and pydantic's validation (or model_construct) of 77 fields would cost more than the rest
# of a report.
_TEMPLATE: Final[dict[str, Any]] = dict.fromkeys(EmirReport.model_fields)
_SET: Final = object.__setattr__
# The fields set of a report: all, as for the report validated from its model_dump(). (One
# set for every report: a frozen model never changes it.)
_ALL_FIELDS: Final = set(EmirReport.model_fields)


def _record(base: _Base, client: Mapping[str, Any], values: dict[str, Any]) -> EmirReport:
    """An :class:`EmirReport` of checked values, as ``model_construct`` makes it (20 times
    faster: it copies the fields its trade shares with others instead of walking them)."""
    data = base.data.copy()
    data.update(client)
    data.update(values)
    report = object.__new__(EmirReport)
    _SET(report, "__dict__", data)
    _SET(report, "__pydantic_fields_set__", _ALL_FIELDS)
    _SET(report, "__pydantic_extra__", None)
    _SET(report, "__pydantic_private__", None)
    return report


class _Base(NamedTuple):
    """The fields the reports of one instrument and side share: every field of the record,
    None until given."""

    data: dict[str, Any]

    @classmethod
    def of(cls, *parts: Mapping[str, Any]) -> _Base:
        data = _TEMPLATE.copy()
        for part in parts:
            data.update(part)
        return cls(data)


def _amount(value: Decimal, field: str, fraction: int = 19, total: int = 25) -> Decimal:
    """``value`` when auth.030 (``fraction`` decimals, ``total`` digits) and the record's
    decimal fields (18 decimals, 20 digits before the point) can both hold it."""
    text = str(value)
    fits = len(text) <= (fraction if fraction < DECIMAL_PLACES else DECIMAL_PLACES) <= total
    if fits and "E" not in text and value.is_finite():
        return value  # the common case: a short plain number fits everywhere
    xml_decimal(value, field, fraction, total)  # the XSD's limits, with today's messages
    _, digits, exponent = value.normalize(_EXACT).as_tuple()
    assert isinstance(exponent, int)  # xml_decimal refused NaN and infinities
    if -exponent > DECIMAL_PLACES or len(digits) + exponent > WHOLE_DIGITS:
        raise RefusedError(
            field,
            f"{value} has more than {DECIMAL_PLACES} decimals or {WHOLE_DIGITS} digits before "
            "the point (regkit's decimal fields)",
        )
    return value


# --- the instrument's fields -----------------------------------------------------------------

_CONTRACT_TYPES: Final = {
    Product.CFD: "CFDS",
    Product.SPREAD_BET: "SPDB",
    Product.FORWARD: "FORW",
    Product.SWAP: "SWAP",
    Product.OPTION: "OPTN",
}
#: What every whole report says of a platform's trade: no post-trade risk reduction,
#: confirmed electronically, no clearing obligation, not cleared, not intragroup.
_CONSTANT: Final[Mapping[str, Any]] = {
    "ptrr": False,
    "confirmed": "ECNF",
    "clearing_obligation": "FALSE",
    "cleared": "N",
    "intragroup": False,
}


class _Contract(NamedTuple):
    """What a report says of an instrument, worked out once per instrument."""

    fields: dict[str, Any]  # the report's fields of the instrument
    fx: bool
    base: str | None
    currency: str  # notional currency (price or quote currency)
    multiplier: Decimal | None  # None when 1
    swap: bool
    cfd: bool
    option: bool
    strike: Decimal | None  # an option's strike (the rate of a currency option's second leg)
    quantity: bool  # reports its total notional quantity (2.60: EQUI and COMM)
    premium_currency: str  # an option's premium currency (2.140): the price currency
    problem: RefusedError | None = None  # why a whole report cannot be made (short can)


def _cfi(instrument: Instrument) -> str | None:
    """REFIT table 2 field 9, mandatory (EMIR-VR-2009): the instrument's CFI, else the ISO
    10962 one regkit derives (as for MiFIR's field 43); None for an instrument with an ISIN
    and no derivable CFI (the emir-refit-vr pack then names it)."""
    if instrument.cfi is not None:
        return instrument.cfi
    try:
        return derive_cfi(instrument)
    except IdentifierError as exc:
        if instrument.isin is not None:
            return None
        raise RefusedError(
            "instrument.cfi", f"missing (REFIT table 2 field 9: the CFI), and {exc}"
        ) from exc


def _contract(instrument: Instrument, price_currency: str | None) -> _Contract:
    """The instrument's fields of a report (REFIT table 2 fields 7-20, 44-47, 114-115,
    132-134)."""
    option = _option(instrument)
    currency = price_currency or instrument.quote_currency
    if currency is None:
        raise RefusedError("price_currency", "missing, and the instrument has no quote currency")
    cfi = _cfi(instrument)
    asset_class = instrument.reported_asset_class
    if asset_class is None:
        # ESMA74-362-2683 EMIR-VR-2011-01: the asset class (2.11) is COMM, CRDT, CURR, EQUI or
        # INTR, never OTHR; which of them a crypto-asset or "other" underlying falls in is
        # the firm's call (a crypto-asset is none of them by itself), so regkit refuses to
        # guess rather than write an invalid class.
        raise RefusedError(
            "instrument.asset_class",
            f"missing: REFIT has no asset class of its own for a "
            f"{instrument.underlying_class.value} underlying; give the instrument the one "
            "the firm reports it in (COMM, CRDT, CURR, EQUI or INTR: REFIT table 2 field 11, "
            "EMIR-VR-2011-01)",
        )
    if instrument.product is not Product.CFD and instrument.expiry_date is None:
        # ESMA74-362-2683 EMIR-VR-2044-01 and VR-2046-01: every contract type but CFDS has
        # an expiration date (2.44) and a final settlement date (2.46).
        what = instrument.product.value.replace("_", " ")
        raise RefusedError(
            "instrument.expiry_date",
            f"missing: a {what} reports its expiration and settlement dates (REFIT table 2 "
            "fields 44 and 46; EMIR-VR-2044-01, VR-2046-01: only CFDS is exempt)",
        )
    fx = instrument.is_fx
    problem = None
    try:  # whole reports only: TERM, VALU and EROR leave 2.116-2.118 out
        commodity = _commodity(instrument, asset_class)
    except RefusedError as refused:
        problem, commodity = refused, {}
    fields: dict[str, Any] = {
        "contract_type": _CONTRACT_TYPES[instrument.product],
        "asset_class": asset_class,
        "product_classification": cfi,
        "isin": instrument.isin,
        # ESMA74-362-2683 EMIR-VR-2008-01: the UPI (2.8) is left blank when the ISIN (2.7) is
        # given; without an ISIN the UPI is reported (VR-2008-02, checked per trade: it
        # depends on the venue).
        "upi": instrument.upi if instrument.isin is None else None,
        **commodity,
        **_underlying(instrument),
        "crypto_based": instrument.underlying_class is UnderlyingClass.CRYPTO,
        "delivery_type": delivery(instrument, "REFIT table 2 field 47"),
        "expiration_date": instrument.expiry_date,
        "final_settlement_date": instrument.expiry_date,
        **option,
    }
    if fields["delivery_type"] != "PHYS":
        # ESMA74-362-2683 EMIR-VR-2019-01/05: settlement currency (2.19) when the delivery
        # type (2.47) is CASH (or OPTL), left blank when it is PHYS.
        fields["settlement_currency"] = currency
    if fx:
        fields["exchange_rate_basis"] = f"{instrument.base_currency}/{instrument.quote_currency}"
    multiplier = instrument.price_multiplier
    return _Contract(
        fields={name: value for name, value in fields.items() if value is not None},
        fx=fx,
        base=instrument.base_currency,
        currency=instrument.quote_currency if fx and instrument.quote_currency else currency,
        multiplier=None if multiplier == 1 else multiplier,
        swap=instrument.product is Product.SWAP,
        cfd=instrument.product is Product.CFD,
        option=bool(option),
        strike=instrument.strike_price,
        quantity=asset_class in ("EQUI", "COMM"),
        premium_currency=currency,
        problem=problem,
    )


#: REFIT 2.116-2.118 pairs auth.030.001.03 cannot carry: its ``RcvrdPpr`` element allows
#: only the sub-product OTHR, so recovered paper (PAPR/RCVP) has no valid XML.
_UNWRITABLE_COMMODITIES: Final = frozenset({("PAPR", "RCVP")})


def _commodity(instrument: Instrument, asset_class: str) -> dict[str, Any]:
    """The commodity classification (REFIT table 2 fields 116-118) of a commodity
    derivative: ESMA74-362-2683 EMIR-VR-2116-01 requires the base product when the asset
    class (2.11) is COMM and leaves it blank otherwise; the sub-product and further
    sub-product follow it (VR-2117-01..10, VR-2118-01..13, which the instrument's own
    check enforces)."""
    if asset_class != "COMM":
        return {}
    classified = instrument.commodity_classification
    if classified is None:
        raise RefusedError(
            "instrument.base_product",
            f"missing: {instrument.symbol!r} is a commodity derivative (asset class COMM) whose "
            "classification regkit cannot derive from its symbol; give base_product, "
            "sub_product and further_sub_product (REFIT table 2 fields 116-118, "
            "EMIR-VR-2116-01)",
        )
    if (classified.base_product, classified.sub_product) in _UNWRITABLE_COMMODITIES:
        raise RefusedError(
            "instrument.sub_product",
            f"{classified}: auth.030.001.03 has no element for this sub-product (REFIT table 2 "
            "field 117)",
        )
    return {
        "base_product": classified.base_product,
        "sub_product": classified.sub_product,
        "further_sub_product": classified.further_sub_product,
    }


def _option(instrument: Instrument) -> dict[str, Any]:
    """An option's type, exercise style and strike (REFIT table 2 fields 132-134, and the
    strike's currency, 138, when the strike is a price: a currency option's is a rate)."""
    if instrument.product is not Product.OPTION:
        return {}
    missing = [
        name
        for name in ("option_type", "exercise_style", "strike_price")
        if getattr(instrument, name) is None
    ]
    if missing:
        raise RefusedError(
            f"instrument.{missing[0]}",
            f"an option needs {', '.join(missing)} (REFIT table 2 fields 128-130)",
        )
    assert instrument.option_type is not None
    assert instrument.exercise_style is not None
    assert instrument.strike_price is not None
    strike = instrument.strike_price
    _amount(strike, "instrument.strike_price", *((10, 11) if instrument.is_fx else (19, 25)))
    # ESMA74-362-2683 EMIR-VR-2138-01/02: the strike price currency (2.138) of an option is
    # one currency, or for a currency option (CURR) its pair; VR-2138-03 refuses precious
    # metals and other special codes, which reported_strike_currency leaves out.
    currency = instrument.reported_strike_currency
    if currency is None:
        raise RefusedError(
            "instrument.strike_currency",
            f"missing: the option's quote currency {instrument.quote_currency} cannot be a "
            "strike price currency (REFIT table 2 field 138, EMIR-VR-2138-01, VR-2138-03); "
            "give strike_currency",
        )
    return {
        "option_type": OPTION_TYPES[instrument.option_type],
        "option_style": EXERCISE_STYLES[instrument.exercise_style],
        "strike_price": strike,
        "strike_price_currency": currency,
    }


def _underlying(instrument: Instrument) -> dict[str, Any]:
    """The underlying (REFIT table 2 fields 13-16): its ISIN, or the index's ISIN or name;
    none for a currency pair, a commodity or a crypto-asset."""
    if instrument.underlying_isin is not None:
        return {"underlying_id_type": "I", "underlying_id": instrument.underlying_isin}
    index = instrument.underlying_index
    if index is None:
        return {}
    if is_valid_isin(index):
        return {"underlying_id_type": "X", "underlying_id": index}
    xml_text(index, "instrument.underlying_index", 350)
    return {"underlying_id_type": "X", "underlying_index_name": index}


# --- the client's fields ---------------------------------------------------------------------


class _Client(NamedTuple):
    full: dict[str, Any]  # counterparty 2 of a whole report
    short: dict[str, Any]  # of TERM, EROR, VALU
    problem: RefusedError | None = None  # why a whole report cannot be made (short can)


def _client(account: Account, firm: Firm) -> _Client:
    """Counterparty 2 (REFIT table 1 fields 8-14): an entity's LEI with the nature, sector,
    clearing threshold and reporting obligation it states, or a person's client code and
    country of residence; and the master agreement and collateral terms of the account
    (table 2 fields 26-27, 34-36)."""
    holder = account.holder
    if isinstance(holder, LegalEntity):
        if holder.lei is None:
            raise RefusedError("account.holder.lei", "the client is an entity without an LEI")
        # ESMA74-362-2683 EMIR-VR-1010-02: counterparty 2 identified by an LEI (1.8 TRUE)
        # leaves its country (1.10) blank: the LEI names it.
        ident: dict[str, Any] = {"counterparty_2_is_lei": True, "counterparty_2": holder.lei}
        try:  # fields of whole reports only: TERM, VALU and EROR leave them out
            full = {**ident, **_entity(holder), **_agreement(firm, account)}
        except RefusedError as problem:
            return _Client(ident, ident, problem)
        return _Client(full, ident)
    if holder.residence_country is None:
        raise RefusedError(
            "account.holder.residence_country",
            "missing (REFIT table 1 field 10: a natural person's country of residence)",
        )
    ident = {
        "counterparty_2_is_lei": False,
        "counterparty_2": client_code(firm.lei, account.account_id),
        "counterparty_2_country": holder.residence_country,
    }
    try:
        terms = _agreement(firm, account)
    except RefusedError as problem:
        return _Client(ident, ident, problem)
    # A natural person is not an undertaking: no EMIR reporting obligation of its own
    # (ESMA74-362-2683 EMIR-VR-1014-02: 1.8 FALSE makes 1.14 FALSE).
    return _Client({**ident, "counterparty_2_reporting_obligation": False, **terms}, ident)


def _entity(holder: LegalEntity) -> dict[str, Any]:
    """What an entity client states of itself (REFIT table 1 fields 11-14), each when given.

    ESMA74-362-2683 EMIR-VR-1011-01 wants the nature (1.11) of counterparty 2 identified by
    an LEI, VR-1012-01/02 a sector (1.12) for nature F or N, VR-1013-01 the clearing
    threshold (1.13) for F or N, VR-1014-01 the reporting obligation (1.14): written when
    the entity states them (the ``emir-refit-vr`` pack names the ones missing). A nature F
    or N without its sector is refused: auth.030 carries that nature only with a sector.
    """
    if holder.nature in ("F", "N") and holder.sector is None:
        raise RefusedError(
            "account.holder.sector",
            f"missing: a counterparty of nature {holder.nature} reports its corporate sector "
            "(REFIT table 1 field 12, EMIR-VR-1012-01/02)",
        )
    fields = {
        "counterparty_2_nature": holder.nature,
        "counterparty_2_sector": holder.sector,
        "counterparty_2_above_clearing_threshold": holder.above_clearing_threshold,
        "counterparty_2_reporting_obligation": holder.reporting_obligation,
    }
    return {name: value for name, value in fields.items() if value is not None}


#: The master agreement type (REFIT table 2 field 34) of a firm that states none: BIAG, a
#: bilateral agreement, which is what a broker's client agreement (its terms of business,
#: signed by each client) is; it takes no version (EMIR-VR-2036-01) and no name
#: (EMIR-VR-2035-01 asks one only for OTHR).
DEFAULT_MASTER_AGREEMENT: Final = "BIAG"


def _agreement(firm: Firm, account: Account) -> dict[str, Any]:
    """The collateral portfolio (REFIT table 2 fields 26-27) and master agreement (34-36)
    terms of an account's derivatives, from :meth:`Firm.agreement_for`.

    ESMA74-362-2683 EMIR-VR-2026-01 makes the indicator mandatory: false (collateralised
    per transaction) when neither the account nor the firm says; VR-2027-01 the code
    exactly when it is true (the records check that). VR-2034-01 makes the type mandatory:
    :data:`DEFAULT_MASTER_AGREEMENT` when neither says; VR-2036-01 a version for every type
    but BIAG and OTHR; VR-2035-01 the agreement's name (2.35) with OTHR, and only then.
    """
    terms = firm.agreement_for(account)
    kind = terms.master_agreement_type or DEFAULT_MASTER_AGREEMENT
    version = terms.master_agreement_version
    name = terms.other_master_agreement_type if kind == "OTHR" else None
    if kind == "OTHR" and name is None:
        raise RefusedError(
            "agreement.other_master_agreement_type",
            "missing: a master agreement of type OTHR is reported with its name (REFIT table 2 "
            "field 35, EMIR-VR-2035-01); give other_master_agreement_type, or the "
            "agreement's code (BIAG for a bilateral client agreement)",
        )
    if version is None and kind not in ("BIAG", "OTHR"):
        raise RefusedError(
            "agreement.master_agreement_version",
            f"missing: a {kind} master agreement reports its version, a year (REFIT table 2 "
            "field 36, EMIR-VR-2036-01)",
        )
    portfolio = bool(terms.collateral_portfolio)
    return {
        "collateral_portfolio": portfolio,
        "collateral_portfolio_code": terms.collateral_portfolio_code if portfolio else None,
        "master_agreement_type": kind,
        "other_master_agreement_type": name,
        "master_agreement_version": version,
    }


def _valuation(valuation: Valuation) -> dict[str, Any]:
    """The valuation fields (REFIT table 2 fields 21-25)."""
    fields: dict[str, Any] = {
        "valuation_amount": _amount(valuation.value, "valuation.value"),
        "valuation_currency": valuation.currency,
        "valuation_timestamp": to_utc(valuation.at),
        "valuation_method": valuation.method,
    }
    if valuation.delta is not None:
        fields["delta"] = _amount(valuation.delta, "valuation.delta")
    return fields


def _direction(side: Side, swap: bool) -> dict[str, Any]:
    """REFIT table 1 fields 17-19 for the firm: its side, or the direction of its legs."""
    if swap:
        first, second = ("MAKE", "TAKE") if side is Side.BUY else ("TAKE", "MAKE")
        return {"direction_leg_1": first, "direction_leg_2": second}
    return {"direction": "SLLR" if side is Side.BUY else "BYER"}


def _amounts(trade: Trade, contract: _Contract) -> dict[str, Any]:
    """Price, notional amounts and the forward rate (REFIT table 2 fields 48-49, 55-56,
    64-65, 114)."""
    units = trade.quantity
    if contract.multiplier is not None:
        units = _EXACT.multiply(units, contract.multiplier)
    extra: dict[str, Any] = {}
    if contract.quantity:
        # ESMA74-362-2683 EMIR-VR-2060-01: an equity or commodity derivative (2.11 EQUI or
        # COMM) reports its total notional quantity (2.60): the units of the underlying.
        extra["total_notional_quantity_leg_1"] = _five_decimals(
            _amount(units, "quantity"),
            "quantity",
            "total notional quantity (REFIT table 2 field 60, EMIR-VR-2060-01)",
        )
    if contract.option:
        extra |= _premium(trade, contract)
    if contract.fx:
        # A currency option's second leg is at its strike; the trade's price is its premium.
        rate = trade.price if contract.strike is None else contract.strike
        fields = {
            "notional_amount_leg_1": _five_decimals(
                _amount(units, "notional"),
                "quantity",
                "notional amount of leg 1 (REFIT table 2 field 55, EMIR-VR-2055-01)",
            ),
            "notional_currency_1": contract.base,
            "notional_amount_leg_2": _notional(units, rate),
            "notional_currency_2": contract.currency,
        }
        if not contract.option:  # the price is the rate (an option's is its premium)
            fields["forward_exchange_rate"] = _amount(trade.price, "price", 13, 18)
        else:
            # ESMA74-362-2683 EMIR-VR-2113-01: a currency derivative reports 2.113 or 2.114;
            # a currency option's rate agreed at inception is its strike (2.113).
            fields["exchange_rate_1"] = _amount(rate, "instrument.strike_price", 13, 18)
        if contract.cfd:
            # ESMA74-362-2683 EMIR-VR-2048-01: a CFD reports its price (2.48), a currency
            # pair's too, in the quote currency (2.49, VR-2049-01); at most 13 decimals.
            fields["price"] = _amount(trade.price, "price", 13, 18)
            fields["price_currency"] = contract.currency
        return fields | extra
    return {
        "price": _amount(trade.price, "price"),
        "price_currency": contract.currency,
        "notional_amount_leg_1": _notional(units, trade.price),
        "notional_currency_1": contract.currency,
        **extra,
    }


def _premium(trade: Trade, contract: _Contract) -> dict[str, Any]:
    """An option's premium (REFIT table 2 fields 139-141): ESMA74-362-2683 EMIR-VR-2139-01,
    VR-2140-01 and VR-2141-01 make its amount, currency and payment date mandatory for
    OPTN. The amount is :attr:`Trade.reported_option_premium` (the premium given, else the
    price per unit × quantity × multiplier) in the trade's price currency, paid on
    :attr:`Trade.reported_option_premium_payment_date`."""
    currency = contract.premium_currency
    if currency in STRIKE_CURRENCY_REFUSED:
        raise RefusedError(
            "price_currency",
            f"{currency} cannot be an option premium currency (REFIT table 2 field 140, "
            "EMIR-VR-2140-02)",
        )
    amount = trade.reported_option_premium
    assert amount is not None  # an option trade always has one
    return {
        "option_premium_amount": _five_decimals(
            _amount(amount, "option_premium"),
            "option_premium",
            "option premium amount (REFIT table 2 field 139, EMIR-VR-2139-01)",
        ),
        "option_premium_currency": currency,
        "option_premium_payment_date": trade.reported_option_premium_payment_date,
    }


_FIVE_PLACES: Final = Decimal("1e-5")


def _notional(units: Decimal, rate: Decimal) -> Decimal:
    """A notional amount worked out as units x price (or rate): REFIT table 2 fields 55 and
    64 hold at most 5 decimals (ESMA74-362-2683 EMIR-VR-2055-01, VR-2064-01), so a product
    with more is rounded to 5, half to even. Only a product is: an amount a record gives
    is never rounded (:func:`_five_decimals` refuses it)."""
    product = _EXACT.multiply(units, rate)
    exponent = product.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -5:
        product = product.quantize(_FIVE_PLACES, rounding=ROUND_HALF_EVEN, context=_EXACT)
    return _amount(product, "notional")


def _five_decimals(value: Decimal, field: str, what: str) -> Decimal:
    """``value`` with at most 5 decimals, as ESMA's rule for ``what`` allows (trailing
    zeros beyond the fifth dropped); refused when it needs more: regkit never rounds an
    amount it reports."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -5:
        return value
    exact = value.quantize(_FIVE_PLACES, context=_EXACT)
    if exact != value:
        raise RefusedError(field, f"{value} has more than 5 decimals, which the {what} allows")
    return _amount(exact, field)


def third_country_platform(mic: str) -> bool:
    """Whether a venue is a third-country organised trading platform: a MIC of the ISO 10383
    registry outside the EEA (XOFF and XXXX are no platform).

    Examples:
        >>> third_country_platform("XNAS"), third_country_platform("XPAR")
        (True, False)
    """
    country = mic_country(mic)
    return mic not in SPECIAL_MICS and country is not None and country not in EEA_COUNTRIES


def _no_product_id(trade: Trade) -> list[RefusedError]:
    """Why a derivative without ISIN cannot be reported without a UPI.

    ESMA74-362-2683 EMIR-VR-2008-02: without an ISIN (2.7) the UPI (2.8) is mandatory,
    unless the venue (2.41) is a third-country organised trading platform (VR-2008-03: then
    optional): off venue (XOFF, XXXX) and on an EEA venue it is mandatory. A UPI is issued
    by the ANNA DSB, never derived.
    """
    if third_country_platform(trade.venue):
        return []
    where = "an OTC derivative" if trade.venue in SPECIAL_MICS else f"traded on {trade.venue}"
    return [
        RefusedError(
            "instrument.upi",
            f"missing: {trade.instrument.symbol!r} is {where} without an ISIN, "
            "which REFIT reports by its UPI (table 2 field 8, EMIR-VR-2008-02); give the UPI the "
            "ANNA DSB issued in instrument.upi",
        )
    ]


# --- terminations ----------------------------------------------------------------------------


#: Why a TERM batch leaves out a trade that opens a derivative.
def _closing_skipped(action: str) -> str:
    """Why a trade that closes a position is not reported under ``action`` (any but TERM):
    the derivative is the opening's, under the opening's UTI, which the close carries; a
    report of the close would be a second report of that derivative in one batch."""
    if action in ("NEWT", "POSC"):
        return (
            "closes a position: report it as a TERM of the opening's UTI, not as a new derivative"
        )
    return (
        f"closes a position: a {action} report is of the derivative its opening reported "
        "(under the opening's UTI), not of the close"
    )


_OPENS: Final = (
    "opens a position, reported by NEWT: the trade that closes it reports its TERM, under this "
    "trade's UTI"
)


class _Link(NamedTuple):
    """A trade that opens, or terminates, the derivative of one UTI."""

    trade_id: str
    account_id: str
    symbol: str


class _Terminations:
    """What a TERM batch checks across its trades.

    A TERM is "the termination of an existing derivative" (Delegated Regulation (EU)
    2022/1855, Annex, Table 2, field 151, action type), named by field 1 (the UTI) under
    which its NEWT reported it: for a CFD, the opening's UTI (ESMA Guidelines on reporting
    under EMIR, action and event types: a close is a TERM with event ETRM). regkit links a
    closing trade to its opening by the UTI the close carries in ``uti``, the opening's; so
    each UTI is terminated once, by a close of the same account and instrument as its
    opening when the opening is in the batch, and never under the close's own generated UTI,
    which no NEWT reported (NEWT skips closes). Trades arrive in any order: a close is checked
    against its opening when the second of the two arrives, and the closes that name their
    own UTI are refused at the end unless an opening carried it.
    """

    def __init__(self) -> None:
        self.opened: dict[str, _Link] = {}
        self.ended: dict[str, _Link] = {}
        self.unproven: dict[str, _Link] = {}  # closes under their own UTI, no opening seen yet
        self.ids: dict[str, str] = {}  # an opening's trade id → its UTI
        # An opening's trade id → the close that named it in ``closes`` before it came, and
        # the UTI that close was reported under.
        self.assumed: dict[str, tuple[str, str]] = {}

    def named(self, close: Trade, opening_id: str, uti: str) -> list[RefusedError]:
        """Note that ``close`` names the opening ``opening_id`` in ``closes`` and terminates
        ``uti``; why it cannot (the opening came first under another UTI)."""
        known = self.ids.get(opening_id)
        if known is None:
            self.assumed.setdefault(opening_id, (close.trade_id, uti))
            return []
        if known == uti:
            return []
        return [
            RefusedError(
                "uti",
                f"{uti} is not the UTI of opening {opening_id}, which closes names: that "
                f"opening was reported under {known}",
            )
        ]

    def opening(self, trade: Trade, uti: str) -> list[BadField]:
        """Note the UTI an opening was reported under; check a close that named it earlier."""
        self.ids.setdefault(trade.trade_id, uti)
        problems = self.check_assumed(trade.trade_id, uti)
        if uti in self.opened:  # two openings of one UTI: the EMIR-UTI-UNIQUE rule's finding
            return problems
        link = _Link(trade.trade_id, trade.account_id, trade.instrument.symbol)
        self.opened[uti] = link
        self.unproven.pop(uti, None)
        ended = self.ended.get(uti)
        if ended is None or ended.trade_id == link.trade_id:
            return problems
        other = _other(uti, link, ended)
        return problems + [BadField(ended.trade_id, item.field, item.reason) for item in other]

    def check_assumed(self, opening_id: str, uti: str) -> list[BadField]:
        """A close that named this opening before it came, under another UTI."""
        assumed = self.assumed.pop(opening_id, None)
        if assumed is None or assumed[1] == uti:
            return []
        close_id, taken = assumed
        return [
            BadField(
                close_id,
                "closes",
                f"names opening {opening_id}, reported under its own UTI {uti}, but came "
                f"before it in the input and was taken to terminate {taken}, the UTI regkit "
                "generates for it: give the close that UTI in uti, or put the opening first",
            )
        ]

    def termination(self, trade: Trade, uti: str, own: bool) -> list[RefusedError]:
        """Note a TERM of ``uti`` by ``trade`` (``own``: a close under its own generated UTI);
        the reasons it cannot be one."""
        link = _Link(trade.trade_id, trade.account_id, trade.instrument.symbol)
        earlier = self.ended.get(uti)
        if earlier is not None:
            return [
                RefusedError(
                    "uti",
                    f"{uti} is already terminated by trade {earlier.trade_id} in this batch: a "
                    "derivative is terminated once (a partial close is a MODI of it)",
                )
            ]
        self.ended[uti] = link
        opening = self.opened.get(uti)
        if opening is not None:
            return _other(uti, opening, link)
        if own:
            self.unproven[uti] = link
        return []

    def orphans(self) -> list[BadField]:
        """The closes that named their own UTI and no opening of the batch carried it."""
        return [
            BadField(
                link.trade_id,
                "uti",
                f"{uti} is this closing trade's own UTI, under which no derivative was reported "
                "(NEWT skips closing trades), and no opening in the input has it: a TERM names "
                "the UTI its opening's NEWT reported (REFIT table 2 fields 1 and 151); give "
                "that UTI in uti",
            )
            for uti, link in self.unproven.items()
        ]


def _other(uti: str, opening: _Link, close: _Link) -> list[RefusedError]:
    """Why ``close`` cannot terminate the derivative ``opening`` reported under ``uti``: a
    position of another account or instrument (none when it is the same)."""
    if (opening.account_id, opening.symbol) == (close.account_id, close.symbol):
        return []
    return [
        RefusedError(
            "uti",
            f"{uti} is the UTI of opening {opening.trade_id} (account {opening.account_id}, "
            f"{opening.symbol}), not of a position of account {close.account_id} in "
            f"{close.symbol}",
        )
    ]


# --- reports ---------------------------------------------------------------------------------


class ReportBuilder:
    """Builds the reports of one action type trade by trade, caching what repeats (clients,
    instruments) and collecting the trades it skips and every field it cannot report.

    Feed it every trade of the batch with :meth:`build`, then call :meth:`finish`: some
    problems show only once every trade was seen (a TERM's close whose opening never came).

    Args:
        accounts: the accounts the trades are on.
        firm: the reporting firm (counterparty 1 and entity responsible for reporting; the
            report submitting entity is ``firm.reporting_lei``).
        action: NEWT, MODI, CORR, TERM, EROR, POSC or VALU.
        created_at: the reporting timestamp (REFIT table 1 field 1); default now, in UTC.
        events: trade id → event type, or an :class:`Event` (type, time, position UTI).
        valuations: the derivatives' values, one per trade id.
        snapshots: account snapshots, to value a trade without a :class:`Valuation` (VALU).

    Attributes:
        skipped: the trades left out, each with the reason.
        refused: every field of every trade that cannot be reported.
        reported: the number of reports built.

    Raises:
        RenderError: an unknown action, a firm regkit cannot report, two valuations of one
            trade, or a naive ``created_at``.

    Examples:
        >>> firm = Firm(lei="5493001KJTIIGC8Y1R12", name="Example Markets Ltd", country="CY")
        >>> builder = ReportBuilder([], firm, action="EROR")
        >>> builder.finish(), builder.reported
        ([], 0)
    """

    _CACHE_LIMIT: Final = 4096

    def __init__(
        self,
        accounts: Iterable[Account],
        firm: Firm,
        *,
        action: Action = "NEWT",
        created_at: datetime | None = None,
        events: Mapping[str, str | Event] | None = None,
        valuations: Iterable[Valuation] = (),
        snapshots: Iterable[AccountSnapshot] = (),
    ) -> None:
        created = creation_time(created_at)
        check_arguments(firm, action)
        self.firm = firm
        self.created = created
        self.accounts = {account.account_id: account for account in accounts}
        self.action = action
        self.full = action in FULL
        self.events: Mapping[str, str | Event] = events or {}
        self.valuations = _by_trade(valuations)
        self.snapshots = _latest_snapshots(snapshots)
        self.head: dict[str, Any] = {
            "reporting_timestamp": created,
            "report_submitting_entity": firm.reporting_lei,
            "entity_responsible_for_reporting": firm.lei,
            "counterparty_1": firm.lei,
            "counterparty_1_nature": "F",
            "action_type": action,
        }
        if self.full:
            # ESMA74-362-2683 EMIR-VR-1007-01: a counterparty 1 of nature F states its
            # clearing threshold (1.7), from the firm (left blank when the firm does not
            # say: the emir-refit-vr pack names it).
            self.head |= {
                "counterparty_1_sector": "INVF",
                "trading_capacity": "PRIN",
                "counterparty_1_above_clearing_threshold": firm.above_clearing_threshold,
            }
        # ESMA74-362-2683 EMIR-VR-2154-01: a level (2.154) on every action type, EROR's too;
        # regkit reports trades (VR-2154-02: POSC is TCTN).
        self.head["level"] = "TCTN"
        self.clients: dict[str, _Client | RefusedError] = {}
        self.contracts: dict[tuple[int, str | None], tuple[Instrument, _Contract | RefusedError]]
        self.contracts = {}
        self.bases: dict[tuple[int, Side], tuple[_Contract | None, _Base]] = {}
        self.skipped: list[Skipped] = []
        self.refused: list[BadField] = []
        self.reported = 0
        self.terms = _Terminations() if action == "TERM" else None

    def build(self, trade: Trade) -> EmirReport | None:
        """The report of a trade; None when it is skipped or cannot be reported (then in
        :attr:`skipped` or :attr:`refused`)."""
        instrument = trade.instrument
        if instrument.product is Product.SPOT:
            self.skipped.append(Skipped(trade.trade_id, "product spot is not a derivative"))
            return None
        if trade.position_effect is PositionEffect.CLOSE and self.action != "TERM":
            self.skipped.append(Skipped(trade.trade_id, _closing_skipped(self.action)))
            return None
        refused: list[RefusedError] = []
        if self.terms is not None and not self.terminates(trade, refused):
            return None
        client = self.client(trade.account_id)
        contract = self.contract(instrument, trade.price_currency)
        uti = self.uti(trade, refused)
        if self.terms is not None and uti and not refused:
            own = trade.position_effect is PositionEffect.CLOSE and uti == self.generated(trade)
            refused += self.terms.termination(trade, uti, own)
        for piece in (client, contract):
            if isinstance(piece, RefusedError):
                refused.append(piece)
        if self.full:
            for part in (client, contract):
                if not isinstance(part, RefusedError) and part.problem is not None:
                    refused.append(part.problem)
        if self.full and instrument.isin is None and instrument.upi is None:
            refused += _no_product_id(trade)
        if trade.capacity is Capacity.AOTC:
            refused.append(
                RefusedError(
                    "capacity",
                    "AOTC: the client's counterparty is not the firm, and regkit reports the "
                    "firm as counterparty 1 (DEAL or MTCH)",
                )
            )
        if refused or isinstance(client, RefusedError) or isinstance(contract, RefusedError):
            self.refuse(trade, refused)
            return None
        try:
            report = self.fields(trade, client, contract, uti)
        except RefusedError as problem:
            self.refuse(trade, [problem])
            return None
        self.reported += 1
        return report

    def finish(self) -> list[BadField]:
        """Call once every trade was built: adds the problems only the whole batch shows to
        :attr:`refused` and returns :attr:`refused`."""
        if self.terms is not None:
            self.refused += self.terms.orphans()
            self.terms = _Terminations()
        return self.refused

    def fields(self, trade: Trade, client: _Client, contract: _Contract, uti: str) -> EmirReport:
        """The report of a trade whose parties and instrument were worked out."""
        event, at, position = self.event(trade)
        own: dict[str, Any] = {"uti": uti}
        if event is not None:
            own["event_type"] = event
        own |= self.valuation(trade)
        own["event_date"] = self.event_date(at, own.get("valuation_timestamp"))
        if not self.full:
            if self.action == "TERM":
                own["early_termination_date"] = at.date()
            own["trade_id"] = trade.trade_id
            own["account_id"] = trade.account_id
            return _record(self.base(None, trade.side), client.short, own)
        if position is not None:
            own["subsequent_position_uti"] = position
        own["venue"] = place = venue(trade)
        if is_eea_regulated_market(place):
            # ESMA74-362-2683 EMIR-VR-2030-03: a derivative of an EEA regulated market (an
            # exchange-traded derivative) leaves the clearing obligation (2.30) blank.
            own["clearing_obligation"] = None
        own |= _amounts(trade, contract)
        executed = trade.executed_at
        own["execution_timestamp"] = own["confirmation_timestamp"] = executed
        own["effective_date"] = executed.date()
        own["trade_id"] = trade.trade_id
        own["account_id"] = trade.account_id
        return _record(self.base(contract, trade.side), client.full, own)

    def base(self, contract: _Contract | None, side: Side) -> _Base:
        """The fields shared by the reports of an instrument (None: the short reports of
        TERM, VALU and EROR, which leave it out) and a side (cached)."""
        key = (id(contract), side)
        cached = self.bases.get(key)
        if cached is not None and cached[0] is contract:
            return cached[1]
        if len(self.bases) >= self._CACHE_LIMIT:
            self.bases.clear()
        if contract is None:
            base = _Base.of(self.head)
        else:
            direction = _direction(side, contract.swap)
            base = _Base.of(self.head, direction, contract.fields, _CONSTANT)
        self.bases[key] = (contract, base)
        return base

    def terminates(self, trade: Trade, refused: list[RefusedError]) -> bool:
        """Whether a trade of a TERM batch reports a termination.

        A closing trade does (its UTI is checked in :meth:`build`). Any other trade opened a
        derivative, which NEWT reports (with no position effect, as NEWT takes it): it is
        terminated by the trade that closes it, so it is skipped, unless ``events`` names it
        with the time its position closed (the early termination date, REFIT table 2 field
        45) to terminate it without a closing trade.
        """
        assert self.terms is not None
        if trade.position_effect is PositionEffect.CLOSE:
            return True
        self.refused += self.terms.opening(trade, trade.uti or self.generated(trade))
        given = self.events.get(trade.trade_id)
        if given is None:
            self.skipped.append(Skipped(trade.trade_id, _OPENS))
            return False
        if not isinstance(given, Event) or given.at is None:
            refused.append(
                RefusedError(
                    "event.at",
                    "an opening is terminated at the time its position closed (REFIT table 2 "
                    "field 45, early termination date): name it with Event(at=...)",
                )
            )
        return True

    def generated(self, trade: Trade) -> str:
        """The UTI regkit gives a trade that has none (:func:`generate_uti`)."""
        return self.generated_id(trade.trade_id)

    def generated_id(self, trade_id: str) -> str:
        """The UTI regkit gives the trade ``trade_id`` when it has none."""
        if _UTI_CODE(trade_id):  # generate_uti's common case, inline
            return self.firm.lei + trade_id
        return generate_uti(self.firm.lei, trade_id)

    def uti(self, trade: Trade, refused: list[RefusedError]) -> str:
        """The UTI the trade is reported under (REFIT table 2 field 1): a TERM's close
        terminates the opening it names in ``closes``, under that opening's UTI (its own,
        or the one regkit generates for it)."""
        given = trade.uti
        closes = trade.closes
        if self.terms is not None and closes is not None:
            uti = given or self.terms.ids.get(closes) or self.generated_id(closes)
            refused += self.terms.named(trade, closes, uti)
            if given is None:
                return uti
        if given is None:
            if trade.position_effect is PositionEffect.CLOSE and self.action == "TERM":
                # A close is a TERM of its opening's UTI (REFIT table 2 fields 1 and 151);
                # regkit knows that UTI only from the close's uti.
                refused.append(
                    RefusedError(
                        "uti",
                        "closes a position but carries no UTI, so the derivative it terminates "
                        "is unknown: give the UTI its opening's NEWT reported in uti",
                    )
                )
                return ""
            return self.generated(trade)
        if not is_valid_uti(given):
            refused.append(
                RefusedError(
                    "uti",
                    f"{given!r} is not an ISO 23897 UTI (an LEI, then 1-32 upper-case letters "
                    "or digits)",
                )
            )
        return given

    def event(self, trade: Trade) -> tuple[str | None, datetime, str | None]:
        """The event type (None: none), its time, and the position's UTI (POSC)."""
        given = self.events.get(trade.trade_id) if self.events else None
        if given is None and self.action != "POSC":  # the common case, inline
            return DEFAULT_EVENTS[self.action], trade.executed_at, None
        detail = given if isinstance(given, Event) else Event(given)
        default = DEFAULT_EVENTS[self.action]
        event = detail.type or default
        if event is not None and event not in EVENT_TYPES:
            raise RefusedError("event", f"{event!r} is not an event type ({_listed(EVENT_TYPES)})")
        if event is not None and default is None:
            raise RefusedError("event", f"action {self.action} reports no event type ({event})")
        at = trade.executed_at if detail.at is None else to_utc(detail.at)
        position = None
        if self.action == "POSC":
            position = detail.position or position_uti(
                self.firm.lei, trade.account_id, trade.instrument.symbol
            )
            if not is_valid_uti(position):
                raise RefusedError("event.position", f"{position!r} is not an ISO 23897 UTI")
        return event, at, position

    def event_date(self, at: datetime, valued: datetime | None) -> date:
        """The event date (REFIT table 2 field 153), which ESMA74-362-2683 EMIR-VR-2153-01
        makes mandatory for every action type: for EROR the date of the reporting timestamp
        (VR-2153-05), for VALU the date of the valuation timestamp (VR-2023-06), for TERM the
        early termination date (VR-2153-06), otherwise the date of the event (the trade's
        execution unless ``events`` gives another time; VR-2153-02: NEWT and POSC's is the
        execution date)."""
        if self.action == "EROR":
            return self.created.date()
        if self.action == "VALU" and valued is not None:
            return valued.date()
        return at.date()

    def valuation(self, trade: Trade) -> dict[str, Any]:
        """The valuation fields of the trade's derivative: required by VALU, optional
        elsewhere."""
        valuation = self.valuations.get(trade.trade_id)
        if valuation is None and self.action == "VALU":
            valuation = self.snapshot_valuation(trade)
        if valuation is None:
            return {}
        if to_utc(valuation.at) > self.created:
            raise RefusedError(
                "valuation.at",
                f"{xml_utc(valuation.at)} is later than the reporting timestamp "
                f"{xml_utc(self.created)} (ESMA74-362-2683 EMIR-VR-2023-04, REFIT table 2 "
                "field 23)",
            )
        return _valuation(valuation)

    def snapshot_valuation(self, trade: Trade) -> Valuation:
        """A valuation from the account's latest snapshot, when it holds this one position:
        the client's unrealised result (equity - balance) is then the contract's value, and
        its opposite the value to the firm."""
        snapshot = self.snapshots.get(trade.account_id)
        if snapshot is None:
            raise RefusedError("valuation", "no Valuation and no snapshot of the account")
        if snapshot.open_positions != 1:
            raise RefusedError(
                "valuation",
                f"no Valuation, and the account's snapshot at {xml_utc(snapshot.at)} values "
                f"{snapshot.open_positions} open positions together, not this one",
            )
        value = snapshot.balance - snapshot.equity
        return Valuation(trade.trade_id, value, snapshot.currency, snapshot.at)

    def refuse(self, trade: Trade, refused: list[RefusedError]) -> None:
        """Note every field of ``trade`` that cannot be reported."""
        self.refused.extend(BadField(trade.trade_id, item.field, item.reason) for item in refused)

    def client(self, account_id: str) -> _Client | RefusedError:
        """Counterparty 2 of an account's trades (cached)."""
        piece = self.clients.get(account_id)
        if piece is None:
            account = self.accounts.get(account_id)
            if account is None:
                piece = RefusedError("account_id", f"no account {account_id!r} was given")
            else:
                try:
                    piece = _client(account, self.firm)
                except RefusedError as refused:
                    piece = refused
            if len(self.clients) >= self._CACHE_LIMIT:
                self.clients.clear()
            self.clients[account_id] = piece
        return piece

    def contract(
        self, instrument: Instrument, price_currency: str | None
    ) -> _Contract | RefusedError:
        """The instrument's fields (cached by identity: the loaders share one instance per
        instrument)."""
        key = (id(instrument), price_currency)
        cached = self.contracts.get(key)
        if cached is not None and cached[0] is instrument:
            return cached[1]
        if len(self.contracts) >= self._CACHE_LIMIT:
            self.contracts.clear()
        piece: _Contract | RefusedError
        try:
            piece = _contract(instrument, price_currency)
        except RefusedError as refused:
            piece = refused
        self.contracts[key] = (instrument, piece)
        return piece


class BuiltReports(BuiltRecords[EmirReport]):
    """The EMIR reports of a batch (one per reportable trade, in the trades' order), the
    trades left out (not derivatives, or not of this action) and the fields that cannot be
    reported.

    Examples:
        >>> BuiltReports().raise_for_refusals()
    """


def build_reports(
    trades: Iterable[Trade],
    accounts: Iterable[Account],
    firm: Firm,
    *,
    action: Action = "NEWT",
    created_at: datetime | None = None,
    events: Mapping[str, str | Event] | None = None,
    valuations: Iterable[Valuation] = (),
    snapshots: Iterable[AccountSnapshot] = (),
) -> BuiltReports:
    """The EMIR REFIT reports of a batch of trades, all of one action type, as records.

    The same reports, skips and refusals as :func:`~regkit.reports.emir.render` (which
    writes these records), without writing anything; see :class:`ReportBuilder` for the
    arguments (and for building a stream of trades at flat memory).

    Returns:
        The reports, the skipped trades and the refused fields (none refused when every
        trade could be reported).

    Raises:
        RenderError: bad arguments (an unknown action, a firm regkit cannot report ...).

    Examples:
        >>> from datetime import UTC
        >>> firm = Firm(lei="5493001KJTIIGC8Y1R12", name="Example Markets Ltd", country="CY")
        >>> account = Account(account_id="A1", category="retail", holder={"kind": "person",
        ...     "first_name": "Anna", "surname": "Berg", "nationalities": ["SE"],
        ...     "residence_country": "SE"})
        >>> trade = Trade(trade_id="T1", account_id="A1", side="buy", quantity="1000",
        ...     price="1.1", executed_at="2026-11-20T09:00:00Z", instrument={"symbol": "EURUSD",
        ...     "product": "cfd", "underlying_class": "fx_major", "base_currency": "EUR",
        ...     "quote_currency": "USD", "cfi": "JFTXCC", "upi": "QZ4DF6TN8RC2"})
        >>> built = build_reports([trade], [account], firm,
        ...     created_at=datetime(2026, 11, 20, 18, tzinfo=UTC))
        >>> report = built.reports[0]
        >>> report.uti, report.direction, report.notional_amount_leg_2
        ('5493001KJTIIGC8Y1R12T1', 'SLLR', Decimal('1100.0'))
    """
    builder = ReportBuilder(
        accounts,
        firm,
        action=action,
        created_at=created_at,
        events=events,
        valuations=valuations,
        snapshots=snapshots,
    )
    reports = [report for trade in trades if (report := builder.build(trade)) is not None]
    return BuiltReports(reports, builder.skipped, builder.finish())


def check_arguments(firm: Firm, action: str) -> None:
    """Refuse an unknown action, or a firm regkit cannot report."""
    if action not in DEFAULT_EVENTS:
        raise RenderError(f"action must be one of {_listed(DEFAULT_EVENTS)}, got {action!r}")
    if not firm.investment_firm:
        raise RenderError(
            "firm.investment_firm is false: regkit reports the firm as a financial "
            "counterparty of sector INVF (investment firm), and has no other sector for it"
        )


def _listed(codes: Iterable[str]) -> str:
    return ", ".join(sorted(codes))


def _by_trade(valuations: Iterable[Valuation]) -> dict[str, Valuation]:
    found: dict[str, Valuation] = {}
    for valuation in valuations:
        if valuation.trade_id in found:
            raise RenderError(f"two valuations of trade {valuation.trade_id!r}; give one")
        found[valuation.trade_id] = valuation
    return found


def _latest_snapshots(snapshots: Iterable[AccountSnapshot]) -> dict[str, AccountSnapshot]:
    latest: dict[str, AccountSnapshot] = {}
    for snapshot in snapshots:
        known = latest.get(snapshot.account_id)
        if known is None or snapshot.at > known.at:
            latest[snapshot.account_id] = snapshot
    return latest
