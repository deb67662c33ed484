"""MiFIR RTS 22 transaction reports: auth.016 in the ESMA envelope.

(The auth.031 feedback is read by :mod:`regkit.reports.mifir.feedback`; the envelope, the
code lists and the file sequence are the shared :mod:`regkit.reports.iso20022` layer's.)

:func:`render` turns trades into files of ``BizData`` → ``Hdr/AppHdr`` (head.001) +
``Pyld/Document/FinInstrmRptgTxRpt`` (auth.016, ESMA usage guideline 1.1.0), one ``Tx/New``
per reportable trade and one ``Tx/Cxl`` per cancelled reference. It does so in two steps,
trade by trade:

1. **build**: :class:`~regkit.reports.mifir.build.ReportBuilder` makes every decision
   (counterparties, national client identifiers, transaction reference, venue, instrument,
   quantity, who decided and executed) and gives a :class:`~regkit.schemas.mifir.MifirReport`
   record, or names the fields it cannot report (:mod:`regkit.reports.mifir.build` explains
   the decisions);
2. **write**: :func:`~regkit.reports.mifir.write.write_report` writes the record's ``Tx``
   from the record alone.

See ``docs/mifir.md`` for the field-by-field mapping. Times (field 28) are written in UTC
with the fractional seconds the trade has (none, or the microseconds without trailing
zeros: a datetime cannot tell ``.120`` from ``.12``); decimals keep the source's digits, and
trailing zeros are dropped only when the XSD's limit (13 decimals for a price, 17 for a
quantity, 18 digits) would be passed.

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
:func:`regkit.reports.xml.validate`) before it is written, by two validating processes
when the machine has two cores (:mod:`regkit.reports.validators`). Every ``Tx`` is thus
validated, the envelope with each chunk, and a file is only its envelope around validated
chunks, so it is valid as a whole and is not parsed again. Files are written under
temporary names and renamed only when every trade was rendered and every chunk validated;
on any error no file is left behind.

Examples:
    >>> transaction_reference("T-2026-000123")
    'T20260001232A7NJGCMK6U7'
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Final

from lxml import etree

from regkit.reports.iso20022.envelope import app_header, business_data
from regkit.reports.iso20022.files import Numbering, numbering
from regkit.reports.mifir.authorities import authority_for
from regkit.reports.mifir.build import (
    DEFAULT_REPORTABLE_PRODUCTS,
    Regime,
    Reportability,
    ReportBuilder,
)
from regkit.reports.mifir.precheck import SPEC
from regkit.reports.mifir.write import write_report
from regkit.reports.precheck import Gate, checked_writes, refusal_of
from regkit.reports.values import (
    Rendered,
    Skipped,
    creation_time,
)
from regkit.reports.writer import Envelope, Part, write_files
from regkit.schemas.account import Account
from regkit.schemas.firm import Firm
from regkit.schemas.identifiers import PersonLike, transaction_reference
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

#: Files hold at most this many ``Tx`` unless told otherwise.
DEFAULT_MAX_RECORDS: Final = 500_000


# --- records ---------------------------------------------------------------------------------


def _records(
    builder: ReportBuilder,
    trades: Iterable[Trade],
    cancellations: Iterable[str | Trade],
    check: Gate | None,
) -> Iterator[tuple[str, bytes]]:
    """The ``Tx`` of a report that passes the check, cancellations first (so that a
    cancel-and-replace of one reference in one file works); raises once every trade was seen
    if any was bad or (unless the check writes the passing reports) broke a validation
    rule."""
    for item in cancellations:
        report = builder.cancellation(item)
        if check is not None and check.withholds(report):
            builder.cancelled -= 1
            continue
        yield f"cancellation {report.transaction_reference}", write_report(report).encode()
    yield from checked_writes(builder, trades, write_report, check)
    problem = refusal_of(builder.refused, check)
    if problem is not None:
        raise problem


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


def _envelope(firm: Firm, created_at: datetime, number: Callable[[int], int]) -> Envelope:
    """``BizData``: the ``AppHdr`` from the submitting entity's LEI to the competent
    authority, then ``Document/FinInstrmRptgTxRpt`` (auth.016)."""

    recipient = authority_for(firm.report_recipient).recipient_id

    def header(part: Part) -> etree._Element:
        sequence = number(part.sequence)
        return app_header(
            firm.reporting_lei,
            recipient,
            message_id(created_at, sequence),
            "auth.016.001.01",
            created_at,
        )

    return business_data(header, _AUTH016, "FinInstrmRptgTxRpt")


def _max_records(firm: Firm) -> int:
    """The most ``Tx`` the firm's competent authority takes in one file."""
    return authority_for(firm.report_recipient).max_records or DEFAULT_MAX_RECORDS


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
    first_sequence: Numbering = 1,
    check: bool = True,
    write_passing: bool = False,
    observe: Callable[[int, str, bytes], None] | None = None,
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
        max_records: most ``Tx`` in one file (default: the competent authority's limit in
            :mod:`~regkit.reports.mifir.authorities`, else :data:`DEFAULT_MAX_RECORDS`).
        validate: validate every ``Tx`` against the ESMA schema before it is written.
        reportability: which trades are reported (default :class:`Reportability`()).
        workers: chunks validated at once, in processes (1: inline; default 2 on 2 cores).
        traders: the natural person behind each trader id in ``execution_decision`` and
            ``investment_decision`` (RTS 22 fields 57, 59); default ``firm.traders``.
        first_sequence: the first file's number, or a function giving each file's number.
        check: run ESMA's content rules (``mifir-vr``) on every report before it is
            written (:mod:`~regkit.reports.mifir.precheck`); the same bytes when all pass.
        write_passing: with ``check``, write the reports that pass and list the rest in
            the result's ``content_check`` instead of refusing the batch.
        observe: told each ``Tx`` written (:func:`~regkit.reports.writer.write_files`).

    Returns:
        The files written (a list of paths) with ``reported``, ``cancelled``, ``skipped``
        and ``content_check`` (what the check found; None without it).

    Raises:
        PreSubmissionError: reports that break a validation rule (each one named).
        RenderError: bad records (all of them named), or bad arguments.
        XsdValidationError: a ``Tx`` does not validate (a regkit bug: please report it).
    """
    created = creation_time(created_at)
    number = numbering(first_sequence)
    checking = Gate.asked(SPEC, created, check=check, write_passing=write_passing)
    builder = ReportBuilder(accounts, firm, traders=traders, reportability=reportability)
    paths = write_files(
        _records(builder, trades, cancellations, checking),
        out_dir,
        envelope=_envelope(firm, created, number),
        name=lambda sequence: file_name(firm, created, number(sequence)),
        schema="auth.016",
        max_records=_max_records(firm) if max_records is None else max_records,
        validate=validate,
        workers=workers,
        observe=observe,
    )
    return Rendered(
        paths,
        reported=builder.reported,
        cancelled=builder.cancelled,
        skipped=builder.skipped,
        content_check=None if checking is None else checking.result(),
    )
