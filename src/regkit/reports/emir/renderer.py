"""EMIR REFIT trade reports: auth.030 ``DerivsTradRpt`` files.

(The auth.092 feedback is read by :mod:`regkit.reports.emir.feedback`; the code lists and the
file sequence are the shared :mod:`regkit.reports.iso20022` layer's.)

:func:`render` turns trades into files of ``Document/DerivsTradRpt``: a ``RptHdr`` that
states the number of reports in the file (``NbRcrds``), then one ``TradData/Rpt`` per
trade, in the element of the action type (``New``, ``Mod``, ``Crrctn``, ``Termntn``,
``Err``, ``PosCmpnt``, ``ValtnUpd``). See ``docs/emir.md`` for the field-by-field mapping
(REFIT table and field, XML path, regkit source). The decisions worth knowing:

* **Counterparties.** The firm deals on own account: it is counterparty 1 (``firm.lei``),
  a financial counterparty (``FI``) of sector ``INVF`` (investment firm), trading as
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
* **Action and event types.** One action type per call (``action=``). ``New``, ``Mod``,
  ``Crrctn`` and ``PosCmpnt`` carry the whole report; ``Termntn``, ``ValtnUpd`` and
  ``Err`` only what identifies the derivative and what changes (ESMA's usage guideline
  leaves the rest out). Event types: NEWT ``TRAD``, MODI ``TRAD`` (renegotiated terms),
  TERM ``ETRM`` (early termination: a CFD has no maturity, so closing one ends it early);
  CORR, EROR, POSC and VALU carry no event. ``events`` maps a trade id to another event
  type, or to an :class:`Event` with its time and, for POSC, the position's UTI.
* **CFD lifecycle.** A CFD opening is a NEWT (or a POSC into a position); its daily
  valuations VALU (from :class:`Valuation` records or account snapshots); its closing a
  TERM of the opening's UTI (REFIT table 2 field 151: the termination of an existing
  derivative, named by field 1). A closing trade carries that UTI in ``uti``: regkit has no
  other link from a close to its opening. A closing trade is never a new derivative: NEWT
  and POSC skip it. An opening is never terminated by itself: TERM skips it (its close
  terminates it) unless ``events`` names it with the closing time; TERM refuses a close
  without a UTI, one under its own generated UTI (never reported) that no opening of the
  batch carries, a second termination of one UTI, and a close of an opening of another
  account or instrument.
* **Instruments.** Contract type from the product (CFDS, SPDB, FORW, SWAP, OPTN; a spot
  trade is not a derivative and is skipped), asset class from ``underlying_class`` (CURR,
  COMM, EQUI, INTR, OTHR), CFI, ISIN where there is one; regkit's Instrument has no UPI.
  Notional amounts: for a currency pair, quantity × multiplier in the base currency and
  that × the price in the quote currency, with the price as the forward exchange rate of
  the pair; otherwise quantity × price × multiplier in the price currency, with the price.
* **Clearing and confirmation.** Not cleared and no clearing obligation (``FLSE``, reason
  ``NORE``), not intragroup, confirmed electronically (``ECNF``) at execution, as a
  platform's trades are.

Files. Each file is named ``{submitting LEI}_DATTAR_{YYYYMMDD}_{NNNNNN}.xml``: the report
submitting entity's LEI, ``DATTAR`` (ESMA's file type for auth.030 trade reports), the
creation date (UTC) and a six-digit sequence number from ``first_sequence``; trade
repositories set their own naming rules, and this one keeps names unique per submitter
and day when runs continue the numbering. A file holds at most ``max_records`` reports
(100,000 by default: 100-160 MB of XML at 1-1.6 KB a report; no trade repository limit was
found published, so lower it to the repository's); more go to the next sequence number.
The files are written by :func:`regkit.reports.writer.write_files` with
``count_records=True``: every chunk is validated against auth.030 (or ESMA's restricted
schema from ``REGKIT_XSD_DIR``) before it is written, ``NbRcrds`` is the number of
reports in the file, and files appear only when every trade was rendered and every chunk
validated. The same inputs and ``created_at`` give the same bytes.

Examples:
    >>> client_code("5493001KJTIIGC8Y1R12", "ACC-0001")
    '5493001KJTIIGC8Y1R12ACC0001LWSCVE43PQCG'
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Context, Decimal
from typing import Any, Final, Literal, NamedTuple

from regkit.errors import RenderError
from regkit.reports.iso20022.codes import EXERCISE_STYLES, OPTION_TYPES, delivery, venue
from regkit.reports.iso20022.files import dated_sequence
from regkit.reports.values import (
    BadField,
    RefusedError,
    Rendered,
    Skipped,
    creation_time,
    refusal,
    xml_decimal,
    xml_text,
    xml_utc,
)
from regkit.reports.writer import Envelope, Part, XmlWriter, write_files
from regkit.schemas.account import Account, AccountSnapshot
from regkit.schemas.enums import (
    Capacity,
    PositionEffect,
    Product,
    Side,
    UnderlyingClass,
)
from regkit.schemas.firm import Firm
from regkit.schemas.identifiers import (
    generate_uti,
    is_valid_currency,
    is_valid_isin,
    is_valid_uti,
    transaction_reference,
)
from regkit.schemas.instrument import Instrument
from regkit.schemas.party import LegalEntity
from regkit.schemas.trade import Trade
from regkit.schemas.types import to_utc

__all__ = [
    "ACTIONS",
    "DEFAULT_EVENTS",
    "DEFAULT_MAX_RECORDS",
    "EVENT_TYPES",
    "Action",
    "Event",
    "Rendered",
    "Skipped",
    "Valuation",
    "client_code",
    "file_name",
    "generate_uti",
    "position_uti",
    "render",
    "uti_of",
]

Action = Literal["NEWT", "MODI", "CORR", "TERM", "EROR", "POSC", "VALU"]
"""The action types :func:`render` writes (REFIT table 2 field 151)."""

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
#: Reports in one file unless told otherwise.
DEFAULT_MAX_RECORDS: Final = 100_000

_AUTH030: Final = "urn:iso:std:iso:20022:tech:xsd:auth.030.001.03"
_FULL: Final = frozenset({"NEWT", "MODI", "CORR", "POSC"})
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
    """The UTI :func:`render` reports a trade under: its own, or the one generated from the
    firm's LEI and its trade id. Give it to :func:`reconcile` as ``uti_of``.

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


