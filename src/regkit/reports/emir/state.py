"""EMIR REFIT trade state and reconciliation reports (auth.107, auth.091), read and compared
with what the firm's ledger says is open.

Besides the rejection feedback (auth.092, :mod:`regkit.reports.emir.feedback`), a trade
repository sends each reporting counterparty two reports every working day:

* the **trade state report**, ISO 20022 auth.107 ``DerivsTradStatRpt`` (ESMA's "DATTSR"):
  the latest state of every outstanding derivative. Its root holds a report header
  (``RptHdr``: the execution date ``RptExctnDt``, the number of records ``NbRcrds`` and, for
  a report split over several files, ``MsgPgntn``) and ``TradData``: either ``DataSetActn``
  ``NOTX`` (nothing outstanding) or one ``Stat`` per derivative. A ``Stat`` is not split by
  action type as auth.030's ``Rpt`` is: it carries one or two ``CtrPtySpcfcData`` (the
  counterparties, the valuation), ``CmonTradData/TxData`` (UTI, notional, dates) and the
  action type of the derivative's latest report as a code, ``CmonTradData/CtrctMod/ActnTp``.
* the **reconciliation status report**, auth.091 ``DerivsTradRcncltnSttstclRpt`` (ESMA's
  "DATRCN"): per reconciliation category (``Rpt/RcncltnCtgrs``: one- or two-sided reporting,
  paired or not, reconciled or not, ...) and per counterparty pair (``TxDtls``), each
  derivative (``RcncltnRpt``) with the fields whose two sides differ (``MtchgCrit``, each
  field holding the reporting counterparty's value ``Val1`` and the other's ``Val2``).

:func:`read_trade_state` and :func:`read_reconciliation_status` read one file each, safely
(:func:`regkit.reports.iso20022.reading.read_message`: no DTD, no entities, no network, a
size limit, and the shipped schema checked before anything is read), as a bare
``Document`` or inside a ``BizData`` envelope with an ``AppHdr``. :func:`join_pages` joins
the pages of a state report split over several files. :func:`compare` sets the trade state
against the firm's ledger (:class:`ExpectedDerivative`, one per UTI it reported) and lists
each :class:`Difference`: a derivative open here but missing at the trade repository, one
still open there though terminated or cancelled here, one the ledger does not know, one
listed twice, and each field whose values differ (numbers compared as numbers, times as
instants).

The shipped schemas are the ISO 20022 base messages; ESMA's usage guidelines restrict them
further and were not available to ship (see ``regkit/reports/xsd/SOURCES.md``).

Examples:
    >>> state = read_trade_state(_EXAMPLE)
    >>> [(d.uti, d.action_type, d.notional) for d in state.derivatives]
    [('529900T8BM49AURSDO55CFD0001', 'NEWT', Decimal('100000')),
     ('529900T8BM49AURSDO55CFD0002', 'MODI', Decimal('50000.00'))]
    >>> ledger = [
    ...     ExpectedDerivative("529900T8BM49AURSDO55CFD0001", "NEWT",
    ...                        fields={"notional": "100000.0", "notional_currency": "EUR"}),
    ...     ExpectedDerivative("529900T8BM49AURSDO55CFD0002", "TERM", terminated=True),
    ...     ExpectedDerivative("529900T8BM49AURSDO55CFD0003", "NEWT"),
    ... ]
    >>> result = compare(state, ledger)
    >>> [(d.uti[-4:], d.kind) for d in result.differences], result.matched
    ([('0002', 'open_at_tr'), ('0003', 'missing_at_tr')], 1)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Final, Literal, TypeAlias

from lxml import etree

from regkit.errors import RenderError
from regkit.reports.iso20022.reading import (
    Source,
    child_text,
    line_of,
    read_message,
    required_text,
    text_of,
)
from regkit.reports.iso20022.reading import (
    qualified as _q,
)
from regkit.reports.values import xml_utc
from regkit.reports.xml import DEFAULT_MAX_BYTES, SCHEMAS

__all__ = [
    "CLOSING_ACTIONS",
    "COMPARED_FIELDS",
    "CounterpartyPair",
    "Difference",
    "DifferenceKind",
    "ExpectedDerivative",
    "MismatchedField",
    "OpenDerivative",
    "ReconciledDerivative",
    "ReconciliationCategory",
    "ReconciliationStatistics",
    "ReconciliationStatus",
    "StateComparison",
    "TradeState",
    "compare",
    "join_pages",
    "read_reconciliation_status",
    "read_trade_state",
]

_STATE: Final = SCHEMAS["auth.107"].namespace
_RECONCILIATION: Final = SCHEMAS["auth.091"].namespace

#: The action types after which a derivative is no longer outstanding: terminated (TERM) or
#: reported in error (EROR).
CLOSING_ACTIONS: Final = frozenset({"TERM", "EROR"})

#: The fields of :class:`OpenDerivative` that :class:`ExpectedDerivative` may give and
#: :func:`compare` compares.
COMPARED_FIELDS: Final = (
    "action_type",
    "execution_timestamp",
    "expiry_date",
    "notional",
    "notional_currency",
    "other_counterparty",
    "reporting_counterparty",
)

DifferenceKind: TypeAlias = Literal[
    "missing_at_tr", "open_at_tr", "unknown_at_tr", "duplicate_at_tr", "field_mismatch"
]
"""What a :class:`Difference` is (see :func:`compare`)."""


# --- the trade state report (auth.107) -------------------------------------------------------


@dataclass(frozen=True)
class OpenDerivative:
    """One outstanding derivative of a trade state report (one ``Stat``).

    Two derivatives are equal when every field but :attr:`line` is.

    Attributes:
        uti: the UTI (``TxData/TxId/UnqTxIdr``, or ``TxId/Prtry/Id``); None when the report
            gives none (the base message allows it, ESMA's usage guideline does not).
        reporting_counterparty: the LEI (or other id) of the reporting counterparty, from
            the first ``CtrPtySpcfcData`` (a state report may add a second one, the other
            counterparty's side, which is not read).
        other_counterparty: the other counterparty's LEI or other id (a natural person's
            client code), if given.
        action_type: the action type of the derivative's latest report
            (``CtrctMod/ActnTp``: NEWT, MODI, CORR, POSC, VALU ...), if given.
        notional: the first leg's notional amount (``NtnlAmt/FrstLeg/Amt``; negative when
            its ``Sgn`` is false), if given.
        notional_currency: its currency (the amount's ``Ccy``), if given.
        execution_timestamp: ``ExctnTmStmp``, in UTC (a time without a zone is read as
            UTC), if given.
        expiry_date: ``XprtnDt``, if given.
        line: the line of the ``Stat`` element in its file.
    """

    uti: str | None
    reporting_counterparty: str
    other_counterparty: str | None = None
    action_type: str | None = None
    notional: Decimal | None = None
    notional_currency: str | None = None
    execution_timestamp: datetime | None = None
    expiry_date: date | None = None
    line: int | None = dataclasses.field(default=None, compare=False)


@dataclass(frozen=True)
class TradeState:
    """One auth.107 trade state report as read (or the pages of one, :func:`join_pages`).

    Attributes:
        file: the file's path (``<bytes>`` when read from bytes; the pages' files joined by
            ``", "`` for a joined report).
        message_id: the report's ``AppHdr/BizMsgIdr`` (None for a bare ``Document``).
        created: the report's ``AppHdr/CreDt``, in UTC (None for a bare ``Document``).
        reference_date: the report's execution date (``RptHdr/RptExctnDt``), if given.
        derivatives: every outstanding derivative, in file order.
        nothing_to_report: True for ``DataSetActn`` ``NOTX``: nothing is outstanding.
        records: the number of records the header announces (``RptHdr/NbRcrds``).
        page: the page number (``RptHdr/MsgPgntn/PgNb``) of a report split over files.
        last_page: whether this is the last page (``MsgPgntn/LastPgInd``).
    """

    file: str
    message_id: str | None
    created: datetime | None
    reference_date: date | None
    derivatives: tuple[OpenDerivative, ...]
    nothing_to_report: bool = False
    records: int = 0
    page: int | None = None
    last_page: bool | None = None

    def get(self, uti: str) -> OpenDerivative | None:
        """The first derivative with this UTI, or None."""
        return next((item for item in self.derivatives if item.uti == uti), None)


def read_trade_state(source: Source, *, max_bytes: int = DEFAULT_MAX_BYTES) -> TradeState:
    """Read one auth.107 trade state report (bare ``Document`` or in a ``BizData`` envelope).

    Args:
        source: a file path, or the document's bytes.
        max_bytes: refuse larger files.

    Returns:
        The :class:`TradeState`.

    Raises:
        RenderError: the file cannot be read, is too large, is not well-formed, has a
            ``DOCTYPE``, or is not an auth.107 trade state report; the message names the
            file.
        XsdValidationError: the file breaks the schema (a :class:`RenderError` too); the
            message names the file, the line, the element and what is wrong.

    Examples:
        >>> state = read_trade_state(_EXAMPLE)
        >>> state.reference_date, state.records, state.derivatives[1].expiry_date
        (datetime.date(2024, 3, 15), 2, datetime.date(2024, 6, 21))
        >>> state.derivatives[0].other_counterparty, state.derivatives[0].line
        ('CLIENT42', 5)
    """
    message = read_message(
        source,
        namespace=_STATE,
        what="an EMIR trade state report",
        expected="an auth.107 trade state report (DerivsTradStatRpt)",
        max_bytes=max_bytes,
    )
    label = message.label
    root = message.document.find(_s("DerivsTradStatRpt"))
    assert root is not None  # the schema requires it
    header = root.find(_s("RptHdr"))
    assert header is not None  # the schema requires it
    page = child_text(header, _s("MsgPgntn", "PgNb"), label)
    last = child_text(header, _s("MsgPgntn", "LastPgInd"), label)
    data = root.find(_s("TradData"))
    stats = () if data is None else tuple(data.iterfind(_s("Stat")))
    return TradeState(
        file=label,
        message_id=message.header.message_id,
        created=message.header.created,
        reference_date=_day(header, _s("RptExctnDt"), label),
        derivatives=tuple(_derivative(stat, label) for stat in stats),
        nothing_to_report=data is not None and data.find(_s("DataSetActn")) is not None,
        records=int(required_text(header, _s("NbRcrds"), label)),
        page=None if page is None else int(page),
        last_page=None if last is None else _boolean(last),
    )


def join_pages(pages: Iterable[TradeState]) -> TradeState:
    """The pages of one trade state report split over several files, as one report.

    Each page must say its number (``MsgPgntn``); the numbers must run from 1 with no gap,
    the last one marked last, and every page must have the same reference date. The
    derivatives come in page order; the message id and creation time are the first page's.

    Raises:
        RenderError: a page is missing, repeated or unnumbered, the last one is not marked
            last, or the reference dates differ; the message names the files.

    Examples:
        >>> first = TradeState("p1.xml", "S-1", None, date(2024, 3, 15), (), page=1,
        ...                    last_page=False)
        >>> second = TradeState("p2.xml", "S-2", None, date(2024, 3, 15), (), page=2,
        ...                     last_page=True)
        >>> join_pages([second, first]).file
        'p1.xml, p2.xml'
    """
    given = list(pages)
    files = ", ".join(page.file for page in given) or "no files"
    if any(page.page is None for page in given):
        raise RenderError(f"{files}: a page without a page number (RptHdr/MsgPgntn)")
    ordered = sorted(given, key=lambda page: page.page or 0)
    numbers = [page.page for page in ordered]
    if not ordered or numbers != list(range(1, len(ordered) + 1)) or not ordered[-1].last_page:
        raise RenderError(
            f"{files}: pages {numbers} do not run from 1 to a page marked last (LastPgInd)"
        )
    if len({page.reference_date for page in ordered}) > 1:
        raise RenderError(f"{files}: the pages have different reference dates (RptExctnDt)")
    first = ordered[0]
    return TradeState(
        file=", ".join(page.file for page in ordered),
        message_id=first.message_id,
        created=first.created,
        reference_date=first.reference_date,
        derivatives=tuple(item for page in ordered for item in page.derivatives),
        nothing_to_report=all(page.nothing_to_report for page in ordered),
        records=sum(page.records for page in ordered),
        page=None,
        last_page=None,
    )


def _s(*names: str) -> str:
    """A path of auth.107 elements."""
    return "/".join(_q(_STATE, name) for name in names)


def _derivative(stat: etree._Element, label: str) -> OpenDerivative:
    parties = stat.find(_s("CtrPtySpcfcData", "CtrPty"))
    transaction = stat.find(_s("CmonTradData", "TxData"))
    amount = None if transaction is None else transaction.find(_s("NtnlAmt", "FrstLeg", "Amt"))
    notional, currency = _amount(amount, _STATE, label)
    reporting = _party(_find(parties, _s("RptgCtrPty", "Id")), _STATE, label)
    if reporting is None:  # pragma: no cover (the schema requires it)
        raise RenderError(f"{label}:{line_of(stat)}: Stat without a reporting counterparty")
    return OpenDerivative(
        uti=_uti(_find(transaction, _s("TxId")), _STATE, label),
        reporting_counterparty=reporting,
        other_counterparty=_party(_find(parties, _s("OthrCtrPty", "IdTp")), _STATE, label),
        action_type=child_text(stat, _s("CmonTradData", "CtrctMod", "ActnTp"), label),
        notional=notional,
        notional_currency=currency,
        execution_timestamp=_instant(transaction, _s("ExctnTmStmp"), label),
        expiry_date=_day(transaction, _s("XprtnDt"), label),
        line=line_of(stat),
    )


# --- reading helpers shared by both messages --------------------------------------------------


def _find(element: etree._Element | None, path: str) -> etree._Element | None:
    return None if element is None else element.find(path)


def _uti(element: etree._Element | None, namespace: str, label: str) -> str | None:
    """The id in a UniqueTransactionIdentifier2Choice: the UTI or a proprietary id."""
    return child_text(element, _q(namespace, "UnqTxIdr"), label) or child_text(
        element, f"{_q(namespace, 'Prtry')}/{_q(namespace, 'Id')}", label
    )


def _organisation(element: etree._Element | None, namespace: str, label: str) -> str | None:
    """The id in an OrganisationIdentification15Choice (LEI, other id or BIC)."""
    return (
        child_text(element, _q(namespace, "LEI"), label)
        or child_text(element, "/".join(_q(namespace, n) for n in ("Othr", "Id", "Id")), label)
        or child_text(element, _q(namespace, "AnyBIC"), label)
    )


def _party(element: etree._Element | None, namespace: str, label: str) -> str | None:
    """The id in a PartyIdentification248Choice (``Lgl/Id/…``, ``Ntrl/Id/Id/Id``) or a
    PartyIdentification236Choice (``Lgl/…``, ``Ntrl/Id/Id``)."""
    if element is None:
        return None
    legal = element.find(_q(namespace, "Lgl"))
    if legal is not None:
        inner = legal.find(_q(namespace, "Id"))
        return _organisation(legal if inner is None else inner, namespace, label)
    natural = element.find(_q(namespace, "Ntrl"))
    ids = [_q(namespace, "Id")] * 3
    return child_text(natural, "/".join(ids), label) or child_text(
        natural, "/".join(ids[:2]), label
    )


def _amount(
    element: etree._Element | None, namespace: str, label: str
) -> tuple[Decimal | None, str | None]:
    """The amount and currency of an AmountAndDirection106 (negative when ``Sgn`` is false)."""
    value = _find(element, _q(namespace, "Amt"))
    if element is None or value is None:
        return None, None
    text = text_of(value, label)
    if text is None:  # pragma: no cover (the schema requires a decimal)
        return None, value.get("Ccy")
    amount = Decimal(text.strip())
    sign = child_text(element, _q(namespace, "Sgn"), label)
    if sign is not None and not _boolean(sign):
        amount = -amount
    return amount, value.get("Ccy")


def _boolean(text: str) -> bool:
    """An ``xs:boolean`` the schema has checked."""
    return text.strip() in ("true", "1")


def _instant(element: etree._Element | None, path: str, label: str) -> datetime | None:
    """An ``xs:dateTime`` in UTC (one without a zone is read as UTC), or None."""
    text = child_text(element, path, label)
    if text is None or element is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
        if moment.utcoffset() is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        found = element.find(path)
        line = line_of(element if found is None else found)
        raise RenderError(f"{label}:{line}: {text!r} is not a time regkit can read") from exc


def _day(element: etree._Element | None, path: str, label: str) -> date | None:
    """An ``xs:date`` (its zone, if any, dropped), or None."""
    text = child_text(element, path, label)
    if text is None or element is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError as exc:
        found = element.find(path)
        line = line_of(element if found is None else found)
        raise RenderError(f"{label}:{line}: {text!r} is not a date regkit can read") from exc


# --- comparing with the firm's ledger ---------------------------------------------------------


@dataclass(frozen=True)
class ExpectedDerivative:
    """What the firm's submissions ledger says of one derivative it reported.

    Attributes:
        uti: the UTI.
        last_action: the action type of the last report sent (NEWT, MODI, TERM, EROR ...).
        terminated: True when the derivative is closed here, whatever the last report.
        fields: values to compare with the trade repository's, by the name of the
            :class:`OpenDerivative` field (:data:`COMPARED_FIELDS`), as text in the form
            auth.030 writes them (``100000.00``, ``2024-03-15T09:30:00Z``, ``2024-06-21``);
            only the fields given are compared, and an empty text means "none".

    Raises:
        ValueError: ``fields`` names a field :func:`compare` does not know.
    """

    uti: str
    last_action: str
    terminated: bool = False
    fields: Mapping[str, str] = dataclasses.field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        unknown = sorted(set(self.fields) - set(COMPARED_FIELDS))
        if unknown:
            raise ValueError(
                f"{self.uti}: unknown field(s) {', '.join(unknown)}; "
                f"known: {', '.join(COMPARED_FIELDS)}"
            )
        object.__setattr__(self, "fields", MappingProxyType(dict(self.fields)))

    @property
    def open(self) -> bool:
        """True when the derivative is outstanding here: not terminated, and its last
        report neither a termination nor an error (:data:`CLOSING_ACTIONS`)."""
        return not self.terminated and self.last_action not in CLOSING_ACTIONS


@dataclass(frozen=True)
class Difference:
    """One difference between the trade state and the ledger.

    Attributes:
        uti: the derivative's UTI (None for a derivative the trade repository lists
            without one).
        kind: ``missing_at_tr`` (open here, not in the state report), ``open_at_tr`` (in
            the state report, closed here), ``unknown_at_tr`` (in the state report, not in
            the ledger), ``duplicate_at_tr`` (a UTI the state report lists again; the first
            one is compared) or ``field_mismatch``.
        field: the field that differs (``field_mismatch`` only).
        ours: the ledger's value as given (for ``missing_at_tr`` and ``open_at_tr``, its
            last action, or ``terminated``).
        theirs: the trade repository's value as text (for the other kinds, the action
            type of its latest report).
        line: the line of the ``Stat`` in the state report, when it is there.
    """

    uti: str | None
    kind: DifferenceKind
    field: str | None = None
    ours: str | None = None
    theirs: str | None = None
    line: int | None = dataclasses.field(default=None, compare=False)

    def sort_key(self) -> tuple[str, str, str, int]:
        """The order of :attr:`StateComparison.differences`: UTI, kind, field, line."""
        return (self.uti or "", self.kind, self.field or "", self.line or 0)

    def __str__(self) -> str:
        where = "" if self.line is None else f" (line {self.line})"
        what = self.kind if self.field is None else f"{self.kind} {self.field}"
        return f"{self.uti or '(no UTI)'}: {what}: ours {self.ours}, theirs {self.theirs}{where}"


@dataclass(frozen=True)
class StateComparison:
    """What :func:`compare` found.

    Attributes:
        differences: every difference, sorted by UTI, kind and field.
        matched: the derivatives open both here and at the trade repository whose given
            fields all agree.
    """

    differences: tuple[Difference, ...]
    matched: int

    @property
    def ok(self) -> bool:
        """True when nothing differs."""
        return not self.differences

    def of_kind(self, kind: DifferenceKind) -> tuple[Difference, ...]:
        """The differences of one kind, in order."""
        return tuple(item for item in self.differences if item.kind == kind)

    @property
    def missing_at_tr(self) -> tuple[Difference, ...]:
        """Derivatives open here that the trade repository does not hold."""
        return self.of_kind("missing_at_tr")

    @property
    def open_at_tr(self) -> tuple[Difference, ...]:
        """Derivatives the trade repository holds open that are closed here."""
        return self.of_kind("open_at_tr")

    @property
    def unknown_at_tr(self) -> tuple[Difference, ...]:
        """Derivatives the trade repository holds that the ledger does not know."""
        return self.of_kind("unknown_at_tr")

    @property
    def duplicate_at_tr(self) -> tuple[Difference, ...]:
        """UTIs the state report lists more than once (each repeat)."""
        return self.of_kind("duplicate_at_tr")

    @property
    def field_mismatches(self) -> tuple[Difference, ...]:
        """Fields whose values differ, one difference per field."""
        return self.of_kind("field_mismatch")


def compare(
    state: TradeState,
    expected: Iterable[ExpectedDerivative],
    *,
    reporting_counterparty: str | None = None,
) -> StateComparison:
    """Compare a trade state report with what the firm's ledger says, matched by UTI.

    A derivative open in the ledger (:attr:`ExpectedDerivative.open`) but not in the state
    report is ``missing_at_tr``; one in the state report that the ledger has closed
    (terminated, or last reported TERM or EROR) is ``open_at_tr``; one the ledger does not
    know is ``unknown_at_tr``; a UTI listed again is ``duplicate_at_tr``. For a derivative
    open on both sides, each field the ledger gives is compared: numbers as numbers
    (``1.50`` is ``1.5``), times as instants (``10:00+01:00`` is ``09:00Z``), dates as dates,
    the rest as text; each that differs is a ``field_mismatch``.

    Args:
        state: the trade state report (:func:`read_trade_state`, :func:`join_pages`).
        expected: the ledger, one entry per UTI.
        reporting_counterparty: compare only the state report's derivatives of this
            reporting counterparty (for a report covering several).

    Returns:
        The :class:`StateComparison`.

    Raises:
        ValueError: the ledger lists a UTI twice, or gives a value that is not of its
            field's type (a notional that is not a number, a time without a zone).

    Examples:
        >>> state = read_trade_state(_EXAMPLE)
        >>> mine = ExpectedDerivative(
        ...     "529900T8BM49AURSDO55CFD0002", "MODI",
        ...     fields={"notional": "50000.5", "execution_timestamp": "2024-03-15T11:00:00+01:00"})
        >>> [(d.uti[-4:], d.kind, d.field, d.ours, d.theirs, d.line)
        ...  for d in compare(state, [mine]).differences]
        [('0001', 'unknown_at_tr', None, None, 'NEWT', 5),
         ('0002', 'field_mismatch', 'notional', '50000.5', '50000.00', 12)]
    """
    ledger = _ledger(expected)
    held: dict[str, OpenDerivative] = {}
    differences: list[Difference] = []
    for item in state.derivatives:
        if reporting_counterparty not in (None, item.reporting_counterparty):
            continue
        if item.uti is None or item.uti in held:
            kind: DifferenceKind = "unknown_at_tr" if item.uti is None else "duplicate_at_tr"
            differences.append(Difference(item.uti, kind, None, None, item.action_type, item.line))
        else:
            held[item.uti] = item
    matched = 0
    for uti, item in held.items():
        mine = ledger.get(uti)
        if mine is None:
            differences.append(
                Difference(uti, "unknown_at_tr", None, None, item.action_type, item.line)
            )
        elif not mine.open:
            ours = "terminated" if mine.terminated else mine.last_action
            differences.append(
                Difference(uti, "open_at_tr", None, ours, item.action_type, item.line)
            )
        else:
            found = _field_differences(mine, item)
            differences.extend(found)
            if not found:
                matched += 1
    for uti, mine in ledger.items():
        if mine.open and uti not in held:
            differences.append(Difference(uti, "missing_at_tr", None, mine.last_action, None))
    return StateComparison(tuple(sorted(differences, key=Difference.sort_key)), matched)


def _ledger(expected: Iterable[ExpectedDerivative]) -> dict[str, ExpectedDerivative]:
    ledger: dict[str, ExpectedDerivative] = {}
    for item in expected:
        if item.uti in ledger:
            raise ValueError(f"the ledger lists UTI {item.uti} twice")
        ledger[item.uti] = item
    return ledger


def _field_differences(mine: ExpectedDerivative, theirs: OpenDerivative) -> list[Difference]:
    found: list[Difference] = []
    for name in sorted(mine.fields):
        text = mine.fields[name].strip()
        value = getattr(theirs, name)
        ours = _PARSERS.get(name, _text)(text, mine.uti, name) if text else None
        if ours != value:
            shown = _shown(value)
            found.append(
                Difference(theirs.uti, "field_mismatch", name, text or None, shown, theirs.line)
            )
    return found


def _text(text: str, uti: str, name: str) -> str:
    return text


def _number(text: str, uti: str, name: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise ValueError(f"{uti}: {name} {text!r} is not a number")
    return value


def _moment(text: str, uti: str, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{uti}: {name} {text!r} is not an ISO 8601 date and time") from None
    if value.utcoffset() is None:
        raise ValueError(f"{uti}: {name} {text!r} has no timezone; give Z or an offset")
    return value


def _date(text: str, uti: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{uti}: {name} {text!r} is not an ISO 8601 date") from None


_PARSERS: Final[Mapping[str, Callable[[str, str, str], object]]] = {
    "notional": _number,
    "execution_timestamp": _moment,
    "expiry_date": _date,
}


def _shown(value: object) -> str | None:
    """A state report's value as text, in the form auth.030 writes it."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return xml_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# --- the reconciliation status report (auth.091) ----------------------------------------------


