"""The polars backend of the rule engine (registered as ``polars``).

Examples:
    >>> PolarsBackend().start  # doctest: +ELLIPSIS
    <bound method PolarsBackend.start of ...>
"""

from regkit.rules.backends.polars.backend import PolarsBackend, PolarsRun

__all__ = ["PolarsBackend", "PolarsRun"]
