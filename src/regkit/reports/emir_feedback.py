"""Deprecated: moved to regkit.reports.emir.feedback; this path re-exports for one release."""

from regkit.reports.emir.feedback import (
    CounterpartyStatistics,
    MessageStatus,
    Outcome,
    Reconciliation,
    Rejection,
    RejectionFile,
    Rejections,
    ReportStatus,
    TransactionStatus,
    ValidationRule,
    read_rejection_files,
    read_rejections,
    reconcile,
    trade_uti,
)
from regkit.reports.emir.feedback import (
    UtiOf as UtiOf,
)
from regkit.reports.iso20022.reading import Source as Source

__all__ = [
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
    "read_rejection_files",
    "read_rejections",
    "reconcile",
    "trade_uti",
]
