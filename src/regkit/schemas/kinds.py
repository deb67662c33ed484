"""The table of record kinds: every list of kinds in regkit reads it.

A kind is declared once here (its name in rules, its plural as a ``check()`` keyword, a CLI
flag and a file stem, its model, its key fields, the field that dates it and the kinds it
sees); the expression language, the engine, the streaming windows, the loaders' file hints
and the command line take their lists from :data:`KINDS`, live: a kind added with
:func:`register_kind` is seen by every reader from then on.

Examples:
    >>> [kind.plural for kind in KINDS.values()]
    ['trades', 'accounts', 'movements', 'snapshots', 'emir_reports', 'mifir_reports']
    >>> KINDS["movement"].event_time, KINDS["movement"].related
    ('at', ('account',))
    >>> KINDS["snapshot"].key
    ('account_id', 'at')
"""

from __future__ import annotations

import keyword
import types
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from regkit.schemas.account import Account, AccountSnapshot
from regkit.schemas.base import Record
from regkit.schemas.cash import CashMovement
from regkit.schemas.emir import EmirReport
from regkit.schemas.mifir import MifirReport
from regkit.schemas.trade import Trade

__all__ = [
    "KINDS",
    "MODELS",
    "RecordKind",
    "kind_of_model",
    "register_kind",
    "registered",
    "unregister_kind",
]


@dataclass(frozen=True)
class RecordKind:
    """One kind of record.

    Attributes:
        name: the name rules use (``applies_to: trade``, ``trade.price``).
        plural: the ``rk.check`` keyword, the CLI flag and the file stem (``trades``).
        model: the record class.
        event_time: the field that places a record in time (effective dating, windows,
            periods of a pack).
        related: the kinds a rule of this kind sees besides its own, joined by
            ``account_id``.
        key: the fields whose values, joined by ``|``, are a record's id in findings (the
            model's ``key_fields``; left out, they are taken from the model).

    Raises:
        ValueError: a ``key`` other than the model's ``key_fields`` (findings name a
            record by ``Record.key``, which joins those).

    Examples:
        >>> KINDS["trade"].key, KINDS["trade"].model.__name__
        (('trade_id',), 'Trade')
    """

    name: str
    plural: str
    model: type[Record]
    event_time: str
    related: tuple[str, ...] = ()
    key: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        fields = tuple(self.model.key_fields)
        if not self.key:
            object.__setattr__(self, "key", fields)
        elif tuple(self.key) != fields:
            raise ValueError(
                f"record kind {self.name!r}: key {self.key!r} is not the key_fields of "
                f"{self.model.__name__} {fields!r}"
            )


_TABLE: dict[str, RecordKind] = {
    kind.name: kind
    for kind in (
        RecordKind("trade", "trades", Trade, "executed_at", ("account",), ("trade_id",)),
        RecordKind("account", "accounts", Account, "opened_at", (), ("account_id",)),
        RecordKind("movement", "movements", CashMovement, "at", ("account",), ("movement_id",)),
        RecordKind(
            "snapshot", "snapshots", AccountSnapshot, "at", ("account",), ("account_id", "at")
        ),
        RecordKind("emir_report", "emir_reports", EmirReport, "reporting_timestamp"),
        RecordKind("mifir_report", "mifir_reports", MifirReport, "trading_date_time"),
    )
}

#: Every record kind, in the order checks run and lists show them (a live, read-only view).
KINDS: Mapping[str, RecordKind] = types.MappingProxyType(_TABLE)


class _Models(Mapping[str, type[Record]]):
    """Each kind's record class by name, read from :data:`KINDS` at each look-up."""

    def __getitem__(self, name: str) -> type[Record]:
        return _TABLE[name].model

    def __iter__(self) -> Iterator[str]:
        return iter(_TABLE)

    def __len__(self) -> int:
        return len(_TABLE)

    def __repr__(self) -> str:
        return f"MODELS({dict(self)!r})"


#: Each kind's record class by name (``MODELS["trade"] is Trade``), live like :data:`KINDS`.
MODELS: Mapping[str, type[Record]] = _Models()

_BY_MODEL: dict[type[Record], str] = {kind.model: name for name, kind in _TABLE.items()}


def kind_of_model(model: type[Record]) -> str:
    """The kind whose model is exactly ``model`` (a KeyError for another class).

    Examples:
        >>> kind_of_model(Trade)
        'trade'
    """
    return _BY_MODEL[model]


def register_kind(kind: RecordKind) -> None:
    """Add a kind to the table; every reader of :data:`KINDS` sees it from then on.

    Raises:
        ValueError: a name or plural that is taken or not a plain identifier, a model
            another kind has, a related kind that is not in the table, or an event time
            that is not a field of the model.

    Examples:
        >>> from typing import ClassVar
        >>> from regkit.schemas.base import Record
        >>> class Quote(Record):
        ...     quote_id: str
        ...     key_fields: ClassVar[tuple[str, ...]] = ("quote_id",)
        >>> with registered(RecordKind("quote", "quotes", Quote, "quote_id")):
        ...     "quote" in KINDS
        True
        >>> "quote" in KINDS
        False
    """
    for word in (kind.name, kind.plural):
        if not word.isidentifier() or keyword.iskeyword(word) or word.startswith("_"):
            raise ValueError(f"record kind {kind.name!r}: {word!r} is not a plain identifier")
    taken = {name for each in _TABLE.values() for name in (each.name, each.plural)}
    for word in (kind.name, kind.plural):
        if word in taken:
            raise ValueError(f"record kind {kind.name!r}: {word!r} is taken")
    if kind.model in _BY_MODEL:
        raise ValueError(
            f"record kind {kind.name!r}: {kind.model.__name__} is already the model of "
            f"{_BY_MODEL[kind.model]!r}"
        )
    unknown = [name for name in kind.related if name not in _TABLE]
    if unknown:
        raise ValueError(f"record kind {kind.name!r}: related kinds {unknown} are not kinds")
    if kind.event_time not in kind.model.model_fields:
        raise ValueError(
            f"record kind {kind.name!r}: event_time {kind.event_time!r} is not a field of "
            f"{kind.model.__name__}"
        )
    _TABLE[kind.name] = kind
    _BY_MODEL[kind.model] = kind.name


def unregister_kind(name: str) -> None:
    """Remove a kind that :func:`register_kind` added (the built-in kinds stay).

    Raises:
        ValueError: a built-in kind, or a name that is not in the table.
    """
    if name in _BUILT_IN or name not in _TABLE:
        raise ValueError(f"record kind {name!r} is not a registered kind that can be removed")
    kind = _TABLE.pop(name)
    _BY_MODEL.pop(kind.model, None)


@contextmanager
def registered(kind: RecordKind) -> Iterator[RecordKind]:
    """A kind in the table for the ``with`` block only (a test's toy kind).

    Examples:
        >>> "trade" in KINDS
        True
    """
    register_kind(kind)
    try:
        yield kind
    finally:
        unregister_kind(kind.name)


_BUILT_IN = frozenset(_TABLE)
