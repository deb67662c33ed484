"""Policy rules: the expression language (:mod:`regkit.rules.expr`)."""

from regkit.rules.expr import (
    FUNCTIONS,
    RECORD_KINDS,
    Expr,
    Scope,
    Type,
    compile_expr,
    python_source,
    to_polars,
    to_python,
)

__all__ = [
    "FUNCTIONS",
    "RECORD_KINDS",
    "Expr",
    "Scope",
    "Type",
    "compile_expr",
    "python_source",
    "to_polars",
    "to_python",
]
