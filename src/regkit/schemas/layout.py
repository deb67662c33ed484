"""The flat (dotted-column) layout of a record class, read off the model once.

Files and data frames hold records as flat rows: ``instrument.symbol``,
``holder.national_ids.NIDN``. A :class:`ModelLayout` knows which columns a model has,
which of them are required, which hold lists, and how a validation error's location maps
back to a dotted field path.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any, Union

from pydantic import BaseModel

__all__ = ["LIST_SEPARATOR", "ModelLayout", "flatten", "layout_of"]

#: The separator between list items in a CSV cell (``nationalities`` = ``DE;FR``).
LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class ModelLayout:
    """The dotted columns of one record class."""

    model: type[BaseModel]
    columns: tuple[str, ...]
    """Every leaf column, in model order (union variants' columns once each)."""
    required: frozenset[str]
    """Columns every row must have (required fields outside of unions)."""
    lists: frozenset[str]
    """Columns that hold lists (``;``-separated in CSV)."""
    mappings: tuple[str, ...]
    """Prefixes of free-keyed mapping fields (``holder.national_ids.``)."""
    union_tags: frozenset[str]
    """Union variant tags that pydantic puts into error locations."""
    key_fields: tuple[str, ...]
    groups: Mapping[str, tuple[type[BaseModel], bool]] = field(default_factory=dict)
    """Nested records by path (``instrument``): their model and whether they are required."""
    defaults: Mapping[str, Any] = field(default_factory=dict)
    decimals: frozenset[str] = frozenset()
    """Columns that hold a Decimal field."""
    datetimes: frozenset[str] = frozenset()
    """Columns that hold a datetime field."""
    """Columns whose field has a default other than ``None`` (``venue``: ``XOFF``)."""
    known: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "known", frozenset(self.columns))

    @property
    def plain(self) -> bool:
        """Whether every row has the same shape: no union, no free-keyed mapping, and every
        nested record required, so a column's empty cell always means an empty field."""
        return (
            not self.union_tags
            and not self.mappings
            and all(required and "." not in path for path, (_, required) in self.groups.items())
        )

    def check_columns(self, names: Sequence[str]) -> list[str]:
        """Problems with a header: duplicated, unknown or missing columns."""
        problems: list[str] = []
        seen: set[str] = set()
        for name in names:
            if name in seen:
                problems.append(f"column {name!r} appears twice")
            seen.add(name)
            if not self.is_known(name):
                problems.append(f"unknown column {name!r}{self._suggest(name)}")
        problems.extend(
            f"missing required column {name!r}"
            for name in self.columns
            if name in self.required and name not in seen
        )
        return problems

    def is_known(self, name: str) -> bool:
        """Whether ``name`` is a column of this model."""
        if name in self.known:
            return True
        return any(name.startswith(prefix) and len(name) > len(prefix) for prefix in self.mappings)

    def _suggest(self, name: str) -> str:
        close = difflib.get_close_matches(name, self.columns, n=3, cutoff=0.6)
        return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""

    def from_flat(self, row: Mapping[str, Any], *, lists_as_text: bool = False) -> dict[str, Any]:
        """Nest a flat row, leaving out empty cells (blank text too) and splitting ``;`` lists.

        Values that are mappings (struct columns, nested dicts) are taken leaf by leaf, so
        their empty leaves (the other holder variant's fields) are left out as well.
        """
        items: Iterable[tuple[str, Any]] = row.items()
        if any(isinstance(value, Mapping) for value in row.values()):
            items = flatten(row).items()
        nested: dict[str, Any] = {}
        for path, value in items:
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            if lists_as_text and path in self.lists and isinstance(value, str):
                value = [item.strip() for item in value.split(LIST_SEPARATOR) if item.strip()]
            if "." not in path:
                nested[path] = value
                continue
            *parents, leaf = path.split(".")
            target = nested
            for part in parents:
                target = target.setdefault(part, {})
                if not isinstance(target, dict):
                    break  # ``a`` and ``a.b`` both given: validation reports ``a``
            else:
                target[leaf] = value
        return nested

    def field_path(self, loc: Sequence[int | str]) -> str:
        """A validation error location as a dotted path, without union tags."""
        parts = [str(part) for part in loc if part not in self.union_tags]
        return ".".join(parts)

    def raw_key(self, data: Mapping[str, Any] | None) -> str | None:
        """The record key from a raw (nested or flat) row, if its key fields are there."""
        if not data or not self.key_fields:
            return None
        values = [data.get(name) for name in self.key_fields]
        if any(value is None or value == "" for value in values):
            return None
        return "|".join(str(value) for value in values)


