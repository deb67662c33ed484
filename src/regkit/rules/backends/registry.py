"""The registry of backends: a name (``engine="polars"``) to a :class:`Backend`.

The built-in backends (``python``, ``polars``) register themselves when
:mod:`regkit.rules.backends` is imported; another backend registers with
:func:`register_backend` and is then a choice of ``rk.check(..., engine=...)``.

Examples:
    >>> backend_names()[:2]
    ('python', 'polars')
"""

from __future__ import annotations

from regkit.rules.backends.base import Backend

__all__ = ["backend_names", "get_backend", "register_backend", "unregister_backend"]

_BACKENDS: dict[str, Backend] = {}


def register_backend(name: str, backend: Backend) -> None:
    """Register a backend under a name (a name given again replaces the backend).

    Raises:
        ValueError: an empty name, or ``auto`` (kept for picking a backend by the inputs).
        TypeError: ``backend`` has no ``start`` method (it is not a :class:`Backend`).
    """
    if not name or name == "auto":
        raise ValueError(f"a backend cannot be named {name!r}")
    if not isinstance(backend, Backend):
        raise TypeError(f"backend {name!r}: {backend!r} is not a Backend (it has no start())")
    _BACKENDS[name] = backend


def unregister_backend(name: str) -> None:
    """Remove a registered backend (a KeyError naming it when there is none)."""
    del _BACKENDS[name]


def get_backend(name: str) -> Backend:
    """The backend registered under a name.

    Raises:
        ValueError: no backend has that name; the error names the registered ones.
    """
    found = _BACKENDS.get(name)
    if found is None:
        known = ", ".join(repr(each) for each in ("auto", *_BACKENDS))
        raise ValueError(f"engine: expected one of {known}, got {name!r}")
    return found


def backend_names() -> tuple[str, ...]:
    """The names of the registered backends, in the order they were registered."""
    return tuple(_BACKENDS)