# --- pieces ----------------------------------------------------------------------------------

_CONTRACT_TYPES: Final = {
    Product.CFD: "CFDS",
    Product.SPREAD_BET: "SPDB",
    Product.FORWARD: "FORW",
    Product.SWAP: "SWAP",
    Product.OPTION: "OPTN",
}
_ASSET_CLASSES: Final = {
    UnderlyingClass.FX_MAJOR: "CURR",
    UnderlyingClass.FX_MINOR: "CURR",
    UnderlyingClass.GOLD: "COMM",
    UnderlyingClass.COMMODITY: "COMM",
    UnderlyingClass.INDEX_MAJOR: "EQUI",
    UnderlyingClass.INDEX_MINOR: "EQUI",
    UnderlyingClass.EQUITY: "EQUI",
    UnderlyingClass.BOND: "INTR",
    UnderlyingClass.CRYPTO: "OTHR",
    UnderlyingClass.OTHER: "OTHR",
}
_CLEARING: Final = (
    "<TradClr><ClrOblgtn>FLSE</ClrOblgtn><ClrSts><NonClrd><Rsn>NORE</Rsn></NonClrd></ClrSts>"
    "<IntraGrp>false</IntraGrp></TradClr>"
)

_Piece = str | RefusedError


class _Contract(NamedTuple):
    """What a report says of an instrument, rendered once per instrument."""

    data: str  # CtrctData
    fx: bool
    base: str | None
    currency: str  # notional currency (price or quote currency)
    multiplier: Decimal | None  # None when 1
    swap: bool
    tail: str  # DlvryTp
    dates: str  # XprtnDt (after FctvDt)
    settlement: str  # SttlmDt (after EarlyTermntnDt)
    pair: str  # XchgRateBsis of a currency pair
    option: str  # Optn: an option's type, exercise style and strike
    strike: Decimal | None  # an option's strike (the rate of a currency option's second leg)


