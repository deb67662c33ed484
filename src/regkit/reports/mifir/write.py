"""One MiFIR report record → its auth.016 ``Tx`` XML, from the record alone.

:func:`write_report` reads nothing but the :class:`~regkit.schemas.mifir.MifirReport` (no
trade, account, firm or trader): every decision was made when the record was built
(:mod:`regkit.reports.mifir.build`). A ``NEWT`` report is a ``Tx/New``, a ``CANC`` report a
``Tx/Cxl`` (transaction reference, executing and submitting entities). Within ``New``, the
elements follow the auth.016 schema; ``docs/mifir.md`` maps each field to its XML path.

Examples:
    >>> report = MifirReport(
    ...     report_status="CANC",
    ...     transaction_reference="T20261120000123",
    ...     executing_entity="5493001KJTIIGC8Y1R12",
    ...     submitting_entity="5493001KJTIIGC8Y1R12",
    ... )
    >>> print(write_report(report), end="")  # doctest: +NORMALIZE_WHITESPACE
    <Tx><Cxl><TxId>T20261120000123</TxId><ExctgPty>5493001KJTIIGC8Y1R12</ExctgPty>\
<SubmitgPty>5493001KJTIIGC8Y1R12</SubmitgPty></Cxl></Tx>
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from operator import itemgetter
from typing import Any, Final

from regkit.reports.values import RefusedError, xml_decimal, xml_text, xml_utc
from regkit.schemas.mifir import MifirReport

__all__ = ["write_report"]

# Fields a NEWT report cannot leave out: the ones ``Tx/New`` requires.
_REQUIRED: Final = (
    ("investment_firm", "5"),
    ("transmission", "25"),
    ("trading_date_time", "28"),
    ("capacity", "29"),
    ("quantity", "30"),
    ("quantity_kind", "30"),
    ("price", "33"),
    ("price_currency", "34"),
    ("venue", "36"),
)


def write_report(report: MifirReport) -> str:
    """The ``<Tx>`` element of one report, on one line ending in a newline.

    Raises:
        RefusedError: a field auth.016 requires is missing, or a value it cannot hold;
            never for a report :func:`~regkit.reports.mifir.build_reports` built.
    """
    if report.report_status == "CANC":
        return (
            f"<Tx><Cxl><TxId>{report.transaction_reference}</TxId><ExctgPty>"
            f"{report.executing_entity}</ExctgPty><SubmitgPty>{report.submitting_entity}"
            "</SubmitgPty></Cxl></Tx>\n"
        )
    if report.report_status != "NEWT":
        raise RefusedError("report_status", f"regkit writes no {report.report_status} report")
    trading = report.trading_date_time
    quantity = report.quantity
    price = report.price
    capacity = report.capacity
    currency = report.price_currency
    place = report.venue
    if (  # "is None" each: "None in (...)" would compare None with the decimals, slowly
        trading is None
        or quantity is None
        or price is None
        or capacity is None
        or currency is None
        or place is None
        or report.quantity_kind is None
    ):
        _missing(report)
    assert trading is not None
    assert quantity is not None
    assert price is not None
    fields = report.__dict__
    # What the report shares with others, up to Tx/TradDt and from FinInstrm on, is written
    # once per distinct set of the fields it is written from (and in the same order as the
    # parts would be written one by one, so a bad report is refused for the same field).
    key = _parties_key(fields)
    parties = _PARTIES.get(key)
    if parties is None:
        parties = _remember(_PARTIES, key, _parties(report))
    trading_text = xml_utc(trading)
    quantity_text = _quantity(report, quantity)
    price_text = str(price)  # xml_decimal's fast accept, inline; else xml_decimal decides
    if len(price_text) > _PRICE_DECIMALS or "E" in price_text or not price.is_finite():
        price_text = xml_decimal(price, "price", _PRICE_DECIMALS)
    key = (_described_key(fields), str(report.price_multiplier), str(report.strike_price))
    described = _DESCRIBED.get(key)
    if described is None:
        described = _remember(_DESCRIBED, key, _described_text(report))
    return (
        f"<Tx><New><TxId>{report.transaction_reference}</TxId>{parties}"
        f"<TradDt>{trading_text}</TradDt><TradgCpcty>{capacity}</TradgCpcty>"
        f"<Qty>{quantity_text}</Qty><Pric><Pric><MntryVal>"
        f'<Amt Ccy="{currency}">{price_text}</Amt></MntryVal></Pric></Pric>'
        f"<TradVn>{place}</TradVn></Tx>{described}</New></Tx>\n"
    )


def _missing(report: MifirReport) -> None:
    """Raise for the first field ``Tx/New`` requires that the report leaves out."""
    for name, number in _REQUIRED:
        if getattr(report, name) is None:
            raise RefusedError(name, f"missing (RTS 22 field {number})")


def _flag(value: bool | None) -> str:
    if value is None:
        raise RefusedError("transmission", "missing (RTS 22 field 25)")
    return "true" if value else "false"


# --- what repeats from report to report, written once ----------------------------------------
# Reports of one batch share their firm and, mostly, their clients, instruments and traders.
# Two texts hold all that a report shares: the parties (RTS 22 fields 4-20 and 25, up to the
# opening of Tx/Tx) and the instrument, who decided and the indicators (fields 41-65). Each
# is written once per distinct set of the fields it is written from (the key: every one of
# them, read at once from the record's values) and looked up after. A decimal's text is in
# the key too: 1 and 1.0 are equal, and hash alike, but are written as given. The caches are
# bounded; a lookup and an insert are atomic, so threads may share them.

_CACHE_LIMIT: Final = 4096
_PARTIES: dict[tuple[Any, ...], str] = {}
_DESCRIBED: dict[tuple[Any, ...], str] = {}
_PARTY_FIELDS: Final = (
    "executing_entity",
    "investment_firm",
    "submitting_entity",
    *(
        f"{side}_{name}"
        for side in ("buyer", "seller")
        for name in (
            "lei",
            "national_id",
            "id_scheme",
            "branch_country",
            "first_names",
            "surname",
            "birth_date",
        )
    ),
    "transmission",
)
_DESCRIBED_FIELDS: Final = (
    "isin",
    "full_name",
    "classification",
    "notional_currency_1",
    "notional_currency_2",
    "price_multiplier",
    "underlying_isin",
    "underlying_index_name",
    "option_type",
    "strike_price",
    "strike_price_currency",
    "option_style",
    "expiry_date",
    "delivery_type",
    "investment_decision_person_id",
    "investment_decision_id_scheme",
    "investment_decision_algorithm",
    "investment_decision_branch_country",
    "execution_person_id",
    "execution_id_scheme",
    "execution_algorithm",
    "execution_nore",
    "execution_branch_country",
    "commodity_derivative_indicator",
    "securities_financing",
)
_parties_key: Final = itemgetter(*_PARTY_FIELDS)
_described_key: Final = itemgetter(*_DESCRIBED_FIELDS)
# The XSD's digits after the point for a price and a quantity.
_PRICE_DECIMALS: Final = 13
_QUANTITY_DECIMALS: Final = 17


def _remember(cache: dict[tuple[Any, ...], str], key: tuple[Any, ...], text: str) -> str:
    """``text``, remembered by ``key``."""
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = text
    return text


def _parties(report: MifirReport) -> str:
    """Fields 4-20 and 25, and the opening of ``Tx`` (its trade details follow)."""
    return (
        f"{_head(report)}<Buyr>{_buyer(report)}</Buyr><Sellr>{_seller(report)}</Sellr>"
        f"<OrdrTrnsmssn><TrnsmssnInd>{_flag(report.transmission)}</TrnsmssnInd>"
        "</OrdrTrnsmssn><Tx>"
    )


def _described_text(report: MifirReport) -> str:
    """Fields 41-65: ``FinInstrm``, ``InvstmtDcsnPrsn``, ``ExctgPrsn`` and ``AddtlAttrbts``."""
    return (
        f"{_instrument(report)}{_investment(report)}<ExctgPrsn>{_execution(report)}"
        f"</ExctgPrsn>{_flags(report)}"
    )


def _head(report: MifirReport) -> str:
    """``ExctgPty``, ``InvstmtPtyInd`` and ``SubmitgPty`` (RTS 22 fields 4-6)."""
    return _head_text(report.executing_entity, report.investment_firm, report.submitting_entity)


def _head_text(executing: str, investment_firm: bool | None, submitting: str) -> str:
    if investment_firm is None:
        raise RefusedError("investment_firm", "missing (RTS 22 field 5)")
    flag = "true" if investment_firm else "false"
    return (
        f"<ExctgPty>{executing}</ExctgPty><InvstmtPtyInd>{flag}</InvstmtPtyInd>"
        f"<SubmitgPty>{submitting}</SubmitgPty>"
    )


# --- buyer and seller ------------------------------------------------------------------------


def _buyer(report: MifirReport) -> str:
    """``Buyr/AcctOwnr`` (RTS 22 fields 7-11)."""
    return _owner(
        "buyer",
        report.buyer_lei,
        report.buyer_national_id,
        report.buyer_id_scheme,
        report.buyer_branch_country,
        report.buyer_first_names,
        report.buyer_surname,
        report.buyer_birth_date,
    )


def _seller(report: MifirReport) -> str:
    """``Sellr/AcctOwnr`` (RTS 22 fields 16-20)."""
    return _owner(
        "seller",
        report.seller_lei,
        report.seller_national_id,
        report.seller_id_scheme,
        report.seller_branch_country,
        report.seller_first_names,
        report.seller_surname,
        report.seller_birth_date,
    )


def _owner(
    side: str,
    lei: str | None,
    national_id: str | None,
    scheme: str | None,
    branch: str | None,
    first_names: str | None,
    surname: str | None,
    birth_date: date | None,
) -> str:
    """``AcctOwnr``: an LEI, or a natural person; with the branch country when given."""
    country = "" if branch is None else f"<CtryOfBrnch>{branch}</CtryOfBrnch>"
    if lei is not None:
        return f"<AcctOwnr><Id><LEI>{lei}</LEI></Id>{country}</AcctOwnr>"
    for name, value in (
        ("national_id", national_id),
        ("first_names", first_names),
        ("surname", surname),
        ("birth_date", birth_date),
    ):
        if value is None:
            raise RefusedError(f"{side}_{name}", f"missing: the {side} has no LEI")
    assert first_names is not None
    assert surname is not None
    assert birth_date is not None
    first = xml_text(first_names, f"{side}_first_names", 140)
    last = xml_text(surname, f"{side}_surname", 140)
    return (
        f"<AcctOwnr><Id><Prsn><FrstNm>{first}</FrstNm><Nm>{last}</Nm>"
        f"<BirthDt>{birth_date.isoformat()}</BirthDt>"
        f"{_other(national_id, scheme, f'{side}_id_scheme')}</Prsn></Id>{country}</AcctOwnr>"
    )


def _other(identifier: str | None, scheme: str | None, field: str) -> str:
    """``<Othr>`` of a natural person: the national client identifier and its scheme."""
    if scheme is None:
        raise RefusedError(field, "missing: a person's identifier has a scheme")
    name = "<Prtry>CONCAT</Prtry>" if scheme == "CONCAT" else f"<Cd>{scheme}</Cd>"
    return f"<Othr><Id>{identifier}</Id><SchmeNm>{name}</SchmeNm></Othr>"


# --- quantity --------------------------------------------------------------------------------


#: Decimals of a quantity stated as a monetary or nominal value (auth.016).
_VALUE_DECIMALS: Final = 5


def _quantity(report: MifirReport, quantity: Decimal) -> str:
    """The inside of ``Qty`` (RTS 22 fields 30-31)."""
    text = str(quantity)  # xml_decimal's fast accept, inline; else xml_decimal decides
    if len(text) > _QUANTITY_DECIMALS or "E" in text or not quantity.is_finite():
        text = xml_decimal(quantity, "quantity", _QUANTITY_DECIMALS)
    if report.quantity_kind == "unit":
        return f"<Unit>{text}</Unit>"
    # auth.016 NmnlVal and MntryVal: at most 5 decimals (ESMA_PositiveExcludingZeroMax18).
    text = xml_decimal(quantity, "quantity", _VALUE_DECIMALS)
    if report.quantity_currency is None:
        raise RefusedError(
            "quantity_currency", "missing for a monetary or nominal value (RTS 22 field 31)"
        )
    tag = "NmnlVal" if report.quantity_kind == "nominal_value" else "MntryVal"
    return f'<{tag} Ccy="{report.quantity_currency}">{text}</{tag}>'


# --- instrument ------------------------------------------------------------------------------


def _instrument(report: MifirReport) -> str:
    """``<FinInstrm>`` (RTS 22 fields 41-56): the ISIN, or the instrument described."""
    if report.isin is not None:
        return f"<FinInstrm><Id>{report.isin}</Id></FinInstrm>"
    return _described(
        report.full_name,
        report.classification,
        report.notional_currency_1,
        report.notional_currency_2,
        report.price_multiplier,
        report.underlying_isin,
        report.underlying_index_name,
        report.option_type,
        report.strike_price,
        report.strike_price_currency,
        report.option_style,
        report.expiry_date,
        report.delivery_type,
    )


def _described(
    full_name: str | None,
    cfi: str | None,
    currency_1: str | None,
    currency_2: str | None,
    multiplier: Decimal | None,
    underlying_isin: str | None,
    index_name: str | None,
    option_type: str | None,
    strike: Decimal | None,
    strike_currency: str | None,
    option_style: str | None,
    expiry: date | None,
    delivery: str | None,
) -> str:
    """``FinInstrm/Othr``: an instrument without ISIN, fields 42-56."""
    for name, value in (
        ("full_name", full_name),
        ("classification", cfi),
        ("price_multiplier", multiplier),
        ("delivery_type", delivery),
    ):
        if value is None:
            raise RefusedError(name, "missing, and the instrument has no ISIN (RTS 22 field 41)")
    assert full_name is not None
    assert multiplier is not None
    name = xml_text(full_name, "full_name", 350)
    currency = "" if currency_1 is None else f"<NtnlCcy>{currency_1}</NtnlCcy>"
    expiry_text = "" if expiry is None else f"<XpryDt>{expiry}</XpryDt>"
    factor = xml_decimal(multiplier, "price_multiplier", 17)
    option = ""
    if option_type is not None or strike is not None or option_style is not None:
        option = _option(option_type, strike, strike_currency, option_style)
    second = ""
    if currency_2 is not None:
        second = (
            f"<AsstClssSpcfcAttrbts><FX><OthrNtnlCcy>{currency_2}"
            "</OthrNtnlCcy></FX></AsstClssSpcfcAttrbts>"
        )
    return (
        f"<FinInstrm><Othr><FinInstrmGnlAttrbts><FullNm>{name}</FullNm>"
        f"<ClssfctnTp>{cfi}</ClssfctnTp>{currency}</FinInstrmGnlAttrbts>"
        f"<DerivInstrmAttrbts>{expiry_text}<PricMltplr>{factor}</PricMltplr>"
        f"{_underlying(underlying_isin, index_name)}{option}"
        f"<DlvryTp>{delivery}</DlvryTp>{second}</DerivInstrmAttrbts></Othr></FinInstrm>"
    )


def _option(
    option_type: str | None, strike: Decimal | None, currency: str | None, style: str | None
) -> str:
    """An option's type, strike and exercise style (RTS 22 fields 50-53)."""
    for name, value in (("option_type", option_type), ("strike_price", strike),
                        ("option_style", style)):  # fmt: skip
        if value is None:
            raise RefusedError(name, "missing: an option states fields 50, 51 and 53")
    assert strike is not None
    price = xml_decimal(strike, "strike_price", 13)
    return (
        f"<OptnTp>{option_type}</OptnTp>"
        f'<StrkPric><Pric><MntryVal><Amt Ccy="{currency}">{price}</Amt>'
        f"</MntryVal></Pric></StrkPric><OptnExrcStyle>{style}</OptnExrcStyle>"
    )


