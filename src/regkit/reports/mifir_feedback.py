"""Deprecated: moved to regkit.reports.mifir.feedback; this path re-exports for one release."""

from regkit.reports.iso20022.reading import Source as Source
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
