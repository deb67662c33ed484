"""MiFIR RTS 22 transaction reports: auth.016 in the ESMA envelope.

(The auth.031 feedback is read by :mod:`regkit.reports.mifir.feedback`; the envelope, the
code lists and the file sequence are the shared :mod:`regkit.reports.iso20022` layer's.)

:func:`render` turns trades into files of ``BizData`` → ``Hdr/AppHdr`` (head.001) +
``Pyld/Document/FinInstrmRptgTxRpt`` (auth.016, ESMA usage guideline 1.1.0), one ``Tx/New``
per reportable trade and one ``Tx/Cxl`` per cancelled reference. See ``docs/mifir.md`` for
the field-by-field mapping. The decisions worth knowing:

* **Counterparties.** The firm deals on own account: it is the executing entity (field 4,
  ``firm.lei``) and the client's counterparty. When the client buys, the client is the
  buyer (fields 7-11) and the firm the seller (16); when the client sells, the reverse. A
  client that is an entity is identified by its LEI, a person by the national client
  identifier of :func:`~regkit.schemas.identifiers.national_client_id` (RTS 22 Art. 6,
  Annex II, EU or UK table) with first names (comma-separated), surname and date of birth.
  The branch country is the account's ``branch_country``, else the firm's country.
* **Transaction reference** (field 2): :func:`transaction_reference`, stable per trade id,
  so that a cancellation may name the trade id or the reference.
* **Venue** (field 36): a real MIC on the trade is kept; otherwise the instrument decides,
  not the trade: ``XOFF`` when it is traded on a venue, ``XXXX`` when not. regkit's only sign
  of "traded on a trading venue" is an ISIN (instruments on a venue have one in FIRDS), so
  an instrument with an ISIN is reported by ISIN and ``XOFF``, and one without is described
  in full (fields 42-56) with ``XXXX``.
* **Underlying** (fields 47-48): the underlying's ISIN, or the index's ISIN or name. The XSD
  requires an underlying even where there is none (a currency pair: its currencies are
  fields 44 and 45, the second in ``AsstClssSpcfcAttrbts/FX/OthrNtnlCcy``): an empty
  ``Othr/Bskt`` then says that no underlying instrument is identified.
* **Time** (field 28) in UTC with the fractional seconds the trade has (none, or the
  microseconds without trailing zeros: a datetime cannot tell ``.120`` from ``.12``).
* **Decimals** keep the source's digits; trailing zeros are dropped only when the XSD's
  limit (13 decimals for a price, 17 for a quantity, 18 digits) would be passed.

Files. Each file is named ``{sender}_DATTRA_{recipient}_{YYYYMMDD}_{NNNNNN}.xml``: the
submitting entity's LEI, ``DATTRA`` (transaction data, ESMA's file type), the competent
authority's country code, the creation date (UTC) and a six-digit sequence number from
``first_sequence``. ESMA's reporting instructions name transaction files
``{Sender}_DATTRA_{Recipient}_{Key1}_{Key2}``, with the keys left to the exchange (between
authorities a year and a sequence number); each authority sets its own rule for firms, and
:func:`file_name` follows the table of :mod:`regkit.reports.mifir.authorities` (which says,
per authority, what is confirmed and what assumed; an authority not in it gets this form).
regkit puts the date in the first key so that numbering may start again every day, and two
runs on one day must continue the numbering (``first_sequence``) to keep names unique. A
file holds at most ``max_records`` ``Tx`` (500,000 by default, ESMA's ceiling for one file);
more go to the next sequence number.

``BizMsgIdr`` (35 characters at most, which a file name with an LEI exceeds) is derived from
the same parts: ``DATTRA_{creation time to the second}_{sequence}``; ``CreDt`` is
``created_at``. So the same inputs and ``created_at`` give byte-identical files.

Validation. The files are written by :func:`regkit.reports.writer.write_files`: every chunk
of a few thousand ``Tx`` is validated, inside the file's own envelope, with the compiled
lxml schemas of the registry (head.003 + head.001 + auth.016, through
:func:`regkit.reports.xml.validate`) before it is written, in two worker threads when the
machine has two cores. Every ``Tx`` is thus validated, the envelope with each chunk, and a
file is only its envelope around validated chunks, so it is valid as a whole and is not
parsed again. Files are written under temporary names and renamed only when every trade
was rendered and every chunk validated; on any error no file is left behind.

Examples:
    >>> transaction_reference("T-2026-000123")
    'T20260001232A7NJGCMK6U7'
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal, Protocol, cast

from lxml import etree

from regkit.errors import IdentifierError, RenderError
from regkit.reports.iso20022.codes import EXERCISE_STYLES, OPTION_TYPES, delivery, venue
from regkit.reports.iso20022.envelope import app_header, business_data
from regkit.reports.mifir.authorities import authority_for
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
from regkit.reports.writer import Envelope, Part, write_files
from regkit.schemas.account import Account
from regkit.schemas.enums import Capacity, Product, Side, UnderlyingClass
from regkit.schemas.firm import Firm
from regkit.schemas.identifiers import (
    PersonLike,
    is_valid_isin,
    national_client_id,
    transaction_reference,
)
from regkit.schemas.instrument import Instrument
from regkit.schemas.party import LegalEntity
from regkit.schemas.trade import Trade
from regkit.schemas.types import to_utc

__all__ = [
    "DEFAULT_MAX_RECORDS",
    "DEFAULT_REPORTABLE_PRODUCTS",
    "Regime",
    "Rendered",
    "Reportability",
    "Skipped",
    "file_name",
    "message_id",
    "render",
    "transaction_reference",
]

# --- reportability ---------------------------------------------------------------------------

#: The products the mifir-data-quality pack reports by default.
DEFAULT_REPORTABLE_PRODUCTS: Final = frozenset(
    {Product.CFD, Product.SPREAD_BET, Product.FORWARD, Product.SWAP, Product.OPTION}
)
#: Files hold at most this many ``Tx`` unless told otherwise.
DEFAULT_MAX_RECORDS: Final = 500_000

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


# --- results ---------------------------------------------------------------------------------


# --- text and numbers ------------------------------------------------------------------------

_NOT_ALNUM = re.compile(r"[^A-Z0-9]")
#: A trade id that is its own transaction reference (the common case, checked inline).
_TRN_MATCH = re.compile(r"[A-Z0-9]{1,52}").fullmatch
_CAPACITY = {capacity: capacity.value for capacity in Capacity}
#: Fields 64 (commodity derivatives only: the firm's trades with clients do not reduce its
#: risk in the sense of MiFID II Art. 57) and 65 (no securities financing transaction).
_COMMODITIES = frozenset({UnderlyingClass.GOLD, UnderlyingClass.COMMODITY})
_FLAGS = {
    False: "<AddtlAttrbts><SctiesFincgTxInd>false</SctiesFincgTxInd></AddtlAttrbts>",
    True: "<AddtlAttrbts><RskRdcgTx>false</RskRdcgTx>"
    "<SctiesFincgTxInd>false</SctiesFincgTxInd></AddtlAttrbts>",
}
# ESMA_PersonalIdentification_Pattern of the auth.016 usage guideline.
_PERSON_ID = re.compile(
    r"[A-Z]{2}[A-Z0-9]{1,33}|[A-Z]{2}[0-9]{8}[A-Z][A-Z#]{4}[A-Z][A-Z#]{4}"
    r"|FI[A-Z0-9\-+]{1,33}|LV[A-Z0-9\-]{1,33}"
)


# --- parties ---------------------------------------------------------------------------------


def _person_id(person: PersonLike, regime: Regime, field: str) -> str:
    """``<Othr>`` of a natural person: the national client identifier and its scheme."""
    try:
        scheme, identifier = national_client_id(person, regime)
    except IdentifierError as exc:
        raise RefusedError(field, str(exc)) from exc
    if not _PERSON_ID.fullmatch(identifier):
        raise RefusedError(field, f"identifier {identifier!r} does not have the ESMA format")
    name = "<Prtry>CONCAT</Prtry>" if scheme == "CONCAT" else f"<Cd>{scheme}</Cd>"
    return f"<Othr><Id>{identifier}</Id><SchmeNm>{name}</SchmeNm></Othr>"


def _client(account: Account, firm: Firm, regime: Regime) -> str:
    """``<AcctOwnr>`` of the client (RTS 22 fields 7-11 or 16-20)."""
    holder = account.holder
    branch = account.branch_country or firm.country
    if isinstance(holder, LegalEntity):
        if holder.lei is None:
            raise RefusedError("account.holder.lei", "the client is an entity without an LEI")
        return (
            f"<AcctOwnr><Id><LEI>{holder.lei}</LEI></Id>"
            f"<CtryOfBrnch>{branch}</CtryOfBrnch></AcctOwnr>"
        )
    if holder.date_of_birth is None:
        raise RefusedError("account.holder.date_of_birth", "missing (RTS 22 fields 11/20)")
    first = xml_text(",".join(holder.first_name.split()), "account.holder.first_name", 140)
    surname = xml_text(holder.surname, "account.holder.surname", 140)
    other = _person_id(holder, regime, "account.holder.national_ids")
    return (
        f"<AcctOwnr><Id><Prsn><FrstNm>{first}</FrstNm><Nm>{surname}</Nm>"
        f"<BirthDt>{holder.date_of_birth.isoformat()}</BirthDt>{other}</Prsn></Id>"
        f"<CtryOfBrnch>{branch}</CtryOfBrnch></AcctOwnr>"
    )


def _algo(decision: str, field: str) -> str:
    code = _NOT_ALNUM.sub("", decision[len("ALGO:") :].upper())[:50]
    if not code:
        raise RefusedError(field, f"{decision!r} leaves no letters or digits for the algorithm id")
    return f"<Algo>{code}</Algo>"


def _decider(
    decision: str, field: str, firm: Firm, traders: Mapping[str, PersonLike], regime: Regime
) -> str:
    """The inside of ``InvstmtDcsnPrsn`` or ``ExctgPrsn`` (RTS 22 fields 57 and 59)."""
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
        return "<Clnt>NORE</Clnt>"
    if decision.startswith("ALGO:"):
        return _algo(decision, field)
    person = traders.get(decision)
    if person is None:
        raise RefusedError(
            field,
            f"trader {decision!r} has no national identifier: pass traders={{{decision!r}: "
            "NaturalPerson(...)}} (RTS 22 fields 57/59 identify the person)",
        )
    other = _person_id(person, regime, field)
    return f"<Prsn><CtryOfBrnch>{firm.country}</CtryOfBrnch>{other}</Prsn>"


# --- instruments -----------------------------------------------------------------------------


def _instrument(instrument: Instrument, price_currency: str | None) -> str:
    """``<FinInstrm>`` (RTS 22 fields 41-56): the ISIN, or the instrument described."""
    if instrument.isin is not None:
        return f"<FinInstrm><Id>{instrument.isin}</Id></FinInstrm>"
    if instrument.full_name is None:
        raise RefusedError("instrument.full_name", "missing and no ISIN (RTS 22 field 42)")
    if instrument.cfi is None:
        raise RefusedError("instrument.cfi", "missing and no ISIN (RTS 22 field 43)")
    name = xml_text(instrument.full_name, "instrument.full_name", 350)
    first = instrument.base_currency if instrument.is_fx else instrument.quote_currency
    first = first or price_currency
    currency = "" if first is None else f"<NtnlCcy>{first}</NtnlCcy>"
    expiry = "" if instrument.expiry_date is None else f"<XpryDt>{instrument.expiry_date}</XpryDt>"
    multiplier = xml_decimal(instrument.price_multiplier, "instrument.price_multiplier", 17)
    second = ""
    if instrument.is_fx:
        second = (
            f"<AsstClssSpcfcAttrbts><FX><OthrNtnlCcy>{instrument.quote_currency}"
            "</OthrNtnlCcy></FX></AsstClssSpcfcAttrbts>"
        )
    return (
        f"<FinInstrm><Othr><FinInstrmGnlAttrbts><FullNm>{name}</FullNm>"
        f"<ClssfctnTp>{instrument.cfi}</ClssfctnTp>{currency}</FinInstrmGnlAttrbts>"
        f"<DerivInstrmAttrbts>{expiry}<PricMltplr>{multiplier}</PricMltplr>"
        f"{_underlying(instrument)}{_option(instrument)}"
        f"<DlvryTp>{delivery(instrument, 'RTS 22 field 56')}</DlvryTp>{second}"
        "</DerivInstrmAttrbts></Othr></FinInstrm>"
    )


def _option(instrument: Instrument) -> str:
    """An option's type, strike and exercise style (RTS 22 fields 50-53), in the quote
    currency (a currency option's strike is the rate of the pair)."""
    if instrument.product is not Product.OPTION:
        return ""
    for name in ("option_type", "strike_price", "exercise_style"):
        if getattr(instrument, name) is None:
            raise RefusedError(
                f"instrument.{name}", "missing, and the option has no ISIN (RTS 22 fields 50-53)"
            )
    assert instrument.option_type is not None
    assert instrument.strike_price is not None
    assert instrument.exercise_style is not None
    strike = xml_decimal(instrument.strike_price, "instrument.strike_price", 13)
    return (
        f"<OptnTp>{OPTION_TYPES[instrument.option_type]}</OptnTp>"
        f'<StrkPric><Pric><MntryVal><Amt Ccy="{instrument.quote_currency}">{strike}</Amt>'
        f"</MntryVal></Pric></StrkPric>"
        f"<OptnExrcStyle>{EXERCISE_STYLES[instrument.exercise_style]}</OptnExrcStyle>"
    )


def _underlying(instrument: Instrument) -> str:
    """``<UndrlygInstrm>`` (RTS 22 fields 47-48).

    The XSD requires one even where RTS 22 has no underlying instrument (a currency pair,
    whose currencies are fields 44-45; gold; a crypto-asset): then an empty basket says
    that no underlying instrument is identified.
    """
    if instrument.underlying_isin is not None:
        inner = f"<Sngl><ISIN>{instrument.underlying_isin}</ISIN></Sngl>"
    elif instrument.underlying_index is not None:
        index = instrument.underlying_index
        if is_valid_isin(index):
            inner = f"<Sngl><ISIN>{index}</ISIN></Sngl>"
        else:
            name = xml_text(index, "instrument.underlying_index", 25)
            inner = f"<Sngl><Indx><Nm><RefRate><Nm>{name}</Nm></RefRate></Nm></Indx></Sngl>"
    else:
        inner = "<Bskt/>"
    return f"<UndrlygInstrm><Othr>{inner}</Othr></UndrlygInstrm>"


# --- transactions ----------------------------------------------------------------------------

_Piece = str | RefusedError


class _Renderer:
    """Turns trades into ``Tx`` bytes, caching what repeats (clients, instruments, traders)
    and collecting the trades it skips and every field it cannot report."""

    _CACHE_LIMIT: Final = 4096

    def __init__(
        self,
        firm: Firm,
        accounts: Mapping[str, Account],
        traders: Mapping[str, PersonLike],
        reportability: Reportability,
    ) -> None:
        self.firm = firm
        self.accounts = accounts
        self.traders = traders
        self.reportability = reportability
        investment_firm = "true" if firm.investment_firm else "false"
        self.parties = (
            f"<ExctgPty>{firm.lei}</ExctgPty><InvstmtPtyInd>{investment_firm}</InvstmtPtyInd>"
            f"<SubmitgPty>{firm.reporting_lei}</SubmitgPty>"
        )
        self.own = f"<AcctOwnr><Id><LEI>{firm.lei}</LEI></Id></AcctOwnr>"
        self.clients: dict[str, _Piece] = {}
        self.instruments: dict[tuple[int, str | None], tuple[Instrument, str | None, _Piece]] = {}
        self.executions: dict[str, _Piece] = {}
        self.investments: dict[str, _Piece] = {}
        self.skipped: list[Skipped] = []
        self.bad: list[BadField] = []
        self.reported = 0
        self.cancelled = 0

    def cancellation(self, item: str | Trade) -> bytes:
        """``Tx/Cxl`` of a transaction reported before (by reference or by trade)."""
        self.cancelled += 1
        return (
            f"<Tx><Cxl><TxId>{transaction_reference(item)}</TxId><ExctgPty>{self.firm.lei}"
            f"</ExctgPty><SubmitgPty>{self.firm.reporting_lei}</SubmitgPty></Cxl></Tx>\n"
        ).encode()

    def new(self, trade: Trade) -> bytes | None:
        """``Tx/New`` of a trade; None when it is skipped or cannot be reported."""
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
        price: _Piece
        try:
            price = xml_decimal(trade.price, "price", 13)
        except RefusedError as refused:
            price = refused
        currency = trade.price_currency
        pieces = (client, instrument, execution, investment, quantity, price)
        if (
            currency is None
            or trade.capacity is Capacity.AOTC
            or type(client) is not str
            or type(instrument) is not str
            or type(execution) is not str
            or type(investment) is not str
            or type(quantity) is not str
            or type(price) is not str
        ):
            self.refuse(trade, pieces)
            return None
        self.reported += 1
        buyer, seller = (client, self.own) if trade.side is Side.BUY else (self.own, client)
        reference = trade.trade_id
        if not _TRN_MATCH(reference):
            reference = transaction_reference(reference)
        return (
            f"<Tx><New><TxId>{reference}</TxId>{self.parties}"
            f"<Buyr>{buyer}</Buyr><Sellr>{seller}</Sellr>"
            "<OrdrTrnsmssn><TrnsmssnInd>false</TrnsmssnInd></OrdrTrnsmssn>"
            f"<Tx><TradDt>{xml_utc(trade.executed_at)}</TradDt>"
            f"<TradgCpcty>{_CAPACITY[trade.capacity]}</TradgCpcty><Qty>{quantity}</Qty>"
            f'<Pric><Pric><MntryVal><Amt Ccy="{currency}">{price}</Amt></MntryVal></Pric></Pric>'
            f"<TradVn>{venue(trade)}</TradVn></Tx>{instrument}{investment}"
            f"<ExctgPrsn>{execution}</ExctgPrsn>"
            f"{_FLAGS[trade.instrument.underlying_class in _COMMODITIES]}"
            "</New></Tx>\n"
        ).encode()

    def quantity(self, trade: Trade) -> _Piece:
        """The inside of ``Qty`` (RTS 22 fields 30-31): units, or for a spread bet its stake
        per point of the underlying as a monetary value in the quantity currency (the
        trade's, else its account's base currency)."""
        try:
            text = xml_decimal(trade.quantity, "quantity", 17)
        except RefusedError as refused:
            return refused
        if trade.instrument.product is not Product.SPREAD_BET:
            return f"<Unit>{text}</Unit>"
        account = self.accounts.get(trade.account_id)
        currency = trade.quantity_currency or (account and account.base_currency)
        if currency is None:
            return RefusedError(
                "quantity_currency",
                "missing: a spread bet's quantity is its stake per point, a monetary value in "
                "a currency (RTS 22 fields 30-31); give quantity_currency or the account's "
                "base_currency",
            )
        return f'<MntryVal Ccy="{currency}">{text}</MntryVal>'

    def refuse(self, trade: Trade, pieces: tuple[_Piece, ...]) -> None:
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
        self.bad.extend(BadField(trade.trade_id, item.field, item.reason) for item in refused)

    def client(self, account_id: str) -> _Piece:
        piece = self.clients.get(account_id)
        if piece is None:
            account = self.accounts.get(account_id)
            if account is None:
                piece = RefusedError("account_id", f"no account {account_id!r} was given")
            else:
                piece = _piece(_client, account, self.firm, self.reportability.regime)
            self.clients[account_id] = piece
        return piece

    def instrument(
        self, instrument: Instrument, price_currency: str | None
    ) -> tuple[str | None, _Piece]:
        """Why the instrument is not reported (or None), and its ``FinInstrm``."""
        # By identity: the loaders share one instance per instrument, and hashing a record
        # costs more than rendering it. The instance is kept, so its id stays its own.
        key = (id(instrument), price_currency)
        cached = self.instruments.get(key)
        if cached is not None and cached[0] is instrument:
            return cached[1], cached[2]
        if len(self.instruments) >= self._CACHE_LIMIT:
            self.instruments.clear()
        skip = self.reportability.reason(instrument)
        piece = "" if skip is not None else _piece(_instrument, instrument, price_currency)
        self.instruments[key] = (instrument, skip, piece)
        return skip, piece

    def decider(self, decision: str | None, cache: dict[str, _Piece], field: str) -> _Piece:
        if decision is None:
            if field == "investment_decision":
                return ""  # the client decided: field 57 stays empty
            return RefusedError(field, "missing (RTS 22 field 59: a trader, ALGO:<id> or NORE)")
        piece = cache.get(decision)
        if piece is None:
            if len(cache) >= self._CACHE_LIMIT:
                cache.clear()
            regime = self.reportability.regime
            piece = _piece(_decider, decision, field, self.firm, self.traders, regime)
            if field == "investment_decision" and isinstance(piece, str):
                piece = f"<InvstmtDcsnPrsn>{piece}</InvstmtDcsnPrsn>"
            cache[decision] = piece
        return piece


def _piece(build: Callable[..., str], *args: Any) -> _Piece:
    try:
        return build(*args)
    except RefusedError as refused:
        return refused


def _records(
    renderer: _Renderer, trades: Iterable[Trade], cancellations: Iterable[str | Trade]
) -> Iterator[tuple[str, bytes]]:
    """The ``Tx`` of a report, cancellations first (so that a cancel-and-replace of one
    reference in one file works); raises once every trade was seen if any was bad."""
    for item in cancellations:
        yield f"cancellation {transaction_reference(item)}", renderer.cancellation(item)
    for trade in trades:
        data = renderer.new(trade)
        if data is not None:
            yield trade.trade_id, data
    if renderer.bad:
        raise refusal(renderer.bad)


# --- files -----------------------------------------------------------------------------------

_AUTH016: Final = "urn:iso:std:iso:20022:tech:xsd:auth.016.001.01"


def file_name(firm: Firm, created_at: datetime, sequence: int) -> str:
    """The name of a report file, by the rule of the firm's competent authority
    (``firm.report_recipient``) in :mod:`regkit.reports.mifir.authorities`; an authority
    not in that table gets ESMA's convention,
    ``{sender LEI}_DATTRA_{recipient}_{YYYYMMDD}_{NNNNNN}.xml``.

    Raises:
        RenderError: the sequence number is outside 1 to 999,999.

    Examples:
        >>> firm = Firm(lei="5493001KJTIIGC8Y1R12", name="Example Markets Ltd", country="CY")
        >>> from datetime import UTC, datetime
        >>> file_name(firm, datetime(2026, 11, 20, 18, 0, tzinfo=UTC), 1)
        '5493001KJTIIGC8Y1R12_DATTRA_CY_20261120_000001.xml'
    """
    authority = authority_for(firm.report_recipient)
    return authority.file_name(firm.reporting_lei, created_at, sequence)


def message_id(created_at: datetime, sequence: int) -> str:
    """The ``BizMsgIdr`` of a file (35 characters at most): the file type, the creation time
    to the second and the file's sequence number, so that the same inputs and ``created_at``
    give the same bytes.

    Examples:
        >>> from datetime import UTC, datetime
        >>> message_id(datetime(2026, 11, 20, 18, 0, tzinfo=UTC), 1)
        'DATTRA_20261120T180000_000001'
    """
    return f"DATTRA_{to_utc(created_at):%Y%m%dT%H%M%S}_{sequence:06d}"


def _envelope(firm: Firm, created_at: datetime, first_sequence: int) -> Envelope:
    """``BizData``: the ``AppHdr`` from the submitting entity's LEI to the competent
    authority, then ``Document/FinInstrmRptgTxRpt`` (auth.016)."""

    def header(part: Part) -> etree._Element:
        sequence = first_sequence + part.sequence - 1
        return app_header(
            firm.reporting_lei,
            firm.report_recipient,
            message_id(created_at, sequence),
            "auth.016.001.01",
            created_at,
        )

    return business_data(header, _AUTH016, "FinInstrmRptgTxRpt")


def render(
    trades: Iterable[Trade],
    accounts: Iterable[Account],
    firm: Firm,
    out_dir: str | os.PathLike[str],
    *,
    created_at: datetime | None = None,
    cancellations: Iterable[str | Trade] = (),
    max_records: int | None = None,
    validate: bool = True,
    reportability: Reportability | None = None,
    workers: int | None = None,
    traders: Mapping[str, PersonLike] | None = None,
    first_sequence: int = 1,
) -> Rendered:
    """Write the MiFIR transaction reports (auth.016 in the ESMA envelope) of a batch of trades.

    Every reportable trade becomes a ``Tx/New``, every item of ``cancellations`` a
    ``Tx/Cxl``; trades that are not reportable are skipped and listed in the result. Any
    trade that cannot be reported (no account, no national client identifier, no price
    currency ...) stops the whole batch: one :class:`~regkit.errors.RenderError` names every
    problem (trade, field, reason), and no file is written.

    Args:
        trades: the trades, in any order (an iterator is read once; memory stays flat).
        accounts: the accounts the trades are on.
        firm: the reporting firm (executing entity; submitting entity through
            ``firm.reporting_lei``; recipient ``firm.report_recipient``).
        out_dir: the folder to write to (created if missing).
        created_at: the files' creation time (``CreDt``, file name, ``BizMsgIdr``); default
            now, in UTC. The same inputs and ``created_at`` give the same bytes.
        cancellations: transaction references (or trades) reported before, to cancel.
        max_records: most ``Tx`` in one file (default :data:`DEFAULT_MAX_RECORDS`).
        validate: validate every ``Tx`` against the ESMA schema before it is written.
        reportability: which trades are reported (default :class:`Reportability`()).
        workers: validating threads; 1 validates inline; default two on two cores.
        traders: the natural person behind each trader id in ``execution_decision`` and
            ``investment_decision`` (RTS 22 fields 57 and 59 identify them like clients);
            default ``firm.traders``.
        first_sequence: the sequence number of the first file (continue a day's numbering).

    Returns:
        The files written (a list of paths) with ``reported``, ``cancelled`` and ``skipped``.

    Raises:
        RenderError: bad records (all of them named), or bad arguments.
        XsdValidationError: a ``Tx`` does not validate (a regkit bug: please report it).

    See ``docs/mifir.md`` for an example that renders the sample brokerage's trades.
    """
    created = creation_time(created_at)
    if first_sequence < 1:
        raise RenderError(f"first_sequence must be at least 1, got {first_sequence}")
    renderer = _Renderer(
        firm,
        {account.account_id: account for account in accounts},
        firm.traders if traders is None else traders,
        reportability or Reportability(),
    )
    paths = write_files(
        _records(renderer, trades, cancellations),
        out_dir,
        envelope=_envelope(firm, created, first_sequence),
        name=lambda sequence: file_name(firm, created, first_sequence + sequence - 1),
        schema="auth.016",
        max_records=DEFAULT_MAX_RECORDS if max_records is None else max_records,
        validate=validate,
        workers=workers,
    )
    return Rendered(
        paths,
        reported=renderer.reported,
        cancelled=renderer.cancelled,
        skipped=renderer.skipped,
    )