def _underlying(isin: str | None, index_name: str | None) -> str:
    """``<UndrlygInstrm>`` (RTS 22 fields 47-48).

    The XSD requires one even where RTS 22 has no underlying instrument (a currency pair,
    whose currencies are fields 44-45; gold; a crypto-asset): then an empty basket says
    that no underlying instrument is identified.
    """
    if isin is not None:
        inner = f"<Sngl><ISIN>{isin}</ISIN></Sngl>"
    elif index_name is not None:
        name = xml_text(index_name, "underlying_index_name", 25)
        inner = f"<Sngl><Indx><Nm><RefRate><Nm>{name}</Nm></RefRate></Nm></Indx></Sngl>"
    else:
        inner = "<Bskt/>"
    return f"<UndrlygInstrm><Othr>{inner}</Othr></UndrlygInstrm>"


# --- who decided and who executed ------------------------------------------------------------


def _investment(report: MifirReport) -> str:
    """``InvstmtDcsnPrsn`` (RTS 22 fields 57-58); nothing when the client decided."""
    return _investment_text(
        report.investment_decision_person_id,
        report.investment_decision_id_scheme,
        report.investment_decision_algorithm,
        report.investment_decision_branch_country,
    )


def _investment_text(
    person: str | None, scheme: str | None, algorithm: str | None, branch: str | None
) -> str:
    if algorithm is not None:
        return f"<InvstmtDcsnPrsn><Algo>{algorithm}</Algo></InvstmtDcsnPrsn>"
    if person is None:
        return ""
    inner = _decider(person, scheme, branch, "investment_decision")
    return f"<InvstmtDcsnPrsn>{inner}</InvstmtDcsnPrsn>"


