"""EMIR REFIT trade reports: auth.030 ``DerivsTradRpt`` files, and auth.092 feedback.

:mod:`~regkit.reports.emir.build` builds the reports as
:class:`~regkit.schemas.emir.EmirReport` records (:func:`build_reports`, the UTIs and client
codes they carry), :mod:`~regkit.reports.emir.write` writes one record's XML
(:func:`write_report`), and :mod:`~regkit.reports.emir.renderer` streams both into files
(:func:`render`, :func:`file_name`); :mod:`~regkit.reports.emir.feedback` reads a trade
repository's rejection feedback and reconciles it with trades (:func:`read_rejections`,
:func:`reconcile`), on the shared ISO 20022 layer (:mod:`regkit.reports.iso20022`). Every
name is re-exported here, where it has always been.

Examples:
    >>> client_code("5493001KJTIIGC8Y1R12", "ACC-0001")
    '5493001KJTIIGC8Y1R12ACC0001LWSCVE43PQCG'
"""

from regkit.reports.emir.build import BuiltReports, ReportBuilder, build_reports
from regkit.reports.emir.feedback import read_rejection_files, read_rejections, reconcile
from regkit.reports.emir.renderer import (
    ACTIONS,
    DEFAULT_EVENTS,
    DEFAULT_MAX_RECORDS,
    EVENT_TYPES,
    Action,
    Event,
    Rendered,
    Skipped,
    Valuation,
    client_code,
    file_name,
    generate_uti,
    position_uti,
    render,
    uti_of,
)
from regkit.reports.emir.write import write_report

__all__ = [
    "ACTIONS",
    "DEFAULT_EVENTS",
    "DEFAULT_MAX_RECORDS",
    "EVENT_TYPES",
    "Action",
    "BuiltReports",
    "Event",
    "Rendered",
    "ReportBuilder",
    "Skipped",
    "Valuation",
    "build_reports",
    "client_code",
    "file_name",
    "generate_uti",
    "position_uti",
    "read_rejection_files",
    "read_rejections",
    "reconcile",
    "render",
    "uti_of",
    "write_report",
]
