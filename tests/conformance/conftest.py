"""The conformance suite: every registered backend gives the Python backend's findings.

A test that takes a ``backend`` argument runs once per registered backend other than
``python`` (polars, and the toy ``delegating`` backend below), comparing its findings with
the Python backend's on the same policy and book.

``delegating`` is a third backend written as an outsider would write one: through the
public protocol only (:class:`regkit.rules.backends.Backend`), it hands each kind's work to
the Python backend. It passes the suite unchanged, which shows the suite tests backends
through the registry and a new backend needs nothing else.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from regkit.rules.backends import (
    BackendRun,
    CheckedRules,
    CheckInputs,
    Progress,
    backend_names,
    get_backend,
    register_backend,
)
from regkit.rules.findings import Finding


class DelegatingRun:
    """One check: each kind's findings asked of the Python backend's run."""

    def __init__(self, run: BackendRun) -> None:
        self.run = run

    def record_findings(self, kind: str, progress: Progress | None) -> list[Finding]:
        return list(self.run.record_findings(kind, progress))

    def window_findings(self, kind: str) -> list[Finding]:
        return list(self.run.window_findings(kind))


class DelegatingBackend:
    """A toy backend that delegates to the Python backend through the public protocol."""

    def start(self, rules: CheckedRules, inputs: CheckInputs, as_of: datetime) -> DelegatingRun:
        return DelegatingRun(get_backend("python").start(rules, inputs, as_of))


register_backend("delegating", DelegatingBackend())


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        others = [name for name in backend_names() if name != "python"]
        metafunc.parametrize("backend", others)
