"""Deprecated: moved to regkit.rules.lang; this path re-exports for one release.

The expression language is now the package :mod:`regkit.rules.lang`, one stage per module.
``FUNCTIONS`` here keeps its old shape (name → ``(min, max)`` arity); the registry of
functions is :data:`regkit.rules.lang.FUNCTIONS`.
"""

from regkit.rules.lang import ARITY as FUNCTIONS
from regkit.rules.lang import (
    MAX_DECIMAL_DIGITS,
    MAX_DECIMAL_PLACES,
    MAX_INTEGER_DIGITS,
    NUMBERS_ALLOWED,
    RECORD_KINDS,
    Expr,
    FindingCode,
    Scope,
    Type,
    compile_expr,
    default_columns,
    findings_function,
    format_value,
    number_problem,
    python_source,
    to_polars,
    to_python,
)

# Private names other regkit modules and tests import from here until they move to
# regkit.rules.lang (engine, rolling, tests/unit/rules/test_engine_generated.py).
_FindingCode = FindingCode
_findings_function = findings_function
_default_columns = default_columns
_format_value = format_value

__all__ = [
    "FUNCTIONS",
    "MAX_DECIMAL_DIGITS",
    "MAX_DECIMAL_PLACES",
    "MAX_INTEGER_DIGITS",
    "NUMBERS_ALLOWED",
    "RECORD_KINDS",
    "Expr",
    "Scope",
    "Type",
    "compile_expr",
    "format_value",
    "number_problem",
    "python_source",
    "to_polars",
    "to_python",
]
