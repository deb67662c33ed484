"""MiFIR RTS 22 transaction reports: auth.016 in the ESMA envelope, and auth.031 feedback.

:mod:`~regkit.reports.mifir.build` builds the reports as
:class:`~regkit.schemas.mifir.MifirReport` records (:func:`build_reports`,
:class:`ReportBuilder`, :class:`Reportability`), :mod:`~regkit.reports.mifir.write` writes
one record's ``Tx`` (:func:`write_report`), and :mod:`~regkit.reports.mifir.renderer`
streams both into files (:func:`render`, :func:`file_name`);
:mod:`~regkit.reports.mifir.feedback` reads the competent authority's status advice and
reconciles it with trades (:func:`read_feedback`, :func:`reconcile`), on the shared
ISO 20022 layer (:mod:`regkit.reports.iso20022`). Every name is re-exported here, where it
has always been.

Examples:
    >>> transaction_reference("T-2026-000123")
    'T20260001232A7NJGCMK6U7'
"""

from regkit.reports.mifir.build import BuiltReports, ReportBuilder, build_reports
from regkit.reports.mifir.feedback import (
    Feedback,
    FeedbackFile,
    MessageAdvice,
    MessageStatus,
    Outcome,
    Reconciliation,
    RecordStatus,
    Rejection,
    TransactionStatus,
    ValidationRule,
    read_feedback,
    read_feedback_files,
    reconcile,
)
from regkit.reports.mifir.renderer import (
    DEFAULT_MAX_RECORDS,
    DEFAULT_REPORTABLE_PRODUCTS,
    Regime,
    Rendered,
    Reportability,
    Skipped,
    file_name,
    message_id,
    render,
    transaction_reference,
)
from regkit.reports.mifir.write import write_report

__all__ = [
    "DEFAULT_MAX_RECORDS",
    "DEFAULT_REPORTABLE_PRODUCTS",
    "BuiltReports",
    "Feedback",
    "FeedbackFile",
    "MessageAdvice",
    "MessageStatus",
    "Outcome",
    "Reconciliation",
    "RecordStatus",
    "Regime",
    "Rejection",
    "Rendered",
    "ReportBuilder",
    "Reportability",
    "Skipped",
    "TransactionStatus",
    "ValidationRule",
    "build_reports",
    "file_name",
    "message_id",
    "read_feedback",
    "read_feedback_files",
    "reconcile",
    "render",
    "transaction_reference",
    "write_report",
]
