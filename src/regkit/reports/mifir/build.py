"""MiFIR transaction reports built as records: trades, accounts, the firm and its traders →
:class:`~regkit.schemas.mifir.MifirReport`.

:func:`build_reports` (or :class:`ReportBuilder`, trade by trade) makes every decision a
report needs and puts the result in a :class:`~regkit.schemas.mifir.MifirReport`, one per
reportable trade and one per cancellation; :func:`regkit.reports.mifir.write.write_report`
then writes each record's ``Tx`` from the record alone, and
:func:`regkit.reports.mifir.render` streams both into validated files. The decisions:

* **Counterparties.** The firm deals on own account: it is the executing entity (field 4,
  ``firm.lei``) and the client's counterparty. When the client buys, the client is the
  buyer (fields 7-11) and the firm the seller (16, its LEI); when the client sells, the
  reverse. A client that is an entity is identified by its LEI, a person by the national
  client identifier of :func:`~regkit.schemas.identifiers.national_client_id` (RTS 22 Art. 6,
  Annex II, EU or UK table) with first names (comma-separated), surname and date of birth.
  The branch country (fields 8/17) is the account's ``branch_country``, else the firm's
  country. An FX forward's buyer is who receives the currency first in ISO 4217 order
  (ESMA's Q&A on MiFIR data reporting, section 17): for USD/JPY, the seller of dollars.
* **Transaction reference** (field 2): the trade id when it is 1-52 upper-case letters and
  digits, else :func:`~regkit.schemas.identifiers.transaction_reference` of it, so that a
  cancellation may name the trade id or the reference.
* **Venue** (field 36): a real MIC on the trade is kept; otherwise the instrument decides:
  ``XOFF`` when it is traded on a venue (regkit's only sign of that: an ISIN), ``XXXX`` when
  not. An instrument with an ISIN is reported by ISIN (field 41, fields 42-56 None); one
  without is described in full (fields 42-56).
* **Underlying** (fields 47-48): the underlying's ISIN, or the index's ISIN or name; none
  for a currency pair (whose currencies are fields 44 and 45), gold or a crypto-asset.
* **Quantity** (fields 30-31): units; for an FX forward its amount in the base currency, a
  nominal value (the same Q&A); for a spread bet its stake per point of the underlying, a
  monetary value in the trade's ``quantity_currency``, else its account's base currency
  (both at most 5 decimals, as auth.016 takes them).
* **Decisions** (fields 57-60): a trader id (the person in ``traders``, identified like a
  client, in the firm's country), ``ALGO:<id>`` (an algorithm), or for field 59 ``NORE``;
  field 57 is left empty when the client decided. NORE in field 57 is refused. (ESMA's
  content rules, the ``mifir-vr`` pack the renderer runs, refuse more: a firm dealing on
  own account names who decided, and NORE goes with AOTC only.)
* **Indicators**: field 64 ``false`` for commodity derivatives only (the firm's trades with
  clients do not reduce its risk in the sense of MiFID II Art. 57), field 65 ``false``.

Every value a report holds is one the record type accepts and auth.016 can hold: a value
that is not (a name too long, a decimal with too many digits, an identifier of the wrong
form) refuses the trade by name, so a built report always writes. Reports are made without
pydantic's validation (the builder's values are checked as they are made):
``MifirReport.model_validate(report.model_dump())`` equals every report built.

Examples:
    >>> from regkit.schemas import Firm
    >>> firm = Firm(lei="5493001KJTIIGC8Y1R12", name="Example Markets Ltd", country="CY")
    >>> ReportBuilder([], firm).cancellation("T-1").transaction_reference
    'T1ZVFIUJNLYJJ2'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol, cast

from regkit.errors import IdentifierError, RenderError
from regkit.reports.iso20022.codes import EXERCISE_STYLES, OPTION_TYPES, delivery, venue
from regkit.reports.values import BadField, RefusedError, Skipped, xml_decimal, xml_text
from regkit.reports.values import BuiltReports as BuiltRecords
from regkit.schemas.account import Account
from regkit.schemas.enums import Capacity, Product, Side, UnderlyingClass
from regkit.schemas.firm import Firm
from regkit.schemas.identifiers import (
    SPECIAL_MICS,
    PersonLike,
    derive_cfi,
    derive_full_name,
    is_valid_isin,
    national_client_id,
    transaction_reference,
)
from regkit.schemas.instrument import Instrument
from regkit.schemas.mifir import MifirReport
from regkit.schemas.party import LegalEntity
from regkit.schemas.trade import Trade

__all__ = [
    "DEFAULT_REPORTABLE_PRODUCTS",
    "BuiltReports",
    "Regime",
    "ReportBuilder",
    "Reportability",
    "build_reports",
]

# --- reportability ---------------------------------------------------------------------------

#: The products the mifir-data-quality pack reports by default.
DEFAULT_REPORTABLE_PRODUCTS: Final = frozenset(
    {Product.CFD, Product.SPREAD_BET, Product.FORWARD, Product.SWAP, Product.OPTION}
)

Regime = Literal["EU", "UK"]
"""The national client identifier table to use: Delegated Regulation (EU) 2017/590 or the FCA's."""


