"""What an expression may name (:class:`Scope`), and what checking one gives (:class:`Checked`).

The record kinds are read live from :data:`regkit.schemas.kinds.KINDS` (:data:`RECORD_KINDS`),
so a kind registered after import is usable in expressions at once.

Examples:
    >>> from regkit import Account
    >>> scope = Scope("trade", {"account": Account}, {"caps": {"fx_major": 30}})
    >>> scope.names, scope.model.__name__
    (('trade', 'account', 'params', 'as_of'), 'Trade')
"""

from __future__ import annotations

import keyword
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from regkit.errors import PolicyError
from regkit.rules.lang.functions import FUNCTIONS
from regkit.rules.lang.nodes import Node, Type
from regkit.schemas import kinds
from regkit.schemas.base import Record

__all__ = ["RECORD_KINDS", "Checked", "Scope"]


class _KindModels(Mapping[str, type[Record]]):
    """The record kinds by name and their classes, read from the kind table at each use."""

    def __getitem__(self, name: str) -> type[Record]:
        return kinds.KINDS[name].model

    def __iter__(self) -> Iterator[str]:
        return iter(kinds.KINDS)

    def __len__(self) -> int:
        return len(kinds.KINDS)

    def __repr__(self) -> str:
        return f"RECORD_KINDS({dict(self)!r})"


#: The record kinds a rule applies to, and their classes: a read-only view of
#: :data:`regkit.schemas.kinds.KINDS`, so a kind added to the table is here too.
RECORD_KINDS: Mapping[str, type[Record]] = _KindModels()


@dataclass(frozen=True)
class Scope:
    """The names an expression may use.

    Args:
        record: the record kind the rule applies to (``trade``, ``account``, ``movement``,
            ``snapshot``).
        related: related records by name (``{"account": Account}`` for a trade rule).
        params: the policy's parameters (numbers, strings, booleans, lists, dicts of
            str → value, as YAML gives them; floats become decimals).
        values: plain names with their type and whether they may be ``None`` (an
            aggregate rule's aggregates: ``{"total": (Type("decimal"), False)}``).
        optional: whether the record itself may be ``None`` (in an aggregate rule over
            several kinds, at a record of another kind), so its fields may be missing.

    Examples:
        >>> Scope("trade", values={"total": (Type("decimal"), False)}).names
        ('trade', 'params', 'as_of', 'total')
    """

    record: str
    related: Mapping[str, type[Record]] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    values: Mapping[str, tuple[Type, bool]] = field(default_factory=dict)
    optional: bool = False

    def __post_init__(self) -> None:
        if self.record not in RECORD_KINDS:
            raise PolicyError(
                f"unknown record kind {self.record!r}; expected one of {', '.join(RECORD_KINDS)}"
            )
        for name in self.related:
            if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
                raise PolicyError(f"related record name {name!r} is not a plain identifier")
            if name in (self.record, "params", "as_of"):
                raise PolicyError(f"related record name {name!r} clashes with a scope name")
        taken = {self.record, *self.related, "params", "as_of", *FUNCTIONS}
        for name in self.values:
            if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
                raise PolicyError(f"the name {name!r} is not a plain identifier")
            if name in taken:
                raise PolicyError(f"the name {name!r} clashes with a name of the language")
        object.__setattr__(self, "params", _freeze_params(self.params))
        object.__setattr__(self, "values", types.MappingProxyType(dict(self.values)))

    @property
    def model(self) -> type[Record]:
        """The class of the record the rule applies to."""
        return RECORD_KINDS[self.record]

    @property
    def names(self) -> tuple[str, ...]:
        """Every name an expression may use."""
        return (self.record, *self.related, "params", "as_of", *self.values)


def _freeze_params(params: Mapping[str, Any]) -> Mapping[str, Any]:
    return types.MappingProxyType({str(k): _freeze_value(v) for k, v in params.items()})


def _freeze_value(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Mapping):
        return types.MappingProxyType({str(k): _freeze_value(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze_value(v) for v in value)
    return value


@dataclass(frozen=True, eq=False)
class Checked:
    """A checked expression: its text, static type, the fields it reads, and its typed tree.

    What the backends read; :class:`regkit.rules.lang.Expr` (what
    :func:`~regkit.rules.lang.compile_expr` gives) adds the ways to lower it.
    """

    text: str
    type: Type
    names: frozenset[str]
    """The dotted fields the expression reads (``trade.leverage``, ``account.category``)."""
    scope: Scope
    where: str
    node: Node = field(repr=False)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)
