"""MiFIR RTS 22 transaction reports: auth.016 in the ESMA envelope, and auth.031 feedback.

:mod:`~regkit.reports.mifir.renderer` writes the reports (:func:`render`, :func:`file_name`,
:class:`Reportability`); :mod:`~regkit.reports.mifir.feedback` reads the competent
authority's status advice and reconciles it with trades (:func:`read_feedback`,
:func:`reconcile`), on the shared ISO 20022 layer (:mod:`regkit.reports.iso20022`). Every
name is re-exported here, where it has always been.

Examples:
    >>> transaction_reference("T-2026-000123")
    'T20260001232A7NJGCMK6U7'
"""

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

__all__ = [
    "DEFAULT_MAX_RECORDS",
    "DEFAULT_REPORTABLE_PRODUCTS",
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
    "Reportability",
    "Skipped",
    "TransactionStatus",
    "ValidationRule",
    "file_name",
    "message_id",
    "read_feedback",
    "read_feedback_files",
    "reconcile",
    "render",
    "transaction_reference",
]
