"""What ``rk.check`` is given for each record kind: records, or a DataFrame of them.

A service or a script that already holds records passes them; a batch job over files passes
DataFrames (``pl.read_parquet(...)``, or the validated frame of :func:`regkit.read_frame`)
and the polars backend checks them column-wise without building a record per row: records
are built only for the rows that have findings, to write those findings.

A DataFrame is validated by the record model's checks first (column-wise); a frame with
invalid rows is refused as a whole with every bad row named, never checked in part.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl

from regkit.errors import RecordError
from regkit.rules.expr import RECORD_KINDS
from regkit.schemas.base import Record
from regkit.schemas.columnar import FrameBatch, to_frame, validate_frame
from regkit.schemas.io import read_records

__all__ = ["INDEX", "KindInput", "RecordInput"]

#: Records, a DataFrame of them (flat dotted or struct columns), or a validated batch.
RecordInput = Iterable[Record] | pl.DataFrame | FrameBatch[Any]

#: The column holding each row's place in the input.
INDEX = "__index"

_DERIVED = ("notional",)
_FINGERPRINT_ROWS = 500_000


class KindInput:
    """One record kind's input, as records, as a validated frame, or both (each built from
    the other when first needed)."""

    def __init__(self, kind: str, value: RecordInput, name: str) -> None:
        self.kind = kind
        self.name = name
        self.model = RECORD_KINDS[kind]
        self._records: list[Record] | None = None
        self._frame: pl.DataFrame | None = None
        if isinstance(value, FrameBatch):
            _refuse_errors(value, name)
            self._frame = value.frame
        elif isinstance(value, pl.DataFrame):
            batch = validate_frame(value, self.model, "collect", source=name)
            _refuse_errors(batch, name)
            self._frame = batch.frame
        else:
            self._records = list(value)

    @property
    def from_frame(self) -> bool:
        """Whether the input came as a DataFrame."""
        return self._records is None

    def __len__(self) -> int:
        return len(self._records) if self._records is not None else self.frame().height

    def records(self) -> list[Record]:
        """Every record, in input order (built from the frame when it came as one)."""
        if self._records is None:
            self._records = self.pick(range(len(self)))
        return self._records

    def frame(self) -> pl.DataFrame:
        """The records as validated dotted columns (without the input-order column)."""
        if self._frame is None:
            self._frame = to_frame(self.records(), self.model)
        return self._frame

    def pick(self, rows: Sequence[int]) -> list[Record]:
        """The records of some rows (by input position)."""
        if self._records is not None:
            records = self._records
            return [records[row] for row in rows]
        frame = self.frame()
        part = frame.drop([c for c in _DERIVED if c in frame.columns])[list(rows)]
        return list(read_records(part, self.model, "raise").records)

    def fingerprint(self) -> str:
        """SHA-256 of the input: of the records' JSON lines (see
        :func:`regkit.rules.findings.fingerprint`), or, for a DataFrame, of its CSV form with
        the columns in name order."""
        if self._records is not None:
            from regkit.rules.findings import fingerprint

            return fingerprint(self._records)
        frame = self.frame()
        frame = frame.select(sorted(c for c in frame.columns if c not in _DERIVED))
        digest = hashlib.sha256()
        for offset in range(0, max(frame.height, 1), _FINGERPRINT_ROWS):
            part = frame.slice(offset, _FINGERPRINT_ROWS)
            digest.update(part.write_csv(include_header=offset == 0).encode("utf-8"))
        return digest.hexdigest()


def _refuse_errors(batch: FrameBatch[Any], name: str) -> None:
    if not batch.errors:
        return
    first = batch.errors[0]
    error = RecordError(
        f"{len(batch.errors)} of the {batch.rows} rows of {name} are not valid records, so "
        f"none are checked; the first: {first}",
        model=batch.model.__name__,
    )
    error.errors = [item.as_dict() for item in batch.errors]
    raise error
