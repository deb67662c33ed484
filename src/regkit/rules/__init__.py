"""Policy rules: policies, the expression language, the engine and what it finds."""

from regkit.rules.custom import Fail, PythonRule, rule
from regkit.rules.engine import Checker, check
from regkit.rules.findings import CheckResult, Finding, Severity, fingerprint
from regkit.rules.lang import ARITY as FUNCTIONS
from regkit.rules.lang import (
    RECORD_KINDS,
    Expr,
    Scope,
    Type,
    compile_expr,
    python_source,
    to_polars,
    to_python,
)
from regkit.rules.policy import Policy, Rule, load_policy, parse_policy
from regkit.rules.windows import WindowState

__all__ = [
    "FUNCTIONS",
    "RECORD_KINDS",
    "CheckResult",
    "Checker",
    "Expr",
    "Fail",
    "Finding",
    "Policy",
    "PythonRule",
    "Rule",
    "Scope",
    "Severity",
    "Type",
    "WindowState",
    "check",
    "compile_expr",
    "fingerprint",
    "load_policy",
    "parse_policy",
    "python_source",
    "rule",
    "to_polars",
    "to_python",
]
