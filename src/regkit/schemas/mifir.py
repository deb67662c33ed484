"""A MiFIR transaction report as a record: MifirReport.

One transaction report of an investment firm to its competent authority, field by field,
named by meaning. Each field's docstring gives its number and name in Table 2 of Annex I
of Commission Delegated Regulation (EU) 2017/590 (RTS 22); ESMA's validation rules for
transaction reports apply to a field by that number.

A report is built from a trade, its account, the firm and the firm's traders
(:mod:`regkit.reports.mifir.build`), and the auth.016 ``Tx`` is written from the report
alone (:mod:`regkit.reports.mifir.write`). Because it is a record kind of
:data:`regkit.schemas.kinds.KINDS` (``mifir_report``), the rule engine checks reports like
trades, on every backend.

The fields are flat: a buyer (fields 7-11) and a seller (fields 16-20) are each an LEI, or a
natural person's national client identifier with its scheme, first names, surname and date
of birth, with the country of the branch for a client (the firm's own side is its LEI
alone). Fields 42-56 describe an instrument without ISIN and are None when field 41 holds
one. A cancellation (``CANC``) carries only the transaction reference and the executing and
submitting entities; every other field is None.

Examples:
    >>> report = MifirReport(
    ...     report_status="CANC",
    ...     transaction_reference="T20261120000123",
    ...     executing_entity="5493001KJTIIGC8Y1R12",
    ...     submitting_entity="5493001KJTIIGC8Y1R12",
    ... )
    >>> report.key
    'T20261120000123|CANC'
"""

from __future__ import annotations

from typing import ClassVar, Literal

from regkit.schemas.base import Record
from regkit.schemas.types import (
    Cfi,
    CountryCode,
    CurrencyCode,
    ExactDecimal,
    Isin,
    IsoDate,
    Lei,
    Mic,
    Text,
    UtcDatetime,
)

__all__ = ["IdScheme", "MifirReport", "QuantityKind", "ReportStatus"]

#: RTS 22 field 1: a new report or the cancellation of one reported before.
ReportStatus = Literal["NEWT", "CANC"]
#: The scheme of a natural person's identifier (RTS 22 Art. 6 and Annex II): a national
#: identity number, a passport number, or the CONCAT code of birth date and names.
IdScheme = Literal["NIDN", "CCPT", "CONCAT"]
#: How field 30 states the quantity: a number of units, a monetary value (a spread bet's
#: stake per point) or a nominal value (an FX forward's amount in its base currency: ESMA's
#: Q&A on MiFIR data reporting, section 17) in the currency of field 31.
QuantityKind = Literal["unit", "monetary_value", "nominal_value"]