def _contract(instrument: Instrument, price_currency: str | None) -> _Contract:
    """``CtrctData`` and the instrument's parts of ``TxData`` (REFIT table 2 fields 7-20,
    44-47, 113-116)."""
    option = _option(instrument)
    currency = price_currency or instrument.quote_currency
    if currency is None:
        raise RefusedError("price_currency", "missing, and the instrument has no quote currency")
    if instrument.cfi is None and instrument.isin is None:
        raise RefusedError("instrument.cfi", "missing (REFIT table 2 field 9: the CFI)")
    fx = instrument.is_fx
    data = [
        f"<CtrctData><CtrctTp>{_CONTRACT_TYPES[instrument.product]}</CtrctTp>"
        f"<AsstClss>{_ASSET_CLASSES[instrument.underlying_class]}</AsstClss>"
    ]
    if instrument.cfi is not None:
        data.append(f"<PdctClssfctn>{instrument.cfi}</PdctClssfctn>")
    if instrument.isin is not None:
        data.append(f"<PdctId><ISIN>{instrument.isin}</ISIN></PdctId>")
    data.append(_underlying(instrument))
    crypto = "true" if instrument.underlying_class is UnderlyingClass.CRYPTO else "false"
    data.append(
        f"<SttlmCcy><Ccy>{currency}</Ccy></SttlmCcy>"
        f"<DerivBasedOnCrptAsst>{crypto}</DerivBasedOnCrptAsst></CtrctData>"
    )
    expiry = instrument.expiry_date
    multiplier = instrument.price_multiplier
    pair = ""
    if fx:
        pair = (
            f"<XchgRateBsis><CcyPair><BaseCcy>{instrument.base_currency}</BaseCcy>"
            f"<QtdCcy>{instrument.quote_currency}</QtdCcy></CcyPair></XchgRateBsis>"
        )
    return _Contract(
        data="".join(data),
        fx=fx,
        base=instrument.base_currency,
        currency=instrument.quote_currency if fx and instrument.quote_currency else currency,
        multiplier=None if multiplier == 1 else multiplier,
        swap=instrument.product is Product.SWAP,
        tail=f"<DlvryTp>{delivery(instrument, 'REFIT table 2 field 47')}</DlvryTp>",
        dates="" if expiry is None else f"<XprtnDt>{expiry.isoformat()}</XprtnDt>",
        settlement="" if expiry is None else f"<SttlmDt>{expiry.isoformat()}</SttlmDt>",
        pair=pair,
        option=option,
        strike=instrument.strike_price,
    )


def _option(instrument: Instrument) -> str:
    """``Optn`` of an option (REFIT table 2 fields 128-130: type, exercise style, strike; a
    currency option's strike is a rate, any other's a price in the quote currency)."""
    if instrument.product is not Product.OPTION:
        return ""
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
    if instrument.is_fx:
        rate = xml_decimal(instrument.strike_price, "instrument.strike_price", 10, 11)
        strike = f"<Dcml>{rate}</Dcml>"
    else:
        amount = xml_decimal(instrument.strike_price, "instrument.strike_price", 19, 25)
        strike = f'<MntryVal><Amt Ccy="{instrument.quote_currency}">{amount}</Amt></MntryVal>'
    return (
        f"<Optn><Tp>{OPTION_TYPES[instrument.option_type]}</Tp>"
        f"<ExrcStyle>{EXERCISE_STYLES[instrument.exercise_style]}</ExrcStyle>"
        f"<StrkPric>{strike}</StrkPric></Optn>"
    )


