"""The backends of the rule engine, and their registry.

``rk.check(..., engine="python" | "polars")`` looks the backend up by name (see
:mod:`regkit.rules.backends.registry`). Each backend is given the checked rules
(:class:`~regkit.rules.backends.checked.CheckedRules`), the inputs and ``as_of``, and gives
the findings of each kind's record rules and aggregate rules (:class:`Backend`); the
built-in ones are registered here, when this package is first imported.

Examples:
    >>> backend_names()[:2]
    ('python', 'polars')
    >>> type(get_backend("polars")).__name__, "spark" in backend_names()
    ('PolarsBackend', False)
"""

from regkit.rules.backends.base import Backend, BackendRun, CheckInputs, Progress
from regkit.rules.backends.checked import CheckedRules
from regkit.rules.backends.polars import PolarsBackend
from regkit.rules.backends.python import PythonBackend
from regkit.rules.backends.registry import (
    backend_names,
    get_backend,
    register_backend,
    unregister_backend,
)

__all__ = [
    "Backend",
    "BackendRun",
    "CheckInputs",
    "CheckedRules",
    "PolarsBackend",
    "Progress",
    "PythonBackend",
    "backend_names",
    "get_backend",
    "register_backend",
    "unregister_backend",
]

register_backend("python", PythonBackend())
register_backend("polars", PolarsBackend())