class _HasParameters(Protocol):
    @property
    def parameters(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class Reportability:
    """Which trades a firm reports, and under which national client identifier regime.

    The defaults are those of the ``mifir-data-quality`` policy pack.

    Attributes:
        reportable_products: the products whose trades are reported.
        fx_cfds_reportable: whether CFDs on a currency pair are reported.
        regime: ``"EU"`` or ``"UK"``: the Annex II table for national client identifiers.

    Examples:
        >>> Reportability().reason(Instrument(symbol="EURUSD", product="spot",
        ...     underlying_class="fx_major", base_currency="EUR", quote_currency="USD"))
        'product spot is not reportable (reportable: cfd, forward, option, spread_bet, swap)'
    """

    reportable_products: frozenset[Product] = DEFAULT_REPORTABLE_PRODUCTS
    fx_cfds_reportable: bool = True
    regime: Regime = "EU"

    def __post_init__(self) -> None:
        if self.regime not in ("EU", "UK"):
            raise RenderError(f"regime must be 'EU' or 'UK', got {self.regime!r}")

    @classmethod
    def from_policy(cls, policy: _HasParameters) -> Reportability:
        """Read ``reportable_products``, ``fx_cfds_reportable`` and ``regime`` from a loaded
        ``mifir-data-quality`` policy (parameters it lacks keep their defaults).

        Raises:
            RenderError: a parameter of the wrong kind.
        """
        params = policy.parameters
        default = cls()
        try:
            products = (
                frozenset(Product(str(name)) for name in params.get("reportable_products", ()))
                if "reportable_products" in params
                else default.reportable_products
            )
        except ValueError as exc:
            raise RenderError(f"reportable_products: {exc}") from exc
        fx_cfds = params.get("fx_cfds_reportable", default.fx_cfds_reportable)
        if not isinstance(fx_cfds, bool):
            raise RenderError(f"fx_cfds_reportable must be true or false, got {fx_cfds!r}")
        regime = str(params.get("regime", default.regime)).upper()
        if regime not in ("EU", "UK"):
            raise RenderError(f"regime must be EU or UK, got {regime!r}")
        return cls(products, fx_cfds, cast(Regime, regime))

    def reason(self, instrument: Instrument) -> str | None:
        """Why a trade in this instrument is not reported, or None when it is."""
        if instrument.product not in self.reportable_products:
            listed = ", ".join(sorted(product.value for product in self.reportable_products))
            return f"product {instrument.product.value} is not reportable (reportable: {listed})"
        if not self.fx_cfds_reportable and instrument.product is Product.CFD and instrument.is_fx:
            return "FX CFDs are not reportable under this regime (fx_cfds_reportable is false)"
        return None


# --- records without validation --------------------------------------------------------------

# Every field, in order, None until given: the builder checks its values as it makes them,
# and pydantic's validation (or model_construct) would cost more than the rest of a report.
_TEMPLATE: Final[dict[str, Any]] = dict.fromkeys(MifirReport.model_fields)
_SET: Final = object.__setattr__
# The fields set of a report: all, as for the report validated from its model_dump().
_ALL_FIELDS: Final = set(MifirReport.model_fields)


def _record(data: dict[str, Any]) -> MifirReport:
    """A :class:`MifirReport` of checked values (``data`` holds every field), as
    ``model_construct`` makes it, without walking the fields."""
    report = object.__new__(MifirReport)
    _SET(report, "__dict__", data)
    _SET(report, "__pydantic_fields_set__", _ALL_FIELDS)
    _SET(report, "__pydantic_extra__", None)
    _SET(report, "__pydantic_private__", None)
    return report


# --- text and identifiers --------------------------------------------------------------------

_NOT_ALNUM = re.compile(r"[^A-Z0-9]")
#: A trade id that is its own transaction reference (the common case, checked inline).
_TRN_MATCH = re.compile(r"[A-Z0-9]{1,52}").fullmatch
#: Field 64 is reported for commodity derivatives only.
_COMMODITIES = frozenset({UnderlyingClass.GOLD, UnderlyingClass.COMMODITY})
# ESMA_PersonalIdentification_Pattern of the auth.016 usage guideline.
_PERSON_ID = re.compile(
    r"[A-Z]{2}[A-Z0-9]{1,33}|[A-Z]{2}[0-9]{8}[A-Z][A-Z#]{4}[A-Z][A-Z#]{4}"
    r"|FI[A-Z0-9\-+]{1,33}|LV[A-Z0-9\-]{1,33}"
)

_Fields = dict[str, Any]


def _person_id(person: PersonLike, regime: Regime, field: str) -> tuple[str, str]:
    """A natural person's national client identifier and its scheme (RTS 22 Art. 6)."""
    try:
        scheme, identifier = national_client_id(person, regime)
    except IdentifierError as exc:
        raise RefusedError(field, str(exc)) from exc
    if not _PERSON_ID.fullmatch(identifier):
        raise RefusedError(field, f"identifier {identifier!r} does not have the ESMA format")
    return identifier, scheme


def _client(account: Account, firm: Firm, regime: Regime) -> _Fields:
    """The client's fields, without their ``buyer_``/``seller_`` prefix (RTS 22 fields 7-11
    or 16-20)."""
    holder = account.holder
    branch = account.branch_country or firm.country
    if isinstance(holder, LegalEntity):
        if holder.lei is None:
            raise RefusedError("account.holder.lei", "the client is an entity without an LEI")
        return {"lei": holder.lei, "branch_country": branch}
    if holder.date_of_birth is None:
        raise RefusedError("account.holder.date_of_birth", "missing (RTS 22 fields 11/20)")
    first = ",".join(holder.first_name.split())
    xml_text(first, "account.holder.first_name", 140)
    xml_text(holder.surname, "account.holder.surname", 140)
    identifier, scheme = _person_id(holder, regime, "account.holder.national_ids")
    return {
        "national_id": identifier,
        "id_scheme": scheme,
        "branch_country": branch,
        "first_names": first,
        "surname": holder.surname,
        "birth_date": holder.date_of_birth,
    }


def _sides(client: _Fields, firm: Firm) -> tuple[_Fields, _Fields]:
    """The buyer and seller fields when the client buys, and when it sells (the firm is the
    other side, by its LEI)."""
    buys = {f"buyer_{name}": value for name, value in client.items()}
    buys["seller_lei"] = firm.lei
    sells = {f"seller_{name}": value for name, value in client.items()}
    sells["buyer_lei"] = firm.lei
    return buys, sells


def _algo(decision: str, field: str) -> str:
    code = _NOT_ALNUM.sub("", decision[len("ALGO:") :].upper())[:50]
    if not code:
        raise RefusedError(field, f"{decision!r} leaves no letters or digits for the algorithm id")
    return code


def _decider(
    decision: str, field: str, firm: Firm, traders: Mapping[str, PersonLike], regime: Regime
) -> _Fields:
    """Fields 57-58 (``investment_decision``) or 59-60 (``execution_decision``)."""
    prefix = "investment_decision_" if field == "investment_decision" else "execution_"
    if decision == "NORE":
        if field == "investment_decision":
            # RTS 22 Annex I: NORE is a value of field 59 alone (auth.016's InvstmtDcsnPrsn
            # has no Clnt); field 57 names who decided, or is left empty when the client did.
            raise RefusedError(
                field,
                "NORE is for field 59 (execution within the firm) only; field 57 names the "
                "person or algorithm in the firm that decided, or stays empty when the client "
                "decided (RTS 22 Annex I, fields 57 and 59)",
            )
        return {"execution_nore": True}
    if decision.startswith("ALGO:"):
        return {f"{prefix}algorithm": _algo(decision, field)}
    person = traders.get(decision)
    if person is None:
        raise RefusedError(
            field,
            f"trader {decision!r} has no national identifier: pass traders={{{decision!r}: "
            "NaturalPerson(...)}} (RTS 22 fields 57/59 identify the person)",
        )
    identifier, scheme = _person_id(person, regime, field)
    return {
        f"{prefix}person_id": identifier,
        f"{prefix}id_scheme": scheme,
        f"{prefix}branch_country": firm.country,
    }


# --- instruments -----------------------------------------------------------------------------


def _instrument(instrument: Instrument, price_currency: str | None) -> _Fields:
    """Fields 41-56: the ISIN, or the instrument described; and field 64."""
    flags: _Fields = {}
    if instrument.underlying_class in _COMMODITIES:
        flags["commodity_derivative_indicator"] = False
    if instrument.isin is not None:
        return flags | {"isin": instrument.isin}
    # Without an ISIN, fields 42-43 describe the instrument: the names and CFIs it gives,
    # else the ones regkit derives (ISO 10962; see regkit.schemas.identifiers.derive_cfi).
    name = instrument.full_name or derive_full_name(instrument)
    try:
        cfi = instrument.cfi or derive_cfi(instrument)
    except IdentifierError as exc:
        raise RefusedError(
            "instrument.cfi", f"missing and no ISIN (RTS 22 field 43), and {exc}"
        ) from exc
    xml_text(name, "instrument.full_name", 350)
    first = instrument.base_currency if instrument.is_fx else instrument.quote_currency
    xml_decimal(instrument.price_multiplier, "instrument.price_multiplier", 17)
    fields = flags | {
        "full_name": name,
        "classification": cfi,
        "notional_currency_1": first or price_currency,
        "expiry_date": instrument.expiry_date,
        "price_multiplier": instrument.price_multiplier,
    }
    fields |= _underlying(instrument)
    fields |= _option(instrument)
    fields["delivery_type"] = delivery(instrument, "RTS 22 field 56")
    if instrument.is_fx:
        fields["notional_currency_2"] = instrument.quote_currency
    return fields


def _option(instrument: Instrument) -> _Fields:
    """An option's type, strike and exercise style (RTS 22 fields 50-53), in the quote
    currency (a currency option's strike is the rate of the pair)."""
    if instrument.product is not Product.OPTION:
        return {}
    for name in ("option_type", "strike_price", "exercise_style"):
        if getattr(instrument, name) is None:
            raise RefusedError(
                f"instrument.{name}", "missing, and the option has no ISIN (RTS 22 fields 50-53)"
            )
    assert instrument.option_type is not None
    assert instrument.strike_price is not None
    assert instrument.exercise_style is not None
    xml_decimal(instrument.strike_price, "instrument.strike_price", 13)
    return {
        "option_type": OPTION_TYPES[instrument.option_type],
        "strike_price": instrument.strike_price,
        "strike_price_currency": instrument.quote_currency,
        "option_style": EXERCISE_STYLES[instrument.exercise_style],
    }


def _underlying(instrument: Instrument) -> _Fields:
    """Fields 47-48: the underlying's ISIN, or the index's ISIN or name; none at all where
    RTS 22 identifies no underlying instrument (a currency pair, gold, a crypto-asset)."""
    if instrument.underlying_isin is not None:
        return {"underlying_isin": instrument.underlying_isin}
    index = instrument.underlying_index
    if index is None:
        return {}
    if is_valid_isin(index):
        return {"underlying_isin": index}
    xml_text(index, "instrument.underlying_index", 25)
    return {"underlying_index_name": index}


def _piece(build: Callable[..., Any], *args: Any) -> Any:
    try:
        return build(*args)
    except RefusedError as refused:
        return refused


# --- reports ---------------------------------------------------------------------------------

_Piece = _Fields | RefusedError
# What a trade shares with others: its instrument (by identity), price currency and decisions.
_SharedKey = tuple[int, str | None, str | None, str | None]
#: Field 29 of the capacities regkit reports (AOTC is refused, by _checked).
_CAPACITIES: Final = {Capacity.DEAL: Capacity.DEAL.value, Capacity.MTCH: Capacity.MTCH.value}
# The XSD's digits after the point for a price and a quantity (xml_decimal's fast accept).
_PRICE_DECIMALS: Final = 13
_QUANTITY_DECIMALS: Final = 17
#: Decimals of a quantity stated as a monetary or nominal value (auth.016 MntryVal, NmnlVal).
_VALUE_DECIMALS: Final = 5


def _fx_forward(instrument: Instrument) -> bool:
    return instrument.product is Product.FORWARD and instrument.is_fx


def _quantity_kind(instrument: Instrument) -> Literal["monetary_value", "nominal_value"] | None:
    """How field 30 states a trade's quantity, when not in units."""
    if instrument.product is Product.SPREAD_BET:
        return "monetary_value"
    return "nominal_value" if _fx_forward(instrument) else None


def _buyer_flips(instrument: Instrument) -> bool:
    """Whether the report's buyer is the client's counterparty: for an FX forward, the buyer
    is who receives the currency first in ISO 4217 order (ESMA's Q&A on MiFIR data
    reporting, section 17, question 1), the base currency's seller when the quote comes
    first (USD/JPY)."""
    base, quote = instrument.base_currency, instrument.quote_currency
    return _fx_forward(instrument) and base is not None and quote is not None and quote < base


_Sides = tuple[_Fields, _Fields] | RefusedError


class ReportBuilder:
    """Builds MiFIR reports trade by trade, caching what repeats (clients, instruments,
    traders) and collecting the trades it skips and every field it cannot report.

    Args:
        accounts: the accounts the trades are on.
        firm: the reporting firm (executing entity; submitting entity through
            ``firm.reporting_lei``).
        traders: the natural person behind each trader id in ``execution_decision`` and
            ``investment_decision`` (RTS 22 fields 57 and 59); default ``firm.traders``.
        reportability: which trades are reported (default :class:`Reportability`()).

    Attributes:
        skipped: the trades left out, each with the reason.
        refused: every field of every trade that cannot be reported.
        reported: the number of ``NEWT`` reports built.
        cancelled: the number of ``CANC`` reports built.

    Examples:
        >>> from regkit.schemas import Firm
        >>> firm = Firm(lei="5493001KJTIIGC8Y1R12", name="Example Markets Ltd", country="CY")
        >>> builder = ReportBuilder([], firm)
        >>> builder.cancellation("T20261120000123").report_status, builder.cancelled
        ('CANC', 1)
    """

    _CACHE_LIMIT: Final = 4096

    def __init__(
        self,
        accounts: Iterable[Account],
        firm: Firm,
        *,
        traders: Mapping[str, PersonLike] | None = None,
        reportability: Reportability | None = None,
    ) -> None:
        self.firm = firm
        self.accounts = {account.account_id: account for account in accounts}
        self.traders: Mapping[str, PersonLike] = firm.traders if traders is None else traders
        self.reportability = reportability or Reportability()
        self.head: _Fields = _TEMPLATE | {
            "report_status": "NEWT",
            "executing_entity": firm.lei,
            "investment_firm": firm.investment_firm,
            "submitting_entity": firm.reporting_lei,
            "transmission": False,
            "securities_financing": False,
        }
        self.clients: dict[str, _Sides] = {}
        self.instruments: dict[tuple[int, str | None], tuple[Instrument, str | None, _Piece]] = {}
        self.executions: dict[str, _Piece] = {}
        self.investments: dict[str, _Piece] = {}
        self.shared: dict[_SharedKey, tuple[Instrument, _Fields]] = {}
        self.skipped: list[Skipped] = []
        self.refused: list[BadField] = []
        self.reported = 0
        self.cancelled = 0

    def cancellation(self, item: str | Trade) -> MifirReport:
        """The ``CANC`` report of a transaction reported before (by reference, trade id or
        trade)."""
        self.cancelled += 1
        data = _TEMPLATE.copy()
        data["report_status"] = "CANC"
        data["transaction_reference"] = transaction_reference(item)
        data["executing_entity"] = self.firm.lei
        data["submitting_entity"] = self.firm.reporting_lei
        if isinstance(item, Trade):
            data["trade_id"] = item.trade_id
            data["account_id"] = item.account_id
        return _record(data)

    def build(self, trade: Trade) -> MifirReport | None:
        """The ``NEWT`` report of a trade; None when it is skipped or cannot be reported
        (then in :attr:`skipped` or :attr:`refused`)."""
        # The common case, inline: every field but the trade's own comes from one dict per
        # instrument, price currency and decisions (made by _checked, which decides all
        # else), and price and quantity are plain digits within the XSD's limits (the fast
        # accept of xml_decimal). Anything else takes _checked, field by field.
        instrument = trade.instrument
        key = (
            id(instrument),
            trade.price_currency,
            trade.execution_decision,
            trade.investment_decision,
        )
        shared = self.shared.get(key)
        sides = self.clients.get(trade.account_id)
        capacity = _CAPACITIES.get(trade.capacity)
        quantity = trade.quantity
        price = trade.price
        if (
            shared is None
            or shared[0] is not instrument
            or type(sides) is not tuple
            or capacity is None
            or len(quantity_text := str(quantity)) > _QUANTITY_DECIMALS
            or len(price_text := str(price)) > _PRICE_DECIMALS
            or "E" in quantity_text
            or "E" in price_text
            or not quantity.is_finite()
            or not price.is_finite()
        ):
            return self._checked(trade, key)
        self.reported += 1
        data = shared[1].copy()
        data.update(sides[trade.side is not Side.BUY])
        reference = trade.trade_id
        data["transaction_reference"] = (
            reference if _TRN_MATCH(reference) else transaction_reference(reference)
        )
        data["trading_date_time"] = trade.executed_at
        data["capacity"] = capacity
        data["quantity"] = quantity
        data["price"] = price
        if trade.venue not in SPECIAL_MICS:  # else the instrument's XOFF or XXXX (codes.venue)
            data["venue"] = trade.venue
        data["trade_id"] = reference
        data["account_id"] = trade.account_id
        return _record(data)

    def _checked(self, trade: Trade, key: _SharedKey) -> MifirReport | None:
        """:meth:`build`, every piece checked (and the pieces the trade shares with others
        remembered for the fast path)."""
        skip, instrument = self.instrument(trade.instrument, trade.price_currency)
        if skip is not None:
            self.skipped.append(Skipped(trade.trade_id, skip))
            return None
        client = self.client(trade.account_id)
        execution = self.decider(trade.execution_decision, self.executions, "execution_decision")
        investment = self.decider(
            trade.investment_decision, self.investments, "investment_decision"
        )
        quantity = self.quantity(trade)
        price: RefusedError | None = None
        try:
            xml_decimal(trade.price, "price", _PRICE_DECIMALS)
        except RefusedError as refused:
            price = refused
        currency = trade.price_currency
        if (
            currency is None
            or price is not None
            or trade.capacity is Capacity.AOTC
            or type(client) is RefusedError
            or type(instrument) is RefusedError
            or type(execution) is RefusedError
            or type(investment) is RefusedError
            or type(quantity) is RefusedError
        ):
            self.refuse(trade, (client, instrument, execution, investment, quantity, price))
            return None
        self.reported += 1
        data = cast(_Fields, instrument) | cast(_Fields, execution) | cast(_Fields, investment)
        if _quantity_kind(trade.instrument) is None:  # a spread bet's quantity currency may
            # be the account's, an FX forward's sides may flip: such trades take this path
            if len(self.shared) >= self._CACHE_LIMIT:
                self.shared.clear()
            # field 36 for a trade on XOFF or XXXX: the instrument decides (codes.venue)
            unlisted = "XOFF" if trade.instrument.isin is not None else "XXXX"
            shared = data | {
                "quantity_kind": "unit",
                "price_currency": trade.price_currency,
                "venue": unlisted,
            }
            self.shared[key] = (trade.instrument, shared)
        sells = (trade.side is not Side.BUY) is not _buyer_flips(trade.instrument)
        data.update(cast(tuple[_Fields, _Fields], client)[sells])
        data.update(cast(_Fields, quantity))
        reference = trade.trade_id
        if not _TRN_MATCH(reference):
            reference = transaction_reference(reference)
        data["transaction_reference"] = reference
        data["trading_date_time"] = trade.executed_at
        data["capacity"] = trade.capacity.value
        data["price"] = trade.price
        data["price_currency"] = currency
        data["venue"] = venue(trade)
        data["trade_id"] = trade.trade_id
        data["account_id"] = trade.account_id
        return _record(data)

    def quantity(self, trade: Trade) -> _Piece:
        """Fields 30-31: units; for an FX forward its amount in the base currency, a nominal
        value (ESMA's Q&A on MiFIR data reporting, section 17, question 1); for a spread bet
        its stake per point of the underlying as a monetary value in the quantity currency
        (the trade's, else its account's base currency)."""
        instrument = trade.instrument
        kind = _quantity_kind(instrument)
        try:
            xml_decimal(trade.quantity, "quantity", _VALUE_DECIMALS if kind else _QUANTITY_DECIMALS)
        except RefusedError as refused:
            return refused
        if kind is None:
            return {"quantity": trade.quantity, "quantity_kind": "unit"}
        if kind == "nominal_value":
            return {
                "quantity": trade.quantity,
                "quantity_kind": kind,
                "quantity_currency": instrument.base_currency,
            }
        account = self.accounts.get(trade.account_id)
        currency = trade.quantity_currency or (account and account.base_currency)
        if currency is None:
            return RefusedError(
                "quantity_currency",
                "missing: a spread bet's quantity is its stake per point, a monetary value in "
                "a currency (RTS 22 fields 30-31); give quantity_currency or the account's "
                "base_currency",
            )
        return {
            "quantity": trade.quantity,
            "quantity_kind": "monetary_value",
            "quantity_currency": currency,
        }

    def refuse(self, trade: Trade, pieces: tuple[object, ...]) -> None:
        """Record every reason a trade cannot be reported."""
        refused = [piece for piece in pieces if isinstance(piece, RefusedError)]
        if trade.price_currency is None:
            refused.append(RefusedError("price_currency", "missing (RTS 22 field 34)"))
        if trade.capacity is Capacity.AOTC:
            refused.append(
                RefusedError(
                    "capacity",
                    "AOTC: the client's counterparty is not the firm, and regkit reports the "
                    "firm as the counterparty (DEAL or MTCH)",
                )
            )
        self.refused.extend(BadField(trade.trade_id, item.field, item.reason) for item in refused)

    def client(self, account_id: str) -> _Sides:
        """The buyer and seller fields of an account's trades (cached)."""
        piece = self.clients.get(account_id)
        if piece is None:
            account = self.accounts.get(account_id)
            if account is None:
                piece = RefusedError("account_id", f"no account {account_id!r} was given")
            else:
                client = _piece(_client, account, self.firm, self.reportability.regime)
                piece = client if isinstance(client, RefusedError) else _sides(client, self.firm)
            if len(self.clients) >= self._CACHE_LIMIT:
                self.clients.clear()
            self.clients[account_id] = piece
        return piece

    def instrument(
        self, instrument: Instrument, price_currency: str | None
    ) -> tuple[str | None, _Piece]:
        """Why the instrument is not reported (or None), and the fields every report of it
        shares (the firm's and the instrument's)."""
        # By identity: the loaders share one instance per instrument, and hashing a record
        # costs more than building it. The instance is kept, so its id stays its own.
        key = (id(instrument), price_currency)
        cached = self.instruments.get(key)
        if cached is not None and cached[0] is instrument:
            return cached[1], cached[2]
        if len(self.instruments) >= self._CACHE_LIMIT:
            self.instruments.clear()
        skip = self.reportability.reason(instrument)
        piece: _Piece = {}
        if skip is None:
            piece = _piece(_instrument, instrument, price_currency)
            if not isinstance(piece, RefusedError):
                piece = self.head | piece
        self.instruments[key] = (instrument, skip, piece)
        return skip, piece

    def decider(self, decision: str | None, cache: dict[str, _Piece], field: str) -> _Piece:
        """Fields 57-58 or 59-60 of a decision (cached)."""
        if decision is None:
            if field == "investment_decision":
                return {}  # the client decided: field 57 stays empty
            return RefusedError(field, "missing (RTS 22 field 59: a trader, ALGO:<id> or NORE)")
        piece = cache.get(decision)
        if piece is None:
            if len(cache) >= self._CACHE_LIMIT:
                cache.clear()
            regime = self.reportability.regime
            piece = _piece(_decider, decision, field, self.firm, self.traders, regime)
            cache[decision] = piece
        return piece


class BuiltReports(BuiltRecords[MifirReport]):
    """The MiFIR reports of a batch (the cancellations, ``CANC``, first, then one ``NEWT``
    per reportable trade, in the trades' order), the trades left out (not reportable) and
    the fields that cannot be reported.

    Examples:
        >>> BuiltReports().raise_for_refusals()
    """


def build_reports(
    trades: Iterable[Trade],
    accounts: Iterable[Account],
    firm: Firm,
    *,
    cancellations: Iterable[str | Trade] = (),
    traders: Mapping[str, PersonLike] | None = None,
    reportability: Reportability | None = None,
) -> BuiltReports:
    """The MiFIR transaction reports of a batch of trades (and cancellations), as records.

    The same reports, skips and refusals as :func:`~regkit.reports.mifir.render` (which
    writes these records), without writing anything; see :class:`ReportBuilder` for the
    arguments (and for building a stream of trades at flat memory).

    Returns:
        The reports, the skipped trades and the refused fields (none refused when every
        trade could be reported).

    Examples:
        >>> from regkit.schemas import Account, Firm, Trade
        >>> firm = Firm(lei="5493001KJTIIGC8Y1R12", name="Example Markets Ltd", country="CY")
        >>> account = Account(account_id="A1", category="retail", holder={"kind": "person",
        ...     "first_name": "Anna Maria", "surname": "Berg", "nationalities": ["DE"],
        ...     "date_of_birth": "1980-05-17"})
        >>> trade = Trade(trade_id="T1", account_id="A1", side="buy", quantity="1000",
        ...     price="1.1", price_currency="USD", executed_at="2026-11-20T09:00:00Z",
        ...     execution_decision="NORE", instrument={"symbol": "EURUSD", "product": "cfd",
        ...     "underlying_class": "fx_major", "base_currency": "EUR", "quote_currency": "USD",
        ...     "cfi": "JFTXCC", "full_name": "CFD EUR/USD"})
        >>> report = build_reports([trade], [account], firm).reports[0]
        >>> report.buyer_id_scheme, report.buyer_first_names, report.seller_lei, report.venue
        ('CONCAT', 'Anna,Maria', '5493001KJTIIGC8Y1R12', 'XXXX')
    """
    builder = ReportBuilder(accounts, firm, traders=traders, reportability=reportability)
    reports = [builder.cancellation(item) for item in cancellations]
    reports += [report for trade in trades if (report := builder.build(trade)) is not None]
    return BuiltReports(reports, builder.skipped, builder.refused)