def _underlying(instrument: Instrument) -> str:
    """``UndrlygInstrm`` (REFIT table 2 fields 13-16): the underlying's ISIN, or the index's
    ISIN or name; none for a currency pair, a commodity or a crypto-asset."""
    if instrument.underlying_isin is not None:
        return f"<UndrlygInstrm><ISIN>{instrument.underlying_isin}</ISIN></UndrlygInstrm>"
    index = instrument.underlying_index
    if index is None:
        return ""
    if is_valid_isin(index):
        return f"<UndrlygInstrm><Indx><ISIN>{index}</ISIN></Indx></UndrlygInstrm>"
    name = xml_text(index, "instrument.underlying_index", 350)
    return f"<UndrlygInstrm><Indx><Nm>{name}</Nm></Indx></UndrlygInstrm>"


class _Client(NamedTuple):
    full: str  # OthrCtrPty of a whole report
    short: str  # OthrCtrPty of TERM, EROR, VALU


def _client(account: Account, lei: str) -> _Client:
    """``OthrCtrPty`` (REFIT table 1 fields 8-14): an entity's LEI, or a person's client
    code and country of residence."""
    holder = account.holder
    if isinstance(holder, LegalEntity):
        if holder.lei is None:
            raise RefusedError("account.holder.lei", "the client is an entity without an LEI")
        country = "" if holder.country is None else f"<Ctry>{holder.country}</Ctry>"
        ident = f"<IdTp><Lgl><Id><LEI>{holder.lei}</LEI></Id>{country}</Lgl></IdTp>"
        return _Client(f"<OthrCtrPty>{ident}</OthrCtrPty>", f"<OthrCtrPty>{ident}</OthrCtrPty>")
    if holder.residence_country is None:
        raise RefusedError(
            "account.holder.residence_country",
            "missing (REFIT table 1 field 10: a natural person's country of residence)",
        )
    code = client_code(lei, account.account_id)
    ident = (
        f"<IdTp><Ntrl><Id><Id><Id>{code}</Id></Id></Id>"
        f"<Ctry>{holder.residence_country}</Ctry></Ntrl></IdTp>"
    )
    # A natural person is not an undertaking: no EMIR reporting obligation of its own.
    return _Client(
        f"<OthrCtrPty>{ident}<RptgOblgtn>false</RptgOblgtn></OthrCtrPty>",
        f"<OthrCtrPty>{ident}</OthrCtrPty>",
    )


def _valuation(valuation: Valuation) -> str:
    """``Valtn`` (REFIT table 2 fields 21-25)."""
    amount = xml_decimal(abs(valuation.value), "valuation.value", 19, 25)
    sign = "<Sgn>false</Sgn>" if valuation.value < 0 else ""
    delta = ""
    if valuation.delta is not None:
        delta = f"<Dlta>{xml_decimal(valuation.delta, 'valuation.delta', 19, 25)}</Dlta>"
    return (
        f'<Valtn><CtrctVal><Amt Ccy="{valuation.currency}">{amount}</Amt>{sign}</CtrctVal>'
        f"<TmStmp>{xml_utc(valuation.at)}</TmStmp><Tp>{valuation.method}</Tp>{delta}</Valtn>"
    )


# --- terminations ----------------------------------------------------------------------------

#: Why a TERM batch leaves out a trade that opens a derivative.
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

    def opening(self, trade: Trade, uti: str) -> list[BadField]:
        """Note the UTI an opening was reported under; check a close that named it earlier."""
        if uti in self.opened:  # two openings of one UTI: the EMIR-UTI-UNIQUE rule's finding
            return []
        link = _Link(trade.trade_id, trade.account_id, trade.instrument.symbol)
        self.opened[uti] = link
        self.unproven.pop(uti, None)
        ended = self.ended.get(uti)
        if ended is None or ended.trade_id == link.trade_id:
            return []
        problems = _other(uti, link, ended)
        return [BadField(ended.trade_id, item.field, item.reason) for item in problems]

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


