"""The Python backend: every record through the generated per-kind findings function (the
embedded checker's code), and the aggregate rules through the streaming windows' code.

Examples:
    >>> from regkit.rules.backends.registry import get_backend
    >>> type(get_backend("python")).__name__
    'PythonBackend'
"""

from __future__ import annotations

from datetime import datetime

from regkit.rules.backends.base import CheckInputs, Progress
from regkit.rules.backends.checked import CheckedRules
from regkit.rules.backends.python.windows import window_findings
from regkit.rules.findings import Finding
from regkit.schemas.base import Record
from regkit.schemas.kinds import KINDS

__all__ = ["PROGRESS_STEP", "PythonBackend", "PythonRun"]

#: How many records the Python backend checks between two progress reports.
PROGRESS_STEP = 10_000


class PythonBackend:
    """Runs checked rules record by record (see the module)."""

    def start(self, rules: CheckedRules, inputs: CheckInputs, as_of: datetime) -> PythonRun:
        """One check of ``inputs`` against ``rules`` at ``as_of``."""
        return PythonRun(rules, inputs, as_of)


class PythonRun:
    """One check on the Python backend.

    Args:
        rules: the checked rules.
        inputs: the inputs, by kind.
        as_of: the time rules read as ``as_of``.
    """

    def __init__(self, rules: CheckedRules, inputs: CheckInputs, as_of: datetime) -> None:
        self.rules = rules
        self.inputs = inputs
        self.as_of = as_of

    def record_findings(self, kind: str, progress: Progress | None) -> list[Finding]:
        """Every record of the kind through the kind's findings function, in input order."""
        records = self.inputs[kind].records()
        check = self.rules.record_checker(kind, self.as_of)
        related = self.inputs.related
        name = KINDS[kind].plural
        findings: list[Finding] = []
        total = len(records)
        for start in range(0, total, PROGRESS_STEP):
            for record in records[start : start + PROGRESS_STEP]:
                findings += check(record, related(record))
            if progress is not None:
                progress(name, min(start + PROGRESS_STEP, total), total)
        return findings

    def window_findings(self, kind: str) -> list[Finding]:
        """The kind's aggregate rules over the records of their kinds."""
        return window_findings(
            self.rules.aggregate_rules(kind), kind, self._records, self.inputs.related, self.as_of
        )

    def _records(self, kind: str) -> list[Record]:
        return self.inputs[kind].records()