class MifirReport(Record):
    """One MiFIR transaction report (an ``auth.016`` ``Tx``: ``New`` or ``Cxl``)."""

    key_fields: ClassVar[tuple[str, ...]] = ("transaction_reference", "report_status")

    # -- identification -----------------------------------------------------------------
    report_status: ReportStatus
    """1 Report status: NEWT (a new report) or CANC (the cancellation of one)."""
    transaction_reference: Text
    """2 Transaction reference number: 1-52 upper-case letters and digits, unique per
    transaction and the same on every run."""
    executing_entity: Lei
    """4 Executing entity identification code: the firm's LEI."""
    investment_firm: bool | None = None
    """5 Investment firm covered by Directive 2014/65/EU (MiFID II)."""
    submitting_entity: Lei
    """6 Submitting entity identification code: the LEI of who sends the file (the firm or
    an ARM)."""

    # -- buyer (fields 7-11) ------------------------------------------------------------
    buyer_lei: Lei | None = None
    """7 Buyer identification code: the LEI of a buyer that is an entity (the firm's own
    when it buys)."""
    buyer_national_id: Text | None = None
    """7 Buyer identification code: a natural person's national client identifier (country
    code and identifier, RTS 22 Art. 6)."""
    buyer_id_scheme: IdScheme | None = None
    """7 Buyer identification code: the scheme of ``buyer_national_id``."""
    buyer_branch_country: CountryCode | None = None
    """8 Country of the branch for the buyer: the client's branch country (none for the
    firm's own side)."""
    buyer_first_names: Text | None = None
    """9 Buyer - first name(s): comma-separated, as in field 9."""
    buyer_surname: Text | None = None
    """10 Buyer - surname(s)."""
    buyer_birth_date: IsoDate | None = None
    """11 Buyer - date of birth."""

    # -- seller (fields 16-20) ----------------------------------------------------------
    seller_lei: Lei | None = None
    """16 Seller identification code: the LEI of a seller that is an entity (the firm's own
    when it sells)."""
    seller_national_id: Text | None = None
    """16 Seller identification code: a natural person's national client identifier."""
    seller_id_scheme: IdScheme | None = None
    """16 Seller identification code: the scheme of ``seller_national_id``."""
    seller_branch_country: CountryCode | None = None
    """17 Country of the branch for the seller: the client's branch country (none for the
    firm's own side)."""
    seller_first_names: Text | None = None
    """18 Seller - first name(s): comma-separated."""
    seller_surname: Text | None = None
    """19 Seller - surname(s)."""
    seller_birth_date: IsoDate | None = None
    """20 Seller - date of birth."""

    # -- transaction details ------------------------------------------------------------
    transmission: bool | None = None
    """25 Transmission of order indicator: whether the firm transmitted the order (Art. 4)."""
    trading_date_time: UtcDatetime | None = None
    """28 Trading date time (UTC, with the fractional seconds the trade has)."""
    capacity: Literal["DEAL", "MTCH", "AOTC"] | None = None
    """29 Trading capacity: own account (DEAL), matched principal (MTCH), any other (AOTC)."""
    quantity: ExactDecimal | None = None
    """30 Quantity: units, or a monetary or nominal value (see ``quantity_kind``)."""
    quantity_kind: QuantityKind | None = None
    """30 Quantity: how it is stated, a number of units, a monetary value or a nominal
    value."""
    quantity_currency: CurrencyCode | None = None
    """31 Quantity currency: the currency of a quantity stated as a monetary or nominal
    value."""
    price: ExactDecimal | None = None
    """33 Price: a monetary value, in the currency of field 34."""
    price_currency: CurrencyCode | None = None
    """34 Price currency."""
    venue: Mic | None = None
    """36 Venue: the MIC of the venue, XOFF (instrument traded on a venue, traded off it) or
    XXXX (not traded on a venue)."""

    # -- instrument (fields 41-56) ------------------------------------------------------
    isin: Isin | None = None
    """41 Instrument identification code: the instrument's ISIN (fields 42-56 are then
    None)."""
    full_name: Text | None = None
    """42 Instrument full name (without ISIN)."""
    classification: Cfi | None = None
    """43 Instrument classification: ISO 10962 CFI (without ISIN)."""
    notional_currency_1: CurrencyCode | None = None
    """44 Notional currency 1: a currency pair's base currency, else the quote (or price)
    currency."""
    notional_currency_2: CurrencyCode | None = None
    """45 Notional currency 2: a currency pair's quote currency."""
    price_multiplier: ExactDecimal | None = None
    """46 Price multiplier: units of the underlying per contract."""
    underlying_isin: Isin | None = None
    """47 Underlying instrument code: the ISIN of the underlying instrument or index."""
    underlying_index_name: Text | None = None
    """48 Underlying index name (an index without ISIN). With neither 47 nor 48, no
    underlying instrument is identified (a currency pair, gold, a crypto-asset)."""
    option_type: Literal["CALL", "PUTO", "OTHR"] | None = None
    """50 Option type."""
    strike_price: ExactDecimal | None = None
    """51 Strike price (a monetary value)."""
    strike_price_currency: CurrencyCode | None = None
    """52 Strike price currency."""
    option_style: Literal["EURO", "AMER", "BERM"] | None = None
    """53 Option exercise style."""
    expiry_date: IsoDate | None = None
    """55 Expiry date."""
    delivery_type: Literal["CASH", "PHYS", "OPTL"] | None = None
    """56 Delivery type."""

    # -- who decided and who executed (fields 57-60) ------------------------------------
    investment_decision_person_id: Text | None = None
    """57 Investment decision within firm: the national identifier of the person who decided
    (None, with no algorithm either, when the client decided)."""
    investment_decision_id_scheme: IdScheme | None = None
    """57 Investment decision within firm: the scheme of the person's identifier."""
    investment_decision_algorithm: Text | None = None
    """57 Investment decision within firm: the algorithm that decided."""
    investment_decision_branch_country: CountryCode | None = None
    """58 Country of the branch responsible for the person making the investment decision."""
    execution_person_id: Text | None = None
    """59 Execution within firm: the national identifier of the person who executed."""
    execution_id_scheme: IdScheme | None = None
    """59 Execution within firm: the scheme of the person's identifier."""
    execution_algorithm: Text | None = None
    """59 Execution within firm: the algorithm that executed."""
    execution_nore: bool | None = None
    """59 Execution within firm: NORE, no person or algorithm of the firm executed (the
    client did)."""
    execution_branch_country: CountryCode | None = None
    """60 Country of the branch supervising the person responsible for the execution."""

    # -- indicators ---------------------------------------------------------------------
    commodity_derivative_indicator: bool | None = None
    """64 Commodity derivative indicator: whether the transaction reduces risk in an
    objectively measurable way (MiFID II Art. 57); commodity derivatives only, else None."""
    securities_financing: bool | None = None
    """65 Securities financing transaction indicator."""

    # -- regkit's own -------------------------------------------------------------------
    trade_id: Text | None = None
    """The trade the report was built from (not reported; names the trade in errors)."""
    account_id: Text | None = None
    """The account of that trade (not reported; scopes a pack by account)."""