class _Renderer:
    """Turns trades into ``Rpt`` bytes for one action type, caching what repeats (clients,
    instruments) and collecting the trades it skips and every field it cannot report."""

    _CACHE_LIMIT: Final = 4096

    def __init__(
        self,
        firm: Firm,
        accounts: Mapping[str, Account],
        action: str,
        created_at: datetime,
        events: Mapping[str, str | Event],
        valuations: Mapping[str, Valuation],
        snapshots: Mapping[str, AccountSnapshot],
    ) -> None:
        self.firm = firm
        self.accounts = accounts
        self.action = action
        self.element = ACTIONS[action]
        self.full = action in _FULL
        self.events = events
        self.valuations = valuations
        self.snapshots = snapshots
        self.stamp = f"<RptgTmStmp>{xml_utc(created_at)}</RptgTmStmp>"
        own = f"<RptgCtrPty><Id><Lgl><Id><LEI>{firm.lei}</LEI></Id></Lgl></Id>"
        nature = "<Ntr><FI><Sctr><Cd>INVF</Cd></Sctr></FI></Ntr><TradgCpcty>PRIN</TradgCpcty>"
        # The firm sells when the client buys; for a swap, it pays the first leg.
        self.own = {
            (side, swap): f"{own}{nature}<DrctnOrSd>{_direction(side, swap)}</DrctnOrSd>"
            "</RptgCtrPty>"
            for side in Side
            for swap in (False, True)
        }
        self.own_short = f"{own}</RptgCtrPty>"
        self.agents = (
            f"<SubmitgAgt><LEI>{firm.reporting_lei}</LEI></SubmitgAgt>"
            f"<NttyRspnsblForRpt><LEI>{firm.lei}</LEI></NttyRspnsblForRpt>"
        )
        self.clients: dict[str, _Client | RefusedError] = {}
        self.contracts: dict[tuple[int, str | None], tuple[Instrument, _Contract | RefusedError]]
        self.contracts = {}
        self.skipped: list[Skipped] = []
        self.bad: list[BadField] = []
        self.reported = 0
        self.terms = _Terminations() if action == "TERM" else None

    def report(self, trade: Trade) -> bytes | None:
        """The ``Rpt`` of a trade; None when it is skipped or cannot be reported."""
        instrument = trade.instrument
        if instrument.product is Product.SPOT:
            self.skipped.append(Skipped(trade.trade_id, "product spot is not a derivative"))
            return None
        if trade.position_effect is PositionEffect.CLOSE and self.action in ("NEWT", "POSC"):
            self.skipped.append(
                Skipped(
                    trade.trade_id,
                    "closes a position: report it as a TERM of the opening's UTI, not as a new "
                    "derivative",
                )
            )
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
            data = self.build(trade, client, contract, uti)
        except RefusedError as problem:
            self.refuse(trade, [problem])
            return None
        self.reported += 1
        return data.encode()

    def build(self, trade: Trade, client: _Client, contract: _Contract, uti: str) -> str:
        """The ``Rpt`` text of a trade whose parties and instrument were rendered."""
        event, at, position = self.event(trade)
        tx_id = f"<TxId><UnqTxIdr>{uti}</UnqTxIdr></TxId>"
        happened = ""
        if event is not None:
            happened = f"<DerivEvt><Tp>{event}</Tp><TmStmp><Dt>{at.date()}</Dt></TmStmp></DerivEvt>"
        valuation = self.valuation(trade)
        head = f"<Rpt><{self.element}><CtrPtySpcfcData><CtrPty>"
        level = "<Lvl>TCTN</Lvl>" if self.action != "EROR" else ""
        if not self.full:
            body = tx_id
            if self.action == "TERM":
                body += f"<EarlyTermntnDt>{at.date()}</EarlyTermntnDt>{happened}"
            return (
                f"{head}{self.own_short}{client.short}{self.agents}</CtrPty>{valuation}"
                f"{self.stamp}</CtrPtySpcfcData><CmonTradData><TxData>{body}</TxData>"
                f"</CmonTradData>{level}</{self.element}></Rpt>\n"
            )
        if position is not None:
            tx_id += f"<SbsqntTxId><UnqTxIdr>{position}</UnqTxIdr></SbsqntTxId>"
        executed = xml_utc(trade.executed_at)
        return (
            f"{head}{self.own[trade.side, contract.swap]}{client.full}{self.agents}</CtrPty>"
            f"{valuation}{self.stamp}</CtrPtySpcfcData><CmonTradData>{contract.data}<TxData>"
            f"{tx_id}<PltfmIdr>{venue(trade)}</PltfmIdr>{_amounts(trade, contract)}"
            f"{contract.tail}<ExctnTmStmp>{executed}</ExctnTmStmp>"
            f"<FctvDt>{trade.executed_at.date()}</FctvDt>{contract.dates}{contract.settlement}"
            "<PstTradRskRdctnFlg>false</PstTradRskRdctnFlg>"
            f"{happened}<TradConf><Confd><Tp>ECNF</Tp><TmStmp>{executed}</TmStmp></Confd>"
            f"</TradConf>{_CLEARING}{_rate(trade, contract)}{contract.option}</TxData>"
            f"</CmonTradData>{level}"
            f"</{self.element}></Rpt>\n"
        )

    def terminates(self, trade: Trade, refused: list[RefusedError]) -> bool:
        """Whether a trade of a TERM batch reports a termination.

        A closing trade does (its UTI is checked in :meth:`report`). Any other trade opened a
        derivative, which NEWT reports (with no position effect, as NEWT takes it): it is
        terminated by the trade that closes it, so it is skipped, unless ``events`` names it
        with the time its position closed (the early termination date, REFIT table 2 field
        45) to terminate it without a closing trade.
        """
        assert self.terms is not None
        if trade.position_effect is PositionEffect.CLOSE:
            return True
        self.bad += self.terms.opening(trade, trade.uti or self.generated(trade))
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
        if _UTI_CODE(trade.trade_id):  # generate_uti's common case, inline
            return self.firm.lei + trade.trade_id
        return generate_uti(self.firm.lei, trade.trade_id)

    def uti(self, trade: Trade, refused: list[RefusedError]) -> str:
        given = trade.uti
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

    def valuation(self, trade: Trade) -> str:
        """``Valtn`` of the trade's derivative: required by VALU, optional elsewhere."""
        valuation = self.valuations.get(trade.trade_id)
        if valuation is None and self.action == "VALU":
            valuation = self.snapshot_valuation(trade)
        return "" if valuation is None else _valuation(valuation)

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
        self.bad.extend(BadField(trade.trade_id, item.field, item.reason) for item in refused)

    def client(self, account_id: str) -> _Client | RefusedError:
        piece = self.clients.get(account_id)
        if piece is None:
            account = self.accounts.get(account_id)
            if account is None:
                piece = RefusedError("account_id", f"no account {account_id!r} was given")
            else:
                try:
                    piece = _client(account, self.firm.lei)
                except RefusedError as refused:
                    piece = refused
            if len(self.clients) >= self._CACHE_LIMIT:
                self.clients.clear()
            self.clients[account_id] = piece
        return piece

    def contract(
        self, instrument: Instrument, price_currency: str | None
    ) -> _Contract | RefusedError:
        # By identity, as in mifir: the loaders share one instance per instrument.
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


