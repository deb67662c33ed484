"""MiFIR transaction report feedback: auth.031 status advice, read and reconciled with trades.

A competent authority answers each transaction report file (auth.016) with a status advice
(auth.031, ``FinInstrmRptgStsAdvc``): a status for the whole file (``MsgSts``: accepted,
partially accepted, rejected, corrupted ...) with the file-level validation rules that failed,
and a status per transaction (``RcrdSts``: the original ``TxId``, accepted, rejected or
pending, with every validation rule that failed: its code such as ``CON-070`` and its text).
It arrives either as a bare ``Document`` or inside a ``BizData`` envelope with an ``AppHdr``;
both are read.

:func:`read_feedback` reads one file (safely: no DTD, no entities, no network, a size limit,
and the schema checked), :func:`read_feedback_files` several, :meth:`Feedback.merge` joins
what was read. :func:`reconcile` sorts trades into accepted, rejected (with the reasons) and
pending, and keeps every feedback entry that matches no trade.

Later feedback supersedes earlier feedback for the same transaction: of two statuses for one
``TxId``, the one read later (a later file; later in the same file) wins, unless both files
carry a creation time (``AppHdr/CreDt``) and the later-read one is older. A bare ``Document``
has no creation time, so file order decides for it.

The reader is built on the shared ISO 20022 layer: safe reading
(:func:`regkit.reports.iso20022.reading.read_message`), one meaning per status code
(:data:`regkit.reports.iso20022.feedback.OUTCOMES`), latest status wins and one reconcile
(:mod:`regkit.reports.iso20022.feedback`), keyed here by the transaction reference.

Examples:
    >>> feedback = read_feedback(_EXAMPLE)
    >>> status = feedback.status("T2")
    >>> status.status, [str(rule) for rule in status.rules]
    (<RecordStatus.REJECTED: 'RJCT'>, ['CON-070: The LEI of the buyer is not valid'])
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Final, Literal

from lxml import etree

from regkit.errors import RenderError
from regkit.reports.iso20022.feedback import (
    OUTCOMES,
    Outcome,
    ValidationRule,
    held_unmatched,
    latest,
)
from regkit.reports.iso20022.feedback import reconcile as match
from regkit.reports.iso20022.reading import (
    Message,
    Source,
    child_text,
    line_of,
    read_message,
    required_text,
)
from regkit.reports.iso20022.reading import (
    qualified as _q,
)
from regkit.reports.mifir.precheck import rules_of_code
from regkit.reports.xml import DEFAULT_MAX_BYTES, SCHEMAS
from regkit.schemas.identifiers import transaction_reference
from regkit.schemas.trade import Trade

__all__ = [
    "Feedback",
    "FeedbackFile",
    "MessageAdvice",
    "MessageStatus",
    "Outcome",
    "Reconciliation",
    "RecordStatus",
    "Rejection",
    "TransactionStatus",
    "ValidationRule",
    "read_feedback",
    "read_feedback_files",
    "reconcile",
]

_MESSAGE: Final = "auth.031"
_DOC: Final = SCHEMAS[_MESSAGE].namespace


class MessageStatus(StrEnum):
    """The status of a whole file (``MsgSts/Sts``; ``ReportingMessageStatus1Code`` in the
    ESMA auth.031 usage guideline 1.1.0)."""

    ACCEPTED = "ACPT"
    """The whole message has been accepted."""
    PARTIALLY_ACCEPTED = "PART"
    """Some transactions have been accepted, others not (yet)."""
    RECEIVED = "RCVD"
    """Received but not processed yet."""
    REJECTED = "RJCT"
    """The message has been rejected."""
    REMINDER = "RMDR"
    """A reminder of a message not received."""
    WARNING = "WARN"
    """Accepted with warnings."""
    INCORRECT_FILENAME = "INCF"
    """The file has an incorrect name (the file is rejected)."""
    CORRUPTED_FILE = "CRPT"
    """The file is corrupted (the file is rejected)."""

    @property
    def rejects_file(self) -> bool:
        """True for RJCT, INCF and CRPT (rejected in the shared
        :data:`~regkit.reports.iso20022.feedback.OUTCOMES`): none of the file's transactions
        was taken."""
        return OUTCOMES.get(self.value) is Outcome.REJECTED


# Message statuses under which a transaction the advice does not list was taken (only used
# when the caller says unlisted transactions count as accepted).
_FILE_TAKEN: Final = frozenset(
    {MessageStatus.ACCEPTED, MessageStatus.PARTIALLY_ACCEPTED, MessageStatus.WARNING}
)


class RecordStatus(StrEnum):
    """The status of one transaction (``RcrdSts/Sts``; ``ReportingRecordStatus1Code``)."""

    ACCEPTED = "ACPT"
    """The transaction has been accepted."""
    PENDING = "PDNG"
    """Some validations are still to run (e.g. the instrument is not yet in FIRDS)."""
    RECEIVED = "RCVD"
    """Received but not processed yet."""
    REJECTED = "RJCT"
    """The transaction has been rejected: correct it and send it again."""

    @property
    def outcome(self) -> Outcome:
        """ACPT is accepted, RJCT rejected, PDNG and RCVD pending (the shared
        :data:`~regkit.reports.iso20022.feedback.OUTCOMES`)."""
        return OUTCOMES[self.value]


@dataclass(frozen=True)
class TransactionStatus:
    """The regulator's status of one transaction, and where it was read.

    Attributes:
        reference: the original transaction reference (``OrgnlRcrdId``; the ``TxId`` sent).
        status: the transaction's status.
        rules: every validation rule it failed, in file order (empty when none).
        message_status: the status of the file the advice is about.
        original_message: the id of the file the transaction came in, when the advice names
            it (see :attr:`MessageAdvice.original_message`).
        feedback_file: the feedback file (``<bytes>`` when read from bytes).
        feedback_id: the feedback's own ``AppHdr/BizMsgIdr``, when it has a header.
        created: the feedback's creation time (``AppHdr/CreDt``), when it has a header.
        line: the line of the ``RcrdSts`` element, or of the ``StsAdvc`` for an inferred status.
        inferred: True when the status was not listed but inferred from the file's status by
            :func:`reconcile` (a whole-file rejection, or ``unlisted="accepted"``).
    """

    reference: str
    status: RecordStatus
    rules: tuple[ValidationRule, ...]
    message_status: MessageStatus
    original_message: str | None
    feedback_file: str
    feedback_id: str | None = None
    created: datetime | None = None
    line: int | None = None
    inferred: bool = False

    @property
    def outcome(self) -> Outcome:
        """Accepted, rejected or pending (:attr:`RecordStatus.outcome`)."""
        return self.status.outcome

    @property
    def key(self) -> str:
        """The transaction reference (what statuses are matched by)."""
        return self.reference


@dataclass(frozen=True)
class MessageAdvice:
    """The status of one submitted file (one ``StsAdvc``) and of its transactions.

    Attributes:
        original_message: the submitted file's id: ``MsgRptIdr`` when present, otherwise,
            in a feedback with a single advice, the ``BizMsgIdr`` of the header the feedback
            relates to (``AppHdr/Rltd``); None when the feedback names neither.
        status: the status of the whole file.
        rules: the file-level validation rules that failed.
        total_records: ``Sttstcs/TtlNbOfRcrds``, when given.
        records_per_status: ``Sttstcs/NbOfRcrdsPerSts`` as (status, count) pairs.
        transactions: the per-transaction statuses, in file order.
        feedback_file: the feedback file (``<bytes>`` when read from bytes).
        line: the line of the ``StsAdvc`` element.
    """

    original_message: str | None
    status: MessageStatus
    rules: tuple[ValidationRule, ...]
    total_records: int | None
    records_per_status: tuple[tuple[RecordStatus, int], ...]
    transactions: tuple[TransactionStatus, ...]
    feedback_file: str
    line: int | None = None

    @property
    def rejects_file(self) -> bool:
        """True when the whole file was refused (RJCT, INCF, CRPT)."""
        return self.status.rejects_file


@dataclass(frozen=True)
class FeedbackFile:
    """One auth.031 file as read.

    Attributes:
        file: the file's path (``<bytes>`` when read from bytes).
        message_id: the feedback's ``AppHdr/BizMsgIdr`` (None for a bare ``Document``).
        created: the feedback's ``AppHdr/CreDt``, in UTC (None for a bare ``Document``).
        sender: the sender's id (``AppHdr/Fr/.../Othr/Id``), e.g. the authority.
        related_message: the ``BizMsgIdr`` of ``AppHdr/Rltd``: the file the feedback answers.
        advices: one :class:`MessageAdvice` per ``StsAdvc``, in file order.
    """

    file: str
    message_id: str | None
    created: datetime | None
    sender: str | None
    related_message: str | None
    advices: tuple[MessageAdvice, ...]


@dataclass(frozen=True)
class Feedback:
    """The feedback read from one or more auth.031 files, oldest first.

    Attributes:
        files: the files, in the order read (or merged).

    Examples:
        >>> feedback = read_feedback(_EXAMPLE)
        >>> sorted((ref, s.status.value) for ref, s in feedback.transactions.items())
        [('T1', 'ACPT'), ('T2', 'RJCT')]
    """

    files: tuple[FeedbackFile, ...] = ()

    @property
    def advices(self) -> tuple[MessageAdvice, ...]:
        """Every file-level advice, in order."""
        return tuple(advice for file in self.files for advice in file.advices)

    @property
    def file_rejections(self) -> tuple[MessageAdvice, ...]:
        """The advices that refuse a whole file (RJCT, INCF, CRPT), in order."""
        return tuple(advice for advice in self.advices if advice.rejects_file)

    def records(self) -> Iterator[TransactionStatus]:
        """Every per-transaction status as listed, superseded ones included, in order."""
        for advice in self.advices:
            yield from advice.transactions

    @cached_property
    def transactions(self) -> Mapping[str, TransactionStatus]:
        """The current status of each transaction reference: later feedback supersedes
        earlier (see the module's docstring)."""
        return latest(self.records())

    def status(self, reference: str) -> TransactionStatus | None:
        """The current status of one transaction reference, or None when never listed."""
        return self.transactions.get(reference)

    def merge(self, *others: Feedback) -> Feedback:
        """This feedback followed by others: their statuses supersede this one's.

        Examples:
            >>> first = read_feedback(_EXAMPLE)
            >>> later = read_feedback(_EXAMPLE.replace(b"RJCT", b"ACPT"))
            >>> first.merge(later).status("T2").status.value
            'ACPT'
        """
        return Feedback(self.files + tuple(file for other in others for file in other.files))


def read_feedback(source: Source, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Feedback:
    """Read one auth.031 status advice file (bare ``Document`` or in a ``BizData`` envelope).

    The file is parsed with :func:`~regkit.reports.xml.parse_safely` (a ``DOCTYPE`` is
    refused, so no entity is ever expanded or fetched; nothing is read from the network; files
    above ``max_bytes`` are refused) and validated against the shipped auth.031 schema (with
    head.003 and head.001 for an envelope) before anything is read from it.

    Args:
        source: a file path, or the document's bytes.
        max_bytes: refuse larger files.

    Returns:
        A :class:`Feedback` holding the one file.

    Raises:
        RenderError: the file cannot be read, is too large, is not well-formed, has a
            ``DOCTYPE``, or is not an auth.031 status advice; the message names the file.
        XsdValidationError: the file breaks the schema (a :class:`RenderError` too); the
            message names the file, the line, the element and what is wrong.

    Examples:
        >>> feedback = read_feedback(_EXAMPLE)
        >>> advice = feedback.advices[0]
        >>> advice.original_message, advice.status.value, len(advice.transactions)
        ('REGKIT-20240315-0001', 'PART', 2)
    """
    message = read_message(
        source,
        namespace=_DOC,
        what="MiFIR feedback",
        expected="an auth.031 status advice (FinInstrmRptgStsAdvc)",
        max_bytes=max_bytes,
    )
    return Feedback((_read_file(message),))


def read_feedback_files(
    sources: Iterable[Source], *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Feedback:
    """Read several auth.031 files, oldest first: later ones supersede earlier ones.

    Give the files in the order they arrived. For one transaction, a status read later wins
    unless both files carry a creation time and the later-read one is older, so files with
    an ``AppHdr`` may come in any order.

    Args:
        sources: file paths, or documents' bytes.
        max_bytes: refuse any file larger than this.

    Returns:
        One :class:`Feedback` with every file, in the order given.

    Raises:
        RenderError: as :func:`read_feedback`, for the first file that cannot be read.

    Examples:
        >>> corrected = _EXAMPLE.replace(b"RJCT", b"ACPT")
        >>> read_feedback_files([_EXAMPLE, corrected]).status("T2").status.value
        'ACPT'
    """
    return Feedback().merge(*(read_feedback(source, max_bytes=max_bytes) for source in sources))


# --- reading ---------------------------------------------------------------------------------


def _rules(parent: etree._Element, label: str) -> tuple[ValidationRule, ...]:
    rules = []
    for rule in parent.iterfind(_q(_DOC, "VldtnRule")):
        scheme = child_text(rule, f"{_q(_DOC, 'SchmeNm')}/*", label)
        rules.append(
            ValidationRule(
                id=required_text(rule, _q(_DOC, "Id"), label),
                description=required_text(rule, _q(_DOC, "Desc"), label),
                scheme=scheme,
                issuer=child_text(rule, _q(_DOC, "Issr"), label),
            )
        )
    return tuple(rules)


def _read_file(message: Message) -> FeedbackFile:
    label, header = message.label, message.header
    elements = message.document.findall(f"{_q(_DOC, 'FinInstrmRptgStsAdvc')}/{_q(_DOC, 'StsAdvc')}")
    related = header.related if len(elements) == 1 else None
    advices = tuple(_advice(element, related, message) for element in elements)
    return FeedbackFile(
        label, header.message_id, header.created, header.sender, header.related, advices
    )


def _advice(element: etree._Element, related: str | None, message: Message) -> MessageAdvice:
    """One ``StsAdvc``; ``related`` names the file it is about when it names none itself."""
    label = message.label
    original = child_text(element, _q(_DOC, "MsgRptIdr"), label) or related
    status_element = element.find(_q(_DOC, "MsgSts"))
    if status_element is None:  # pragma: no cover (the schema requires MsgSts)
        raise RenderError(f"{label}:{line_of(element)}: StsAdvc without MsgSts")
    message_status = MessageStatus(required_text(status_element, _q(_DOC, "Sts"), label))
    statistics = status_element.find(_q(_DOC, "Sttstcs"))
    total = child_text(statistics, _q(_DOC, "TtlNbOfRcrds"), label)
    per_status = tuple(
        (
            RecordStatus(required_text(count, _q(_DOC, "DtldSts"), label)),
            int(required_text(count, _q(_DOC, "DtldNbOfRcrds"), label)),
        )
        for count in (
            () if statistics is None else statistics.iterfind(_q(_DOC, "NbOfRcrdsPerSts"))
        )
    )
    transactions = tuple(
        TransactionStatus(
            reference=required_text(record, _q(_DOC, "OrgnlRcrdId"), label),
            status=RecordStatus(required_text(record, _q(_DOC, "Sts"), label)),
            rules=_rules(record, label),
            message_status=message_status,
            original_message=original,
            feedback_file=label,
            feedback_id=message.header.message_id,
            created=message.header.created,
            line=line_of(record),
        )
        for record in element.iterfind(_q(_DOC, "RcrdSts"))
    )
    return MessageAdvice(
        original_message=original,
        status=message_status,
        rules=_rules(status_element, label),
        total_records=None if total is None else int(total),
        records_per_status=per_status,
        transactions=transactions,
        feedback_file=label,
        line=line_of(element),
    )


# --- reconciling -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rejection:
    """A rejected trade and why.

    Attributes:
        trade: the trade.
        reasons: the validation rules the transaction failed; for a whole-file rejection, the
            file's rules (possibly none: see ``status.message_status``).
        status: the status it was rejected by (file, line, feedback id, time).
    """

    trade: Trade
    reasons: tuple[ValidationRule, ...]
    status: TransactionStatus

    @property
    def pack_rules(self) -> tuple[str, ...]:
        """The rules of the ``mifir-vr`` pack about the fields the reasons name (an NCA's
        ``CON-nnn`` code names its RTS 22 field: see
        :func:`regkit.reports.mifir.precheck.rules_of_code`), in the pack's order, each
        once: where to look, and what the pre-submission check makes of it (what only the
        NCA can check, FIRDS, GLEIF or its earlier reports, is in no rule)."""
        found = {rule for reason in self.reasons for rule in rules_of_code(reason.id)}
        return tuple(sorted(found))


@dataclass(frozen=True)
class Reconciliation:
    """Trades sorted by the regulator's feedback: every trade is in exactly one of
    :attr:`accepted`, :attr:`rejected` and :attr:`pending`, in the order given.

    Attributes:
        accepted: trades whose transaction was accepted.
        rejected: trades whose transaction was rejected, with the reasons.
        pending: trades with no status yet, or a pending or received one.
        unmatched: current statuses of transaction references that match no trade given,
            sorted by reference; never dropped.
        unresolved_file_rejections: whole-file rejections whose file was not given in
            ``submitted`` (or named no file), so their transactions could not be known; the
            trades in them stay pending until you say which they are.
        statuses: the current status of every reference, matched or not.
    """

    accepted: tuple[Trade, ...]
    rejected: tuple[Rejection, ...]
    pending: tuple[Trade, ...]
    unmatched: tuple[TransactionStatus, ...]
    unresolved_file_rejections: tuple[MessageAdvice, ...]
    statuses: Mapping[str, TransactionStatus] = field(repr=False)

    @property
    def resubmit(self) -> tuple[Trade, ...]:
        """The trades to correct and send again: the rejected ones, in order."""
        return tuple(rejection.trade for rejection in self.rejected)

    def status_of(self, trade: Trade) -> TransactionStatus | None:
        """The current status of a trade's transaction, or None when it was never listed."""
        return self.statuses.get(transaction_reference(trade))

    def reported(self) -> frozenset[str]:
        """Transaction references the regulator holds or may still accept: those of the
        accepted and pending trades, and the unmatched references accepted or pending.

        For the ``reported`` parameter of the ``mifir-data-quality`` pack (the same name as
        EMIR's :meth:`regkit.reports.emir.feedback.Reconciliation.reported`).
        """
        kept = {transaction_reference(trade) for trade in (*self.accepted, *self.pending)}
        return frozenset(kept) | held_unmatched(self.unmatched)

    def reported_references(self) -> frozenset[str]:
        """The same as :meth:`reported` (its first name, kept)."""
        return self.reported()

    def reported_trade_ids(self) -> frozenset[str]:
        """The ``trade_id`` of every accepted or pending trade (the pack's lateness rule
        compares ``trade.trade_id``, which differs from the reference when the id is not
        already upper-case letters and digits)."""
        return frozenset(trade.trade_id for trade in (*self.accepted, *self.pending))


def reconcile(
    feedback: Feedback,
    trades: Iterable[Trade],
    *,
    submitted: Mapping[str, Iterable[Trade | str]] | None = None,
    unlisted: Literal["pending", "accepted"] = "pending",
) -> Reconciliation:
    """Sort trades by the regulator's feedback, matched by :func:`transaction_reference`.

    A trade whose transaction has no status yet counts as pending: it was sent and is
    awaiting feedback. Statuses for references that match no trade are kept in
    :attr:`Reconciliation.unmatched`.

    A whole-file rejection (RJCT, INCF or CRPT for the file) lists no transactions. Say which
    transactions each file held with ``submitted`` (the file's id as the feedback names it,
    usually the ``BizMsgIdr`` of the file's ``AppHdr``, to its trades or transaction
    references): each then gets an inferred RJCT with the file's rules as reasons, at the
    feedback's time (a later status supersedes it). A rejected file not in ``submitted`` is
    listed in :attr:`Reconciliation.unresolved_file_rejections` and its trades stay pending.

    Some authorities list only the transactions in error. With ``unlisted="accepted"``, a
    transaction of a file in ``submitted`` that the file's advice (ACPT, PART or WARN) does
    not list counts as accepted; by default it stays pending.

    Args:
        feedback: what :func:`read_feedback` or :func:`read_feedback_files` returned.
        trades: the trades reported.
        submitted: the transactions of each submitted file, by the file's id.
        unlisted: what a submitted transaction that an accepted file's advice leaves out is.

    Returns:
        The :class:`Reconciliation`.

    Examples:
        >>> def trade(trade_id: str) -> Trade:
        ...     return Trade(
        ...         trade_id=trade_id, account_id="A1", side="buy", quantity="1", price="1.08",
        ...         executed_at="2024-03-15T10:00:00Z",
        ...         instrument={"symbol": "EURUSD", "product": "cfd",
        ...                     "underlying_class": "fx_major",
        ...                     "base_currency": "EUR", "quote_currency": "USD"},
        ...     )
        >>> result = reconcile(read_feedback(_EXAMPLE), [trade("T1"), trade("T2"), trade("T3")])
        >>> [t.trade_id for t in result.accepted], [t.trade_id for t in result.pending]
        (['T1'], ['T3'])
        >>> [(r.trade.trade_id, [str(rule) for rule in r.reasons]) for r in result.rejected]
        [('T2', ['CON-070: The LEI of the buyer is not valid'])]
        >>> sorted(result.reported_references())
        ['T1', 'T3']
    """
    contents = {
        file: tuple(_reference(item) for item in items) for file, items in (submitted or {}).items()
    }
    statuses = latest(_with_inferred(feedback, contents, unlisted))
    unresolved = tuple(
        advice
        for advice in feedback.file_rejections
        if advice.original_message is None or advice.original_message not in contents
    )
    matched = match(trades, transaction_reference, statuses)
    rejected = tuple(Rejection(m.item, m.status.rules, m.status) for m in matched.rejected)
    return Reconciliation(
        matched.accepted, rejected, matched.pending, matched.unmatched, unresolved, statuses
    )


def _reference(item: Trade | str) -> str:
    return item if isinstance(item, str) else transaction_reference(item)


def _with_inferred(
    feedback: Feedback,
    contents: Mapping[str, Sequence[str]],
    unlisted: Literal["pending", "accepted"],
) -> Iterator[TransactionStatus]:
    """Every listed status, each file advice preceded by the statuses it implies."""
    for file in feedback.files:
        for advice in file.advices:
            members = contents.get(advice.original_message or "")
            if advice.original_message is not None and members is not None:
                yield from _implied(file, advice, members, unlisted)
            yield from advice.transactions


def _implied(
    file: FeedbackFile,
    advice: MessageAdvice,
    members: Sequence[str],
    unlisted: Literal["pending", "accepted"],
) -> Iterator[TransactionStatus]:
    """The statuses an advice implies for the submitted transactions it does not list: RJCT
    when it rejects the whole file, ACPT when unlisted ones count as accepted."""
    implied: RecordStatus | None = None
    if advice.rejects_file:
        implied = RecordStatus.REJECTED
    elif unlisted == "accepted" and advice.status in _FILE_TAKEN:
        implied = RecordStatus.ACCEPTED
    if implied is None:
        return
    listed = {record.reference for record in advice.transactions}
    for reference in members:
        if reference in listed:
            continue
        yield TransactionStatus(
            reference=reference,
            status=implied,
            rules=advice.rules if advice.rejects_file else (),
            message_status=advice.status,
            original_message=advice.original_message,
            feedback_file=advice.feedback_file,
            feedback_id=file.message_id,
            created=file.created,
            line=advice.line,
            inferred=True,
        )


_EXAMPLE: Final = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:auth.031.001.01"><FinInstrmRptgStsAdvc>
<StsAdvc><MsgRptIdr>REGKIT-20240315-0001</MsgRptIdr><MsgSts><Sts>PART</Sts></MsgSts>
<RcrdSts><OrgnlRcrdId>T1</OrgnlRcrdId><Sts>ACPT</Sts></RcrdSts>
<RcrdSts><OrgnlRcrdId>T2</OrgnlRcrdId><Sts>RJCT</Sts>
<VldtnRule><Id>CON-070</Id><Desc>The LEI of the buyer is not valid</Desc></VldtnRule></RcrdSts>
</StsAdvc></FinInstrmRptgStsAdvc></Document>
"""
