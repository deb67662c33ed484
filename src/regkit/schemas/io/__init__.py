"""Reading and writing records, in layers that import only downwards.

* :mod:`~regkit.schemas.io.formats`: file formats at the bottom (suffixes, the row sources of
  CSV, JSON Lines, Parquet, DataFrames and mappings, the exact JSON decoder, header checks,
  the reader boundary, the writers);
* :mod:`~regkit.schemas.io.columnar`: columnar validation (:func:`regkit.validate_frame`,
  and the records assembled from a checked frame);
* :mod:`~regkit.schemas.io.rows`: row validation, record by record;
* :mod:`~regkit.schemas.io.loaders`: the loaders on top (:func:`read_records`,
  :func:`iter_records`, :func:`regkit.read_frame`).

This package keeps every name of the former module ``regkit.schemas.io`` and adds the
columnar ones (:class:`FrameBatch`, ``read_frame``, ``to_frame``, ``validate_frame``).

Examples:
    >>> import regkit as rk
    >>> from regkit.schemas.io import read_records
    >>> batch = read_records(
    ...     [{"movement_id": "M1", "account_id": "A1", "kind": "deposit", "amount": "100",
    ...       "currency": "EUR", "at": "2026-11-20T10:00:00Z"}],
    ...     rk.CashMovement,
    ... )
    >>> len(batch.records), batch.ok
    (1, True)
"""

from regkit._files import atomic_path
from regkit.schemas.io.columnar import FrameBatch, to_frame, validate_frame
from regkit.schemas.io.formats import (
    FRAME_CHUNK_ROWS as FRAME_CHUNK_ROWS,
)
from regkit.schemas.io.formats import (
    ErrorMode,
    FileFormat,
    decode_json,
    detect_format,
    floats_as_text,
    header_problems,
    reader_failure,
    unnest_structs,
    write_records,
)
from regkit.schemas.io.formats import (
    _write_parquet as _write_parquet,
)
from regkit.schemas.io.loaders import (
    RecordBatch,
    iter_records,
    read_frame,
    read_records,
    regular_csv,
)
from regkit.schemas.io.rows import CHUNK_ROWS as CHUNK_ROWS
from regkit.schemas.layout import layout_of as layout_of

__all__ = [
    "ErrorMode",
    "FileFormat",
    "FrameBatch",
    "RecordBatch",
    "atomic_path",
    "decode_json",
    "detect_format",
    "floats_as_text",
    "header_problems",
    "iter_records",
    "read_frame",
    "read_records",
    "reader_failure",
    "regular_csv",
    "to_frame",
    "unnest_structs",
    "validate_frame",
    "write_records",
]