def _direction(side: Side, swap: bool) -> str:
    """REFIT table 1 fields 17-19 for the firm: its side, or the direction of its legs."""
    if swap:
        first, second = ("MAKE", "TAKE") if side is Side.BUY else ("TAKE", "MAKE")
        return (
            f"<Drctn><DrctnOfTheFrstLeg>{first}</DrctnOfTheFrstLeg>"
            f"<DrctnOfTheScndLeg>{second}</DrctnOfTheScndLeg></Drctn>"
        )
    return "<CtrPtySd>SLLR</CtrPtySd>" if side is Side.BUY else "<CtrPtySd>BYER</CtrPtySd>"


def _amounts(trade: Trade, contract: _Contract) -> str:
    """``TxPric`` and ``NtnlAmt`` (REFIT table 2 fields 48-49, 55-56, 64-65)."""
    units = trade.quantity
    if contract.multiplier is not None:
        units = _EXACT.multiply(units, contract.multiplier)
    if contract.fx:
        # A currency option's second leg is at its strike; the trade's price is its premium.
        rate = trade.price if contract.strike is None else contract.strike
        first = xml_decimal(units, "notional", 19, 25)
        second = xml_decimal(_EXACT.multiply(units, rate), "notional", 19, 25)
        return (
            f'<NtnlAmt><FrstLeg><Amt><Amt Ccy="{contract.base}">{first}</Amt></Amt></FrstLeg>'
            f'<ScndLeg><Amt><Amt Ccy="{contract.currency}">{second}</Amt></Amt></ScndLeg>'
            "</NtnlAmt>"
        )
    price = xml_decimal(trade.price, "price", 19, 25)
    notional = xml_decimal(_EXACT.multiply(units, trade.price), "notional", 19, 25)
    currency = contract.currency
    return (
        f'<TxPric><Pric><MntryVal><Amt Ccy="{currency}">{price}</Amt></MntryVal></Pric></TxPric>'
        f'<NtnlAmt><FrstLeg><Amt><Amt Ccy="{currency}">{notional}</Amt></Amt></FrstLeg></NtnlAmt>'
    )


