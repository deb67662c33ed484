"""One EMIR REFIT report record → its auth.030 ``TradData/Rpt`` XML, from the record alone.

:func:`write_report` reads nothing but the :class:`~regkit.schemas.emir.EmirReport` (no
trade, account or firm): every decision was made when the record was built
(:mod:`regkit.reports.emir.build`). The report goes in the element of its action type
(:data:`ACTIONS`). NEWT, MODI, CORR and POSC write the whole derivative; TERM, VALU and
EROR only what identifies it (counterparties, submitting entity, UTI), its valuation, the
reporting timestamp and, for TERM, the early termination date, as ESMA's usage guideline
leaves the rest out. Within that, a field is written when the record holds it, in the
order of the auth.030 schema; ``docs/emir.md`` maps each field to its XML path.

Examples:
    >>> report = EmirReport(
    ...     reporting_timestamp="2026-11-20T18:00:00Z",
    ...     report_submitting_entity="5493001KJTIIGC8Y1R12",
    ...     counterparty_1="5493001KJTIIGC8Y1R12",
    ...     counterparty_1_nature="F",
    ...     counterparty_2_is_lei=True,
    ...     counterparty_2="529900HNOAA1KXQJUQ27",
    ...     uti="5493001KJTIIGC8Y1R12T1",
    ...     action_type="EROR",
    ... )
    >>> print(write_report(report))  # doctest: +NORMALIZE_WHITESPACE
    <Rpt><Err><CtrPtySpcfcData><CtrPty><RptgCtrPty><Id><Lgl><Id><LEI>5493001KJTIIGC8Y1R12</LEI>\
</Id></Lgl></Id></RptgCtrPty><OthrCtrPty><IdTp><Lgl><Id><LEI>529900HNOAA1KXQJUQ27</LEI>\
</Id></Lgl></IdTp></OthrCtrPty><SubmitgAgt><LEI>5493001KJTIIGC8Y1R12</LEI></SubmitgAgt>\
</CtrPty><RptgTmStmp>2026-11-20T18:00:00Z</RptgTmStmp></CtrPtySpcfcData><CmonTradData>\
<TxData><TxId><UnqTxIdr>5493001KJTIIGC8Y1R12T1</UnqTxIdr></TxId></TxData></CmonTradData>\
</Err></Rpt>
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from regkit.reports.values import RefusedError, xml_decimal, xml_text, xml_utc
from regkit.schemas.emir import EmirReport

__all__ = ["ACTIONS", "COMMODITY_ELEMENTS", "write_report"]

#: The element of ``TradData/Rpt`` that carries each action type.
ACTIONS: Final[Mapping[str, str]] = {
    "NEWT": "New",
    "MODI": "Mod",
    "CORR": "Crrctn",
    "TERM": "Termntn",
    "EROR": "Err",
    "POSC": "PosCmpnt",
    "VALU": "ValtnUpd",
}
# The action types whose report carries the whole derivative.
_FULL: Final = frozenset({"NEWT", "MODI", "CORR", "POSC"})
# REFIT 2.30 → ClearingObligationType1Code.
_CLEARING_OBLIGATION: Final = {"TRUE": "TRUE", "FALSE": "FLSE", "UKWN": "UKWN"}

#: REFIT 2.116 base product → its ``TxData/Cmmdty`` element and, for a base product with
#: sub-products, 2.117 sub-product → the element under it (auth.030.001.03's
#: AssetClassCommodity6Choice); a base product without sub-products maps to None.
COMMODITY_ELEMENTS: Final[Mapping[str, tuple[str, Mapping[str, str] | None]]] = {
    "AGRI": ("Agrcltrl", {
        "GROS": "GrnOilSeed", "SOFT": "Soft", "POTA": "Ptt", "OOLI": "OlvOil", "DIRY": "Dairy",
        "FRST": "Frstry", "SEAF": "Sfd", "LSTK": "LiveStock", "GRIN": "Grn", "OTHR": "Othr",
    }),
    "NRGY": ("Nrgy", {
        "ELEC": "Elctrcty", "NGAS": "NtrlGas", "OILP": "Oil", "COAL": "Coal", "INRG": "IntrNrgy",
        "RNNG": "RnwblNrgy", "LGHT": "LghtEnd", "DIST": "Dstllts", "OTHR": "Othr",
    }),
    "ENVR": ("Envttl", {"EMIS": "Emssns", "WTHR": "Wthr", "CRBR": "CrbnRltd", "OTHR": "Othr"}),
    "FRTL": ("Frtlzr", {
        "AMMO": "Ammn", "DAPH": "DmmnmPhspht", "PTSH": "Ptsh", "SLPH": "Slphr", "UREA": "Urea",
        "UAAN": "UreaAndAmmnmNtrt", "OTHR": "Othr",
    }),
    "FRGT": ("Frght", {"DRYF": "Dry", "WETF": "Wet", "CSHP": "CntnrShip", "OTHR": "Othr"}),
    "INDP": ("IndstrlPdct", {"CSTR": "Cnstrctn", "MFTG": "Manfctg"}),
    "METL": ("Metl", {"NPRM": "NonPrcs", "PRME": "Prcs"}),
    "PAPR": ("Ppr", {"CBRD": "CntnrBrd", "NSPT": "Nwsprnt", "PULP": "Pulp", "OTHR": "Othr"}),
    "POLY": ("Plprpln", {"PLST": "Plstc", "OTHR": "Othr"}),
    "INDX": ("Indx", None),
    "INFL": ("Infltn", None),
    "MCEX": ("MultiCmmdtyExtc", None),
    "OEST": ("OffclEcnmcSttstcs", None),
    "OTHC": ("OthrC10", None),
    "OTHR": ("Othr", None),
}  # fmt: skip


def write_report(report: EmirReport) -> str:
    """The ``<Rpt>`` element of one report, on one line ending in a newline.

    Raises:
        RefusedError: a value auth.030 cannot hold, or one regkit does not write (a cleared
            derivative's clearing details); never for a report
            :func:`~regkit.reports.emir.build_reports` built.
    """
    element = ACTIONS.get(report.action_type)
    if element is None:
        raise RefusedError("action_type", f"regkit writes no {report.action_type} report")
    full = report.action_type in _FULL
    level = "" if report.level is None else f"<Lvl>{report.level}</Lvl>"
    return (
        f"<Rpt><{element}><CtrPtySpcfcData><CtrPty>{_parties(report, full)}</CtrPty>"
        f"{_valuation(report)}<RptgTmStmp>{_utc(report.reporting_timestamp)}</RptgTmStmp>"
        f"</CtrPtySpcfcData><CmonTradData>{_cached_contract(report) if full else ''}<TxData>"
        f"{_transaction(report) if full else _short_transaction(report)}</TxData>"
        f"</CmonTradData>{level}</{element}></Rpt>\n"
    )


# --- what repeats from report to report, written once ----------------------------------------
# Reports of one batch share their counterparty 1, mostly their clients and instruments, and
# their reporting timestamp: each part is written once per distinct value (the key holds
# every field the part is written from) and looked up after, which halves the time a report
# takes. The caches are bounded; a lookup and an insert are atomic, so threads may share them.

_CACHE_LIMIT: Final = 4096
_PARTIES: dict[tuple[Any, ...], str] = {}
_CONTRACTS: dict[tuple[Any, ...], str] = {}
_OPTIONS: dict[tuple[Any, ...], str] = {}
_TERMS: dict[tuple[Any, ...], str] = {}
# Few values: never cleared.
_CLEARINGS: dict[tuple[str | None, str | None, bool | None], str] = {}
_PAIRS: dict[str, str] = {}
_LAST_TIME: tuple[datetime | None, str] = (None, "")


def _remembered(cache: dict[tuple[Any, ...], str], key: tuple[Any, ...], make: Any) -> str:
    text = cache.get(key)
    if text is None:
        text = make()
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[key] = text
    return text


def _cached(
    cache: dict[tuple[Any, ...], str],
    key: tuple[Any, ...],
    make: Callable[[EmirReport], str],
    report: EmirReport,
) -> str:
    """``make(report)``, remembered by ``key`` (every field ``make`` reads)."""
    text = cache.get(key)
    if text is None:
        text = make(report)
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[key] = text
    return text


def _utc(moment: datetime) -> str:
    """:func:`xml_utc`, remembered for the last time asked: a batch has one reporting
    timestamp (its reports are written one after another)."""
    global _LAST_TIME
    last, text = _LAST_TIME
    if last is moment:
        return text
    text = xml_utc(moment)
    _LAST_TIME = (moment, text)
    return text


def _parties(report: EmirReport, full: bool) -> str:
    """``RptgCtrPty``, ``OthrCtrPty``, ``SubmitgAgt`` and ``NttyRspnsblForRpt``."""
    key = (
        full,
        report.counterparty_1,
        report.counterparty_1_nature,
        report.counterparty_1_sector,
        report.counterparty_1_above_clearing_threshold,
        report.trading_capacity,
        report.direction,
        report.direction_leg_1,
        report.direction_leg_2,
        report.counterparty_2_is_lei,
        report.counterparty_2,
        report.counterparty_2_country,
        report.counterparty_2_nature,
        report.counterparty_2_sector,
        report.counterparty_2_above_clearing_threshold,
        report.counterparty_2_reporting_obligation,
        report.report_submitting_entity,
        report.entity_responsible_for_reporting,
    )
    return _remembered(
        _PARTIES,
        key,
        lambda: _counterparty_1(report, full) + _counterparty_2(report) + _agents(report),
    )


def _cached_contract(report: EmirReport) -> str:
    key = (
        report.contract_type,
        report.asset_class,
        report.product_classification,
        report.isin,
        report.upi,
        report.underlying_id_type,
        report.underlying_id,
        report.underlying_index_name,
        report.settlement_currency,
        report.crypto_based,
    )
    return _remembered(_CONTRACTS, key, lambda: _contract(report))


# --- counterparty data -----------------------------------------------------------------------


def _counterparty_1(report: EmirReport, full: bool) -> str:
    """``RptgCtrPty`` (REFIT table 1 fields 4-7, 17-19, and the trading capacity)."""
    ident = f"<Id><Lgl><Id><LEI>{report.counterparty_1}</LEI></Id></Lgl></Id>"
    if not full:
        return f"<RptgCtrPty>{ident}</RptgCtrPty>"
    nature = _nature(
        report.counterparty_1_nature,
        report.counterparty_1_sector,
        report.counterparty_1_above_clearing_threshold,
    )
    capacity = report.trading_capacity
    capacity_text = "" if capacity is None else f"<TradgCpcty>{capacity}</TradgCpcty>"
    if report.direction is not None:
        side = f"<CtrPtySd>{report.direction}</CtrPtySd>"
    elif report.direction_leg_1 is not None:
        second = report.direction_leg_2
        side = f"<Drctn><DrctnOfTheFrstLeg>{report.direction_leg_1}</DrctnOfTheFrstLeg>" + (
            "" if second is None else f"<DrctnOfTheScndLeg>{second}</DrctnOfTheScndLeg>"
        )
        side += "</Drctn>"
    else:
        side = ""
    side = side and f"<DrctnOrSd>{side}</DrctnOrSd>"
    return f"<RptgCtrPty>{ident}{nature}{capacity_text}{side}</RptgCtrPty>"


def _nature(nature: str | None, sector: str | None, above: bool | None) -> str:
    """``Ntr`` (REFIT table 1 fields 5-7 or 11-13): the nature, its sector and whether the
    counterparty is above the clearing threshold."""
    threshold = "" if above is None else f"<ClrThrshld>{_flag(above)}</ClrThrshld>"
    if nature == "F" and sector is not None:
        return f"<Ntr><FI><Sctr><Cd>{sector}</Cd></Sctr>{threshold}</FI></Ntr>"
    if nature == "N" and sector is not None:
        sectors = "".join(
            f"<Sctr><Id>{xml_text(code, 'sector', 72)}</Id></Sctr>" for code in sector.split(",")
        )
        return f"<Ntr><NFI>{sectors}{threshold}</NFI></Ntr>"
    if nature == "C":
        return "<Ntr><CntrlCntrPty>NORE</CntrlCntrPty></Ntr>"
    if nature == "O":
        return "<Ntr><Othr>NORE</Othr></Ntr>"
    return ""


def _counterparty_2(report: EmirReport) -> str:
    """``OthrCtrPty`` (REFIT table 1 fields 8-14)."""
    country = report.counterparty_2_country
    ctry = "" if country is None else f"<Ctry>{country}</Ctry>"
    if report.counterparty_2_is_lei:
        ident = f"<IdTp><Lgl><Id><LEI>{report.counterparty_2}</LEI></Id>{ctry}</Lgl></IdTp>"
    else:
        code = xml_text(report.counterparty_2, "counterparty_2", 72)
        ident = f"<IdTp><Ntrl><Id><Id><Id>{code}</Id></Id></Id>{ctry}</Ntrl></IdTp>"
    nature = _nature(
        report.counterparty_2_nature,
        report.counterparty_2_sector,
        report.counterparty_2_above_clearing_threshold,
    )
    obliged = report.counterparty_2_reporting_obligation
    obligation = "" if obliged is None else f"<RptgOblgtn>{_flag(obliged)}</RptgOblgtn>"
    return f"<OthrCtrPty>{ident}{nature}{obligation}</OthrCtrPty>"


def _agents(report: EmirReport) -> str:
    """``SubmitgAgt`` and ``NttyRspnsblForRpt`` (REFIT table 1 fields 2-3)."""
    responsible = report.entity_responsible_for_reporting
    return f"<SubmitgAgt><LEI>{report.report_submitting_entity}</LEI></SubmitgAgt>" + (
        ""
        if responsible is None
        else f"<NttyRspnsblForRpt><LEI>{responsible}</LEI></NttyRspnsblForRpt>"
    )


def _valuation(report: EmirReport) -> str:
    """``Valtn`` (REFIT table 2 fields 21-25)."""
    value = report.valuation_amount
    if value is None:
        return ""
    amount = xml_decimal(abs(value), "valuation.value", 19, 25)
    sign = "<Sgn>false</Sgn>" if value < 0 else ""
    stamp = report.valuation_timestamp
    stamp_text = "" if stamp is None else f"<TmStmp>{xml_utc(stamp)}</TmStmp>"
    method = report.valuation_method
    method_text = "" if method is None else f"<Tp>{method}</Tp>"
    delta = ""
    if report.delta is not None:
        delta = f"<Dlta>{xml_decimal(report.delta, 'valuation.delta', 19, 25)}</Dlta>"
    return (
        f'<Valtn><CtrctVal><Amt Ccy="{report.valuation_currency}">{amount}</Amt>{sign}'
        f"</CtrctVal>{stamp_text}{method_text}{delta}</Valtn>"
    )


# --- common data -----------------------------------------------------------------------------


def _contract(report: EmirReport) -> str:
    """``CtrctData`` (REFIT table 2 fields 7-19)."""
    parts = []
    if report.contract_type is not None:
        parts.append(f"<CtrctTp>{report.contract_type}</CtrctTp>")
    if report.asset_class is not None:
        parts.append(f"<AsstClss>{report.asset_class}</AsstClss>")
    if report.product_classification is not None:
        parts.append(f"<PdctClssfctn>{report.product_classification}</PdctClssfctn>")
    if report.isin is not None or report.upi is not None:
        upi = "" if report.upi is None else f"<UnqPdctIdr><Id>{report.upi}</Id></UnqPdctIdr>"
        isin = "" if report.isin is None else f"<ISIN>{report.isin}</ISIN>"
        parts.append(f"<PdctId>{isin}{upi}</PdctId>")
    parts.append(_underlying(report))
    if report.settlement_currency is not None:
        parts.append(f"<SttlmCcy><Ccy>{report.settlement_currency}</Ccy></SttlmCcy>")
    if report.crypto_based is not None:
        parts.append(f"<DerivBasedOnCrptAsst>{_flag(report.crypto_based)}</DerivBasedOnCrptAsst>")
    inner = "".join(parts)
    return f"<CtrctData>{inner}</CtrctData>" if inner else ""


def _underlying(report: EmirReport) -> str:
    """``UndrlygInstrm`` (REFIT table 2 fields 13-16)."""
    kind = report.underlying_id_type
    if kind == "I" and report.underlying_id is not None:
        return f"<UndrlygInstrm><ISIN>{report.underlying_id}</ISIN></UndrlygInstrm>"
    if kind == "X":
        if report.underlying_id is not None:
            return (
                f"<UndrlygInstrm><Indx><ISIN>{report.underlying_id}</ISIN></Indx></UndrlygInstrm>"
            )
        if report.underlying_index_name is not None:
            name = xml_text(report.underlying_index_name, "instrument.underlying_index", 350)
            return f"<UndrlygInstrm><Indx><Nm>{name}</Nm></Indx></UndrlygInstrm>"
    return ""


def _short_transaction(report: EmirReport) -> str:
    """``TxData`` of TERM, VALU and EROR: the UTI, the early termination date, the event."""
    ended = _dated("EarlyTermntnDt", report.early_termination_date)
    return f"<TxId><UnqTxIdr>{report.uti}</UnqTxIdr></TxId>{ended}{_event(report)}"


def _transaction(report: EmirReport) -> str:
    """``TxData`` of a whole report (REFIT table 2 fields 1-4, 26-49, 55-65, 114-115,
    132-134, 152-153)."""
    position = report.subsequent_position_uti
    venue = report.venue
    kind = report.delivery_type
    executed = report.execution_timestamp
    ptrr = report.ptrr
    stamp = "" if executed is None else xml_utc(executed)
    pair = report.exchange_rate_basis
    currencies = ""
    if pair is not None:
        rate = report.forward_exchange_rate
        agreed = report.exchange_rate_1
        rate_text = ""
        if agreed is not None:  # REFIT table 2 field 113
            rate_text = f"<XchgRate>{xml_decimal(agreed, 'exchange_rate_1', 13, 18)}</XchgRate>"
        if rate is not None:  # REFIT table 2 field 114
            rate_text += f"<FwdXchgRate>{xml_decimal(rate, 'price', 13, 18)}</FwdXchgRate>"
        currencies = f"<Ccy>{rate_text}{_pair(pair)}</Ccy>"
    return (
        f"<TxId><UnqTxIdr>{report.uti}</UnqTxIdr></TxId>"
        + ("" if position is None else f"<SbsqntTxId><UnqTxIdr>{position}</UnqTxIdr></SbsqntTxId>")
        + _cached(
            _TERMS,
            ("coll", report.collateral_portfolio, report.collateral_portfolio_code),
            _collateral,
            report,
        )
        + ("" if venue is None else f"<PltfmIdr>{venue}</PltfmIdr>")
        + _amounts(report)
        + ("" if kind is None else f"<DlvryTp>{kind}</DlvryTp>")
        + ("" if executed is None else f"<ExctnTmStmp>{stamp}</ExctnTmStmp>")
        + _dated("FctvDt", report.effective_date)
        + _dated("XprtnDt", report.expiration_date)
        + _dated("EarlyTermntnDt", report.early_termination_date)
        + _dated("SttlmDt", report.final_settlement_date)
        + _cached(
            _TERMS,
            (
                "agreement",
                report.master_agreement_type,
                report.master_agreement_version,
                report.other_master_agreement_type,
            ),
            _master_agreement,
            report,
        )
        + ("" if ptrr is None else f"<PstTradRskRdctnFlg>{_flag(ptrr)}</PstTradRskRdctnFlg>")
        + _event(report)
        + _confirmation(report, executed, stamp)
        + _clearing(report)
        + currencies
        + _cached(
            _TERMS,
            ("commodity", report.base_product, report.sub_product, report.further_sub_product),
            _commodity,
            report,
        )
        + _option(report)
    )


def _collateral(report: EmirReport) -> str:
    """``CollPrtflCd`` (REFIT table 2 fields 26-27): the portfolio's code when the
    collateral is margined on a portfolio basis (2.26 true), ``NoPrtfl`` NOAP when not."""
    if report.collateral_portfolio is None:
        return ""
    if report.collateral_portfolio and report.collateral_portfolio_code is not None:
        code = xml_text(report.collateral_portfolio_code, "collateral_portfolio_code", 52)
        return f"<CollPrtflCd><Prtfl><Cd>{code}</Cd></Prtfl></CollPrtflCd>"
    if report.collateral_portfolio:
        raise RefusedError(
            "collateral_portfolio_code", "missing while 2.26 is true (EMIR-VR-2027-01)"
        )
    return "<CollPrtflCd><Prtfl><NoPrtfl>NOAP</NoPrtfl></Prtfl></CollPrtflCd>"


def _master_agreement(report: EmirReport) -> str:
    """``MstrAgrmt`` (REFIT table 2 fields 34-36): the type's code, its version (a year)
    and, for OTHR, the agreement's name."""
    kind = report.master_agreement_type
    if kind is None:
        return ""
    version = report.master_agreement_version
    other = report.other_master_agreement_type
    return (
        f"<MstrAgrmt><Tp><Tp>{xml_text(kind, 'master_agreement_type', 4)}</Tp></Tp>"
        + ("" if version is None else f"<Vrsn>{version}</Vrsn>")
        + (
            ""
            if other is None
            else f"<OthrMstrAgrmtDtls>{xml_text(other, 'other_master_agreement_type', 50)}"
            "</OthrMstrAgrmtDtls>"
        )
        + "</MstrAgrmt>"
    )


def _commodity(report: EmirReport) -> str:
    """``Cmmdty`` (REFIT table 2 fields 116-118): the base product's element, the
    sub-product's under it, and the codes (:data:`COMMODITY_ELEMENTS`)."""
    base = report.base_product
    if base is None:
        return ""
    found = COMMODITY_ELEMENTS.get(base)
    if found is None:
        raise RefusedError("base_product", f"{base} is not a REFIT base product")
    element, subs = found
    sub = report.sub_product
    codes = f"<BasePdct>{base}</BasePdct>"
    if subs is None:
        return f"<Cmmdty><{element}>{codes}</{element}></Cmmdty>"
    inner = None if sub is None else subs.get(sub)
    if inner is None:
        raise RefusedError("sub_product", f"{sub}: auth.030 has no element for it under {base}")
    codes += f"<SubPdct>{sub}</SubPdct>"
    further = report.further_sub_product
    if further is not None:
        codes += f"<AddtlSubPdct>{further}</AddtlSubPdct>"
    return f"<Cmmdty><{element}><{inner}>{codes}</{inner}></{element}></Cmmdty>"


def _amounts(report: EmirReport) -> str:
    """``TxPric`` and ``NtnlAmt`` (REFIT table 2 fields 48-49, 55-56, 64-65)."""
    text = ""
    if report.price is not None:
        price = xml_decimal(report.price, "price", 19, 25)
        text = (
            f'<TxPric><Pric><MntryVal><Amt Ccy="{report.price_currency}">{price}</Amt>'
            "</MntryVal></Pric></TxPric>"
        )
    legs = _leg("FrstLeg", report.notional_amount_leg_1, report.notional_currency_1)
    legs += _leg("ScndLeg", report.notional_amount_leg_2, report.notional_currency_2)
    quantity = report.total_notional_quantity_leg_1
    units = ""
    if quantity is not None:  # REFIT table 2 field 60
        total = xml_decimal(quantity, "total_notional_quantity_leg_1", 19, 25)
        units = f"<NtnlQty><FrstLeg><TtlQty>{total}</TtlQty></FrstLeg></NtnlQty>"
    return text + (legs and f"<NtnlAmt>{legs}</NtnlAmt>") + units


def _leg(element: str, amount: Decimal | None, currency: str | None) -> str:
    if amount is None:
        return ""
    value = xml_decimal(amount, "notional", 19, 25)
    return f'<{element}><Amt><Amt Ccy="{currency}">{value}</Amt></Amt></{element}>'


def _event(report: EmirReport) -> str:
    """``DerivEvt`` (REFIT table 2 fields 152-153)."""
    if report.event_type is None and report.event_date is None:
        return ""
    kind = "" if report.event_type is None else f"<Tp>{report.event_type}</Tp>"
    when = "" if report.event_date is None else f"<TmStmp><Dt>{report.event_date}</Dt></TmStmp>"
    return f"<DerivEvt>{kind}{when}</DerivEvt>"


def _confirmation(report: EmirReport, executed: datetime | None, executed_text: str) -> str:
    """``TradConf`` (REFIT table 2 fields 28-29)."""
    confirmed = report.confirmed
    if confirmed is None:
        return ""
    if confirmed == "NCNF":
        return "<TradConf><NonConfd><Tp>NCNF</Tp></NonConfd></TradConf>"
    stamp = report.confirmation_timestamp
    if stamp is None:
        when = ""
    else:  # mostly confirmed at execution: its text is made once
        when = f"<TmStmp>{executed_text if stamp is executed else xml_utc(stamp)}</TmStmp>"
    return f"<TradConf><Confd><Tp>{confirmed}</Tp>{when}</Confd></TradConf>"


def _clearing(report: EmirReport) -> str:
    """``TradClr`` (REFIT table 2 fields 30-31, 37)."""
    key = (report.clearing_obligation, report.cleared, report.intragroup)
    text = _CLEARINGS.get(key)
    if text is None:
        obligation, cleared, intragroup = key
        parts = []
        if obligation is not None:
            parts.append(f"<ClrOblgtn>{_CLEARING_OBLIGATION[obligation]}</ClrOblgtn>")
        if cleared == "N":
            parts.append("<ClrSts><NonClrd><Rsn>NORE</Rsn></NonClrd></ClrSts>")
        elif cleared is not None:
            raise RefusedError("cleared", f"{cleared}: regkit writes no clearing details")
        if intragroup is not None:
            parts.append(f"<IntraGrp>{_flag(intragroup)}</IntraGrp>")
        text = _CLEARINGS[key] = f"<TradClr>{''.join(parts)}</TradClr>" if parts else ""
    return text


def _pair(pair: str) -> str:
    """``XchgRateBsis``: the currency pair ``EUR/USD`` (REFIT table 2 field 115)."""
    text = _PAIRS.get(pair)
    if text is None:
        base, _, quoted = pair.partition("/")
        text = f"<XchgRateBsis><CcyPair><BaseCcy>{base}</BaseCcy><QtdCcy>{quoted}</QtdCcy>"
        text = _PAIRS[pair] = f"{text}</CcyPair></XchgRateBsis>"
    return text


def _option(report: EmirReport) -> str:
    """``Optn``: type, exercise style and strike (REFIT table 2 fields 132-134, 138), and
    the premium's amount, currency and payment date (139-141); a currency option's strike
    is a rate (its pair, 2.138, is the exchange rate basis 2.115 written under ``Ccy``),
    any other's a price in its currency."""
    if report.option_type is None or report.option_style is None or report.strike_price is None:
        return ""
    key = (
        report.option_type,
        report.option_style,
        report.strike_price,
        report.strike_price_currency,
        report.exchange_rate_basis is not None,
    )
    premium = ""
    amount = report.option_premium_amount
    if amount is not None:
        value = xml_decimal(amount, "option_premium_amount", 19, 25)
        premium = f'<PrmAmt Ccy="{report.option_premium_currency}">{value}</PrmAmt>'
    premium += _dated("PrmPmtDt", report.option_premium_payment_date)
    return f"{_remembered(_OPTIONS, key, lambda: _written_option(report))}{premium}</Optn>"


def _written_option(report: EmirReport) -> str:
    assert report.strike_price is not None
    if report.exchange_rate_basis is not None:
        strike = (
            f"<Dcml>{xml_decimal(report.strike_price, 'instrument.strike_price', 10, 11)}</Dcml>"
        )
    else:
        amount = xml_decimal(report.strike_price, "instrument.strike_price", 19, 25)
        strike = f'<MntryVal><Amt Ccy="{report.strike_price_currency}">{amount}</Amt></MntryVal>'
    return (
        f"<Optn><Tp>{report.option_type}</Tp><ExrcStyle>{report.option_style}</ExrcStyle>"
        f"<StrkPric>{strike}</StrkPric>"
    )


def _dated(element: str, day: date | None) -> str:
    return "" if day is None else f"<{element}>{day.isoformat()}</{element}>"


def _flag(value: bool) -> str:
    return "true" if value else "false"