@cache
def layout_of(model: type[BaseModel]) -> ModelLayout:
    """The layout of ``model``, computed once per class."""
    walker = _Walker()
    walker.walk(model, prefix="", required=True)
    return ModelLayout(
        model=model,
        columns=tuple(dict.fromkeys(walker.columns)),
        required=frozenset(walker.required),
        lists=frozenset(walker.lists),
        mappings=tuple(walker.mappings),
        union_tags=frozenset(walker.tags),
        key_fields=tuple(getattr(model, "key_fields", ())),
        groups=walker.groups,
        defaults=walker.defaults,
        decimals=frozenset(walker.decimals),
        datetimes=frozenset(walker.datetimes),
    )


class _Walker:
    def __init__(self) -> None:
        self.columns: list[str] = []
        self.required: list[str] = []
        self.lists: list[str] = []
        self.mappings: list[str] = []
        self.tags: list[str] = []
        self.groups: dict[str, tuple[type[BaseModel], bool]] = {}
        self.defaults: dict[str, Any] = {}
        self.decimals: list[str] = []
        self.datetimes: list[str] = []

    def walk(self, model: type[BaseModel], prefix: str, required: bool) -> None:
        for name, info in model.model_fields.items():
            path = f"{prefix}{name}"
            if not info.is_required() and info.default is not None and required:
                self.defaults[path] = info.default
            self.field(path, info.annotation, required and info.is_required())

    def field(self, path: str, annotation: Any, required: bool) -> None:
        options = _without_none(annotation)
        if len(options) < len(_union_members(annotation)):
            required = False
        models = [option for option in options if _is_model(option)]
        if len(models) > 1:
            for variant in models:
                self.tags.extend(_variant_tags(variant))
                self.walk(variant, f"{path}.", required=False)
            return
        if len(models) == 1:
            self.groups[path] = (models[0], required)
            self.walk(models[0], f"{path}.", required)
            return
        origin = typing.get_origin(options[0]) if options else None
        if origin in (dict, Mapping):
            self.mappings.append(f"{path}.")
            return
        self.columns.append(path)
        if options and options[0] is Decimal:
            self.decimals.append(path)
        if options and options[0] is datetime:
            self.datetimes.append(path)
        if required:
            self.required.append(path)
        if origin in (list, tuple, set, frozenset):
            self.lists.append(path)


def _union_members(annotation: Any) -> tuple[Any, ...]:
    annotation = _strip_annotated(annotation)
    if typing.get_origin(annotation) in (Union, types.UnionType):
        return tuple(_strip_annotated(arg) for arg in typing.get_args(annotation))
    return (annotation,)


def _without_none(annotation: Any) -> list[Any]:
    return [member for member in _union_members(annotation) if member is not type(None)]


def _strip_annotated(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _variant_tags(model: type[BaseModel]) -> list[str]:
    tags: list[str] = []
    for info in model.model_fields.values():
        default = info.default
        if isinstance(default, str) and typing.get_origin(info.annotation) is typing.Literal:
            tags.append(default)
    return tags


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested mappings into one level of dotted keys; lists are kept whole."""
    flat: dict[str, Any] = {}
    for name, value in data.items():
        path = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, path + "."))
        else:
            flat[path] = value
    return flat
