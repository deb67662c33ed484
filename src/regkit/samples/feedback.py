"""Deterministic synthetic regulator feedback: a MiFIR status advice and an EMIR rejection report.

The demo and the tests need the files a regulator sends back, written so that regkit's own
readers take them: a competent authority's status advice on a transaction report file
(ISO 20022 auth.031, read by :func:`regkit.reports.mifir.feedback.read_feedback`) and a trade
repository's rejection report for a day (auth.092, ESMA's "DATREJ", read by
:func:`regkit.reports.emir.feedback.read_rejections`). Both come in the ``BizData`` envelope
with a business application header (head.001), which carries the feedback's own id and its
creation time (``AppHdr/CreDt``), as the real ones do.

What is written is given as :class:`Verdict` values (a status and the validation rules failed,
per transaction or derivative) and plain arguments: no clock, no randomness, so the same
arguments give the same bytes. Text is escaped by lxml, so descriptions may hold ``<``, ``&``,
quotes and any character XML 1.0 allows. Before it is returned, each document is checked
against the shipped schemas (head.003, head.001 and the message's own); a value the schema
refuses, or one that would not read back as given (empty, or with white space around it: the
readers strip text), is refused with a :class:`ValueError`.

:func:`write_feedback` writes a document under a temporary name beside the target and renames
it onto the target, so a reader never sees half a file.

Examples:
    >>> from datetime import UTC, datetime
    >>> from regkit.reports.mifir.feedback import read_feedback
    >>> data = mifir_status_advice(
    ...     submitted_message="DATTRA_20240315T180000_000001",
    ...     verdicts=[Verdict("T1"), Verdict("T2", "RJCT", (("CON-070", "Buyer's LEI < bad"),))],
    ...     created=datetime(2024, 3, 16, 6, 0, tzinfo=UTC),
    ...     authority="CY",
    ...     firm="529900T8BM49AURSDO55",
    ...     feedback_id="FDB-20240316-0001",
    ... )
    >>> advice = read_feedback(data).advices[0]
    >>> advice.status.value, [(t.reference, t.status.value) for t in advice.transactions]
    ('PART', [('T1', 'ACPT'), ('T2', 'RJCT')])
    >>> str(advice.transactions[1].rules[0])
    "CON-070: Buyer's LEI < bad"
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Final

from lxml import etree

from regkit.reports.iso20022.envelope import HEAD001
from regkit.reports.xml import SCHEMAS
from regkit.samples._iso20022 import ACTION_TYPES, LEI, UTI, document, enveloped, header, sub, text
from regkit.schemas.io import atomic_path

__all__ = ["Verdict", "emir_rejections", "mifir_status_advice", "write_feedback"]

_AUTH031: Final = SCHEMAS["auth.031"].namespace
_AUTH092: Final = SCHEMAS["auth.092"].namespace

# auth.031 ReportingRecordStatus1Code, in the order ``NbOfRcrdsPerSts`` counts them.
_RECORD_STATUSES: Final = ("ACPT", "RJCT", "PDNG", "RCVD")
# auth.031 ReportingMessageStatus1Code (ESMA usage guideline 1.1.0).
_FILE_STATUSES: Final = ("ACPT", "PART", "RCVD", "RJCT", "RMDR", "WARN", "INCF", "CRPT")
# auth.092 ReportingMessageStatus2Code less ACPT: the report lists rejections.
_REJECTIONS: Final = ("RJCT", "INCF", "CRPT", "NAUT")
# auth.092 TransactionOperationType10Code, and the schema's patterns of a UTI and an LEI.
_ACTIONS: Final = ACTION_TYPES
_UTI: Final = UTI
_LEI: Final = LEI


@dataclass(frozen=True)
class Verdict:
    """The regulator's verdict on one transaction (MiFIR) or derivative report (EMIR).

    Attributes:
        key: MiFIR: the transaction reference sent (``TxId``; ``OrgnlRcrdId`` in the advice,
            140 characters at most). EMIR: the UTI (``UnqTxIdr`` when it has a UTI's form,
            else ``UnqIdr/Prtry/Id``, 72 characters at most).
        status: auth.031: ``ACPT``, ``RJCT``, ``PDNG`` or ``RCVD``; auth.092 (which lists
            rejections only): ``RJCT``, ``INCF``, ``CRPT`` or ``NAUT``.
        rules: the validation rules failed, as (rule id, description) pairs in order, e.g.
            ``("CON-070", "The LEI of the buyer is not valid")``. auth.092 may leave a
            description out: an empty one writes no ``Desc``.
        action: EMIR only: the report's action type (``TxId/ActnTp``: NEWT, MODI, CORR,
            TERM, EROR, POSC, VALU ...); None writes none.

    Examples:
        >>> Verdict("T2", "RJCT", (("CON-070", "The LEI of the buyer is not valid"),)).status
        'RJCT'
    """

    key: str
    status: str = "ACPT"
    rules: tuple[tuple[str, str], ...] = ()
    action: str | None = None


def mifir_status_advice(
    *,
    submitted_message: str,
    verdicts: Sequence[Verdict],
    created: datetime,
    authority: str,
    firm: str,
    feedback_id: str,
    file_status: str | None = None,
    file_rules: Sequence[tuple[str, str]] = (),
    submitted_created: datetime | None = None,
) -> bytes:
    """A competent authority's status advice (auth.031) on one transaction report file.

    One ``StsAdvc``: ``MsgRptIdr`` names the submitted file, ``MsgSts`` gives the file's
    status, the file-level rules failed and, when there are verdicts, the statistics
    (``TtlNbOfRcrds``, and ``NbOfRcrdsPerSts`` for each record status present, in the order
    ACPT, RJCT, PDNG, RCVD); then one ``RcrdSts`` per verdict, in order. The ``AppHdr`` goes
    from the authority to the firm, each as ``OrgId/Id/OrgId/Othr/Id`` (the only party form
    ESMA's head.001 usage guideline allows).

    Args:
        submitted_message: the ``BizMsgIdr`` of the file the advice is about.
        verdicts: one per transaction listed (none for a file refused as a whole).
        created: the advice's creation time (timezone-aware; written in UTC, ``Z``).
        authority: the sender: the competent authority's id (its ISO country code, ``CY``).
        firm: the recipient: the submitting entity's LEI.
        feedback_id: the advice's own ``BizMsgIdr``.
        file_status: ``MsgSts/Sts``; by default ACPT when every verdict is ACPT (or there is
            none), RJCT when every one is RJCT, PART otherwise. A refused file (RJCT, INCF,
            CRPT) with ``file_rules`` and no verdicts is what an authority sends for a file it
            could not take.
        file_rules: the file-level rules failed, as (rule id, description) pairs.
        submitted_created: the submitted file's creation time; when given, the header relates
            to the submitted file's header (``Rltd``: from the firm to the authority, its
            ``BizMsgIdr``, ``auth.016.001.01`` and this time, all of which the schema requires).

    Returns:
        The document's UTF-8 bytes, with an XML declaration.

    Raises:
        ValueError: a status is not an auth.031 code, a verdict has an ``action``, a time is
            naive, or a text is empty, too long, has white space around it or the schema
            refuses it.

    Examples:
        >>> from datetime import UTC, datetime
        >>> from regkit.reports.mifir.feedback import read_feedback
        >>> data = mifir_status_advice(
        ...     submitted_message="DATTRA_20240315T180000_000002", verdicts=[],
        ...     created=datetime(2024, 3, 16, 6, 0, tzinfo=UTC), authority="CY",
        ...     firm="529900T8BM49AURSDO55", feedback_id="FDB-2", file_status="INCF",
        ...     file_rules=[("FIL-104", "The file name is not valid")],
        ... )
        >>> advice = read_feedback(data).advices[0]
        >>> advice.status.value, advice.rejects_file, advice.transactions
        ('INCF', True, ())
    """
    status = _check_mifir(verdicts, file_status)
    payload = document(_AUTH031)
    advice = sub(sub(payload, "FinInstrmRptgStsAdvc"), "StsAdvc")
    sub(advice, "MsgRptIdr", text(submitted_message, "submitted_message", 35))
    _message_status(sub(advice, "MsgSts"), status, file_rules, verdicts)
    for verdict in verdicts:
        record = sub(advice, "RcrdSts")
        sub(record, "OrgnlRcrdId", text(verdict.key, "a verdict's key", 140))
        sub(record, "Sts", verdict.status)
        _rules(record, "VldtnRule", verdict.rules, optional=False)
    app = header(authority, firm, feedback_id, "auth.031.001.01", created)
    if submitted_created is not None:
        related = header(firm, authority, submitted_message, "auth.016.001.01", submitted_created)
        related.tag = f"{{{HEAD001}}}Rltd"
        app.append(related)
    return enveloped(app, payload, "feedback")


def emir_rejections(
    *,
    reference_date: date,
    reporting_counterparty: str,
    messages: Sequence[tuple[str, str, Sequence[tuple[str, str]]]],
    verdicts: Sequence[Verdict],
    created: datetime,
    feedback_id: str,
    accepted_reports: int | None = None,
    accepted_transactions: int | None = None,
    repository: str = "REGKIT-TR",
) -> bytes:
    """A trade repository's rejection report (auth.092) for one reporting counterparty and day.

    With something to report, ``RjctnSttstcs/Rpt`` holds the day's totals and one
    ``RjctnSttstcs`` for the counterparty: the reports (submitted messages) refused as a whole
    under ``RptSttstcs``, one ``NbOfRptsRjctdPerErr`` per message and rule (the schema allows
    one rule per ``RptSts``, so a message refused for two rules is listed twice, and once with
    no rule when it has none), and the derivatives refused under ``DerivSttstcs/DtldSttstcs``,
    one ``TxsRjctnsRsn`` per verdict, in order. Every total is the accepted count plus the
    rejected one: the messages, respectively the verdicts, are the rejected ones. With nothing
    refused and nothing accepted the report is ``DataSetActn`` ``NOTX``. The ``AppHdr`` goes
    from the trade repository to the reporting counterparty.

    Args:
        reference_date: the day the statistics are of (``RefDt``).
        reporting_counterparty: its LEI (``CtrPtyId/RptgCtrPty/LEI``; an id of another form
            goes in ``Othr/Id/Id``); also the header's recipient.
        messages: the refused messages, each once: (its ``BizMsgIdr``, its status: RJCT,
            INCF, CRPT or NAUT, the rules it failed as (rule id, description) pairs).
        verdicts: the refused derivatives (``Verdict.key`` the UTI, ``Verdict.action`` the
            report's action type).
        created: the report's creation time (timezone-aware; written in UTC, ``Z``).
        feedback_id: the report's own ``BizMsgIdr``.
        accepted_reports: the reports accepted that day (None: 0).
        accepted_transactions: the derivatives accepted that day (None: 0).
        repository: the header's sender, the trade repository's id (made up by default).

    Returns:
        The document's UTF-8 bytes, with an XML declaration.

    Raises:
        ValueError: a status is ACPT or not an auth.092 code (the report lists rejections),
            an action type is unknown, a message is listed twice, a count is negative, or as
            :func:`mifir_status_advice` for a time or a text.

    Examples:
        >>> from datetime import UTC, date, datetime
        >>> from regkit.reports.emir.feedback import read_rejections
        >>> data = emir_rejections(
        ...     reference_date=date(2024, 3, 15), reporting_counterparty="529900T8BM49AURSDO55",
        ...     messages=[("REGKIT-EMIR-0002", "INCF", [("EMIR-FIL-001", "Bad file name")])],
        ...     verdicts=[Verdict("529900T8BM49AURSDO55CFD0002", "RJCT",
        ...                       (("EMIR-VR-2009-02", "The CFI code is not valid"),), "NEWT")],
        ...     created=datetime(2024, 3, 16, 6, 0, tzinfo=UTC), feedback_id="DATREJ-1",
        ...     accepted_transactions=2,
        ... )
        >>> file = read_rejections(data).files[0]
        >>> [(s.uti, s.status.value, s.action_type) for s in file.transactions]
        [('529900T8BM49AURSDO55CFD0002', 'RJCT', 'NEWT')]
        >>> [(m.message_id, m.status.value) for m in file.messages]
        [('REGKIT-EMIR-0002', 'INCF')]
        >>> file.counterparties[0].total_transactions
        3
    """
    _check_emir(messages, verdicts)
    reports = _count(accepted_reports, "accepted_reports")
    transactions = _count(accepted_transactions, "accepted_transactions")
    payload = document(_AUTH092)
    statistics = sub(sub(payload, "DerivsTradRjctnSttstclRpt"), "RjctnSttstcs")
    if messages or verdicts or reports or transactions:
        day = (reference_date, reporting_counterparty)
        _report(statistics, day, messages, verdicts, (reports, transactions))
    else:
        sub(statistics, "DataSetActn", "NOTX")
    app = header(repository, reporting_counterparty, feedback_id, "auth.092.001.04", created)
    return enveloped(app, payload, "feedback")


def write_feedback(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write a feedback document to ``path`` atomically: under a temporary name in the same
    folder (created when missing), then renamed onto ``path`` (``os.replace``), so a reader
    sees the old file or the whole new one, never a part.

    Args:
        path: the file to write.
        data: the document (what :func:`mifir_status_advice` or :func:`emir_rejections` gave).

    Returns:
        The path written.

    Examples:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     written = write_feedback(Path(folder) / "advice.xml", b"<x/>")
        ...     written.name, written.read_bytes()
        ('advice.xml', b'<x/>')
    """
    target = Path(path)
    with atomic_path(target) as temporary:
        temporary.write_bytes(data)
    return target


# --- building --------------------------------------------------------------------------------


def _derived_status(verdicts: Sequence[Verdict]) -> str:
    """ACPT when every verdict is ACPT (or there is none), RJCT when every one is RJCT, PART
    otherwise (a pending record is not a rejected one)."""
    statuses = {verdict.status for verdict in verdicts}
    if statuses <= {"ACPT"}:
        return "ACPT"
    return "RJCT" if statuses == {"RJCT"} else "PART"


def _check_mifir(verdicts: Sequence[Verdict], file_status: str | None) -> str:
    """Refuse what auth.031 cannot say; the file's status."""
    for verdict in verdicts:
        _code(verdict.status, _RECORD_STATUSES, f"the status of {verdict.key!r}")
        if verdict.action is not None:
            raise ValueError(f"{verdict.key!r}: an action type is EMIR only (auth.031 has none)")
    status = _derived_status(verdicts) if file_status is None else file_status
    return _code(status, _FILE_STATUSES, "the file status")


def _message_status(
    parent: etree._Element,
    status: str,
    rules: Sequence[tuple[str, str]],
    verdicts: Sequence[Verdict],
) -> None:
    """``MsgSts``: the status, the file's rules and, when there are records, the statistics."""
    sub(parent, "Sts", status)
    _rules(parent, "VldtnRule", rules, optional=False)
    if not verdicts:
        return  # Sttstcs needs at least one NbOfRcrdsPerSts
    counts = Counter(verdict.status for verdict in verdicts)
    statistics = sub(parent, "Sttstcs")
    sub(statistics, "TtlNbOfRcrds", str(len(verdicts)))
    for record_status in _RECORD_STATUSES:
        if counts[record_status]:
            per_status = sub(statistics, "NbOfRcrdsPerSts")
            sub(per_status, "DtldNbOfRcrds", str(counts[record_status]))
            sub(per_status, "DtldSts", record_status)


def _report(
    parent: etree._Element,
    day: tuple[date, str],
    messages: Sequence[tuple[str, str, Sequence[tuple[str, str]]]],
    verdicts: Sequence[Verdict],
    accepted: tuple[int, int],
) -> None:
    """``Rpt``: the day's totals and one ``RjctnSttstcs`` for the counterparty, with its
    refused reports and refused derivatives."""
    report = sub(parent, "Rpt")
    sub(report, "RefDt", day[0].isoformat())
    _report_totals(report, accepted[0], len(messages))
    _transaction_totals(report, accepted[1], len(verdicts))
    counterparty = sub(report, "RjctnSttstcs")
    _organisation(sub(sub(counterparty, "CtrPtyId"), "RptgCtrPty"), day[1])
    reports = sub(counterparty, "RptSttstcs")
    _report_totals(reports, accepted[0], len(messages))
    _refused_messages(reports, messages)
    derivatives = sub(sub(counterparty, "DerivSttstcs"), "DtldSttstcs")
    _transaction_totals(derivatives, accepted[1], len(verdicts))
    _refused_derivatives(derivatives, verdicts)


def _check_emir(
    messages: Sequence[tuple[str, str, Sequence[tuple[str, str]]]], verdicts: Sequence[Verdict]
) -> None:
    for verdict in verdicts:
        _code(
            verdict.status,
            _REJECTIONS,
            f"the status of {verdict.key!r} (auth.092 lists rejections)",
        )
        if verdict.action is not None:
            _code(verdict.action, _ACTIONS, f"the action type of {verdict.key!r}")
    seen: set[str] = set()
    for message_id, status, _ in messages:
        _code(
            status, _REJECTIONS, f"the status of message {message_id!r} (auth.092 lists rejections)"
        )
        if message_id in seen:
            raise ValueError(
                f"message {message_id!r} is listed twice: give it once, with all its rules"
            )
        seen.add(message_id)


def _count(value: int | None, what: str) -> int:
    if value is None:
        return 0
    if value < 0:
        raise ValueError(f"{what} is {value}: a count cannot be negative")
    return value


def _report_totals(parent: etree._Element, accepted: int, rejected: int) -> None:
    sub(parent, "TtlNbOfRpts", str(accepted + rejected))
    sub(parent, "TtlNbOfRptsAccptd", str(accepted))
    sub(parent, "TtlNbOfRptsRjctd", str(rejected))


def _transaction_totals(parent: etree._Element, accepted: int, rejected: int) -> None:
    sub(parent, "TtlNbOfTxs", str(accepted + rejected))
    sub(parent, "TtlNbOfTxsAccptd", str(accepted))
    sub(parent, "TtlNbOfTxsRjctd", str(rejected))


def _refused_messages(
    parent: etree._Element, messages: Sequence[tuple[str, str, Sequence[tuple[str, str]]]]
) -> None:
    """One ``NbOfRptsRjctdPerErr`` per message and rule (one with no rule for a message
    that names none)."""
    for message_id, status, rules in messages:
        for rule in tuple(rules) or (None,):
            per_error = sub(parent, "NbOfRptsRjctdPerErr")
            sub(per_error, "DtldNb", "1")
            entry = sub(per_error, "RptSts")
            sub(entry, "MsgRptId", text(message_id, "a message id", 140))
            sub(entry, "Sts", status)
            _rules(entry, "DtldVldtnRule", () if rule is None else (rule,), optional=True)


def _refused_derivatives(parent: etree._Element, verdicts: Sequence[Verdict]) -> None:
    for verdict in verdicts:
        reason = sub(parent, "TxsRjctnsRsn")
        identification = sub(reason, "TxId")
        if verdict.action is not None:
            sub(identification, "ActnTp", verdict.action)
        unique = sub(identification, "UnqIdr")
        key = text(verdict.key, "a verdict's key", 72)
        if _UTI.fullmatch(key):
            sub(unique, "UnqTxIdr", key)
        else:
            sub(sub(unique, "Prtry"), "Id", key)
        sub(reason, "Sts", verdict.status)
        _rules(reason, "DtldVldtnRule", verdict.rules, optional=True)


def _organisation(parent: etree._Element, identifier: str) -> None:
    """An OrganisationIdentification15Choice: ``LEI``, or ``Othr/Id/Id`` for another id."""
    if _LEI.fullmatch(identifier):
        sub(parent, "LEI", identifier)
    else:
        sub(sub(sub(parent, "Othr"), "Id"), "Id", text(identifier, "the counterparty", 72))


def _rules(
    parent: etree._Element, tag: str, rules: Iterable[tuple[str, str]], *, optional: bool
) -> None:
    """The validation rules, ``Id`` and ``Desc`` each (no ``Desc`` for an empty description
    when it is ``optional``)."""
    for rule_id, description in rules:
        rule = sub(parent, tag)
        sub(rule, "Id", text(rule_id, "a rule id", 35))
        if description or not optional:
            sub(rule, "Desc", text(description, f"the description of rule {rule_id!r}", 350))


def _code(value: str, allowed: Sequence[str], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"{what} is {value!r}; expected one of {', '.join(allowed)}")
    return value
