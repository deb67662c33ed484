"""The types of model fields, as expressions read them.

A record's fields are typed from its pydantic model: optional members, unions of nested
records (the holder: a person or an entity), enumerations, lists, and the derived fields
expressions may read like model fields (:data:`DERIVED`, ``trade.notional``).

Examples:
    >>> from regkit.schemas.trade import Trade
    >>> kind, optional, models = field_type(Trade, "leverage")
    >>> str(kind), optional, models
    ('decimal', True, [])
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel

from regkit.rules.lang.nodes import BOOL, DATE, DATETIME, DECIMAL, INT, STR, STR_LIST, Kind, Type
from regkit.schemas.trade import Trade

__all__ = ["DERIVED", "field_names", "field_type", "models_at", "never_none"]

#: Derived (computed) fields that expressions may read like model fields.
DERIVED: dict[type[BaseModel], dict[str, str]] = {Trade: {"notional": "decimal"}}


def models_at(model: type[BaseModel], attrs: Sequence[str]) -> list[type[BaseModel]]:
    """The models a nested record at ``attrs`` of ``model`` may be (the variants of a union).

    Examples:
        >>> from regkit.schemas.account import Account
        >>> [m.__name__ for m in models_at(Account, ["holder"])]
        ['NaturalPerson', 'LegalEntity']
    """
    models: list[type[BaseModel]] = [model]
    for attr in attrs:
        found = [field_type(option, attr) for option in models]
        models = [m for hit in found if hit is not None for m in hit[2]]
    return models


def field_names(model: type[BaseModel]) -> list[str]:
    """The fields an expression may read of ``model``, derived ones included."""
    return [*model.model_fields, *DERIVED.get(model, {})]


def field_type(
    model: type[BaseModel], name: str
) -> tuple[Type, bool, list[type[BaseModel]]] | None:
    """A field's type, whether it may be None, and its models (nested records)."""
    derived = DERIVED.get(model, {})
    if name in derived:
        return Type(typing.cast(Kind, derived[name])), False, []
    info = model.model_fields.get(name)
    if info is None:
        return None
    members = _members(info.annotation)
    optional = any(m is type(None) for m in members)
    options = [m for m in members if m is not type(None)]
    models = [m for m in options if isinstance(m, type) and issubclass(m, BaseModel)]
    if models:
        return Type("none"), optional, models
    return _leaf_type(options[0]), optional, []


def never_none(model: type[BaseModel], name: str) -> bool:
    """Whether a field of ``model`` always holds a value (required, or defaulted to one)."""
    found = field_type(model, name)
    if found is None or found[1] or found[2]:
        return False
    info = model.model_fields[name]
    return info.is_required() or info.default is not None


def _members(annotation: Any) -> list[Any]:
    annotation = _strip(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(annotation):
            out.extend(_members(arg))
        return out
    return [annotation]


def _strip(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _leaf_type(annotation: Any) -> Type:
    annotation = _strip(annotation)
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return STR
    if origin in (tuple, list, frozenset, set):
        return STR_LIST
    if origin in (dict, Mapping):
        return Type("mapping")
    if isinstance(annotation, type):
        if issubclass(annotation, enum.Enum):
            return Type("enum", enum=annotation)
        if issubclass(annotation, bool):
            return BOOL
        if issubclass(annotation, int):
            return INT
        if issubclass(annotation, Decimal):
            return DECIMAL
        if issubclass(annotation, datetime):
            return DATETIME
        if issubclass(annotation, date):
            return DATE
        if issubclass(annotation, str):
            return STR
    return Type("mapping")  # anything else cannot be read
