"""regkit: typed brokerage records, compliance checks and regulator reports.

Examples:
    >>> import regkit as rk
    >>> trade = rk.Trade(
    ...     trade_id="T1", account_id="A1", side="buy", quantity="1", price="1.0850",
    ...     executed_at="2026-11-20T09:30:00Z",
    ...     instrument={"symbol": "EURUSD", "product": "cfd", "underlying_class": "fx_major",
    ...                 "base_currency": "EUR", "quote_currency": "USD"},
    ... )
    >>> trade.instrument.underlying_class
    <UnderlyingClass.FX_MAJOR: 'fx_major'>
"""

import os as _os
import typing as _typing

from regkit._version import __version__
from regkit.errors import (
    ComplianceError,
    IdentifierError,
    JobError,
    PackError,
    PackIntegrityError,
    PolicyError,
    PreSubmissionError,
    RecordError,
    RegkitError,
    RenderError,
    StoreError,
    XsdValidationError,
)
from regkit.rules import CheckResult, Finding, Policy, Severity, check, load_policy
from regkit.schemas import (
    Account,
    AccountSnapshot,
    Capacity,
    CashMovement,
    ClientCategory,
    Delivery,
    ExerciseStyle,
    Firm,
    Instrument,
    Kyc,
    KycStatus,
    LegalEntity,
    MovementKind,
    NaturalPerson,
    OptionType,
    PaymentMethod,
    PositionEffect,
    Product,
    Record,
    RiskRating,
    Side,
    Trade,
    UnderlyingClass,
)
from regkit.schemas.io import (
    FrameBatch,
    RecordBatch,
    iter_records,
    read_frame,
    read_records,
    validate_frame,
    write_records,
)

if _typing.TYPE_CHECKING:
    from regkit.store import Store

__all__ = [
    "Account",
    "AccountSnapshot",
    "Capacity",
    "CashMovement",
    "CheckResult",
    "ClientCategory",
    "ComplianceError",
    "Delivery",
    "ExerciseStyle",
    "Finding",
    "Firm",
    "FrameBatch",
    "IdentifierError",
    "Instrument",
    "JobError",
    "Kyc",
    "KycStatus",
    "LegalEntity",
    "MovementKind",
    "NaturalPerson",
    "OptionType",
    "PackError",
    "PackIntegrityError",
    "PaymentMethod",
    "Policy",
    "PolicyError",
    "PositionEffect",
    "PreSubmissionError",
    "Product",
    "Record",
    "RecordBatch",
    "RecordError",
    "RegkitError",
    "RenderError",
    "RiskRating",
    "Severity",
    "Side",
    "StoreError",
    "Trade",
    "UnderlyingClass",
    "XsdValidationError",
    "__version__",
    "check",
    "iter_records",
    "load_policy",
    "open_store",
    "read_frame",
    "read_records",
    "validate_frame",
    "write_records",
]


def open_store(
    url: "str | _os.PathLike[str] | None" = None,
    *,
    inputs_dir: "str | _os.PathLike[str] | None" = None,
) -> "Store":
    """Open (or create) a history store: :func:`regkit.store.open_store` (imported only when
    called, so that ``import regkit`` does not load SQLAlchemy)."""
    from regkit.store import open_store as opened

    return opened(url, inputs_dir=inputs_dir)
