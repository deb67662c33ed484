"""The Python backend of the rule engine (registered as ``python``).

Examples:
    >>> PythonBackend().start  # doctest: +ELLIPSIS
    <bound method PythonBackend.start of ...>
"""

from regkit.rules.backends.python.backend import PythonBackend, PythonRun
from regkit.rules.backends.python.windows import window_findings

__all__ = ["PythonBackend", "PythonRun", "window_findings"]
