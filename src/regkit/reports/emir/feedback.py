"""EMIR REFIT trade repository feedback: auth.092 rejections, read and reconciled with trades.

A trade repository answers the derivative reports it receives (auth.030) with a rejection
feedback, ISO 20022 auth.092 ``DerivsTradRjctnSttstclRpt`` (ESMA's "DATREJ"). Its root holds
either ``DataSetActn`` ``NOTX`` (nothing to report) or, per reporting counterparty
(``RjctnSttstcs/CtrPtyId``):

* the reports (submitted files) refused as a whole, each ``RptSts`` naming the submitted
  message (``MsgRptId``), its status (``RJCT``, ``INCF``, ``CRPT``, ``NAUT`` or ``ACPT``)
  and the validation rule it failed;
* the derivatives refused, each ``TxsRjctnsRsn`` naming the derivative (``TxId/UnqIdr``: the
  UTI) with its status and every validation rule it failed (codes such as
  ``EMIR-VR-2009-02`` and their texts).

It arrives as a bare ``Document`` or inside a ``BizData`` envelope with an ``AppHdr``; both are
read. :func:`read_rejections` reads one file safely (no DTD, no entities, no network, a size
limit, and the shipped auth.092 schema checked), :func:`read_rejection_files` several, and
:func:`reconcile` sorts trades into rejected (with the reasons), accepted and pending, keeping
every status that matches no trade.

Later feedback supersedes earlier feedback for the same UTI: the status read later wins,
unless both files carry a creation time (``AppHdr/CreDt``) and the later-read one is older.

Each rule a rejection names is joined to what regkit knows of its id (:class:`VrCatalogue`,
:func:`vr_info`): ESMA's validation rules (ESMA74-362-2683) are the rule ids of the built-in
pack ``emir-refit-vr`` and, all 480 of them, the entries of its coverage file. So a rejection
says which REFIT field it is about (``EMIR-VR-2114-01`` is field 2.114), whether regkit
checks that rule before a report is written (a rule of the pack, or the report record's
types) and, if not, why not. An id regkit does not know (a trade repository's own code, or a
rule newer than the pack) is flagged, and so is a rule regkit checks before submission that
the trade repository still refused: the report passed regkit's check, so regkit has a bug or
the data differs.

The reader is built on the shared ISO 20022 layer: safe reading
(:func:`regkit.reports.iso20022.reading.read_message`), one meaning per status code
(:data:`regkit.reports.iso20022.feedback.OUTCOMES`), latest status wins and one reconcile
(:mod:`regkit.reports.iso20022.feedback`), keyed here by the UTI.

Examples:
    >>> rejections = read_rejections(_EXAMPLE)
    >>> status = rejections.status("529900T8BM49AURSDO55CFD0002")
    >>> status.status, [str(rule) for rule in status.rules]
    (<ReportStatus.REJECTED: 'RJCT'>, ['EMIR-VR-2009-02: The CFI code is not valid'])
    >>> info = vr_info("EMIR-VR-3001-02")
    >>> info.field, info.field_name, info.disposition, info.checked
    ('3.1', 'Reporting timestamp', 'not-applicable', False)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import cache, cached_property
from types import MappingProxyType
from typing import Final, Literal, TypeAlias

from lxml import etree

from regkit.errors import IdentifierError
from regkit.reports.emir.precheck import refit_field
from regkit.reports.iso20022.feedback import (
    OUTCOMES,
    Matched,
    Outcome,
    ValidationRule,
    held_unmatched,
    latest,
    supersedes,
)
from regkit.reports.iso20022.feedback import reconcile as match
from regkit.reports.iso20022.reading import (
    Message,
    Source,
    child_text,
    iso_datetime,
    line_of,
    read_message,
    required_text,
)
from regkit.reports.iso20022.reading import (
    qualified as _q,
)
from regkit.reports.xml import DEFAULT_MAX_BYTES, SCHEMAS
from regkit.rules.packdocs import Coverage, load_coverage
from regkit.rules.policy import Policy, load_policy
from regkit.schemas.trade import Trade

__all__ = [
    "UNKNOWN",
    "VR_PACK",
    "BrokenRule",
    "CounterpartyStatistics",
    "MessageStatus",
    "Outcome",
    "Reconciliation",
    "Rejection",
    "RejectionFile",
    "Rejections",
    "ReportStatus",
    "TransactionStatus",
    "ValidationRule",
    "VrCatalogue",
    "VrInfo",
    "explain_rules",
    "read_rejection_files",
    "read_rejections",
    "reconcile",
    "trade_uti",
    "vr_info",
]

_MESSAGE: Final = "auth.092"
_DOC: Final = SCHEMAS[_MESSAGE].namespace

UtiOf: TypeAlias = Callable[[Trade], str]
"""How to tell a trade's UTI (for trades without ``uti``, e.g. regkit's generated one)."""


class ReportStatus(StrEnum):
    """A status in auth.092 (``Sts``; ``ReportingMessageStatus2Code``)."""

    ACCEPTED = "ACPT"
    """Accepted."""
    REJECTED = "RJCT"
    """Rejected: correct it and send it again."""
    INCORRECT_FILENAME = "INCF"
    """The file name is incorrect (the file is rejected)."""
    CORRUPTED_FILE = "CRPT"
    """The file is corrupted (the file is rejected)."""
    NOT_AUTHORISED = "NAUT"
    """The submitter is not authorised to report for the counterparty (rejected)."""

    @property
    def outcome(self) -> Outcome:
        """ACPT is accepted; every other status (RJCT, INCF, CRPT, NAUT) is a rejection (the
        shared :data:`~regkit.reports.iso20022.feedback.OUTCOMES`)."""
        return OUTCOMES[self.value]


@dataclass(frozen=True)
class TransactionStatus:
    """The trade repository's status of one derivative (one ``TxsRjctnsRsn``).

    Attributes:
        uti: the derivative's UTI (``UnqIdr/UnqTxIdr``, or ``UnqIdr/Prtry/Id``); None when
            the feedback names it only by a technical record id.
        status: the derivative's status.
        rules: every validation rule it failed, in file order (empty when none).
        action_type: the report's action type (``ActnTp``: NEWT, MODI ...), if given.
        technical_record_id: the report's technical record id (``TechRcrdId``), if given.
        reporting_timestamp: the report's reporting timestamp (``RptgTmStmp``), if given.
        reporting_counterparty: the LEI (or other id) of the reporting counterparty of the
            statistics it is listed under, if given.
        other_counterparty: the other counterparty's LEI or code (``OthrCtrPty``), if given.
        feedback_file: the feedback file (``<bytes>`` when read from bytes).
        feedback_id: the feedback's ``AppHdr/BizMsgIdr``, when it has a header.
        created: the feedback's ``AppHdr/CreDt``, when it has a header.
        line: the line of the ``TxsRjctnsRsn`` element (of the ``RptSts`` when inferred).
        message_id: the submitted message the status was inferred from (see
            :func:`reconcile`); None for a listed status.
        inferred: True when the status was not listed but inferred by :func:`reconcile` from
            a whole-message rejection or from ``unlisted="accepted"``.
    """

    uti: str | None
    status: ReportStatus
    rules: tuple[ValidationRule, ...]
    action_type: str | None
    technical_record_id: str | None
    reporting_timestamp: datetime | None
    reporting_counterparty: str | None
    other_counterparty: str | None
    feedback_file: str
    feedback_id: str | None = None
    created: datetime | None = None
    line: int | None = None
    message_id: str | None = None
    inferred: bool = False

    @property
    def outcome(self) -> Outcome:
        """Accepted or rejected (:attr:`ReportStatus.outcome`)."""
        return self.status.outcome

    @property
    def key(self) -> str | None:
        """The UTI (what statuses are matched by)."""
        return self.uti


@dataclass(frozen=True)
class MessageStatus:
    """The status of one submitted message (file), from every ``RptSts`` that names it.

    Attributes:
        message_id: the submitted message's id (``MsgRptId``: the ``BizMsgIdr`` it was sent
            with).
        status: its status (the first rejection listed, else ACPT).
        rules: every validation rule listed for it, in file order.
        reporting_counterparty: the reporting counterparty of the statistics it is listed
            under, if given.
        feedback_file: the feedback file (``<bytes>`` when read from bytes).
        feedback_id: the feedback's ``AppHdr/BizMsgIdr``, when it has a header.
        created: the feedback's ``AppHdr/CreDt``, when it has a header.
        line: the line of its first ``RptSts``.
    """

    message_id: str
    status: ReportStatus
    rules: tuple[ValidationRule, ...]
    reporting_counterparty: str | None
    feedback_file: str
    feedback_id: str | None = None
    created: datetime | None = None
    line: int | None = None

    @property
    def rejects_message(self) -> bool:
        """True when the whole message was refused: none of its derivatives was taken."""
        return self.status.outcome is Outcome.REJECTED


@dataclass(frozen=True)
class CounterpartyStatistics:
    """The counts a feedback gives for one reporting counterparty (``RjctnSttstcs``).

    Attributes:
        reporting_counterparty: its LEI (or other id), if given (``CtrPtyId/RptgCtrPty``).
        submitting_entity: the report submitting entity, if given.
        entity_responsible: the entity responsible for reporting, if given.
        total_reports: reports received (``RptSttstcs/TtlNbOfRpts``).
        accepted_reports: reports accepted.
        rejected_reports: reports rejected.
        total_transactions: derivatives received (None with ``DataSetActn`` ``NOTX``).
        accepted_transactions: derivatives accepted (None with ``NOTX``).
        rejected_transactions: derivatives rejected (None with ``NOTX``).
        line: the line of the ``RjctnSttstcs`` element.
    """

    reporting_counterparty: str | None
    submitting_entity: str | None
    entity_responsible: str | None
    total_reports: int
    accepted_reports: int
    rejected_reports: int
    total_transactions: int | None
    accepted_transactions: int | None
    rejected_transactions: int | None
    line: int | None = None


@dataclass(frozen=True)
class RejectionFile:
    """One auth.092 file as read.

    Attributes:
        file: the file's path (``<bytes>`` when read from bytes).
        message_id: the feedback's ``AppHdr/BizMsgIdr`` (None for a bare ``Document``).
        created: the feedback's ``AppHdr/CreDt``, in UTC (None for a bare ``Document``).
        related_message: the ``BizMsgIdr`` of ``AppHdr/Rltd``, when given.
        reference_date: the day the statistics are of (``Rpt/RefDt``); None with ``NOTX``.
        nothing_to_report: True for ``DataSetActn`` ``NOTX`` at the root.
        counterparties: the statistics per reporting counterparty, in file order.
        messages: every ``RptSts``, one :class:`MessageStatus` per message id, in file order.
        transactions: every ``TxsRjctnsRsn``, in file order.
    """

    file: str
    message_id: str | None
    created: datetime | None
    related_message: str | None
    reference_date: date | None
    nothing_to_report: bool
    counterparties: tuple[CounterpartyStatistics, ...]
    messages: tuple[MessageStatus, ...]
    transactions: tuple[TransactionStatus, ...]

    @property
    def status(self) -> Outcome:
        """The file's overall verdict: rejected when it lists any rejection (of a message or
        a derivative), accepted otherwise."""
        statuses = [item.status for item in self.messages] + [
            item.status for item in self.transactions
        ]
        rejected = any(status.outcome is Outcome.REJECTED for status in statuses)
        return Outcome.REJECTED if rejected else Outcome.ACCEPTED


@dataclass(frozen=True)
class Rejections:
    """The feedback read from one or more auth.092 files, oldest first.

    Attributes:
        files: the files, in the order read (or merged).

    Examples:
        >>> rejections = read_rejections(_EXAMPLE)
        >>> sorted(rejections.transactions)
        ['529900T8BM49AURSDO55CFD0002']
        >>> [(m.message_id, m.status.value) for m in rejections.messages.values()]
        [('REGKIT-EMIR-20240315-0002', 'INCF')]
    """

    files: tuple[RejectionFile, ...] = ()

    def records(self) -> Iterator[TransactionStatus]:
        """Every per-derivative status as listed, superseded ones included, in order."""
        for file in self.files:
            yield from file.transactions

    @cached_property
    def transactions(self) -> Mapping[str, TransactionStatus]:
        """The current status of each UTI: later feedback supersedes earlier."""
        return latest(self.records())

    @cached_property
    def messages(self) -> Mapping[str, MessageStatus]:
        """The current status of each submitted message named by the feedback."""
        latest: dict[str, MessageStatus] = {}
        for file in self.files:
            for message in file.messages:
                current = latest.get(message.message_id)
                if current is None or supersedes(message.created, current.created):
                    latest[message.message_id] = message
        return MappingProxyType(latest)

    @property
    def without_uti(self) -> tuple[TransactionStatus, ...]:
        """Listed statuses that name no UTI (only a technical record id), in order."""
        return tuple(record for record in self.records() if record.uti is None)

    def status(self, uti: str) -> TransactionStatus | None:
        """The current status of one UTI, or None when it was never listed."""
        return self.transactions.get(uti)

    def merge(self, *others: Rejections) -> Rejections:
        """This feedback followed by others: their statuses supersede this one's."""
        return Rejections(self.files + tuple(file for other in others for file in other.files))