def _execution(report: MifirReport) -> str:
    """The inside of ``ExctgPrsn`` (RTS 22 fields 59-60)."""
    return _execution_text(
        report.execution_person_id,
        report.execution_id_scheme,
        report.execution_algorithm,
        report.execution_nore,
        report.execution_branch_country,
    )


def _execution_text(
    person: str | None, scheme: str | None, algorithm: str | None, nore: bool | None,
    branch: str | None,
) -> str:  # fmt: skip
    if nore:
        return "<Clnt>NORE</Clnt>"
    if algorithm is not None:
        return f"<Algo>{algorithm}</Algo>"
    if person is None:
        raise RefusedError("execution", "missing (RTS 22 field 59: a person, algorithm or NORE)")
    return _decider(person, scheme, branch, "execution")


def _decider(person: str, scheme: str | None, branch: str | None, prefix: str) -> str:
    """``Prsn`` of a person of the firm: the branch country and the person's identifier."""
    if branch is None:
        raise RefusedError(f"{prefix}_branch_country", "missing (RTS 22 fields 58/60)")
    return f"<Prsn><CtryOfBrnch>{branch}</CtryOfBrnch>{_other(person, scheme, prefix)}</Prsn>"


# --- indicators ------------------------------------------------------------------------------


def _flags(report: MifirReport) -> str:
    """``AddtlAttrbts``: fields 64 (commodity derivatives only) and 65."""
    return _flags_text(report.commodity_derivative_indicator, report.securities_financing)


def _flags_text(commodity: bool | None, financing: bool | None) -> str:
    risk = "" if commodity is None else f"<RskRdcgTx>{'true' if commodity else 'false'}</RskRdcgTx>"
    if financing is None:
        raise RefusedError("securities_financing", "missing (RTS 22 field 65)")
    flag = "true" if financing else "false"
    return f"<AddtlAttrbts>{risk}<SctiesFincgTxInd>{flag}</SctiesFincgTxInd></AddtlAttrbts>"