@dataclass(frozen=True)
class ReconciliationCategory:
    """The reconciliation category of a group of derivatives (``Rpt/RcncltnCtgrs``).

    Attributes:
        reporting_required: True for ``RptgRqrmnt`` (derivatives subject to reconciliation),
            False for ``NoRptgRqrmnt``.
        reporting_type: ``SWOS`` (one counterparty reports) or ``TWOS`` (both do); None
            without a reporting requirement.
        pairing: ``PARD`` (paired) or ``UNPR`` (not paired), or None.
        reconciliation: ``RECO`` (reconciled) or ``NREC`` (not reconciled), or None.
        valuation_reconciliation: ``RECO``, ``NREC`` or ``NOAP``, or None.
        revived: whether the derivatives were revived (``Rvvd``).
        further_modification: whether they were modified since (``FrthrMod``).
    """

    reporting_required: bool
    reporting_type: str | None
    pairing: str | None
    reconciliation: str | None
    valuation_reconciliation: str | None
    revived: bool
    further_modification: bool


@dataclass(frozen=True)
class MismatchedField:
    """One field whose two sides differ (an element of ``MtchgCrit`` with ``Val1``/``Val2``).

    Attributes:
        name: its path under ``MtchgCrit``, e.g. ``TxMtchgCrit/NtnlAmtFrstLeg``.
        reporting_value: the reporting counterparty's value (``Val1``) as text: a simple
            value as written (an amount followed by its currency), a structure as
            ``path=value`` pairs joined by ``"; "``; None when not given.
        other_value: the other counterparty's value (``Val2``), the same way.
        line: the line of the field's element.
    """

    name: str
    reporting_value: str | None
    other_value: str | None
    line: int | None = None


