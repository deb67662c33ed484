"""Checked expressions: :func:`compile_expr` and :class:`Expr`, the ways to run one.

Examples:
    >>> from regkit import Account
    >>> scope = Scope("trade", {"account": Account}, {"caps": {"fx_major": 30}})
    >>> e = compile_expr("trade.leverage <= params.caps[trade.instrument.underlying_class]",
    ...                  scope)
    >>> sorted(e.names), str(e.type)
    (['trade.instrument.underlying_class', 'trade.leverage'], 'bool')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

from regkit.rules.lang.checker import check_text
from regkit.rules.lang.lower import to_polars
from regkit.rules.lang.pycodegen import to_python
from regkit.rules.lang.scope import Checked, Scope

__all__ = ["Expr", "compile_expr"]


@dataclass(frozen=True, eq=False)
class Expr(Checked):
    """A checked expression: its text, static type, the fields it reads, and its tree."""

    def python(self) -> Callable[..., Any]:
        """The expression as a Python function of keyword arguments (see :func:`to_python`)."""
        return to_python(self)

    def polars(
        self, *, columns: Callable[[str], str] | None = None, as_of: datetime | None = None
    ) -> pl.Expr:
        """The expression as a polars expression (see :func:`to_polars`)."""
        return to_polars(self, columns=columns, as_of=as_of)


def compile_expr(text: str, scope: Scope, *, where: str = "") -> Expr:
    """Parse and check ``text`` in ``scope``; raise :class:`PolicyError` on any problem.

    Examples:
        >>> from regkit import Account
        >>> scope = Scope("trade", {"account": Account}, {"caps": {"fx_major": 30}})
        >>> e = compile_expr("trade.leverage <= params.caps[trade.instrument.underlying_class]",
        ...                  scope)
        >>> sorted(e.names), str(e.type)
        (['trade.instrument.underlying_class', 'trade.leverage'], 'bool')
    """
    stripped, node, fields = check_text(text, scope, where)
    return Expr(text=stripped, type=node.type, names=fields, scope=scope, where=where, node=node)
