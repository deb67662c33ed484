"""Deprecated: moved to :mod:`regkit.samples`; this path re-exports for one release.

The check-digit helpers moved to :mod:`regkit.schemas.identifiers`
(:func:`~regkit.schemas.identifiers.isin_check_digit`,
:func:`~regkit.schemas.identifiers.iban_check_digits`).
"""

from regkit.samples import (
    ACCOUNT_COLUMNS,
    DEFAULT_SEED,
    ESMA_RETAIL_LEVERAGE_CAPS,
    PLANTED_KINDS,
    Planted,
    PlantedKind,
    RecordKind,
    SampleConfig,
    SampleFile,
    SampleManifest,
    SampleSet,
    generate,
    write_samples,
)
from regkit.schemas.identifiers import iban_check_digits, isin_check_digit

__all__ = [
    "ACCOUNT_COLUMNS",
    "DEFAULT_SEED",
    "ESMA_RETAIL_LEVERAGE_CAPS",
    "PLANTED_KINDS",
    "Planted",
    "PlantedKind",
    "RecordKind",
    "SampleConfig",
    "SampleFile",
    "SampleManifest",
    "SampleSet",
    "generate",
    "iban_check_digits",
    "isin_check_digit",
    "write_samples",
]