@dataclass(frozen=True)
class ReconciledDerivative:
    """One derivative of a reconciliation status report (one ``RcncltnRpt``).

    Attributes:
        uti: the UTI (``TxId/UnqIdr``), if given.
        category: its reconciliation category (shared with the other derivatives of its
            ``Rpt``).
        reference_date: the day the statistics are of (``Rpt/RefDt``).
        reporting_counterparty: the pair's reporting counterparty (``CtrPtyId/RptgCtrPty``).
        other_counterparty: ``TxId/OthrCtrPty``, else the pair's ``CtrPtyId/OthrCtrPty``.
        action_type: ``TxId/ActnTp``, if given.
        technical_record_id: ``TxId/TechRcrdId``, if given.
        reporting_timestamp: ``TxId/RptgTmStmp`` in UTC, if given.
        mismatches: the fields listed under ``MtchgCrit``, in file order.
        line: the line of the ``RcncltnRpt`` element.
    """

    uti: str | None
    category: ReconciliationCategory
    reference_date: date
    reporting_counterparty: str | None
    other_counterparty: str | None
    action_type: str | None
    technical_record_id: str | None
    reporting_timestamp: datetime | None
    mismatches: tuple[MismatchedField, ...]
    line: int | None = None


@dataclass(frozen=True)
class CounterpartyPair:
    """The derivatives of one pair of counterparties (``TxDtls``).

    Attributes:
        reporting_counterparty: ``CtrPtyId/RptgCtrPty``, if given.
        other_counterparty: ``CtrPtyId/OthrCtrPty``, if given.
        submitting_entity: ``CtrPtyId/RptSubmitgNtty``, if given.
        entity_responsible: ``CtrPtyId/NttyRspnsblForRpt``, if given.
        total_transactions: ``TtlNbOfTxs``.
        derivatives: each ``RcncltnRpt``, in file order.
        line: the line of the ``TxDtls`` element.
    """

    reporting_counterparty: str | None
    other_counterparty: str | None
    submitting_entity: str | None
    entity_responsible: str | None
    total_transactions: int
    derivatives: tuple[ReconciledDerivative, ...]
    line: int | None = None


