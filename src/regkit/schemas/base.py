"""The base class of every record: frozen, strict about unknown fields, and convertible.

A record converts to and from three shapes:

* a nested ``dict`` (:meth:`Record.to_dict` / :meth:`Record.from_dict`), Python values kept;
* JSON text (:meth:`Record.to_json` / :meth:`Record.from_json`), one object per record,
  the JSON Lines format;
* a flat row (:meth:`Record.to_row` / :meth:`Record.from_row`) whose keys are dotted field
  paths (``instrument.symbol``), the shape of CSV columns and of the columnar batch. Lists
  stay lists in a row; CSV writes them joined by ``;``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, model_validator

from regkit.schemas.layout import LIST_SEPARATOR, flatten, layout_of

__all__ = ["LIST_SEPARATOR", "Record", "RowCheck", "flatten"]


class LowerStrEnum(enum.StrEnum):
    """A string enumeration that also accepts its values in any letter case."""

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if isinstance(value, str):
            folded = value.strip().lower()
            for member in cls:
                if member.value == folded:
                    return member
        return None


class UpperStrEnum(enum.StrEnum):
    """A string enumeration of upper-case codes that also accepts lower case."""

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if isinstance(value, str):
            folded = value.strip().upper()
            for member in cls:
                if member.value == folded:
                    return member
        return None


def key_text(value: Any) -> str:
    """A key field's text: times in ISO 8601 with ``Z`` for UTC, dates in ISO 8601."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class RowCheck:
    """A check across several fields of one record, declared once and run on both paths.

    The record runs it after its fields validate (a ``ValueError`` with the reason); the
    columnar path (:mod:`regkit.schemas.io.columnar`) runs it once per distinct combination
    of the values in a batch, so the same rows are refused with the same reason.

    Attributes:
        fields: the fields whose values ``check`` is given, as dotted paths from the record
            (``instrument.product``); enumerations arrive as their values.
        check: answers the reason a combination is wrong, or ``None`` when it is right.
        presence: fields ``check`` is given only as whether they are set (after ``fields``):
            a price or an id, whose values are many, where only its presence matters.

    Examples:
        >>> both = RowCheck(("kind",), lambda kind, named: None if named else "no name",
        ...                 presence=("name",))
        >>> both.check("entity", False)
        'no name'
    """

    fields: tuple[str, ...]
    check: Callable[..., str | None]
    presence: tuple[str, ...] = ()

    def problem(self, record: BaseModel) -> str | None:
        """What ``check`` says of ``record``."""
        values = [_path_value(record, path) for path in self.fields]
        values += [_path_value(record, path) is not None for path in self.presence]
        return self.check(*values)


def _path_value(record: Any, path: str) -> Any:
    for name in path.split("."):
        record = getattr(record, name, None)
    return record


class Record(BaseModel):
    """Base of every regkit record.

    Subclasses set :attr:`key_fields`, the fields that identify one record in a batch
    (the loaders report duplicates by them and name them in every error).
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        use_enum_values=False,
        validate_default=False,
        use_attribute_docstrings=True,
    )

    key_fields: ClassVar[tuple[str, ...]] = ()

    row_checks: ClassVar[tuple[RowCheck, ...]] = ()
    """Checks across fields (:class:`RowCheck`), run after the fields validate."""

    shared: ClassVar[bool] = False
    """Reference data that many records embed (an Instrument in every Trade): the loaders
    validate each distinct one once and let every record hold the same frozen instance."""

    @model_validator(mode="after")
    def _run_row_checks(self) -> Self:
        for row_check in self.row_checks:
            problem = row_check.problem(self)
            if problem is not None:
                raise ValueError(problem)
        return self

    @property
    def key(self) -> str:
        """The record key as one string: the key fields joined by ``|``, times in ISO 8601
        UTC (``A1|2026-11-02T22:00:00Z``), as files write them."""
        return "|".join(key_text(getattr(self, name)) for name in self.key_fields)

    def to_dict(self) -> dict[str, Any]:
        """The record as a nested dict of Python values (Decimal, datetime, str enums)."""
        return self.model_dump(exclude_none=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build and validate a record from a nested mapping."""
        return cls.model_validate(data)

    def to_json(self) -> str:
        """The record as one line of JSON (decimals as strings, datetimes in ISO 8601)."""
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        """Build and validate a record from JSON text."""
        return cls.model_validate_json(text)

    def to_row(self) -> dict[str, Any]:
        """The record as one flat row with dotted keys (``instrument.symbol``)."""
        return flatten(self.model_dump(exclude_none=True))

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self:
        """Build and validate a record from a flat row with dotted keys.

        Empty strings and ``None`` count as absent, so a CSV row may leave the columns of
        another variant (an entity's ``holder.lei`` on a person's row) empty.
        """
        return cls.model_validate(layout_of(cls).from_flat(row, lists_as_text=True))
