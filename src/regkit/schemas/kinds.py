"""The table of record kinds: every list of kinds in regkit reads it.

A kind is declared once here (its name in rules, its plural as a ``check()`` keyword, a CLI
flag and a file stem, its model, the field that dates it and the kinds it sees); the
expression language, the engine, the streaming windows, the loaders' file hints and the
command line take their lists from :data:`KINDS`.

Examples:
    >>> [kind.plural for kind in KINDS.values()]
    ['trades', 'accounts', 'movements', 'snapshots']
    >>> KINDS["movement"].event_time, KINDS["movement"].related
    ('at', ('account',))
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass

from regkit.schemas.account import Account, AccountSnapshot
from regkit.schemas.base import Record
from regkit.schemas.cash import CashMovement
from regkit.schemas.trade import Trade

__all__ = ["KINDS", "RecordKind"]


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
    """

    name: str
    plural: str
    model: type[Record]
    event_time: str
    related: tuple[str, ...] = ()


#: Every record kind, in the order checks run and lists show them.
KINDS: Mapping[str, RecordKind] = types.MappingProxyType(
    {
        kind.name: kind
        for kind in (
            RecordKind("trade", "trades", Trade, "executed_at", ("account",)),
            RecordKind("account", "accounts", Account, "opened_at"),
            RecordKind("movement", "movements", CashMovement, "at", ("account",)),
            RecordKind("snapshot", "snapshots", AccountSnapshot, "at", ("account",)),
        )
    }
)