def _rate(trade: Trade, contract: _Contract) -> str:
    """``Ccy`` of a currency pair: the agreed rate and the pair (REFIT table 2 fields 115-116)."""
    if not contract.fx:
        return ""
    if contract.option:  # the price is the premium, not a rate: Optn holds the strike
        return f"<Ccy>{contract.pair}</Ccy>"
    rate = xml_decimal(trade.price, "price", 13, 18)
    return f"<Ccy><FwdXchgRate>{rate}</FwdXchgRate>{contract.pair}</Ccy>"


def _listed(codes: Iterable[str]) -> str:
    return ", ".join(sorted(codes))


def _records(renderer: _Renderer, trades: Iterable[Trade]) -> Iterator[tuple[str, bytes]]:
    """The ``Rpt`` of every trade; raises once every trade was seen if any was bad."""
    for trade in trades:
        data = renderer.report(trade)
        if data is not None:
            yield trade.trade_id, data
    if renderer.terms is not None:
        renderer.bad += renderer.terms.orphans()
    if renderer.bad:
        raise refusal(renderer.bad)


# --- files -----------------------------------------------------------------------------------


def file_name(firm: Firm, created_at: datetime, sequence: int) -> str:
    """The name of a report file: ``{submitting LEI}_DATTAR_{YYYYMMDD}_{NNNNNN}.xml``.

    Examples:
        >>> from datetime import UTC
        >>> firm = Firm(lei="5493001KJTIIGC8Y1R12", name="Example Markets Ltd", country="CY")
        >>> file_name(firm, datetime(2026, 11, 20, 18, 0, tzinfo=UTC), 1)
        '5493001KJTIIGC8Y1R12_DATTAR_20261120_000001.xml'
    """
    return f"{firm.reporting_lei}_DATTAR_{dated_sequence(created_at, sequence)}.xml"


def _envelope() -> Envelope:
    """``Document/DerivsTradRpt``: ``RptHdr/NbRcrds`` (the reports framed), ``TradData``."""

    @contextlib.contextmanager
    def envelope(xf: XmlWriter, part: Part) -> Iterator[None]:
        if part.records is None:  # never: render asks the writer to count
            raise RenderError("an auth.030 file states its number of reports")
        namespaces: Any = {None: _AUTH030}  # lxml-stubs does not allow the default namespace
        with xf.element(f"{{{_AUTH030}}}Document", nsmap=namespaces):
            xf.write("\n")
            with xf.element(f"{{{_AUTH030}}}DerivsTradRpt"):
                xf.write("\n")
                with xf.element(f"{{{_AUTH030}}}RptHdr"), xf.element(f"{{{_AUTH030}}}NbRcrds"):
                    xf.write(str(part.records))
                xf.write("\n")
                with xf.element(f"{{{_AUTH030}}}TradData"):
                    yield
                xf.write("\n")
            xf.write("\n")

    return envelope