@dataclass(frozen=True)
class ReconciliationStatistics:
    """The statistics of one reconciliation category (one ``Rpt``).

    Attributes:
        reference_date: ``RefDt``.
        category: ``RcncltnCtgrs``.
        total_transactions: ``TtlNbOfTxs``, if given.
        pairs: each ``TxDtls``, in file order.
        line: the line of the ``Rpt`` element.
    """

    reference_date: date
    category: ReconciliationCategory
    total_transactions: int | None
    pairs: tuple[CounterpartyPair, ...]
    line: int | None = None


@dataclass(frozen=True)
class ReconciliationStatus:
    """One auth.091 reconciliation status report as read.

    Attributes:
        file: the file's path (``<bytes>`` when read from bytes).
        message_id: ``AppHdr/BizMsgIdr`` (None for a bare ``Document``).
        created: ``AppHdr/CreDt`` in UTC (None for a bare ``Document``).
        nothing_to_report: True for ``DataSetActn`` ``NOTX``.
        statistics: each ``Rpt``, in file order.
    """

    file: str
    message_id: str | None
    created: datetime | None
    nothing_to_report: bool
    statistics: tuple[ReconciliationStatistics, ...]

    @property
    def derivatives(self) -> tuple[ReconciledDerivative, ...]:
        """Every derivative listed, in file order."""
        return tuple(
            item for stats in self.statistics for pair in stats.pairs for item in pair.derivatives
        )

    def status(self, uti: str) -> tuple[ReconciledDerivative, ...]:
        """Every entry for one UTI, in file order (empty when it is not listed)."""
        return tuple(item for item in self.derivatives if item.uti == uti)

    @property
    def unreconciled(self) -> tuple[ReconciledDerivative, ...]:
        """The derivatives not reconciled (``NREC``) or listed with mismatching fields."""
        return tuple(
            item
            for item in self.derivatives
            if item.mismatches or item.category.reconciliation == "NREC"
        )