def read_rejections(source: Source, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Rejections:
    """Read one auth.092 rejection feedback (bare ``Document`` or in a ``BizData`` envelope).

    The file is parsed with :func:`~regkit.reports.xml.parse_safely` (a ``DOCTYPE`` is
    refused, so no entity is expanded or fetched; nothing is read from the network; files
    above ``max_bytes`` are refused) and validated against the shipped auth.092 schema (with
    head.003 and head.001 for an envelope) before anything is read from it.

    Args:
        source: a file path, or the document's bytes.
        max_bytes: refuse larger files.

    Returns:
        :class:`Rejections` holding the one file.

    Raises:
        RenderError: the file cannot be read, is too large, is not well-formed, has a
            ``DOCTYPE``, or is not an auth.092 rejection feedback; the message names the file.
        XsdValidationError: the file breaks the schema (a :class:`RenderError` too); the
            message names the file, the line, the element and what is wrong.

    Examples:
        >>> file = read_rejections(_EXAMPLE).files[0]
        >>> file.reference_date, file.status.value, len(file.transactions)
        (datetime.date(2024, 3, 15), 'rejected', 1)
    """
    message = read_message(
        source,
        namespace=_DOC,
        what="EMIR feedback",
        expected="an auth.092 rejection feedback (DerivsTradRjctnSttstclRpt)",
        max_bytes=max_bytes,
    )
    return Rejections((_read_file(message),))


def read_rejection_files(
    sources: Iterable[Source], *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Rejections:
    """Read several auth.092 files, oldest first: later ones supersede earlier ones.

    Args:
        sources: file paths, or documents' bytes, in the order they arrived.
        max_bytes: refuse any file larger than this.

    Returns:
        One :class:`Rejections` with every file, in the order given.

    Raises:
        RenderError: as :func:`read_rejections`, for the first file that cannot be read.
    """
    return Rejections().merge(*(read_rejections(source, max_bytes=max_bytes) for source in sources))


# --- reading ---------------------------------------------------------------------------------


def _d(*names: str) -> str:
    """A path of auth.092 elements."""
    return "/".join(_q(_DOC, name) for name in names)


def _count(element: etree._Element | None, name: str, label: str) -> int | None:
    text = child_text(element, _q(_DOC, name), label)
    return None if text is None else int(text)


def _organisation(element: etree._Element | None, label: str) -> str | None:
    """The id in an OrganisationIdentification15Choice (LEI, other id or BIC)."""
    if element is None:
        return None
    return (
        child_text(element, _d("LEI"), label)
        or child_text(element, _d("Othr", "Id", "Id"), label)
        or child_text(element, _d("AnyBIC"), label)
    )


def _party(element: etree._Element | None, label: str) -> str | None:
    """The id in a PartyIdentification248Choice (a legal or a natural person)."""
    if element is None:
        return None
    legal = element.find(_d("Lgl", "Id"))
    if legal is not None:
        return _organisation(legal, label)
    return child_text(element, _d("Ntrl", "Id", "Id", "Id"), label)


def _rules(parent: etree._Element, label: str) -> tuple[ValidationRule, ...]:
    return tuple(
        ValidationRule(
            id=required_text(rule, _q(_DOC, "Id"), label),
            description=child_text(rule, _q(_DOC, "Desc"), label),
            scheme=child_text(rule, f"{_q(_DOC, 'SchmeNm')}/*", label),
            issuer=child_text(rule, _q(_DOC, "Issr"), label),
        )
        for rule in parent.iterfind(_q(_DOC, "DtldVldtnRule"))
    )


@dataclass(frozen=True)
class _Context:
    label: str
    feedback_id: str | None
    created: datetime | None


def _read_file(message: Message) -> RejectionFile:
    label, header = message.label, message.header
    context = _Context(label, header.message_id, header.created)
    related = header.related
    report = message.document.find(_d("DerivsTradRjctnSttstclRpt", "RjctnSttstcs", "Rpt"))
    if report is None:  # DataSetActn NOTX: the schema allows nothing else
        return RejectionFile(
            label, context.feedback_id, context.created, related, None, True, (), (), ()
        )
    counterparties: list[CounterpartyStatistics] = []
    messages: dict[str, MessageStatus] = {}
    transactions: list[TransactionStatus] = []
    for statistics in report.iterfind(_q(_DOC, "RjctnSttstcs")):
        reporting = _organisation(statistics.find(_d("CtrPtyId", "RptgCtrPty")), label)
        counterparties.append(_counterparty(statistics, reporting, label))
        for status in statistics.iterfind(_d("RptSttstcs", "NbOfRptsRjctdPerErr", "RptSts")):
            _add_message(messages, status, reporting, context)
        for reason in statistics.iterfind(_d("DerivSttstcs", "DtldSttstcs", "TxsRjctnsRsn")):
            transactions.append(_transaction(reason, reporting, context))
    return RejectionFile(
        label,
        context.feedback_id,
        context.created,
        related,
        date.fromisoformat(required_text(report, _q(_DOC, "RefDt"), label)),
        False,
        tuple(counterparties),
        tuple(messages.values()),
        tuple(transactions),
    )


def _counterparty(
    statistics: etree._Element, reporting: str | None, label: str
) -> CounterpartyStatistics:
    reports = statistics.find(_q(_DOC, "RptSttstcs"))
    derivatives = statistics.find(_d("DerivSttstcs", "DtldSttstcs"))
    return CounterpartyStatistics(
        reporting_counterparty=reporting,
        submitting_entity=_organisation(statistics.find(_d("CtrPtyId", "RptSubmitgNtty")), label),
        entity_responsible=_organisation(
            statistics.find(_d("CtrPtyId", "NttyRspnsblForRpt")), label
        ),
        total_reports=_count(reports, "TtlNbOfRpts", label) or 0,
        accepted_reports=_count(reports, "TtlNbOfRptsAccptd", label) or 0,
        rejected_reports=_count(reports, "TtlNbOfRptsRjctd", label) or 0,
        total_transactions=_count(derivatives, "TtlNbOfTxs", label),
        accepted_transactions=_count(derivatives, "TtlNbOfTxsAccptd", label),
        rejected_transactions=_count(derivatives, "TtlNbOfTxsRjctd", label),
        line=line_of(statistics),
    )


def _add_message(
    messages: dict[str, MessageStatus],
    element: etree._Element,
    reporting: str | None,
    context: _Context,
) -> None:
    """Fold one ``RptSts`` into the status of its message (one message may fail several
    rules, each listed under its own ``NbOfRptsRjctdPerErr``)."""
    message_id = required_text(element, _q(_DOC, "MsgRptId"), context.label)
    status = ReportStatus(required_text(element, _q(_DOC, "Sts"), context.label))
    rules = _rules(element, context.label)
    current = messages.get(message_id)
    if current is None:
        messages[message_id] = MessageStatus(
            message_id,
            status,
            rules,
            reporting,
            context.label,
            context.feedback_id,
            context.created,
            line_of(element),
        )
        return
    keep = current.status if current.rejects_message else status
    messages[message_id] = MessageStatus(
        message_id,
        keep,
        current.rules + rules,
        current.reporting_counterparty,
        current.feedback_file,
        current.feedback_id,
        current.created,
        current.line,
    )


def _transaction(
    element: etree._Element, reporting: str | None, context: _Context
) -> TransactionStatus:
    identification = element.find(_q(_DOC, "TxId"))
    uti = child_text(identification, _d("UnqIdr", "UnqTxIdr"), context.label) or child_text(
        identification, _d("UnqIdr", "Prtry", "Id"), context.label
    )
    return TransactionStatus(
        uti=uti,
        status=ReportStatus(required_text(element, _q(_DOC, "Sts"), context.label)),
        rules=_rules(element, context.label),
        action_type=child_text(identification, _q(_DOC, "ActnTp"), context.label),
        technical_record_id=child_text(identification, _q(_DOC, "TechRcrdId"), context.label),
        reporting_timestamp=iso_datetime(
            child_text(identification, _q(_DOC, "RptgTmStmp"), context.label)
        ),
        reporting_counterparty=reporting,
        other_counterparty=_party(
            None if identification is None else identification.find(_q(_DOC, "OthrCtrPty")),
            context.label,
        ),
        feedback_file=context.label,
        feedback_id=context.feedback_id,
        created=context.created,
        line=line_of(element),
    )


# --- what regkit knows of a validation rule -------------------------------------------------

#: The built-in pack of ESMA's EMIR REFIT validation rules: its rule ids are VR ids, and its
#: coverage file (``packs/coverage/emir-refit-vr.yaml``) lists every id ESMA publishes.
VR_PACK: Final = "emir-refit-vr"
#: The disposition of a rule id that neither the pack nor its coverage file knows.
UNKNOWN: Final = "unknown"
#: The dispositions under which regkit checks a rule before a report is written: a rule of
#: the pack, or the report record's types (the record cannot be built otherwise).
_CHECKED: Final = frozenset({"rule", "type"})


@dataclass(frozen=True)
class VrInfo:
    """What regkit knows of one validation rule id, from the ``emir-refit-vr`` pack and its
    coverage file.

    Attributes:
        id: the rule id, e.g. ``EMIR-VR-2048-01``.
        field: the REFIT field it is about, table.field from the id (``2.48``); None for an
            id that names no field.
        field_name: the field's name in the coverage file (``Price``); None when unknown.
        disposition: what regkit does with the rule: one of
            :data:`~regkit.rules.packdocs.DISPOSITIONS` (``rule``, ``type``,
            ``not-applicable``, ``external``, ``permissive``, ``todo``), or :data:`UNKNOWN`.
        reason: why regkit does not check it as a rule of the pack (the coverage file's
            reason; empty for a rule).
        rule_title: the title of the pack's rule, when it is one.

    Examples:
        >>> info = vr_info("EMIR-VR-1010-01")
        >>> info.field, info.disposition, info.checked, info.rule_title is not None
        ('1.10', 'rule', True, True)
        >>> vr_info("TR-OWN-17").known
        False
    """

    id: str
    field: str | None
    field_name: str | None
    disposition: str
    reason: str = ""
    rule_title: str | None = None

    @property
    def known(self) -> bool:
        """Whether the id is one regkit knows (a rule of the pack, or in its coverage)."""
        return self.disposition != UNKNOWN

    @property
    def checked(self) -> bool:
        """Whether regkit checks the rule before a report is written: a rule of the pack, or
        enforced by the :class:`~regkit.schemas.emir.EmirReport` types."""
        return self.disposition in _CHECKED

    @property
    def check(self) -> str:
        """Whether and how regkit checks the rule before submission, in words.

        Examples:
            >>> print(vr_info("EMIR-VR-3001-02").check)  # doctest: +ELLIPSIS
            not checked by regkit (not-applicable: Table 3 (margins and collateral): ...)
        """
        if self.disposition == "rule":
            return f"checked before submission by {VR_PACK}: {self.rule_title}"
        if self.disposition == "type":
            return f"checked before submission by the report record's types: {self.reason}"
        if not self.known:
            return (
                "unknown to regkit: not one of ESMA's EMIR REFIT validation rules "
                "(ESMA74-362-2683) nor a rule of the pack; a trade repository's own code?"
            )
        return f"not checked by regkit ({self.disposition}: {self.reason})"

    def __str__(self) -> str:
        where = "no field" if self.field is None else f"field {self.field}"
        if self.field_name:
            where = f"{where} {self.field_name}"
        return f"{self.id} ({where}): {self.check}"


@dataclass(frozen=True)
class VrCatalogue:
    """Every validation rule id regkit knows, with its field and whether regkit checks it:
    the coverage file of a pack, joined with the pack's rules (a rule of the pack that the
    coverage file lacks counts too).

    Attributes:
        document: the regulator's document the ids come from.
        entries: what regkit knows of each id, by id, in the document's order.

    Examples:
        >>> catalogue = VrCatalogue.builtin()
        >>> len(catalogue), "EMIR-VR-2048-01" in catalogue, "EMIR-FIL-002" in catalogue
        (480, True, False)
        >>> catalogue.lookup("EMIR-VR-2114-01").field
        '2.114'
    """

    document: str
    entries: Mapping[str, VrInfo]

    @classmethod
    def builtin(cls) -> VrCatalogue:
        """The catalogue of the built-in ``emir-refit-vr`` pack (loaded once)."""
        return _builtin_catalogue()

    @classmethod
    def of(cls, policy: Policy, coverage: Coverage | None) -> VrCatalogue:
        """The catalogue of a pack and its coverage file.

        Args:
            policy: the pack (:func:`~regkit.rules.policy.load_policy`).
            coverage: its coverage (:func:`~regkit.rules.packdocs.load_coverage`), or None.
        """
        titles = {rule.id: rule.title for rule in policy.rules}
        entries: dict[str, VrInfo] = {}
        for entry in () if coverage is None else coverage.entries:
            name = entry.field.split(" ", 1)[1] if " " in entry.field else None
            if entry.field.startswith("("):  # "(not field-specific)"
                name = None
            entries[entry.id] = VrInfo(
                entry.id,
                refit_field(entry.id),
                name,
                entry.disposition,
                entry.reason,
                titles.get(entry.id) if entry.disposition == "rule" else None,
            )
        for rule_id, title in titles.items():
            if rule_id not in entries:
                entries[rule_id] = VrInfo(rule_id, refit_field(rule_id), None, "rule", "", title)
        document = "" if coverage is None else coverage.document
        return cls(document, MappingProxyType(entries))

    def lookup(self, rule_id: str) -> VrInfo:
        """What regkit knows of a rule id; an unknown id gives a :class:`VrInfo` of
        disposition :data:`UNKNOWN` (with the field its id names, if any)."""
        found = self.entries.get(rule_id.strip())
        if found is not None:
            return found
        return VrInfo(rule_id, refit_field(rule_id.strip()), None, UNKNOWN)

    def __contains__(self, rule_id: object) -> bool:
        return isinstance(rule_id, str) and rule_id.strip() in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[VrInfo]:
        return iter(self.entries.values())


@cache
def _builtin_catalogue() -> VrCatalogue:
    return VrCatalogue.of(load_policy(VR_PACK), load_coverage(VR_PACK))


def vr_info(rule_id: str) -> VrInfo:
    """What regkit knows of one validation rule id (:meth:`VrCatalogue.builtin`).

    Examples:
        >>> print(vr_info("EMIR-VR-2009-02").field_name)
        Product classification
        >>> vr_info("EMIR-VR-9999-01").disposition
        'unknown'
    """
    return VrCatalogue.builtin().lookup(rule_id)


@dataclass(frozen=True)
class BrokenRule:
    """A validation rule a rejected report broke: the rule as the trade repository named it,
    joined to what regkit knows of its id.

    Attributes:
        rule: the rule as listed in the feedback (id and the trade repository's text).
        info: what regkit knows of its id.
    """

    rule: ValidationRule
    info: VrInfo

    @property
    def id(self) -> str:
        """The rule's id."""
        return self.rule.id

    @property
    def flag(self) -> Literal["unknown", "checked"] | None:
        """``"unknown"`` for an id regkit does not know; ``"checked"`` for a rule regkit
        checks before submission (the report passed that check, if it ran: a regkit bug
        or a data difference); None otherwise."""
        if not self.info.known:
            return "unknown"
        return "checked" if self.info.checked else None

    def __str__(self) -> str:
        text = str(self.info)
        if self.flag == "checked":
            text += "; the trade repository still refused it: a regkit bug or a data difference"
        if self.rule.description:
            text += f" [{self.rule.description}]"
        return text


def explain_rules(
    rules: Iterable[ValidationRule], catalogue: VrCatalogue | None = None
) -> tuple[BrokenRule, ...]:
    """Each rule joined to what regkit knows of its id, in order.

    Args:
        rules: rules a feedback names (``TransactionStatus.rules``, ``MessageStatus.rules``).
        catalogue: the ids regkit knows; by default :meth:`VrCatalogue.builtin`.

    Examples:
        >>> [b.flag for b in explain_rules(
        ...     [ValidationRule("EMIR-VR-1010-01"), ValidationRule("TR-17"),
        ...      ValidationRule("EMIR-VR-3001-02")])]
        ['checked', 'unknown', None]
    """
    known = VrCatalogue.builtin() if catalogue is None else catalogue
    return tuple(BrokenRule(rule, known.lookup(rule.id)) for rule in rules)


# --- reconciling -----------------------------------------------------------------------------


def trade_uti(trade: Trade) -> str:
    """The UTI a trade carries (the default ``uti_of`` of :func:`reconcile`).

    Raises:
        IdentifierError: the trade has no ``uti``; pass ``uti_of`` (e.g. the function that
            generated the UTIs reported) to :func:`reconcile`.
    """
    if trade.uti is None:
        raise IdentifierError(
            f"trade {trade.trade_id} has no uti; pass uti_of= to reconcile (the function that "
            "gave the reported UTI, e.g. regkit's UTI generator with the firm's LEI)"
        )
    return trade.uti


@dataclass(frozen=True)
class Rejection:
    """A rejected trade and why.

    Attributes:
        trade: the trade.
        uti: the UTI it was reported under.
        reasons: the validation rules it failed; for a whole-message rejection, the
            message's rules.
        status: the status it was rejected by (file, line, feedback id, time).
        broken: each of ``reasons`` joined to what regkit knows of its id (REFIT field,
            whether regkit checks it before submission, or why not), in the same order.
    """

    trade: Trade
    uti: str
    reasons: tuple[ValidationRule, ...]
    status: TransactionStatus
    broken: tuple[BrokenRule, ...] = ()

    @property
    def unknown_rules(self) -> tuple[str, ...]:
        """The ids of ``reasons`` that regkit does not know, in order."""
        return tuple(item.id for item in self.broken if item.flag == "unknown")


@dataclass(frozen=True)
class Reconciliation:
    """Trades sorted by the trade repository's feedback: every trade is in exactly one of
    :attr:`accepted`, :attr:`rejected` and :attr:`pending`, in the order given.

    Attributes:
        accepted: trades whose UTI was accepted.
        rejected: trades whose UTI (or whose whole message) was rejected, with the reasons.
        pending: trades with no status (auth.092 lists rejections, so a trade not listed is
            pending until you say the feedback covers it: see ``unlisted``).
        unmatched: current statuses that match no trade given, sorted by UTI, then those
            that name no UTI in file order; never dropped.
        unresolved_message_rejections: whole-message rejections whose message was not given
            in ``submitted``, so their derivatives could not be known.
        utis: the UTI of each trade given, by trade id.
        statuses: the current status of every UTI, matched or not.
        unknown_rules: the rule ids regkit does not know (neither a rule of the
            ``emir-refit-vr`` pack nor in its coverage of ESMA's ids) that any rejection
            here names (of a trade, an unmatched UTI or an unresolved message), sorted.
        checked_rules: the rule ids regkit checks before submission that a rejection here
            still names, sorted: the reports passed regkit's check (when it ran), so
            regkit has a bug or the data sent differs from the data checked.
    """

    accepted: tuple[Trade, ...]
    rejected: tuple[Rejection, ...]
    pending: tuple[Trade, ...]
    unmatched: tuple[TransactionStatus, ...]
    unresolved_message_rejections: tuple[MessageStatus, ...]
    utis: Mapping[str, str] = field(repr=False)
    statuses: Mapping[str, TransactionStatus] = field(repr=False)
    unknown_rules: tuple[str, ...] = ()
    checked_rules: tuple[str, ...] = ()

    @property
    def resubmit(self) -> tuple[Trade, ...]:
        """The trades to correct and report again: the rejected ones, in order."""
        return tuple(rejection.trade for rejection in self.rejected)

    def status_of(self, trade: Trade) -> TransactionStatus | None:
        """The current status of a trade given to :func:`reconcile`, or None when unlisted."""
        uti = self.utis.get(trade.trade_id)
        return None if uti is None else self.statuses.get(uti)

    def reported(self) -> frozenset[str]:
        """UTIs the trade repository holds or may still accept: those of the accepted and
        pending trades, and the unmatched UTIs accepted. For the ``reported`` parameter of
        the ``emir-refit-validation`` pack (its ``EMIR-LATE`` rule)."""
        kept = {self.utis[trade.trade_id] for trade in (*self.accepted, *self.pending)}
        return frozenset(kept) | held_unmatched(self.unmatched)


def reconcile(
    rejections: Rejections,
    trades: Iterable[Trade],
    *,
    uti_of: UtiOf = trade_uti,
    submitted: Mapping[str, Iterable[Trade | str]] | None = None,
    unlisted: Literal["pending", "accepted"] = "pending",
    catalogue: VrCatalogue | None = None,
) -> Reconciliation:
    """Sort trades by the trade repository's feedback, matched by UTI.

    Each trade's UTI is ``uti_of(trade)``: by default its ``uti``, and an
    :class:`~regkit.errors.IdentifierError` for a trade without one (pass the function that
    made the UTIs reported, e.g. ``lambda t: t.uti or generate_uti(firm.lei, t.trade_id)``).

    auth.092 lists rejections. A trade whose UTI is listed ACPT is accepted, RJCT (or any
    other refusal) rejected with its rules; a trade not listed is pending. Say which UTIs
    each submitted message held with ``submitted`` (the message id, the ``BizMsgIdr`` it was
    sent with, to its trades or UTIs): a message refused as a whole then rejects each of its
    derivatives with the message's rules (a later per-UTI status supersedes it), and with
    ``unlisted="accepted"`` (the feedback covers every submitted message) a submitted UTI
    that is not rejected counts as accepted.

    Args:
        rejections: what :func:`read_rejections` or :func:`read_rejection_files` returned.
        trades: the trades reported.
        uti_of: the UTI of a trade.
        submitted: the derivatives of each submitted message, by message id.
        unlisted: what a submitted UTI that no rejection names is.
        catalogue: the validation rule ids regkit knows, which each rejection's rules are
            joined to (:attr:`Rejection.broken`); by default :meth:`VrCatalogue.builtin`.

    Returns:
        The :class:`Reconciliation`.

    Raises:
        IdentifierError: ``uti_of`` gave no UTI for a trade.

    Examples:
        >>> def trade(number: int) -> Trade:
        ...     return Trade(
        ...         trade_id=f"T{number}", account_id="A1", side="buy", quantity="1",
        ...         price="1.08", executed_at="2024-03-15T10:00:00Z",
        ...         uti=f"529900T8BM49AURSDO55CFD000{number}",
        ...         instrument={"symbol": "EURUSD", "product": "cfd",
        ...                     "underlying_class": "fx_major",
        ...                     "base_currency": "EUR", "quote_currency": "USD"},
        ...     )
        >>> result = reconcile(read_rejections(_EXAMPLE), [trade(1), trade(2)])
        >>> [(r.trade.trade_id, [rule.id for rule in r.reasons]) for r in result.rejected]
        [('T2', ['EMIR-VR-2009-02'])]
        >>> [t.trade_id for t in result.pending]
        ['T1']
        >>> [(b.id, b.info.field, b.info.field_name) for b in result.rejected[0].broken]
        [('EMIR-VR-2009-02', '2.9', 'Product classification')]
        >>> result.unknown_rules
        ('EMIR-FIL-001',)
    """
    trades = tuple(trades)
    utis = _utis(trades, uti_of)
    contents = {
        message: tuple(item if isinstance(item, str) else uti_of(item) for item in items)
        for message, items in (submitted or {}).items()
    }
    statuses = latest(_with_inferred(rejections, contents, unlisted))
    unresolved = tuple(
        message
        for message in rejections.messages.values()
        if message.rejects_message and message.message_id not in contents
    )
    matched = match(trades, lambda trade: utis[trade.trade_id], statuses)
    return _reconciliation(
        matched, rejections.without_uti, unresolved, MappingProxyType(utis), statuses, catalogue
    )


def _reconciliation(
    matched: Matched[Trade, TransactionStatus],
    without_uti: tuple[TransactionStatus, ...],
    unresolved: tuple[MessageStatus, ...],
    utis: Mapping[str, str],
    statuses: Mapping[str, TransactionStatus],
    catalogue: VrCatalogue | None,
) -> Reconciliation:
    """The reconciliation of what was matched, each rejection's rules joined to what the
    catalogue knows of them."""
    known = VrCatalogue.builtin() if catalogue is None else catalogue
    rejected = tuple(
        Rejection(m.item, m.key, m.status.rules, m.status, explain_rules(m.status.rules, known))
        for m in matched.rejected
    )
    unmatched = matched.unmatched + without_uti
    unknown, checked = _flagged((rejected, unmatched, unresolved), known)
    return Reconciliation(
        matched.accepted,
        rejected,
        matched.pending,
        unmatched,
        unresolved,
        utis,
        statuses,
        unknown,
        checked,
    )


def _flagged(
    found: tuple[tuple[Rejection, ...], tuple[TransactionStatus, ...], tuple[MessageStatus, ...]],
    catalogue: VrCatalogue,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The rule ids that the rejections, the rejected unmatched statuses and the unresolved
    message rejections name which regkit does not know, and those it checks before
    submission; each sorted."""
    rejected, unmatched, messages = found
    groups = (
        *(rejection.reasons for rejection in rejected),
        *(status.rules for status in unmatched if status.outcome is Outcome.REJECTED),
        *(message.rules for message in messages),
    )
    named = {rule.id: catalogue.lookup(rule.id) for rules in groups for rule in rules}
    return (
        tuple(sorted(rule_id for rule_id, info in named.items() if not info.known)),
        tuple(sorted(rule_id for rule_id, info in named.items() if info.checked)),
    )


def _utis(trades: Iterable[Trade], uti_of: UtiOf) -> dict[str, str]:
    """The UTI of each trade, by trade id; an IdentifierError when ``uti_of`` gives none."""
    utis: dict[str, str] = {}
    for trade in trades:
        uti = uti_of(trade)
        if not isinstance(uti, str) or not uti:
            raise IdentifierError(f"uti_of gave no UTI for trade {trade.trade_id}: {uti!r}")
        utis[trade.trade_id] = uti
    return utis


def _with_inferred(
    rejections: Rejections,
    contents: Mapping[str, tuple[str, ...]],
    unlisted: Literal["pending", "accepted"],
) -> Iterator[TransactionStatus]:
    """The statuses implied by ``submitted`` first, then every listed status (which
    supersede them)."""
    messages = rejections.messages
    for message_id, members in contents.items():
        message = messages.get(message_id)
        if message is not None and message.rejects_message:
            for uti in members:
                yield _implied(uti, message.status, message.rules, message, message_id)
        elif unlisted == "accepted":
            listed = rejections.transactions
            for uti in members:
                if uti not in listed:
                    yield _implied(uti, ReportStatus.ACCEPTED, (), message, message_id)
    yield from rejections.records()


def _implied(
    uti: str,
    status: ReportStatus,
    rules: tuple[ValidationRule, ...],
    message: MessageStatus | None,
    message_id: str,
) -> TransactionStatus:
    return TransactionStatus(
        uti=uti,
        status=status,
        rules=rules,
        action_type=None,
        technical_record_id=None,
        reporting_timestamp=None,
        reporting_counterparty=None if message is None else message.reporting_counterparty,
        other_counterparty=None,
        feedback_file="" if message is None else message.feedback_file,
        feedback_id=None if message is None else message.feedback_id,
        created=None if message is None else message.created,
        line=None if message is None else message.line,
        message_id=message_id,
        inferred=True,
    )


_EXAMPLE: Final = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:auth.092.001.04"><DerivsTradRjctnSttstclRpt>
<RjctnSttstcs><Rpt><RefDt>2024-03-15</RefDt>
<TtlNbOfRpts>2</TtlNbOfRpts><TtlNbOfRptsAccptd>1</TtlNbOfRptsAccptd>
<TtlNbOfRptsRjctd>1</TtlNbOfRptsRjctd><TtlNbOfTxs>3</TtlNbOfTxs>
<TtlNbOfTxsAccptd>2</TtlNbOfTxsAccptd><TtlNbOfTxsRjctd>1</TtlNbOfTxsRjctd>
<RjctnSttstcs><CtrPtyId><RptgCtrPty><LEI>529900T8BM49AURSDO55</LEI></RptgCtrPty></CtrPtyId>
<RptSttstcs><TtlNbOfRpts>2</TtlNbOfRpts><TtlNbOfRptsAccptd>1</TtlNbOfRptsAccptd>
<TtlNbOfRptsRjctd>1</TtlNbOfRptsRjctd><NbOfRptsRjctdPerErr><DtldNb>1</DtldNb>
<RptSts><MsgRptId>REGKIT-EMIR-20240315-0002</MsgRptId><Sts>INCF</Sts>
<DtldVldtnRule><Id>EMIR-FIL-001</Id><Desc>The file name is not valid</Desc></DtldVldtnRule>
</RptSts></NbOfRptsRjctdPerErr></RptSttstcs>
<DerivSttstcs><DtldSttstcs><TtlNbOfTxs>3</TtlNbOfTxs><TtlNbOfTxsAccptd>2</TtlNbOfTxsAccptd>
<TtlNbOfTxsRjctd>1</TtlNbOfTxsRjctd><TxsRjctnsRsn><TxId><ActnTp>NEWT</ActnTp>
<UnqIdr><UnqTxIdr>529900T8BM49AURSDO55CFD0002</UnqTxIdr></UnqIdr></TxId><Sts>RJCT</Sts>
<DtldVldtnRule><Id>EMIR-VR-2009-02</Id><Desc>The CFI code is not valid</Desc></DtldVldtnRule>
</TxsRjctnsRsn></DtldSttstcs></DerivSttstcs></RjctnSttstcs></Rpt></RjctnSttstcs>
</DerivsTradRjctnSttstclRpt></Document>
"""