def render(
    trades: Iterable[Trade],
    accounts: Iterable[Account],
    firm: Firm,
    out_dir: str | os.PathLike[str],
    *,
    created_at: datetime | None = None,
    action: Action = "NEWT",
    events: Mapping[str, str | Event] | None = None,
    valuations: Iterable[Valuation] = (),
    snapshots: Iterable[AccountSnapshot] = (),
    max_records: int | None = None,
    validate: bool = True,
    workers: int | None = None,
    first_sequence: int = 1,
) -> Rendered:
    """Write the EMIR REFIT reports (auth.030) of a batch of trades, all of one action type.

    Every derivative trade becomes one report; spot trades (and, for NEWT and POSC, trades
    that close a position) are skipped and listed in the result. With TERM, each closing
    trade terminates the derivative its opening reported, under the opening's UTI, which the
    close carries in ``uti``; openings (and trades of no position effect, which NEWT reports
    as new derivatives) are skipped and listed, unless ``events`` names them with the time
    their position closed. Any trade that cannot be reported (no account, no client LEI or
    country, an invalid UTI, no valuation for VALU, a close whose opening's UTI is unknown
    or already terminated ...) stops the whole batch: one
    :class:`~regkit.errors.RenderError` names every problem (trade, field, reason), and no
    file is written.

    Args:
        trades: the trades, in any order (an iterator is read once; memory stays flat).
        accounts: the accounts the trades are on.
        firm: the reporting firm (counterparty 1 and entity responsible for reporting; the
            report submitting entity is ``firm.reporting_lei``).
        out_dir: the folder to write to (created if missing).
        created_at: the reporting timestamp and the files' date; default now, in UTC. The
            same inputs and ``created_at`` give the same bytes.
        action: NEWT, MODI, CORR, TERM, EROR, POSC or VALU.
        events: trade id → event type, or an :class:`Event` (type, time, position UTI);
            trades not named get :data:`DEFAULT_EVENTS`. With TERM, naming an opening with
            ``Event(at=closing time)`` terminates it without its closing trade.
        valuations: the derivatives' values (required by VALU, reported by the other full
            reports when given); one per trade id.
        snapshots: account snapshots; for VALU, a trade without a :class:`Valuation` is
            valued from its account's latest snapshot when that holds one open position.
        max_records: most reports in one file (default :data:`DEFAULT_MAX_RECORDS`).
        validate: validate every report against the schema before it is written.
        workers: validating threads; 1 validates inline; default two on two cores.
        first_sequence: the sequence number of the first file (continue a day's numbering).

    Returns:
        The files written (a list of paths) with ``reported`` and ``skipped``.

    Raises:
        RenderError: bad records (all of them named), or bad arguments.
        XsdValidationError: a report does not validate (a regkit bug: please report it).

    See ``docs/emir.md`` for the lifecycle of a CFD and an example.
    """
    created = creation_time(created_at)
    _check_arguments(firm, action, first_sequence)
    by_id = {account.account_id: account for account in accounts}
    inputs = (events or {}, _by_trade(valuations), _latest_snapshots(snapshots))
    renderer = _Renderer(firm, by_id, action, created, *inputs)
    paths = write_files(
        _records(renderer, trades),
        out_dir,
        envelope=_envelope(),
        name=lambda sequence: file_name(firm, created, first_sequence + sequence - 1),
        schema="auth.030",
        max_records=DEFAULT_MAX_RECORDS if max_records is None else max_records,
        validate=validate,
        workers=workers,
        count_records=True,
    )
    return Rendered(paths, reported=renderer.reported, skipped=renderer.skipped)


def _check_arguments(firm: Firm, action: str, first_sequence: int) -> None:
    """Refuse an unknown action, a first sequence below 1, or a firm regkit cannot report."""
    if action not in ACTIONS:
        raise RenderError(f"action must be one of {_listed(ACTIONS)}, got {action!r}")
    if first_sequence < 1:
        raise RenderError(f"first_sequence must be at least 1, got {first_sequence}")
    if not firm.investment_firm:
        raise RenderError(
            "firm.investment_firm is false: regkit reports the firm as a financial "
            "counterparty of sector INVF (investment firm), and has no other sector for it"
        )


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