def read_reconciliation_status(
    source: Source, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> ReconciliationStatus:
    """Read one auth.091 reconciliation status report (bare or in a ``BizData`` envelope).

    Args:
        source: a file path, or the document's bytes.
        max_bytes: refuse larger files.

    Returns:
        The :class:`ReconciliationStatus`.

    Raises:
        RenderError: the file cannot be read, is too large, is not well-formed, has a
            ``DOCTYPE``, or is not an auth.091 reconciliation status report; the message
            names the file.
        XsdValidationError: the file breaks the schema (a :class:`RenderError` too).

    Examples:
        >>> status = read_reconciliation_status(_RECONCILIATION_EXAMPLE)
        >>> item = status.derivatives[0]
        >>> item.uti, item.category.pairing, item.category.reconciliation
        ('529900T8BM49AURSDO55CFD0001', 'PARD', 'NREC')
        >>> [(m.name, m.reporting_value, m.other_value) for m in item.mismatches]
        [('TxMtchgCrit/XprtnDt', '2024-06-21', '2024-06-20'),
         ('TxMtchgCrit/NtnlAmtFrstLeg', '100000 EUR', '10000 EUR')]
    """
    message = read_message(
        source,
        namespace=_RECONCILIATION,
        what="an EMIR reconciliation status report",
        expected="an auth.091 reconciliation status report (DerivsTradRcncltnSttstclRpt)",
        max_bytes=max_bytes,
    )
    label = message.label
    root = message.document.find(_r("DerivsTradRcncltnSttstclRpt", "RcncltnSttstcs"))
    reports = () if root is None else tuple(root.iterfind(_r("Rpt")))
    return ReconciliationStatus(
        file=label,
        message_id=message.header.message_id,
        created=message.header.created,
        nothing_to_report=root is not None and root.find(_r("DataSetActn")) is not None,
        statistics=tuple(_statistics(report, label) for report in reports),
    )


def _r(*names: str) -> str:
    """A path of auth.091 elements."""
    return "/".join(_q(_RECONCILIATION, name) for name in names)


def _statistics(report: etree._Element, label: str) -> ReconciliationStatistics:
    reference = _day(report, _r("RefDt"), label)
    assert reference is not None  # the schema requires it
    categories = report.find(_r("RcncltnCtgrs"))
    required = _find(categories, _r("RptgRqrmnt"))
    node = required if required is not None else _find(categories, _r("NoRptgRqrmnt"))
    category = ReconciliationCategory(
        reporting_required=required is not None,
        reporting_type=child_text(node, _r("RptgTp"), label),
        pairing=child_text(node, _r("Pairg"), label),
        reconciliation=child_text(node, _r("Rcncltn"), label),
        valuation_reconciliation=child_text(node, _r("ValtnRcncltn"), label),
        revived=_boolean(child_text(node, _r("Rvvd"), label) or "false"),
        further_modification=_boolean(child_text(node, _r("FrthrMod"), label) or "false"),
    )
    total = child_text(report, _r("TtlNbOfTxs"), label)
    return ReconciliationStatistics(
        reference_date=reference,
        category=category,
        total_transactions=None if total is None else int(total),
        pairs=tuple(
            _pair(pair, category, reference, label) for pair in report.iterfind(_r("TxDtls"))
        ),
        line=line_of(report),
    )


def _pair(
    element: etree._Element, category: ReconciliationCategory, reference: date, label: str
) -> CounterpartyPair:
    ids = element.find(_r("CtrPtyId"))
    ns = _RECONCILIATION
    reporting = _organisation(_find(ids, _r("RptgCtrPty")), ns, label)
    other = _party(_find(ids, _r("OthrCtrPty")), ns, label)
    derivatives = []
    for report in element.iterfind(_r("RcncltnRpt")):
        identification = report.find(_r("TxId"))
        derivatives.append(
            ReconciledDerivative(
                uti=_uti(_find(identification, _r("UnqIdr")), ns, label),
                category=category,
                reference_date=reference,
                reporting_counterparty=reporting,
                other_counterparty=_party(_find(identification, _r("OthrCtrPty")), ns, label)
                or other,
                action_type=child_text(identification, _r("ActnTp"), label),
                technical_record_id=child_text(identification, _r("TechRcrdId"), label),
                reporting_timestamp=_instant(identification, _r("RptgTmStmp"), label),
                mismatches=tuple(_mismatches(report.find(_r("MtchgCrit")), (), label)),
                line=line_of(report),
            )
        )
    return CounterpartyPair(
        reporting_counterparty=reporting,
        other_counterparty=other,
        submitting_entity=_organisation(_find(ids, _r("RptSubmitgNtty")), ns, label),
        entity_responsible=_organisation(_find(ids, _r("NttyRspnsblForRpt")), ns, label),
        total_transactions=int(required_text(element, _r("TtlNbOfTxs"), label)),
        derivatives=tuple(derivatives),
        line=line_of(element),
    )


_SIDES: Final = (_q(_RECONCILIATION, "Val1"), _q(_RECONCILIATION, "Val2"))


def _mismatches(
    element: etree._Element | None, path: tuple[str, ...], label: str
) -> Iterator[MismatchedField]:
    """Every comparison under ``MtchgCrit`` (an element holding ``Val1``/``Val2``, or none
    of them), by its path, in file order; groups such as ``OthrPmt`` are walked into."""
    if element is None:
        return
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = (*path, etree.QName(child).localname)
        children = [item for item in child if isinstance(item.tag, str)]
        if not children or any(item.tag in _SIDES for item in children):
            first, second = (child.find(side) for side in _SIDES)
            yield MismatchedField(
                "/".join(name),
                None if first is None else _value_text(first, label),
                None if second is None else _value_text(second, label),
                line_of(child),
            )
        else:
            yield from _mismatches(child, name, label)


def _value_text(element: etree._Element, label: str) -> str | None:
    """A ``Val1``/``Val2`` as text: a simple value as written (with its ``Ccy``), else each
    simple value below it as ``path=value``, joined by ``"; "``."""
    leaves = [
        item
        for item in element.iter()
        if isinstance(item.tag, str) and not any(isinstance(c.tag, str) for c in item)
    ]
    if len(leaves) == 1:
        return _leaf_text(leaves[0], label)
    return "; ".join(
        f"{'/'.join(reversed(_below(leaf, element)))}={_leaf_text(leaf, label)}" for leaf in leaves
    )


def _below(leaf: etree._Element, top: etree._Element) -> list[str]:
    """The local names from ``leaf`` up to (not including) ``top``."""
    names = []
    node: etree._Element | None = leaf
    while node is not None and node is not top:
        names.append(etree.QName(node).localname)
        node = node.getparent()
    return names


def _leaf_text(element: etree._Element, label: str) -> str | None:
    text = text_of(element, label)
    value = None if text is None else text.strip()
    currency = element.get("Ccy")
    return value if currency is None or value is None else f"{value} {currency}"


# --- examples (synthetic, written for regkit; not trade repository samples) --------------------

_EXAMPLE: Final = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:auth.107.001.01"><DerivsTradStatRpt>
<RptHdr><RptExctnDt>2024-03-15</RptExctnDt><NbRcrds>2</NbRcrds></RptHdr>
<TradData>
<Stat><CtrPtySpcfcData><CtrPty><RptgCtrPty><Id><Lgl><Id><LEI>529900T8BM49AURSDO55</LEI></Id>
</Lgl></Id></RptgCtrPty><OthrCtrPty><IdTp><Ntrl><Id><Id><Id>CLIENT42</Id></Id></Id></Ntrl>
</IdTp></OthrCtrPty></CtrPty></CtrPtySpcfcData><CmonTradData><TxData><TxId>
<UnqTxIdr>529900T8BM49AURSDO55CFD0001</UnqTxIdr></TxId><NtnlAmt><FrstLeg><Amt>
<Amt Ccy="EUR">100000</Amt></Amt></FrstLeg></NtnlAmt>
<ExctnTmStmp>2024-03-15T09:30:00Z</ExctnTmStmp></TxData>
<CtrctMod><ActnTp>NEWT</ActnTp></CtrctMod></CmonTradData></Stat>
<Stat><CtrPtySpcfcData><CtrPty><RptgCtrPty><Id><Lgl><Id><LEI>529900T8BM49AURSDO55</LEI></Id>
</Lgl></Id></RptgCtrPty><OthrCtrPty><IdTp><Ntrl><Id><Id><Id>CLIENT43</Id></Id></Id></Ntrl>
</IdTp></OthrCtrPty></CtrPty></CtrPtySpcfcData><CmonTradData><TxData><TxId>
<UnqTxIdr>529900T8BM49AURSDO55CFD0002</UnqTxIdr></TxId><NtnlAmt><FrstLeg><Amt>
<Amt Ccy="EUR">50000.00</Amt></Amt></FrstLeg></NtnlAmt>
<ExctnTmStmp>2024-03-15T10:00:00Z</ExctnTmStmp><XprtnDt>2024-06-21</XprtnDt></TxData>
<CtrctMod><ActnTp>MODI</ActnTp></CtrctMod></CmonTradData></Stat>
</TradData></DerivsTradStatRpt></Document>
"""

_RECONCILIATION_EXAMPLE: Final = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:auth.091.001.02"><DerivsTradRcncltnSttstclRpt>
<RcncltnSttstcs><Rpt><RefDt>2024-03-15</RefDt><RcncltnCtgrs><RptgRqrmnt><RptgTp>TWOS</RptgTp>
<Pairg>PARD</Pairg><Rcncltn>NREC</Rcncltn><ValtnRcncltn>NOAP</ValtnRcncltn><Rvvd>false</Rvvd>
<FrthrMod>false</FrthrMod></RptgRqrmnt></RcncltnCtgrs><TtlNbOfTxs>1</TtlNbOfTxs>
<TxDtls><CtrPtyId><RptgCtrPty><LEI>529900T8BM49AURSDO55</LEI></RptgCtrPty>
<OthrCtrPty><Lgl><LEI>529900HNOAA1KXQJUQ27</LEI></Lgl></OthrCtrPty></CtrPtyId>
<TtlNbOfTxs>1</TtlNbOfTxs><RcncltnRpt><TxId><UnqIdr>
<UnqTxIdr>529900T8BM49AURSDO55CFD0001</UnqTxIdr></UnqIdr></TxId><MtchgCrit><TxMtchgCrit>
<XprtnDt><Val1>2024-06-21</Val1><Val2>2024-06-20</Val2></XprtnDt>
<NtnlAmtFrstLeg><Val1><Amt Ccy="EUR">100000</Amt></Val1><Val2><Amt Ccy="EUR">10000</Amt></Val2>
</NtnlAmtFrstLeg></TxMtchgCrit></MtchgCrit></RcncltnRpt></TxDtls></Rpt></RcncltnSttstcs>
</DerivsTradRcncltnSttstclRpt></Document>
"""
