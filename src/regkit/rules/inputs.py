"""What ``rk.check`` is given for each record kind: records, or a DataFrame of them.

A service or a script that already holds records passes them; a batch job over files passes
DataFrames (``pl.read_parquet(...)``, or the validated frame of :func:`regkit.read_frame`)
and the polars backend checks them column-wise without building a record per row: records
are built only for the rows that have findings, to write those findings.

A DataFrame is validated by the record model's checks first (column-wise); a frame with
invalid rows is refused as a whole with every bad row named, never checked in part.

The embedded checker is given one record (and its account) per call; :func:`refuse_misfit`
refuses a record of the wrong kind, and an account that is not the record's, before a rule
reads them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl

from regkit.errors import RecordError
from regkit.rules.findings import fingerprint
from regkit.schemas.account import Account
from regkit.schemas.base import Record
from regkit.schemas.columnar import FrameBatch, to_frame, validate_frame
from regkit.schemas.io import read_records
from regkit.schemas.kinds import KINDS

__all__ = ["INDEX", "KindInput", "RecordInput", "kind_model", "refuse_misfit"]

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
        self.model = KINDS[kind].model
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
            self._records = _records(value, self.model, name)

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
            return fingerprint(self._records)
        frame = self.frame()
        frame = frame.select(sorted(c for c in frame.columns if c not in _DERIVED))
        digest = hashlib.sha256()
        for offset in range(0, max(frame.height, 1), _FINGERPRINT_ROWS):
            part = frame.slice(offset, _FINGERPRINT_ROWS)
            digest.update(part.write_csv(include_header=offset == 0).encode("utf-8"))
        return digest.hexdigest()


def _records(value: Iterable[Any], model: type[Record], name: str) -> list[Record]:
    """The records given for a kind, refused whole if one is not a ``model``: the engines
    read their fields, and a dict would fail on one engine and not the other."""
    records = list(value)
    for index, record in enumerate(records):
        if not isinstance(record, model):
            raise TypeError(
                f"check: {name}[{index}]: expected a regkit.{model.__name__}, "
                f"got {type(record).__name__}"
            )
    return records


def kind_model(method: str, kind: object) -> type[Record]:
    """The record class of a kind named by a caller (``"trade"``).

    Raises:
        ValueError: no such kind, naming ``method`` and its ``kind`` argument.
    """
    found = KINDS.get(kind) if isinstance(kind, str) else None
    if found is None:
        known = ", ".join(map(repr, KINDS))
        raise ValueError(f"{method}: kind: expected one of {known}, got {kind!r}")
    return found.model


def refuse_misfit(
    method: str, name: str, model: type[Record], record: object, account: object
) -> None:
    """Refuse a record that is not a ``model``, or an account that is not the record's.

    One isinstance and one string compare: cheap enough for the embedded hot path, where a
    wrong account would otherwise be checked silently as if it were the client's.

    Args:
        method: the public method called (``check_trade``), for the message.
        name: its record argument's name (``trade``).
        model: the record class it takes.
        record: the record given.
        account: the account given with it (``None``: none).

    Raises:
        TypeError: ``record`` is not a ``model`` (a dict, a movement given as a trade), or
            ``account`` is not an :class:`~regkit.schemas.account.Account`.
        ValueError: ``account`` is another account than the record's (``account_id``).
    """
    if not isinstance(record, model):
        raise TypeError(
            f"{method}: {name}: expected a regkit.{model.__name__}, got {type(record).__name__}"
        )
    if account is None or model is Account:
        return
    if not isinstance(account, Account):
        raise TypeError(
            f"{method}: account: expected a regkit.Account or None, got {type(account).__name__}"
        )
    owner = getattr(record, "account_id", None)
    if account.account_id != owner:
        raise ValueError(
            f"{method}: account: {account.account_id!r} is not the {name}'s account {owner!r}"
        )


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
