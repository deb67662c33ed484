"""An EMIR REFIT report as a record: EmirReport.

One report of a derivative to a trade repository, field by field, named by meaning. Each
field's docstring gives its table and number in the Annex of Commission Delegated Regulation
(EU) 2022/1855 (Table 1: counterparty data; Table 2: common data) and ESMA's validation
rules (ESMA74-362-2683, ids ``EMIR-VR-<table><field>-<nn>``) apply to it by that number.

A report is built from a trade, its account, the firm and the trade's events and valuations
(:mod:`regkit.reports.emir`), and the auth.030 XML is written from the report alone. Because
it is a record kind of :data:`regkit.schemas.kinds.KINDS` (``emir_report``), the rule engine
checks reports like trades, on every backend: that is how ESMA's validation rules run before
a file is written.

Codes are REFIT's (``CFDS``, ``CURR``, ``NEWT`` ...), not the ISO 20022 element names. A
field an action type leaves out (TERM, EROR and VALU reports carry only what identifies the
derivative and what changes) is ``None``.

Examples:
    >>> report = EmirReport(
    ...     reporting_timestamp="2026-11-23T18:00:00Z",
    ...     report_submitting_entity="5493001KJTIIGC8Y1R12",
    ...     counterparty_1="5493001KJTIIGC8Y1R12",
    ...     counterparty_1_nature="F",
    ...     counterparty_2_is_lei=False,
    ...     counterparty_2="5493001KJTIIGC8Y1R12ACC0001LWSCVE43PQCG",
    ...     uti="5493001KJTIIGC8Y1R12T1",
    ...     action_type="NEWT",
    ... )
    >>> report.key, report.level
    ('5493001KJTIIGC8Y1R12T1|NEWT', None)
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
    Uti,
)

__all__ = [
    "ActionType",
    "AssetClass",
    "ContractType",
    "EmirReport",
    "EventType",
    "Nature",
]

#: REFIT 1.5 / 1.11: financial, non-financial, central counterparty, other.
Nature = Literal["F", "N", "C", "O"]
#: REFIT 2.10.
ContractType = Literal["CFDS", "FRAS", "FUTR", "FORW", "OPTN", "SPDB", "SWAP", "SWPT", "OTHR"]
#: REFIT 2.11.
AssetClass = Literal["COMM", "CRDT", "CURR", "EQUI", "INTR"]
#: REFIT 2.151.
ActionType = Literal["NEWT", "MODI", "CORR", "TERM", "EROR", "REVI", "VALU", "POSC"]
#: REFIT 2.152.
EventType = Literal[
    "TRAD", "NOVA", "COMP", "ETRM", "CLRG", "EXER", "ALOC", "CREV", "PTNG", "INCP", "UPDT", "CORP"
]


class EmirReport(Record):
    """One EMIR REFIT report of a derivative (an ``auth.030`` ``TradData/Rpt``)."""

    key_fields: ClassVar[tuple[str, ...]] = ("uti", "action_type")

    # -- Table 1: parties to the derivative ------------------------------------------
    reporting_timestamp: UtcDatetime
    """1.1 Reporting timestamp: when the report is submitted (UTC)."""
    report_submitting_entity: Lei
    """1.2 Report submitting entity ID: the LEI of who sends the file (the firm or an ARM)."""
    entity_responsible_for_reporting: Lei | None = None
    """1.3 Entity responsible for reporting (LEI)."""
    counterparty_1: Lei
    """1.4 Counterparty 1 (the reporting counterparty): the firm's LEI."""
    counterparty_1_nature: Nature
    """1.5 Nature of counterparty 1: F, N, C or O."""
    counterparty_1_sector: Text | None = None
    """1.6 Corporate sector of counterparty 1 (a financial sector code such as INVF for F, a
    NACE letter for N)."""
    counterparty_1_above_clearing_threshold: bool | None = None
    """1.7 Clearing threshold of counterparty 1: above (True) or below (False)."""
    counterparty_2_is_lei: bool
    """1.8 Counterparty 2 identifier type: True for an LEI, False for a natural person's
    client code."""
    counterparty_2: Text
    """1.9 Counterparty 2: an LEI, or a natural person's client code (up to 72 characters)."""
    counterparty_2_country: CountryCode | None = None
    """1.10 Country of counterparty 2 (only when 1.8 is False)."""
    counterparty_2_nature: Nature | None = None
    """1.11 Nature of counterparty 2: F, N, C or O (an entity)."""
    counterparty_2_sector: Text | None = None
    """1.12 Corporate sector of counterparty 2."""
    counterparty_2_above_clearing_threshold: bool | None = None
    """1.13 Clearing threshold of counterparty 2."""
    counterparty_2_reporting_obligation: bool | None = None
    """1.14 Reporting obligation of counterparty 2 (under EMIR)."""
    direction: Literal["BYER", "SLLR"] | None = None
    """1.17 Direction of counterparty 1: buyer or seller (not for swaps)."""
    direction_leg_1: Literal["MAKE", "TAKE"] | None = None
    """1.18 Direction of leg 1 (swaps): payer (MAKE) or receiver (TAKE)."""
    direction_leg_2: Literal["MAKE", "TAKE"] | None = None
    """1.19 Direction of leg 2 (swaps)."""
    trading_capacity: Literal["PRIN", "AGNT"] | None = None
    """Trading capacity of counterparty 1 (auth.030 ``TradgCpcty``; REFIT has no number
    for it): principal or agent."""

    # -- Table 2, section 2a: identifiers and links ----------------------------------
    uti: Uti
    """2.1 UTI (ISO 23897)."""
    subsequent_position_uti: Uti | None = None
    """2.4 Subsequent position UTI: the position a POSC report puts the trade into."""

    # -- Table 2, section 2b: contract information -----------------------------------
    isin: Isin | None = None
    """2.7 ISIN of the derivative."""
    upi: Text | None = None
    """2.8 UPI (ISO 4914, issued by ANNA DSB): when there is no ISIN."""
    product_classification: Cfi | None = None
    """2.9 Product classification: ISO 10962 CFI."""
    contract_type: ContractType | None = None
    """2.10 Contract type: CFDS, FORW, OPTN, SPDB, SWAP ..."""
    asset_class: AssetClass | None = None
    """2.11 Asset class: COMM, CRDT, CURR, EQUI or INTR."""
    crypto_based: bool | None = None
    """2.12 Derivative based on crypto-assets."""
    underlying_id_type: Literal["I", "B", "X"] | None = None
    """2.13 Underlying identification type: ISIN, basket or index."""
    underlying_id: Text | None = None
    """2.14 Underlying identification (an ISIN for I and X)."""
    underlying_index_name: Text | None = None
    """2.16 Name of the underlying index."""
    settlement_currency: CurrencyCode | None = None
    """2.19 Settlement currency 1 (cash-settled derivatives only)."""

    # -- Table 2, section 2c: details on the transaction -----------------------------
    valuation_amount: ExactDecimal | None = None
    """2.21 Valuation amount (mark to market; negative when the contract is a liability)."""
    valuation_currency: CurrencyCode | None = None
    """2.22 Valuation currency."""
    valuation_timestamp: UtcDatetime | None = None
    """2.23 Valuation timestamp (UTC): not later than the reporting timestamp."""
    valuation_method: Literal["MTMA", "MTMO", "CCPV"] | None = None
    """2.24 Valuation method: mark-to-market, mark-to-model, CCP's valuation."""
    delta: ExactDecimal | None = None
    """2.25 Delta (options)."""
    collateral_portfolio: bool | None = None
    """2.26 Collateral portfolio indicator: collateralised on a portfolio basis."""
    collateral_portfolio_code: Text | None = None
    """2.27 Collateral portfolio code (when 2.26 is True)."""
    confirmation_timestamp: UtcDatetime | None = None
    """2.28 Confirmation timestamp (UTC)."""
    confirmed: Literal["NCNF", "ECNF", "YCNF"] | None = None
    """2.29 Confirmed: not, electronically, or non-electronically."""
    clearing_obligation: Literal["TRUE", "FALSE", "UKWN"] | None = None
    """2.30 Clearing obligation of the contract's class."""
    cleared: Literal["Y", "N", "I"] | None = None
    """2.31 Cleared: yes, no, or intended to be cleared."""
    master_agreement_type: Text | None = None
    """2.34 Master agreement type: ISDA, CDEA, EUMA, ... OTHR."""
    other_master_agreement_type: Text | None = None
    """2.35 Other master agreement type: the agreement's name when 2.34 is OTHR (up to 50
    characters)."""
    master_agreement_version: int | None = None
    """2.36 Master agreement version (a year)."""
    intragroup: bool | None = None
    """2.37 Intragroup."""
    ptrr: bool | None = None
    """2.38 PTRR: the contract results from a post-trade risk reduction event."""
    venue: Mic | None = None
    """2.41 Venue of execution (MIC; XOFF or XXXX off venue)."""
    execution_timestamp: UtcDatetime | None = None
    """2.42 Execution timestamp (UTC)."""
    effective_date: IsoDate | None = None
    """2.43 Effective date."""
    expiration_date: IsoDate | None = None
    """2.44 Expiration date."""
    early_termination_date: IsoDate | None = None
    """2.45 Early termination date (TERM)."""
    final_settlement_date: IsoDate | None = None
    """2.46 Final contractual settlement date."""
    delivery_type: Literal["CASH", "PHYS", "OPTL"] | None = None
    """2.47 Delivery type."""
    price: ExactDecimal | None = None
    """2.48 Price (not for FX derivatives, whose rate is 2.114)."""
    price_currency: CurrencyCode | None = None
    """2.49 Price currency."""
    notional_amount_leg_1: ExactDecimal | None = None
    """2.55 Notional amount of leg 1."""
    notional_currency_1: CurrencyCode | None = None
    """2.56 Notional currency 1."""
    total_notional_quantity_leg_1: ExactDecimal | None = None
    """2.60 Total notional quantity of leg 1 (equity and commodity derivatives)."""
    notional_amount_leg_2: ExactDecimal | None = None
    """2.64 Notional amount of leg 2."""
    notional_currency_2: CurrencyCode | None = None
    """2.65 Notional currency 2."""
    exchange_rate_1: ExactDecimal | None = None
    """2.113 Exchange rate 1: the rate between the two currencies agreed at inception (a
    currency option's strike rate); ESMA74-362-2683 EMIR-VR-2113-01 asks 2.113 or 2.114 of
    every currency derivative."""
    forward_exchange_rate: ExactDecimal | None = None
    """2.114 Forward exchange rate (FX derivatives)."""
    exchange_rate_basis: Text | None = None
    """2.115 Exchange rate basis: the currency pair, ``EUR/USD``."""

    # -- Table 2, section 2h: commodities --------------------------------------------
    base_product: Text | None = None
    """2.116 Base product (commodity classification, e.g. METL)."""
    sub_product: Text | None = None
    """2.117 Sub-product (e.g. PRME)."""
    further_sub_product: Text | None = None
    """2.118 Further sub-product (e.g. GOLD)."""

    # -- Table 2, section 2i: options ------------------------------------------------
    option_type: Literal["PUTO", "CALL", "OTHR"] | None = None
    """2.132 Option type."""
    option_style: Literal["AMER", "BERM", "EURO"] | None = None
    """2.133 Option style (exercise)."""
    strike_price: ExactDecimal | None = None
    """2.134 Strike price."""
    strike_price_currency: Text | None = None
    """2.138 Strike price currency, or currency pair for FX options (``EUR/USD``)."""
    option_premium_amount: ExactDecimal | None = None
    """2.139 Option premium amount."""
    option_premium_currency: CurrencyCode | None = None
    """2.140 Option premium currency."""
    option_premium_payment_date: IsoDate | None = None
    """2.141 Option premium payment date."""

    # -- Table 2, section 2k: lifecycle ----------------------------------------------
    action_type: ActionType
    """2.151 Action type."""
    event_type: EventType | None = None
    """2.152 Event type."""
    event_date: IsoDate | None = None
    """2.153 Event date."""
    level: Literal["TCTN", "PSTN"] | None = None
    """2.154 Level: trade or position."""

    # -- regkit's own -----------------------------------------------------------------
    trade_id: Text | None = None
    """The trade the report was built from (not reported; names the trade in errors)."""
    account_id: Text | None = None
    """The account of that trade (not reported; scopes a pack by account)."""
